"""Reports (issue #15): the worker's refresh of the rollups (``hub.reports.refresh``) and the marks a
write in flight leaves, with real orders made through the API and the reports read back over it."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import warnings
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from hub.core.bootstrap import Services
from hub.core.database import fetch, tenant_tx
from hub.reports import refresh
from hub.worker import build_worker
from tests.api.test_orders import _catalog
from tests.api.test_reports import _order_id, _report
from tests.conftest import TenantHandle

pytestmark = pytest.mark.api


async def _marks(tenant: TenantHandle) -> int:
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT count(*) AS n FROM report_dirty_days WHERE tenant_id = {}", tenant.id)
    return int(rows[0]["n"])


async def _rollup_orders(tenant: TenantHandle) -> int:
    async with tenant_tx(tenant.id):
        rows = await fetch(
            "SELECT coalesce(sum(orders), 0) AS n FROM report_orders_daily WHERE tenant_id = {}", tenant.id
        )
    return int(rows[0]["n"])


async def _move(owner: asyncpg.Connection, tenant: TenantHandle, order_id: str, at: datetime) -> None:
    await owner.execute(
        "UPDATE orders SET created_at = $1 WHERE tenant_id = $2 AND id = $3", at, tenant.id, uuid.UUID(order_id)
    )


async def test_the_refresh_takes_every_mark_and_builds_the_rollups_the_report_reads(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    await _catalog(client, tenant, on_hand=50)
    await _catalog(client, other_tenant, on_hand=50)
    orders = [await _order_id(client, tenant, external_ref=f"r-{n}") for n in range(3)]
    await _order_id(client, other_tenant)
    # Three different past days, one batch of one day at a time.
    for n, order in enumerate(orders):
        await _move(owner, tenant, order["id"], datetime(2026, 3, 10 + n, 12, tzinfo=UTC))
    assert await _marks(tenant) > 0
    assert await _marks(other_tenant) > 0
    assert await _rollup_orders(tenant) == 0

    taken = await refresh.refresh_all(batch_days=1)

    assert taken >= 4  # three March days and today, at least for the orders report
    assert await _marks(tenant) == 0
    assert await _marks(other_tenant) == 0
    assert await _rollup_orders(tenant) == 3
    march = await _report(client, tenant, "orders", {"from": "2026-03-01", "to": "2026-03-31"})
    assert march["orders"] == 3
    assert [b["orders"] for b in march["series"] if b["orders"]] == [1, 1, 1]
    assert (await _report(client, other_tenant, "orders"))["orders"] == 1
    # Every rollup report was refreshed, not only orders.
    async with tenant_tx(tenant.id):
        counts = await fetch(
            "SELECT count(*) AS n FROM report_counts_daily WHERE tenant_id = {} AND report = 'reviews'", tenant.id
        )
        quoted = await fetch("SELECT count(*) AS n FROM report_landed_cost_daily WHERE tenant_id = {}", tenant.id)
    assert counts[0]["n"] > 0
    assert quoted[0]["n"] > 0
    # Nothing left: a second run takes nothing.
    assert await refresh.refresh_all() == 0


async def _rollup_sums(tenant: TenantHandle) -> dict[str, int]:
    """What the tenant sees of every rollup table, with no ``tenant_id`` filter of our own: row-level
    security alone decides which rows count."""
    async with tenant_tx(tenant.id):
        rows = await fetch(
            """SELECT (SELECT coalesce(sum(orders), 0) FROM report_orders_daily) AS orders,
                      (SELECT coalesce(sum(count), 0) FROM report_counts_daily
                       WHERE report = 'reviews' AND metric = 'outcome') AS reviewed,
                      (SELECT coalesce(sum(orders), 0) FROM report_landed_cost_daily WHERE quoted) AS quoted,
                      (SELECT coalesce(sum(orders), 0) FROM report_landed_cost_daily) AS landed_orders,
                      (SELECT coalesce(sum(lines), 0) FROM report_landed_cost_chapters_daily) AS chapter_lines"""
        )
    return {key: int(value) for key, value in rows[0].items()}


async def test_the_refresh_builds_each_tenants_rollups_from_its_own_rows_only(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """Both tenants write on the same day; the worker's path (``refresh_all``, which lists every
    tenant's marks on the system path, then recomputes each in its own tenant transaction) leaves
    each tenant's rollups and reports with its own orders only, and no mark of either."""
    for handle, count in ((tenant, 2), (other_tenant, 1)):
        await _catalog(client, handle, on_hand=50)
        for n in range(count):
            order = await _order_id(client, handle, external_ref=f"iso-{n}")
            quoted = await client.post(
                f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=handle.headers()
            )
            assert quoted.status_code == 201, quoted.text
    assert await _marks(tenant) > 0
    assert await _marks(other_tenant) > 0

    assert await refresh.refresh_all() > 0

    assert await _marks(tenant) == 0
    assert await _marks(other_tenant) == 0
    mine, theirs = await _rollup_sums(tenant), await _rollup_sums(other_tenant)
    assert mine["orders"] == mine["reviewed"] == mine["quoted"] == mine["landed_orders"] == 2
    assert theirs["orders"] == theirs["reviewed"] == theirs["quoted"] == theirs["landed_orders"] == 1
    assert mine["chapter_lines"] > 0
    assert theirs["chapter_lines"] > 0
    assert mine["chapter_lines"] == 2 * theirs["chapter_lines"]  # the same order lines, twice as many orders
    # The reports read what the worker built (no mark left to recompute in the read).
    for handle, count in ((tenant, 2), (other_tenant, 1)):
        assert (await _report(client, handle, "orders"))["orders"] == count
        assert (await _report(client, handle, "reviews"))["reviewed"] == count
        assert (await _report(client, handle, "landed-cost"))["orders_quoted"] == count
    # Without a tenant set, no rollup row is visible at all.
    rows = await fetch(
        "SELECT (SELECT count(*) FROM report_orders_daily) + (SELECT count(*) FROM report_counts_daily) AS n"
    )
    assert rows[0]["n"] == 0


async def test_a_write_in_flight_while_the_refresh_runs_is_not_lost(
    client: httpx.AsyncClient, tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    """A write whose day is already marked, still uncommitted when a refresh takes that mark and
    recomputes the day, leaves a mark of its own: the next read counts it."""
    await _catalog(client, tenant, on_hand=50)
    first = await _order_id(client, tenant)
    assert (await _report(client, tenant, "orders"))["orders"] == 1
    await _order_id(client, tenant, external_ref="second")  # today is marked again, and that mark is committed
    writer = owner
    transaction = writer.transaction()
    await transaction.start()
    try:
        await writer.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant.id))
        await writer.execute(
            """INSERT INTO orders (tenant_id, id, number, channel, status, customer_id, customer, ship_to, currency,
                                   incoterm, subtotal, discount_total, shipping, total, entered_by, created_at)
               SELECT tenant_id, $3, number + 1000, channel, status, customer_id, customer, ship_to, currency,
                      incoterm, subtotal, discount_total, shipping, total, entered_by, now()
               FROM orders WHERE tenant_id = $1 AND id = $2""",
            tenant.id,
            uuid.UUID(first["id"]),
            uuid.uuid4(),
        )
        assert await refresh.refresh_all() > 0  # takes the committed mark, recomputes without the third
        assert await _rollup_orders(tenant) == 2
    finally:
        await transaction.commit()
    assert await _marks(tenant) > 0  # the third order's own mark
    assert (await _report(client, tenant, "orders"))["orders"] == 3


async def test_a_report_waits_for_nothing_the_refresh_already_did(
    client: httpx.AsyncClient, tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    """After the refresh, a read finds no marks and the rollup rows are the ones the read would build."""
    await _catalog(client, tenant, on_hand=50)
    order = await _order_id(client, tenant)
    await _move(owner, tenant, order["id"], datetime.now(UTC) - timedelta(days=40))
    await refresh.refresh_all()
    async with tenant_tx(tenant.id):
        before = await fetch(
            "SELECT day, channel, status, currency, orders, total FROM report_orders_daily WHERE tenant_id = {} "
            "ORDER BY day",
            tenant.id,
        )
    today = datetime.now(UTC).date()
    period = {"from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat()}
    assert (await _report(client, tenant, "orders", period))["orders"] == 1
    async with tenant_tx(tenant.id):
        after = await fetch(
            "SELECT day, channel, status, currency, orders, total FROM report_orders_daily WHERE tenant_id = {} "
            "ORDER BY day",
            tenant.id,
        )
    assert before == after
    assert len(before) == 1


async def test_the_worker_process_runs_the_refresh_beside_the_relay(
    client: httpx.AsyncClient, tenant: TenantHandle, services: Services
) -> None:
    await _catalog(client, tenant, on_hand=50)
    await _order_id(client, tenant)
    assert await _marks(tenant) > 0
    worker = build_worker(services, manage_pool=False, queue_name=f"reports-{uuid.uuid4().hex[:8]}")
    task = asyncio.create_task(worker.async_run())
    try:
        for _ in range(300):
            if await _marks(tenant) == 0:
                break
            await asyncio.sleep(0.1)
        assert await _marks(tenant) == 0
        assert await _rollup_orders(tenant) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with warnings.catch_warnings():
            # arq's Worker.close() still calls redis' deprecated close(); nothing of ours.
            warnings.filterwarnings("ignore", message="Call to deprecated close", category=DeprecationWarning)
            await worker.close()  # runs on_shutdown: the relay and the refresh loop stop
