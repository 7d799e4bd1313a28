"""Customs storage at the service level: the functions the orders domain calls, RLS, the tenant cache."""

from __future__ import annotations

import uuid

import httpx
import msgspec
import pytest

from customs import quotes, repository, tenant_data
from customs.schemas import QuoteRequest
from customs.tariffs import decode_rows
from hub.core.database import DB, fetch, tenant_tx
from hub.core.errors import NotFound, ValidationFailed
from tests.conftest import TenantHandle

REQUEST = msgspec.convert(
    {
        "origin_country": "CN",
        "destination_country": "US",
        "currency": "USD",
        "date": "2026-11-27",
        "shipping": "200",
        "insurance": "10",
        "lines": [{"hs_code": "950631", "quantity": 1, "unit_price": "600"}],
    },
    QuoteRequest,
)
MPF_ROW = (
    b'[{"type": "fee", "id": "tenant-us-express-mpf", "destination": "US", "code": "MPF", "kind": "flat", '
    b'"currency": "USD", "amount": "1.00", "entry": "informal", "transport_modes": ["courier"], '
    b'"valid_from": "2026-10-01", "source": "broker"}]'
)


async def test_create_inside_an_open_tenant_tx_and_list_for_order(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    order_id = uuid.uuid4()
    async with tenant_tx(tenant.id):
        first = await quotes.create_stored_quote(tenant.id, REQUEST, order_id=order_id, actor="user:test")
        second = await quotes.create_stored_quote(tenant.id, REQUEST, order_id=order_id, actor="user:test")
        # Same transaction: the caller sees its own rows before it commits.
        assert [q.id for q in await quotes.list_quotes_for_order(tenant.id, order_id)] == [first.id, second.id]
    assert first.order_id == order_id
    assert first.landed_cost_total.amount == "837.74"  # FY2026 courier MPF 1.34
    stored = await quotes.list_quotes_for_order(tenant.id, order_id)
    assert [q.id for q in stored] == [first.id, second.id]
    assert stored[0] == first
    assert await quotes.list_quotes_for_order(tenant.id, uuid.uuid4()) == []


async def test_rollback_of_the_callers_tx_stores_nothing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    del client
    order_id = uuid.uuid4()

    async def order_work_that_fails() -> None:
        async with tenant_tx(tenant.id):
            await quotes.create_stored_quote(tenant.id, REQUEST, order_id=order_id, actor="user:test")
            raise RuntimeError("the order's own work failed")

    with pytest.raises(RuntimeError):
        await order_work_that_fails()
    assert await quotes.list_quotes_for_order(tenant.id, order_id) == []


async def test_bad_request_stores_nothing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    del client
    bad = msgspec.structs.replace(REQUEST, destination_country="XX")
    with pytest.raises(ValidationFailed):
        await quotes.create_stored_quote(tenant.id, bad, order_id=None, actor="user:test")
    async with tenant_tx(tenant.id):
        assert (await fetch("SELECT count(*) AS n FROM landed_cost_quotes"))[0]["n"] == 0


async def test_rows_invisible_without_a_tenant_and_to_other_tenants(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    del client
    created = await quotes.create_stored_quote(tenant.id, REQUEST, order_id=None, actor="user:test")
    await tenant_data.load_tariff_rows(tenant.id, tenant_data.parse_tariff_rows(MPF_ROW))
    async with DB.transaction():
        for table in ("landed_cost_quotes", "tariff_rows", "fx_rates", "customs_data_revisions"):
            assert (await fetch(f"SELECT count(*) AS n FROM {table}"))[0]["n"] == 0, table
    with pytest.raises(NotFound):
        await quotes.get_stored_quote(other_tenant.id, created.id)
    assert (await quotes.get_stored_quote(tenant.id, created.id)).id == created.id


async def test_a_load_elsewhere_is_noticed_by_the_quote_insert(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Another API process loads rows: this process's cache is stale; the quote's INSERT notices."""
    del client
    before = await quotes.create_stored_quote(tenant.id, REQUEST, order_id=None, actor="user:test")
    assert tenant_data.cached_data(tenant.id) is not None
    # What another process does: store the rows and bump the revision, without touching our cache.
    rows = decode_rows(MPF_ROW)
    async with tenant_tx(tenant.id):
        await repository.upsert_tariff_rows(
            tenant.id, [(uuid.uuid4(), r.id, "fee", msgspec.json.encode(r).decode()) for r in rows]
        )
        await repository.bump_revision(tenant.id)
    after = await quotes.create_stored_quote(tenant.id, REQUEST, order_id=None, actor="user:test")
    assert before.landed_cost_total.amount == "837.74"
    assert after.landed_cost_total.amount == "837.40"
    assert after.rules_version != before.rules_version
    cached = tenant_data.cached_data(tenant.id)
    assert cached is not None
    assert cached.revision == 1
