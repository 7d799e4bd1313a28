"""Intake's reads scope themselves (``intake_reads``, one round trip outside any transaction).

The function sets the tenant with ``set_config(..., true)`` and runs its query in the same statement.
These tests pin what that must keep: row-level security still shows only the named tenant's rows,
the scope ends with the statement (a pooled connection does not carry it to its next user), and a
call inside a transaction joins it.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from hub.core.database import DB, fetch, tenant_tx
from hub.orders.repository import orders as repo
from tests.api.test_orders import TSHIRT
from tests.conftest import TenantHandle

pytestmark = pytest.mark.integration


async def _stock(client: httpx.AsyncClient, tenant: TenantHandle, price: str, on_hand: int) -> None:
    product = {**TSHIRT, "unit_price": {"amount": price, "currency": "EUR"}}
    assert (await client.post("/v1/products", json=product, headers=tenant.headers())).status_code == 201
    stock = {"on_hand": on_hand}
    assert (await client.put("/v1/stock/TS-RED-M", json=stock, headers=tenant.headers())).status_code == 200


async def test_each_tenant_reads_only_its_own_catalog_and_stock(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await _stock(client, tenant, "19.90", 7)
    await _stock(client, other_tenant, "25.00", 3)

    mine = await repo.intake_reads(tenant.id, ["TS-RED-M", "NO-SUCH"], ["610910"])
    theirs = await repo.intake_reads(other_tenant.id, ["TS-RED-M"], [])

    assert Decimal(mine.catalog["TS-RED-M"].unit_price.amount) == Decimal("19.90")
    assert mine.stock["TS-RED-M"].available == 7
    assert "NO-SUCH" not in mine.catalog
    assert "NO-SUCH" not in mine.stock
    assert Decimal(theirs.catalog["TS-RED-M"].unit_price.amount) == Decimal("25.00")
    assert theirs.stock["TS-RED-M"].available == 3


async def test_the_scope_ends_with_the_statement(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _stock(client, tenant, "19.90", 7)
    assert DB.pool is not None
    # Every pooled connection in turn: none may keep the tenant after the read.
    for _ in range(DB.pool.get_max_size()):
        await repo.intake_reads(tenant.id, ["TS-RED-M"], [])
    for _ in range(DB.pool.get_max_size()):
        rows = await fetch("SELECT coalesce(current_setting('app.tenant_id', true), '') AS scope")
        assert rows[0]["scope"] == ""
        rows = await fetch("SELECT count(*) AS n FROM products")
        assert rows[0]["n"] == 0, "an unscoped read saw a tenant's rows"


async def test_inside_a_transaction_the_read_joins_it(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _stock(client, tenant, "19.90", 7)
    async with tenant_tx(tenant.id):
        await fetch("UPDATE stock SET reserved = 5 WHERE tenant_id = {} AND sku = 'TS-RED-M'", tenant.id)
        inside = await repo.intake_reads(tenant.id, ["TS-RED-M"], [])
        assert inside.stock["TS-RED-M"].available == 2  # sees the transaction's own uncommitted write
        await fetch("UPDATE stock SET reserved = 0 WHERE tenant_id = {} AND sku = 'TS-RED-M'", tenant.id)
    outside = await repo.intake_reads(tenant.id, ["TS-RED-M"], [])
    assert outside.stock["TS-RED-M"].available == 7
