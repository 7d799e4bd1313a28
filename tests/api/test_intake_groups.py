"""Intakes of one tenant grouped in one transaction (``intake.INTAKE``): every guarantee of a lone intake.

Each test makes a group for certain: a first intake is held on the tenant's number counter (locked
from a transaction of the test's) until the others have queued behind it; they then run as one
group. Checked: gapless numbers, an outbox row set and timeline per order, no oversell, a failing
order that fails no neighbour, idempotency replays inside a group, and tenants kept apart.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg
import httpx

from hub.core.bootstrap import Services
from hub.core.database import DB, fetch, tenant_tx
from hub.orders.intake import INTAKE
from tests.api.test_intake_sql import _count, _line, _order, _product, _reserved
from tests.conftest import TenantHandle

Post = tuple[dict[str, Any], dict[str, str]]


@asynccontextmanager
async def _counter_held(tenant: TenantHandle) -> AsyncIterator[None]:
    """The tenant's order-number counter locked by another transaction until the block ends."""
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with tenant_tx(tenant.id):
            rows = await fetch("SELECT 1 FROM order_counters WHERE tenant_id = {} FOR UPDATE", tenant.id)
            assert rows, "the tenant has no counter yet: file one order first"
            locked.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await locked.wait()
    try:
        yield
    finally:
        release.set()
        await task


async def _until(condition: Any, what: str) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def _queued_behind_one(
    client: httpx.AsyncClient, tenants: dict[uuid.UUID, tuple[TenantHandle, list[Post]]]
) -> dict[uuid.UUID, list[httpx.Response]]:
    """Per tenant, its first post runs (held on the counter) and the rest queue for one group behind it."""
    tasks: dict[uuid.UUID, list[asyncio.Task[httpx.Response]]] = {}
    async with AsyncExitStack() as stack:
        for tenant_id, (tenant, posts) in tenants.items():
            await stack.enter_async_context(_counter_held(tenant))
            groups = INTAKE.groups
            body, headers = posts[0]
            tasks[tenant_id] = [asyncio.create_task(client.post("/v1/orders", json=body, headers=headers))]
            await _until(lambda: INTAKE.groups > groups and INTAKE.waiting(tenant_id) == 0, "the first intake ran")  # noqa: B023
            tasks[tenant_id] += [
                asyncio.create_task(client.post("/v1/orders", json=body, headers=headers))
                for body, headers in posts[1:]
            ]
        for tenant_id, (_, posts) in tenants.items():
            await _until(lambda: INTAKE.waiting(tenant_id) == len(posts) - 1, "the others queued")  # noqa: B023
    return {tenant_id: list(await asyncio.gather(*ts)) for tenant_id, ts in tasks.items()}


async def _one_tenant(client: httpx.AsyncClient, tenant: TenantHandle, posts: list[Post]) -> list[httpx.Response]:
    return (await _queued_behind_one(client, {tenant.id: (tenant, posts)}))[tenant.id]


async def _first_order(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """SO-000001, so that the tenant has a counter row to hold."""
    response = await client.post("/v1/orders", json=_order(external_ref="FIRST"), headers=tenant.headers())
    assert response.status_code == 201, response.text
    assert response.json()["number"] == "SO-000001"


def _numbers(responses: list[httpx.Response]) -> list[int]:
    return sorted(int(r.json()["number"].removeprefix("SO-")) for r in responses if r.status_code == 201)


async def test_a_group_commits_once_with_gapless_numbers_and_each_order_s_timeline_and_outbox(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _first_order(client, tenant)
    jobs_before = await _count(tenant, "outbox")
    groups, pipelined, committed = INTAKE.groups, INTAKE.pipelined, INTAKE.committed
    posts = [(_order(external_ref=f"G-{i}"), tenant.headers()) for i in range(10)]
    results = await _one_tenant(client, tenant, posts)
    assert [r.status_code for r in results] == [201] * 10
    assert INTAKE.groups - groups == 2  # the held one, then the nine that queued behind it
    assert INTAKE.pipelined - pipelined == 9  # the nine inserts sent in one round trip
    assert INTAKE.committed - committed == 1  # ... which committed as they ran: no BEGIN, no COMMIT
    assert _numbers(results) == list(range(2, 12))
    assert await _reserved(client, tenant, "TS-RED-M") == 2 * 11
    assert await _count(tenant, "outbox") == jobs_before + 2 * 10
    async with tenant_tx(tenant.id):
        delivered = await fetch(
            "SELECT payload->>'order_id' AS id FROM outbox WHERE tenant_id = {} AND job = 'deliver_order_event'",
            tenant.id,
        )
        received = await fetch(
            "SELECT order_id, payload->>'number' AS number FROM order_events WHERE tenant_id = {} "
            "AND kind = 'order.received'",
            tenant.id,
        )
    ids = {r.json()["id"] for r in results}
    assert ids <= {row["id"] for row in delivered}
    by_order = {str(row["order_id"]): row["number"] for row in received}
    assert {by_order[r.json()["id"]] for r in results} == {r.json()["number"] for r in results}
    # Each answer is built after its group committed and says when the order was stored, as a read does.
    for result in results:
        read = await client.get(f"/v1/orders/{result.json()['id']}", headers=tenant.headers())
        assert result.json()["created_at"] == read.json()["created_at"]


async def test_a_failing_order_in_a_group_fails_no_neighbour_and_leaves_no_gap(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _first_order(client, tenant)
    posts = [
        (_order(external_ref="A"), tenant.headers()),
        (_order(external_ref="B"), tenant.headers()),
        (_order(external_ref="C"), tenant.headers()),
        (_order(external_ref="B", lines=[_line("TS-RED-M", 7)]), tenant.headers()),  # fails in the group
        (_order(external_ref="D"), tenant.headers()),
    ]
    results = await _one_tenant(client, tenant, posts)
    # The two B's race (each reads the catalog before it joins the group): one wins, either one.
    codes = [r.status_code for r in results]
    assert [codes[0], codes[2], codes[4]] == [201, 201, 201]
    assert sorted([codes[1], codes[3]]) == [201, 409]
    winner, loser = (results[1], results[3]) if codes[1] == 201 else (results[3], results[1])
    assert loser.json()["existing_order_id"] == winner.json()["id"]
    assert _numbers(results) == [2, 3, 4, 5]
    assert await _count(tenant, "orders") == 5
    assert await _count(tenant, "order_events") == 3 * 5
    # The loser's reservation rolled back with it: FIRST, A, C, D hold 2 each, the winning B 2 or 7.
    assert await _reserved(client, tenant, "TS-RED-M") == 2 * 4 + (2 if winner is results[1] else 7)
    following = await client.post("/v1/orders", json=_order(external_ref="E"), headers=tenant.headers())
    assert following.json()["number"] == "SO-000006"


async def test_an_order_refused_for_its_lines_is_answered_without_waiting_for_the_group(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Pricing happens before the tenant's group: an unpriced line is a 422 while the group is stuck."""
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _first_order(client, tenant)
    async with _counter_held(tenant):
        groups = INTAKE.groups
        held = asyncio.create_task(
            client.post("/v1/orders", json=_order(external_ref="HELD"), headers=tenant.headers())
        )
        await _until(lambda: INTAKE.groups > groups, "the held intake ran")
        unpriced = _order(
            external_ref="BAD",
            customer={"code": "C-REFUSED", "name": "Refused Buyer"},
            lines=[{"sku": "NOT-IN-CATALOG", "quantity": 1}],
        )
        refused = await asyncio.wait_for(client.post("/v1/orders", json=unpriced, headers=tenant.headers()), 10)
        assert refused.status_code == 422, refused.text
        assert "lines[0].unit_price" in refused.text
        assert not held.done()
    assert (await held).status_code == 201
    assert await _count(tenant, "orders") == 2
    assert await _count(tenant, "customers") == 1  # the refused order's customer was not written either


async def test_a_group_never_reserves_more_than_the_hot_sku_has(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _product(client, tenant, "HOT-1", on_hand=5)
    await _first_order(client, tenant)
    posts = [(_order(external_ref=f"H-{i}", lines=[_line("HOT-1", 1)]), tenant.headers()) for i in range(9)]
    results = await _one_tenant(client, tenant, posts)
    assert [r.status_code for r in results] == [201] * 9
    reserved = [r.json()["lines"][0]["reserved_quantity"] for r in results]
    assert sorted(reserved) == [0] * 4 + [1] * 5
    assert sorted(r.json()["status"] for r in results) == ["approved"] * 5 + ["backordered"] * 4
    assert await _reserved(client, tenant, "HOT-1") == 5
    assert _numbers(results) == list(range(2, 11))


async def test_an_idempotency_key_replays_inside_a_group_and_refuses_another_body(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _first_order(client, tenant)
    keyed = {**tenant.headers(), "Idempotency-Key": "k-1"}
    posts = [
        (_order(external_ref="HELD"), tenant.headers()),
        (_order(external_ref="K"), keyed),
        (_order(external_ref="K"), keyed),
        (_order(external_ref="K-OTHER"), keyed),
        (_order(external_ref="AFTER"), tenant.headers()),
    ]
    results = await _one_tenant(client, tenant, posts)
    assert [r.status_code for r in results] == [201, 201, 201, 409, 201]
    assert results[2].json() == results[1].json()
    assert results[3].json()["field"] == "Idempotency-Key"
    assert await _count(tenant, "orders") == 4
    assert _numbers(results) == [2, 3, 3, 4]  # the replay answers with the first one's number
    again = await client.post("/v1/orders", json=_order(external_ref="K"), headers=keyed)
    assert again.status_code == 201
    assert again.json()["id"] == results[1].json()["id"]


async def test_groups_of_two_tenants_stay_within_their_tenant(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    for t in (tenant, other_tenant):
        await _product(client, t, "TS-RED-M", on_hand=50)
        await _first_order(client, t)
    posts = {
        t.id: (t, [(_order(external_ref=f"T-{i}"), t.headers()) for i in range(5)]) for t in (tenant, other_tenant)
    }
    results = await _queued_behind_one(client, posts)
    for t in (tenant, other_tenant):
        assert [r.status_code for r in results[t.id]] == [201] * 5
        assert _numbers(results[t.id]) == [2, 3, 4, 5, 6]
        assert await _count(t, "orders") == 6
        assert await _reserved(client, t, "TS-RED-M") == 2 * 6
    theirs = results[other_tenant.id][0].json()["id"]
    assert (await client.get(f"/v1/orders/{theirs}", headers=tenant.headers())).status_code == 404
    async with tenant_tx(tenant.id):
        seen = await fetch("SELECT DISTINCT tenant_id FROM orders")
    assert [row["tenant_id"] for row in seen] == [tenant.id]


async def test_a_failed_statement_among_pipelined_inserts_fails_only_its_own_order(
    client: httpx.AsyncClient, tenant: TenantHandle, services: Services
) -> None:
    """Which of a pipeline's statements failed is not known: the group runs again, each unit alone."""
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _first_order(client, tenant)
    owner = await asyncpg.connect(services.owner_database_url)
    try:
        # 22003 is what PostgreSQL raises for a number beyond a column's precision: the hub answers 400.
        await owner.execute(
            """
            CREATE FUNCTION test_refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '22003'; END $$;
            CREATE TRIGGER test_refuse_boom BEFORE INSERT ON orders FOR EACH ROW
            WHEN (NEW.external_ref = 'BOOM') EXECUTE FUNCTION test_refuse_boom();
            """
        )
        pipelined = INTAKE.pipelined
        refs = ["P-1", "P-2", "BOOM", "P-3", "P-4"]
        results = await _one_tenant(client, tenant, [(_order(external_ref=ref), tenant.headers()) for ref in refs])
    finally:
        await owner.execute("DROP TRIGGER IF EXISTS test_refuse_boom ON orders")
        await owner.execute("DROP FUNCTION IF EXISTS test_refuse_boom()")
        await owner.close()
    assert [r.status_code for r in results] == [201, 201, 400, 201, 201], results[2].text
    assert "too large" in results[2].json()["detail"]
    assert INTAKE.pipelined > pipelined  # the first attempt was pipelined
    assert _numbers(results) == [2, 3, 4, 5]
    assert await _count(tenant, "orders") == 5
    assert await _reserved(client, tenant, "TS-RED-M") == 2 * 5


async def test_a_committed_group_leaves_no_tenant_scope_on_any_pooled_connection(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The writer's session is scoped to its tenant for the whole burst and cleared before it is pooled."""
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _first_order(client, tenant)
    committed = INTAKE.committed
    results = await _one_tenant(client, tenant, [(_order(external_ref=f"S-{i}"), tenant.headers()) for i in range(4)])
    assert [r.status_code for r in results] == [201] * 4
    assert INTAKE.committed - committed == 1
    pool = DB.pool
    assert pool is not None
    connections = [await asyncio.wait_for(pool.acquire(), 10) for _ in range(pool.get_max_size())]
    try:
        for connection in connections:
            scope = await connection.fetchval("SELECT coalesce(current_setting('app.tenant_id', true), '')")
            assert scope == "", "a pooled connection kept a tenant's scope"
            assert await connection.fetchval("SELECT count(*) FROM orders") == 0, "an unscoped read saw orders"
    finally:
        for connection in connections:
            await pool.release(connection)


@asynccontextmanager
async def _stock_row_held(tenant: TenantHandle, sku: str) -> AsyncIterator[int]:
    """A SKU's stock row locked by another transaction until the block ends; yields its backend's pid."""
    locked, release = asyncio.Event(), asyncio.Event()
    holder: list[int] = []

    async def hold() -> None:
        async with tenant_tx(tenant.id):
            await fetch("SELECT 1 FROM stock WHERE tenant_id = {} AND sku = {} FOR UPDATE", tenant.id, sku)
            holder.append((await fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"])
            locked.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await locked.wait()
    try:
        yield holder[0]
    finally:
        release.set()
        await task


async def test_a_committed_group_whose_connection_dies_runs_again_in_an_ordinary_one(
    client: httpx.AsyncClient, tenant: TenantHandle, services: Services
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    await _product(client, tenant, "HOT-1", on_hand=100)
    await _first_order(client, tenant)
    committed = INTAKE.committed
    owner = await asyncpg.connect(services.owner_database_url)
    try:
        async with _stock_row_held(tenant, "HOT-1") as holder:
            # Held on the counter: the first intake; queued behind it, four on HOT-1 as one group.
            posts = [(_order(external_ref="K-0"), tenant.headers())]
            posts += [(_order(external_ref=f"K-{i}", lines=[_line("HOT-1", 1)]), tenant.headers()) for i in range(1, 5)]
            responses = asyncio.create_task(_one_tenant(client, tenant, posts))
            # The four's pipeline now waits on HOT-1's row: its connection is terminated there.
            pid = None
            for _ in range(2000):
                pid = await owner.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) LIMIT 1", holder
                )
                if pid is not None:
                    break
                await asyncio.sleep(0.005)
            assert pid is not None, "the group's pipeline never waited on the held stock row"
            assert await owner.fetchval("SELECT pg_terminate_backend($1)", pid)
            # What runs again waits on the same row, now in an ordinary group's transaction.
            for _ in range(2000):
                again = await owner.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) LIMIT 1", holder
                )
                if again not in (None, pid):  # the terminated backend may linger in the view a moment
                    break
                await asyncio.sleep(0.005)
            assert again not in (None, pid), "the group did not run again on another connection"
        results = await responses
    finally:
        await owner.close()
    assert [r.status_code for r in results] == [201] * 5, [r.text for r in results]
    assert INTAKE.committed == committed, "the lost pipeline is not counted as committed"
    assert _numbers(results) == [2, 3, 4, 5, 6]
    assert await _reserved(client, tenant, "HOT-1") == 4
    assert await _count(tenant, "orders") == 6
