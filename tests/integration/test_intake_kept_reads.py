"""Intake keeps its reads (catalog, stock, HS answers) for the next order and its insert checks them.

An order whose reads are all kept costs no read of its own; a change since (a product's price, a new
product, stock taken by another writer, a nomenclature loaded) is caught by the insert statement,
which then writes nothing, and the intake reads afresh: the answer is the one a fresh read gives.
The changes here are made through the API or straight in the database, never through the cache,
as another API process would make them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from hub.core.database import fetch, tenant_tx
from hub.orders.repository import orders as repo
from tests.api.test_orders import TSHIRT
from tests.conftest import TenantHandle

pytestmark = pytest.mark.integration

NOMENCLATURE = "KEPT-READS-TEST"


def _order(ref: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "channel": "api",
        "external_ref": ref,
        "customer": {"code": "C-1", "name": "Anna Schmidt", "email": "a@example.de"},
        "ship_to": {"name": "Anna", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "currency": "EUR",
        "incoterm": "DDP",
        "lines": lines,
    }


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The SKUs of every read intake makes of the database."""
    made: list[list[str]] = []
    real = repo.intake_reads

    async def counted(tenant_id: Any, skus: list[str], hs_codes: list[str]) -> repo.IntakeReads:
        made.append(sorted(skus))
        return await real(tenant_id, skus, hs_codes)

    monkeypatch.setattr(repo, "intake_reads", counted)
    return made


async def _tshirt(client: httpx.AsyncClient, tenant: TenantHandle, on_hand: int) -> str:
    created = await client.post("/v1/products", json=TSHIRT, headers=tenant.headers())
    assert created.status_code == 201, created.text
    stock = await client.put("/v1/stock/TS-RED-M", json={"on_hand": on_hand}, headers=tenant.headers())
    assert stock.status_code == 200, stock.text
    product_id: str = created.json()["id"]
    return product_id


async def _post(client: httpx.AsyncClient, tenant: TenantHandle, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/orders", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def test_the_next_order_on_the_same_skus_reads_nothing(
    client: httpx.AsyncClient, tenant: TenantHandle, reads: list[list[str]]
) -> None:
    await _tshirt(client, tenant, on_hand=10)
    first = await _post(client, tenant, _order("KEPT-1", [{"sku": "TS-RED-M", "quantity": 2}]))
    second = await _post(client, tenant, _order("KEPT-2", [{"sku": "TS-RED-M", "quantity": 3}]))
    assert reads == [["TS-RED-M"]], "the second order read the catalog again"
    for order, quantity in ((first, 2), (second, 3)):
        assert order["lines"][0]["reserved_quantity"] == quantity
        assert order["lines"][0]["unit_price"] == {"amount": "19.90", "currency": "EUR"}
        assert order["status"] == "approved"
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 5


async def test_a_price_changed_since_is_the_price_charged(
    client: httpx.AsyncClient, tenant: TenantHandle, reads: list[list[str]]
) -> None:
    product_id = await _tshirt(client, tenant, on_hand=10)
    await _post(client, tenant, _order("PRICE-1", [{"sku": "TS-RED-M", "quantity": 1}]))
    changed = await client.patch(
        f"/v1/products/{product_id}",
        json={"unit_price": {"amount": "25.00", "currency": "EUR"}},
        headers=tenant.headers(),
    )
    assert changed.status_code == 200, changed.text
    order = await _post(client, tenant, _order("PRICE-2", [{"sku": "TS-RED-M", "quantity": 1}]))
    assert order["lines"][0]["unit_price"] == {"amount": "25.00", "currency": "EUR"}
    assert order["totals"]["total"] == {"amount": "25.00", "currency": "EUR"}
    assert len(reads) == 2, "the changed catalog was read afresh"
    # Only the order's own reservation is held: the refused insert reserved nothing.
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 2
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    assert [e["kind"] for e in events] == ["order.received", "review.completed", "order.status_changed"]


async def test_a_product_added_since_is_matched(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _tshirt(client, tenant, on_hand=10)
    loose = {"sku": "MUG-1", "name": "Mug", "quantity": 1, "unit_price": {"amount": "8.00", "currency": "EUR"}}
    lines = [{"sku": "TS-RED-M", "quantity": 1}, loose]
    before = await _post(client, tenant, _order("ADDED-1", lines))
    assert before["lines"][1]["product_id"] is None
    mug = {
        **TSHIRT,
        "sku": "MUG-1",
        "name": "Mug",
        "hs_code": "691200",
        "unit_price": {"amount": "9.00", "currency": "EUR"},
    }
    assert (await client.post("/v1/products", json=mug, headers=tenant.headers())).status_code == 201
    # The same lines again: priced as they stand, they need nothing of the catalog but its match.
    after = await _post(client, tenant, _order("ADDED-2", lines))
    assert after["lines"][1]["product_id"] is not None
    assert "sku_unknown" not in [f["code"] for f in after["findings"]]


async def test_stock_taken_since_by_another_writer_is_not_oversold(
    client: httpx.AsyncClient, tenant: TenantHandle, reads: list[list[str]]
) -> None:
    await _tshirt(client, tenant, on_hand=3)
    await _post(client, tenant, _order("STOCK-1", [{"sku": "TS-RED-M", "quantity": 1}]))
    # Another process's order takes the rest: straight in the database, past this process's reads.
    async with tenant_tx(tenant.id):
        await fetch("UPDATE stock SET reserved = on_hand WHERE tenant_id = {} AND sku = 'TS-RED-M'", tenant.id)
    order = await _post(client, tenant, _order("STOCK-2", [{"sku": "TS-RED-M", "quantity": 1}]))
    assert order["lines"][0]["reserved_quantity"] == 0
    assert order["status"] == "backordered"
    assert "stock_short" in [f["code"] for f in order["findings"]]
    assert len(reads) == 2
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 3


async def test_a_product_deleted_since_is_not_matched(
    client: httpx.AsyncClient, tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    await _tshirt(client, tenant, on_hand=10)
    line = {"sku": "TS-RED-M", "quantity": 1, "unit_price": {"amount": "19.90", "currency": "EUR"}}
    assert (await _post(client, tenant, _order("GONE-1", [line])))["lines"][0]["product_id"] is not None
    # The product goes, its stock row stays: only the catalog's version tells.
    await _as_owner(owner, tenant, "DELETE FROM products")
    order = await _post(client, tenant, _order("GONE-2", [{**line, "name": "T-shirt"}]))
    assert order["lines"][0]["product_id"] is None


async def _as_owner(owner: asyncpg.Connection, tenant: TenantHandle, *statements: str) -> None:
    """Run ``statements`` in one transaction as the schema owner (the application may not delete
    stock or products), scoped to ``tenant`` as row-level security asks of the owner too."""
    async with owner.transaction():
        await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant.id))
        for statement in statements:
            await owner.execute(statement)


_DELETE_CATALOG = ("DELETE FROM stock", "DELETE FROM products")


@pytest.fixture
async def nomenclature(owner: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """The owner's connection, to write HS codes; the test's codes are removed after it."""
    try:
        yield owner
    finally:
        await owner.execute("DELETE FROM hs_codes WHERE nomenclature = $1", NOMENCLATURE)


async def test_a_nomenclature_changed_since_gives_its_answer(
    client: httpx.AsyncClient, tenant: TenantHandle, nomenclature: asyncpg.Connection
) -> None:
    owner = nomenclature
    insert = "INSERT INTO hs_codes (nomenclature, code, description, level, source) VALUES ($1, $2, $3, 6, 'test')"
    await owner.execute(insert, NOMENCLATURE, "610910", "T-shirts of cotton")
    await _tshirt(client, tenant, on_hand=10)
    free = {
        "name": "Widget",
        "hs_code": "999998",
        "origin_country": "CN",
        "weight_kg": "0.1",
        "quantity": 1,
        "unit_price": {"amount": "5.00", "currency": "EUR"},
    }
    lines = [{"sku": "TS-RED-M", "quantity": 1}, free]

    def unknown(order: dict[str, Any]) -> list[str]:
        return [f["field"] for f in order["findings"] if f["code"] == "hs_code_unknown"]

    assert unknown(await _post(client, tenant, _order("HS-1", lines))) == ["lines[1].hs_code"]
    await owner.execute(insert, NOMENCLATURE, "999998", "Widgets")
    assert unknown(await _post(client, tenant, _order("HS-2", lines))) == []
    await owner.execute("DELETE FROM hs_codes WHERE nomenclature = $1 AND code = '610910'", NOMENCLATURE)
    assert unknown(await _post(client, tenant, _order("HS-3", lines))) == ["lines[0].hs_code"]


async def _catalog_version(tenant: TenantHandle) -> int | None:
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT version FROM catalog_versions WHERE tenant_id = {}", tenant.id)
    return rows[0]["version"] if rows else None


async def _rolled_back_version(tenant: TenantHandle) -> int:
    """The catalog version a product write took in a transaction that then rolled back."""

    class RolledBack(Exception):
        pass

    taken: list[int] = []
    with pytest.raises(RolledBack):
        await _write_and_roll_back(tenant, taken, RolledBack)
    return taken[0]


async def _write_and_roll_back(tenant: TenantHandle, taken: list[int], error: type[Exception]) -> None:
    async with tenant_tx(tenant.id):
        await fetch("UPDATE products SET name = 'x' WHERE tenant_id = {}", tenant.id)
        rows = await fetch("SELECT version FROM catalog_versions WHERE tenant_id = {}", tenant.id)
        taken.append(rows[0]["version"])
        raise error


async def test_every_write_of_products_takes_a_new_catalog_version(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    assert await _catalog_version(tenant) is None
    product_id = await _tshirt(client, tenant, on_hand=1)
    seen = [await _catalog_version(tenant)]
    patched = await client.patch(f"/v1/products/{product_id}", json={"name": "Red T"}, headers=tenant.headers())
    assert patched.status_code == 200
    seen.append(await _catalog_version(tenant))
    # A write that rolls back leaves the version as it was, and its version is never taken again.
    rolled_back = await _rolled_back_version(tenant)
    assert await _catalog_version(tenant) == seen[-1]
    await _as_owner(owner, tenant, *_DELETE_CATALOG)
    seen.append(await _catalog_version(tenant))
    assert None not in seen
    assert len({*seen, rolled_back}) == 4
    assert await _catalog_version(other_tenant) is None, "another tenant's catalog did not change"


async def test_a_nomenclature_import_takes_one_new_version(nomenclature: asyncpg.Connection) -> None:
    """Every transaction that writes HS codes changes the version once, however many statements it has."""
    insert = "INSERT INTO hs_codes (nomenclature, code, description, level, source) VALUES ($1, $2, 'x', 6, 'test')"
    before = await nomenclature.fetchval("SELECT version FROM nomenclature_version")
    taken_before = await nomenclature.fetchval("SELECT last_value FROM catalog_version_seq")
    async with nomenclature.transaction():
        await nomenclature.executemany(insert, [(NOMENCLATURE, f"{code}") for code in range(700001, 700051)])
        inside = await nomenclature.fetchval("SELECT version FROM nomenclature_version")
    after = await nomenclature.fetchval("SELECT version FROM nomenclature_version")
    assert before != after == inside
    # Fifty INSERT statements, one value of the sequence taken (one update of the version row).
    assert await nomenclature.fetchval("SELECT last_value FROM catalog_version_seq") == taken_before + 1
    await nomenclature.execute("DELETE FROM hs_codes WHERE nomenclature = $1 AND code = '700001'", NOMENCLATURE)
    assert await nomenclature.fetchval("SELECT version FROM nomenclature_version") not in (before, after)
