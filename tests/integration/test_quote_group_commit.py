"""Stored quotes are group-committed: concurrent quotes share transactions, each keeps its own row and
answer, a stale tenant revision is caught per row, and the HTTP answer is the stored JSON re-used."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import httpx
import msgspec

from customs import quotes, repository, tenant_data
from customs.schemas import QuoteRequest, StoredQuote
from customs.tariffs import decode_rows
from hub.core.database import DB, fetch, tenant_tx
from hub.core.ids import new_id
from tests.conftest import TenantHandle


def _request(price: int) -> QuoteRequest:
    return msgspec.convert(
        {
            "origin_country": "CN",
            "destination_country": "US",
            "currency": "USD",
            "date": "2026-11-27",
            "shipping": "20",
            "lines": [{"hs_code": "950631", "quantity": 1, "unit_price": f"{price}.00"}],
        },
        QuoteRequest,
    )


MPF_ROW = (
    b'[{"type": "fee", "id": "tenant-us-express-mpf", "destination": "US", "code": "MPF", "kind": "flat", '
    b'"currency": "USD", "amount": "1.00", "entry": "informal", "transport_modes": ["courier"], '
    b'"valid_from": "2026-10-01", "source": "broker"}]'
)


async def _bump_elsewhere(tenant_id: uuid.UUID) -> None:
    """What another API process does when it loads rows: store and bump, leaving our cache alone."""
    rows = decode_rows(MPF_ROW)
    async with tenant_tx(tenant_id):
        await repository.upsert_tariff_rows(
            tenant_id, [(uuid.uuid4(), r.id, "fee", msgspec.json.encode(r).decode()) for r in rows]
        )
        await repository.bump_revision(tenant_id)


async def test_concurrent_quotes_share_transactions_and_each_gets_its_own_row(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    await quotes.create_stored_quote(tenant.id, _request(1000), order_id=None, actor="user:warm")  # caches tables
    prices = list(range(1000, 1030))
    created = await asyncio.gather(
        *(quotes.create_stored_quote(tenant.id, _request(p), order_id=None, actor=f"user:{p}") for p in prices)
    )
    assert len({q.id for q in created}) == len(prices)
    for price, quote in zip(prices, created, strict=True):
        assert quote.created_by == f"user:{price}"
        assert quote.goods_total is not None
        assert quote.goods_total.amount == f"{price}.00"
        # Answered means committed, and the stored row is this caller's own response.
        assert await quotes.get_stored_quote(tenant.id, quote.id) == quote
    # Rows written in one transaction share its now(): fewer timestamps than quotes means shared commits.
    assert len({q.created_at for q in created}) < len(prices)
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT id, landed_cost_total, created_by FROM landed_cost_quotes")
    by_id = {row["id"]: row for row in rows}
    for quote in created:
        assert by_id[quote.id]["landed_cost_total"] == Decimal(quote.landed_cost_total.amount)
        assert by_id[quote.id]["created_by"] == quote.created_by


async def test_concurrent_quotes_after_a_load_elsewhere_are_recomputed_from_fresh_data(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    before = await quotes.create_stored_quote(tenant.id, _request(600), order_id=None, actor="user:test")
    await _bump_elsewhere(tenant.id)
    after = await asyncio.gather(
        *(quotes.create_stored_quote(tenant.id, _request(600), order_id=None, actor="user:test") for _ in range(8))
    )
    for quote in after:
        assert quote.rules_version != before.rules_version
        assert any(fee.code == "MPF" and fee.amount.amount == "1.00" for fee in quote.fees)
        assert await quotes.get_stored_quote(tenant.id, quote.id) == quote
    cached = tenant_data.cached_data(tenant.id)
    assert cached is not None
    assert cached.revision == 1


def _quote_row(
    revision: int | None, *, actor: str = "user:test", quote_id: uuid.UUID | None = None
) -> repository.QuoteRow:
    """A stored quote's row with a stand-in request and response, for the writer alone."""
    return repository.QuoteRow(
        id=quote_id or new_id(),
        order_id=None,
        request_json="{}",
        response_json='{"x": 1}',
        rules_version="v",
        destination_country="US",
        currency="USD",
        landed_cost_total=Decimal("1.00"),
        created_by=actor,
        expected_revision=revision,
    )


async def test_a_batch_answers_per_row_and_skips_only_the_stale_one(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    await _bump_elsewhere(tenant.id)  # revision 1

    rows = [_quote_row(1), _quote_row(0), _quote_row(None), _quote_row(1)]
    async with tenant_tx(tenant.id):
        results = await repository.insert_quotes(tenant.id, rows)
    assert [r is not None for r in results] == [True, False, True, True]
    assert all(isinstance(r, dt.datetime) for r in results if r is not None)
    async with tenant_tx(tenant.id):
        stored = {r["id"] for r in await fetch("SELECT id FROM landed_cost_quotes")}
    assert stored == {rows[0].id, rows[2].id, rows[3].id}


async def test_the_http_answer_is_the_stored_quote_byte_for_byte(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    body = msgspec.json.encode(_request(250))
    for _ in range(2):  # the first computes with freshly loaded tables, the second with cached ones
        created = await client.post("/v1/landed-cost/quotes", content=body, headers=tenant.headers())
        assert created.status_code == 201
        assert created.headers["content-type"].startswith("application/json")
        quote = msgspec.json.decode(created.content, type=StoredQuote)
        read = await client.get(f"/v1/landed-cost/quotes/{quote.id}", headers=tenant.headers())
        assert read.status_code == 200
        assert created.content == read.content
        assert created.content == msgspec.json.encode(quote)


async def test_an_idempotent_replay_answers_the_same_bytes(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    body = msgspec.json.encode(_request(250))
    headers = tenant.headers(**{"Idempotency-Key": "quote-1"})
    first = await client.post("/v1/landed-cost/quotes", content=body, headers=headers)
    again = await client.post("/v1/landed-cost/quotes", content=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    quote = msgspec.json.decode(first.content, type=StoredQuote)
    read = await client.get(f"/v1/landed-cost/quotes/{quote.id}", headers=tenant.headers())
    assert read.content == first.content
    async with tenant_tx(tenant.id):
        assert (await fetch("SELECT count(*) AS n FROM landed_cost_quotes"))[0]["n"] == 1


async def test_a_batch_commits_as_one_statement_on_a_session_that_is_cleared_after(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """The writer sends a batch on a tenant session (no BEGIN or COMMIT); once the writers stop, no
    pooled connection is left scoped to a tenant, and a tenant's batch never lands in another's."""
    del client
    for owner in (tenant, other_tenant):
        await quotes.create_stored_quote(owner.id, _request(1000), order_id=None, actor="user:warm")
    committed = quotes._writer.committed
    created = await asyncio.gather(
        *(
            quotes.create_stored_quote(owner.id, _request(p), order_id=None, actor=f"user:{p}")
            for p in range(1100, 1116)
            for owner in (tenant, other_tenant)
        )
    )
    assert quotes._writer.committed > committed
    await quotes._writer.drain()
    for owner in (tenant, other_tenant):
        async with tenant_tx(owner.id):
            rows = await fetch("SELECT count(*) AS n FROM landed_cost_quotes")
        assert rows[0]["n"] == 1 + 16, "each tenant has exactly its own quotes"
    assert len(created) == 32
    assert DB.pool is not None
    connections = [await asyncio.wait_for(DB.pool.acquire(), 10) for _ in range(DB.pool.get_max_size())]
    try:
        for connection in connections:
            scope = await connection.fetchval("SELECT coalesce(current_setting('app.tenant_id', true), '')")
            assert scope == "", "a pooled connection kept a tenant's scope"
    finally:
        for connection in connections:
            await DB.pool.release(connection)


async def test_a_batch_whose_statement_fails_is_written_row_by_row(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """One bad row fails the batch's one statement (nothing of it commits); the rows are then written
    one by one, as without sessions, so only the bad row's caller fails."""
    del client
    await quotes.create_stored_quote(tenant.id, _request(1000), order_id=None, actor="user:warm")
    data = tenant_data.cached_data(tenant.id)
    assert data is not None

    def row(actor: str, quote_id: uuid.UUID) -> repository.QuoteRow:
        return _quote_row(data.revision, actor=actor, quote_id=quote_id)

    taken = new_id()
    assert await quotes._writer.submit(tenant.id, row("first", taken)) is not None
    committed = quotes._writer.committed
    results = await asyncio.gather(
        *(quotes._writer.submit(tenant.id, row(f"r{i}", new_id())) for i in range(3)),
        quotes._writer.submit(tenant.id, row("dup", taken)),  # the same id again: a primary-key violation
        return_exceptions=True,
    )
    assert [isinstance(r, dt.datetime) for r in results[:3]] == [True, True, True]
    assert isinstance(results[3], Exception)
    assert quotes._writer.committed >= committed
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT created_by FROM landed_cost_quotes WHERE created_by LIKE 'r%' OR created_by = 'dup'")
    assert sorted(r["created_by"] for r in rows) == ["r0", "r1", "r2"]
