"""Benchmark: the five reports over a year of 1,000,000 orders of one tenant, through the served API.

Run: ``DATABASE_URL=... REDIS_URL=... uv run python -m tests.benchmarks.bench_reports [--orders 1000000]``

A throw-away database is created on the configured PostgreSQL (the embedded one when DATABASE_URL is
unset), migrated, and dropped at the end. Two tenants are generated with SQL (``generate_series``)
into the real tables, so the statement triggers mark the rollup days as the hub's own writes do:
tenant A (``--orders``, Europe/Berlin) and tenant B (a twentieth of that, UTC). Per order: a customer,
one line, the timeline (received, review.completed with its findings, the intake's status change, a
person's approval or rejection of held orders, booked and delivered), a landed-cost quote for 40 %
(two for some), a booked shipment with tracking events for the fulfilled ones (exceptions, customs
holds), work items, returns with their ``rma:`` labels and change requests; spread over the last 365
days, channels, statuses, currencies and destinations.

The API runs in a child process under uvicorn (one worker, as ``orderhub serve``), the arq worker in
another (``orderhub worker``'s). Each report is asked for a year (the longest period), as JSON and CSV,
one request at a time, with tenant A's viewer API key:

* cold, in the read: every day of the year marked dirty and no worker running, which is the state
  right after the bulk load; the first read rebuilds the rollup days of its period itself;
* after the worker: the load marked every day again, the worker refreshed them (the time it took is
  printed), the rollup tables were analyzed (autoanalyze's work; this server runs without
  autovacuum); the first read then;
* after a day of writes: a day's worth of new orders (``--orders`` / 365, with events, quotes and
  shipments) written just before the read, the worker not yet run;
* warm: ``--rounds`` rounds, p50 and p95.

Beside them, measured in the same run: ``GET /health`` and an authenticated one-row read
(``GET /v1/orders/{id}``). It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.core import database, embedded  # noqa: E402
from hub.core.bootstrap import Services, migrate  # noqa: E402
from hub.core.settings import APP_DB_ROLE  # noqa: E402
from tenants import service as tenant_service  # noqa: E402
from tenants.roles import Role  # noqa: E402
from tenants.schemas import TenantCreate  # noqa: E402
from tests.benchmarks.bench_quotes_http import _admin, _free_port, _replace_database, _serve, _wait_ready  # noqa: E402

REPORTS = ("orders", "reviews", "landed-cost", "shipping", "work-items")
ROLLUP_REPORTS = ("orders", "reviews", "landed-cost", "shipping")
FORMATS = ("json", "csv")
ZONE_A = "Europe/Berlin"
ROLLUP_TABLES = (
    "report_orders_daily",
    "report_counts_daily",
    "report_landed_cost_daily",
    "report_landed_cost_chapters_daily",
    "report_shipping_daily",
    "report_transit_daily",
)

# --- data -----------------------------------------------------------------------------------------

# A UUIDv7-like id for an instant (the hub's ids are UUIDv7: ``ORDER BY id`` is creation order).
UUID7 = """
CREATE OR REPLACE FUNCTION pg_temp.uuid7(ts timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send(floor(extract(epoch FROM ts) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 'hex')::uuid
$$
"""

# One row per order with every choice drawn once; the inserts below read it. ``{n}`` orders created
# between ``{start}`` and ``{end}``, evenly spread with jitter.
GEN = """
CREATE TEMP TABLE gen ON COMMIT DROP AS
SELECT n, id, created_at, channel, currency, country, outcome, decision, decided_at, status, incoterm,
       subtotal, shipping, subtotal + shipping AS total, promised, quotes, carrier, booked_at, delivered_at,
       exception_reason, en_route_delay, returned, work_item, change_kind, r
FROM (
    SELECT *,
        CASE WHEN decision = 'rejected' THEN 'rejected'
             WHEN outcome <> 'approved' AND decision = 'none' THEN outcome
             WHEN r[8] < 0.04 THEN 'cancelled'
             WHEN created_at > {end}::timestamptz - interval '2 days' THEN 'approved'
             WHEN created_at > {end}::timestamptz - interval '7 days' THEN 'in_transit'
             WHEN r[9] < 0.01 THEN 'exception'
             WHEN r[9] < 0.02 THEN 'returned'
             WHEN r[9] < 0.30 THEN 'closed'
             ELSE 'delivered' END AS status
    FROM (
        SELECT *, pg_temp.uuid7(created_at) AS id,
            CASE WHEN r[2] < 0.45 THEN 'shopify' WHEN r[2] < 0.75 THEN 'api' WHEN r[2] < 0.85 THEN 'csv'
                 WHEN r[2] < 0.92 THEN 'xlsx' ELSE 'manual' END AS channel,
            CASE WHEN r[3] < 0.55 THEN 'EUR' WHEN r[3] < 0.85 THEN 'USD' ELSE 'GBP' END AS currency,
            CASE WHEN r[3] < 0.55 THEN (ARRAY['DE', 'FR', 'NL', 'IT', 'ES'])[1 + floor(r[4] * 5)::int]
                 WHEN r[3] < 0.85 THEN (ARRAY['US', 'US', 'US', 'CA'])[1 + floor(r[4] * 4)::int]
                 ELSE 'GB' END AS country,
            CASE WHEN r[5] < 0.86 THEN 'approved' WHEN r[5] < 0.92 THEN 'on_hold'
                 WHEN r[5] < 0.96 THEN 'awaiting_approval' WHEN r[5] < 0.985 THEN 'in_review'
                 ELSE 'backordered' END AS outcome,
            CASE WHEN r[5] < 0.86 THEN 'none' WHEN r[6] < 0.75 THEN 'approved' WHEN r[6] < 0.9 THEN 'rejected'
                 ELSE 'none' END AS decision,
            created_at + interval '1 minute' + interval '48 hours' * r[7] AS decided_at,
            CASE WHEN r[10] < 0.3 THEN 'DDP' ELSE 'DAP' END AS incoterm,
            round((10 + r[11] * 490)::numeric, 2) AS subtotal,
            (ARRAY[4.90, 7.50, 12.00])[1 + floor(r[12] * 3)::int] AS shipping,
            CASE WHEN r[13] < 0.3 THEN (created_at + interval '3 days' + interval '7 days' * r[14])::date END
                AS promised,
            CASE WHEN r[15] < 0.38 THEN 1 WHEN r[15] < 0.40 THEN 2 ELSE 0 END AS quotes,
            CASE WHEN r[16] < 0.6 THEN 'easypost' WHEN r[16] < 0.9 THEN 'aftership' ELSE 'sandbox' END AS carrier,
            created_at + interval '2 hours' + interval '28 hours' * r[17] AS booked_at,
            created_at + interval '26 hours' + interval '120 hours' * r[18] AS delivered_at,
            CASE WHEN r[19] < 0.5 THEN 'customs_hold' WHEN r[19] < 0.8 THEN 'address_problem' ELSE 'lost' END
                AS exception_reason,
            r[20] < 0.03 AS en_route_delay,
            r[21] < 0.01 AS returned,
            r[22] < 0.02 AS work_item,
            CASE WHEN r[23] < 0.01 THEN (ARRAY['address', 'quantity', 'lines', 'delivery_date', 'cancel'])
                [1 + floor(r[24] * 5)::int] END AS change_kind
        FROM (
            SELECT n, r, {start}::timestamptz
                         + ({end}::timestamptz - {start}::timestamptz) * ((n - 1 + r[1]) / {n}) AS created_at
            FROM (SELECT n, ARRAY(SELECT random() FROM generate_series(1, 24) WHERE n > 0) AS r
                  FROM generate_series(1, {n}) AS n) AS draws
        ) AS timed
    ) AS drawn
) AS decided
"""

INSERTS = [
    (
        "customers",
        """INSERT INTO customers (tenant_id, id, code, name, email)
           SELECT {tenant}, pg_temp.uuid7(now()), 'C' || c, 'Customer ' || c, 'c' || c || '@example.com'
           FROM generate_series(1, 5000) AS c""",
    ),
    (
        "carrier accounts and users",
        """WITH a AS (
               INSERT INTO carrier_accounts (tenant_id, id, carrier, name, endpoint_token)
               SELECT {tenant}, pg_temp.uuid7(now()), c, c || ' account', md5(random()::text)
               FROM unnest(ARRAY['easypost', 'aftership', 'sandbox']) AS c RETURNING 1)
           INSERT INTO users (tenant_id, id, email, display_name, role)
           SELECT {tenant}, pg_temp.uuid7(now()), 'clerk' || u || '@example.com', 'Clerk ' || u, 'clerk'
           FROM generate_series(1, 6) AS u""",
    ),
    (
        "orders",
        """INSERT INTO orders (tenant_id, id, number, channel, status, customer_id, customer, ship_to, currency,
                               incoterm, requested_delivery_date, subtotal, discount_total, shipping, total,
                               findings, entered_by, created_at, updated_at)
           SELECT {tenant}, g.id, g.n + {offset}, g.channel, g.status, c.id,
                  jsonb_build_object('name', c.name, 'email', c.email),
                  jsonb_build_object('name', c.name, 'line1', g.n || ' Main St', 'city', 'Town',
                                     'postal_code', '10115', 'country', g.country),
                  g.currency, g.incoterm, g.promised, g.subtotal, 0, g.shipping, g.total, '[]', 'bench',
                  g.created_at, g.created_at
           FROM gen g JOIN (SELECT id, name, email, row_number() OVER (ORDER BY id) - 1 AS k FROM customers
                            WHERE tenant_id = {tenant}) AS c ON c.k = g.n % 5000""",
    ),
    (
        "order lines",
        """INSERT INTO order_lines (tenant_id, order_id, line_no, sku, name, hs_code, origin_country, weight_kg,
                                    quantity, unit_price, line_total)
           SELECT {tenant}, id, 1, 'SKU-' || (n % 300), 'Item ' || (n % 300),
                  (ARRAY['610910', '851840', '847130', '950631', '640399'])[1 + n % 5], 'CN', 0.4, 1, subtotal,
                  subtotal
           FROM gen""",
    ),
    (
        "order events",
        """INSERT INTO order_events (tenant_id, id, order_id, at, actor, kind, payload)
           SELECT {tenant}, pg_temp.uuid7(e.at), g.id, e.at, e.actor, e.kind, e.payload
           FROM gen g CROSS JOIN LATERAL (VALUES
               (g.created_at, 'api', 'order.received', '{{}}'::jsonb, true),
               (g.created_at + interval '1 millisecond', 'system:review', 'review.completed',
                CASE g.outcome
                    WHEN 'approved' THEN CASE WHEN g.r[24] < 0.1
                        THEN '{{"findings": ["weight_missing"], "blocking": 0}}'
                        ELSE '{{"findings": [], "blocking": 0}}' END
                    WHEN 'on_hold' THEN CASE WHEN g.r[6] < 0.5
                        THEN '{{"findings": ["postal_code_missing"], "blocking": 1}}'
                        ELSE '{{"findings": ["address_field_missing", "contact_missing", "weight_missing"],
                               "blocking": 2}}' END
                    WHEN 'awaiting_approval' THEN CASE WHEN g.r[7] < 0.6 THEN '{{"findings": ["rush"], "blocking": 1}}'
                        ELSE '{{"findings": ["customization"], "blocking": 1}}' END
                    ELSE '{{"findings": ["weight_missing"], "blocking": 0}}' END::jsonb, true),
               (g.created_at + interval '2 milliseconds', 'system:review', 'order.status_changed',
                jsonb_build_object('from', 'received', 'to', g.outcome), true),
               (g.decided_at, 'user:approver', 'order.approved', '{{}}'::jsonb, g.decision = 'approved'),
               (g.decided_at, 'user:approver', 'order.rejected', '{{}}'::jsonb, g.decision = 'rejected'),
               (g.decided_at + interval '1 millisecond', 'user:approver', 'order.status_changed',
                jsonb_build_object('from', g.outcome, 'to', g.decision), g.decision <> 'none'),
               (g.booked_at, 'system:carrier', 'order.status_changed', '{{"from": "approved", "to": "booked"}}',
                g.status IN ('in_transit', 'exception', 'returned', 'closed', 'delivered')),
               (g.delivered_at, 'system:carrier', 'order.status_changed', '{{"from": "in_transit", "to": "delivered"}}',
                g.status IN ('returned', 'closed', 'delivered'))
           ) AS e (at, actor, kind, payload, wanted)
           WHERE e.wanted""",
    ),
    (
        "landed-cost quotes",
        """INSERT INTO landed_cost_quotes (tenant_id, id, order_id, request, response, rules_version,
                                           destination_country, currency, landed_cost_total, created_at, created_by)
           SELECT {tenant}, pg_temp.uuid7(q.at), g.id, '{{"bench": true}}', jsonb_build_object(
                      'destination_country', g.country, 'currency', g.currency,
                      'payer', CASE WHEN g.incoterm = 'DDP' THEN 'seller' ELSE 'buyer' END,
                      'customs_value', jsonb_build_object('amount', q.cv::text, 'currency', g.currency),
                      'duty_total', jsonb_build_object('amount', (q.d1 + q.d2)::text, 'currency', g.currency),
                      'tax_total', jsonb_build_object('amount', q.tax::text, 'currency', g.currency),
                      'fee_total', jsonb_build_object('amount', '5.00', 'currency', g.currency),
                      'landed_cost_total', jsonb_build_object('amount', (q.cv + q.d1 + q.d2 + q.tax + 5)::text,
                                                               'currency', g.currency),
                      'lines', jsonb_build_array(
                          jsonb_build_object('hs_code', '6109100010',
                              'customs_value', jsonb_build_object('amount', q.l1::text, 'currency', g.currency),
                              'duty', jsonb_build_object('amount', q.d1::text, 'currency', g.currency)),
                          jsonb_build_object('hs_code', '8518400090',
                              'customs_value', jsonb_build_object('amount', (q.cv - q.l1)::text,
                                                                  'currency', g.currency),
                              'duty', jsonb_build_object('amount', q.d2::text, 'currency', g.currency)))),
                  'bench', g.country, g.currency, q.cv + q.d1 + q.d2 + q.tax + 5, q.at, 'bench'
           FROM gen g CROSS JOIN LATERAL generate_series(1, g.quotes) AS k
           CROSS JOIN LATERAL (SELECT g.created_at + interval '10 minutes' * k AS at, g.total + k - 1 AS cv,
                                      round((g.total + k - 1) * 0.6, 2) AS l1,
                                      round(round((g.total + k - 1) * 0.6, 2) * 0.12, 2) AS d1,
                                      round((g.total + k - 1 - round((g.total + k - 1) * 0.6, 2)) * 0.05, 2) AS d2,
                                      round((g.total + k - 1) * 0.19, 2) AS tax) AS q""",
    ),
    (
        "shipments",
        """INSERT INTO shipments (tenant_id, id, order_id, carrier_account_id, carrier, service, status, reached,
                                  status_reason, tracking_number, idempotency_key, request_hash, request, booked_at,
                                  last_event_at, created_at, updated_at)
           SELECT {tenant}, pg_temp.uuid7(g.booked_at - interval '1 minute'), g.id, a.id, g.carrier, 'standard',
                  CASE WHEN g.status = 'exception' THEN 'exception' WHEN g.status = 'in_transit' THEN 'in_transit'
                       ELSE 'delivered' END,
                  CASE WHEN g.status IN ('exception', 'in_transit') THEN 'in_transit' ELSE 'delivered' END,
                  CASE WHEN g.status = 'exception' THEN g.exception_reason END,
                  'TRK' || g.id, 'order:' || g.id, '\\x00', jsonb_build_object('ship_to', jsonb_build_object(
                      'country', g.country)), g.booked_at,
                  CASE WHEN g.status IN ('exception', 'in_transit') THEN g.booked_at + interval '6 hours'
                       ELSE g.delivered_at END,
                  g.booked_at - interval '1 minute', g.booked_at
           FROM gen g JOIN carrier_accounts a ON a.tenant_id = {tenant} AND a.carrier = g.carrier
           WHERE g.status IN ('in_transit', 'exception', 'returned', 'closed', 'delivered')""",
    ),
    (
        "tracking events",
        """INSERT INTO tracking_events (tenant_id, id, shipment_id, carrier_account_id, tracking_number, carrier,
                                        dedup_key, status, reason, occurred_at, source, received_at)
           SELECT {tenant}, pg_temp.uuid7(e.at), s.id, s.carrier_account_id, s.tracking_number, s.carrier,
                  s.tracking_number || ':' || e.k, e.status, e.reason, e.at, 'webhook', e.at
           FROM gen g JOIN shipments s ON s.tenant_id = {tenant} AND s.idempotency_key = 'order:' || g.id
           CROSS JOIN LATERAL (VALUES
               (1, 'in_transit', NULL, g.booked_at + interval '6 hours', true),
               (2, 'exception', 'delay', g.booked_at + interval '20 hours', g.en_route_delay),
               (3, 'exception', g.exception_reason, g.booked_at + interval '24 hours', g.status = 'exception'),
               (4, 'delivered', NULL, g.delivered_at, g.status IN ('returned', 'closed', 'delivered'))
           ) AS e (k, status, reason, at, wanted)
           WHERE e.wanted""",
    ),
    (
        "returns and their labels",
        """WITH r AS (
               INSERT INTO returns (tenant_id, id, order_id, shipment_id, status, reason, lines, currency,
                                    refund_amount, refund_shipping, order_status_before, requested_by, requested_at,
                                    received_at, updated_at)
               SELECT {tenant}, pg_temp.uuid7(g.delivered_at + interval '3 days'), g.id, s.id,
                      CASE WHEN g.status = 'returned' THEN 'received' ELSE 'requested' END, 'damaged',
                      '[{{"line_no": 1, "quantity": 1}}]', g.currency, g.subtotal, g.shipping, 'delivered', 'bench',
                      g.delivered_at + interval '3 days',
                      CASE WHEN g.status = 'returned' THEN g.delivered_at + interval '9 days' END,
                      g.delivered_at + interval '3 days'
               FROM gen g JOIN shipments s ON s.tenant_id = {tenant} AND s.idempotency_key = 'order:' || g.id
               WHERE (g.status = 'returned' OR (g.returned AND g.status = 'delivered'))
                 AND g.delivered_at + interval '3 days' < {end}::timestamptz
               RETURNING id, order_id, requested_at)
           INSERT INTO shipments (tenant_id, id, order_id, carrier_account_id, carrier, service, status, reached,
                                  tracking_number, idempotency_key, request_hash, request, booked_at, created_at,
                                  updated_at)
           SELECT {tenant}, pg_temp.uuid7(r.requested_at), r.order_id, a.id, 'easypost', 'return', 'booked', 'booked',
                  'RMA' || r.id, 'rma:' || r.id, '\\x00', '{{"ship_to": {{"country": "DE"}}}}', r.requested_at,
                  r.requested_at, r.requested_at
           FROM r JOIN carrier_accounts a ON a.tenant_id = {tenant} AND a.carrier = 'easypost'""",
    ),
    (
        "work items",
        """INSERT INTO work_items (tenant_id, id, kind, order_id, opened_by, opened_at, due_at, status, assignee,
                                   resolution, resolved_by, resolved_at)
           SELECT {tenant}, pg_temp.uuid7(w.opened), w.kind, g.id, 'system:carrier', w.opened,
                  w.opened + make_interval(hours => CASE w.kind WHEN 'customs_hold' THEN 24 WHEN 'lost' THEN 48
                                                     ELSE 72 END),
                  CASE WHEN w.resolved IS NOT NULL THEN 'resolved' WHEN g.r[7] < 0.5 THEN 'in_progress' ELSE 'open' END,
                  CASE WHEN g.r[7] < 0.95 THEN w.clerk END,
                  CASE WHEN w.resolved IS NOT NULL THEN 'done' END,
                  CASE WHEN w.resolved IS NOT NULL THEN w.clerk END, w.resolved
           FROM gen g
           CROSS JOIN LATERAL (SELECT
               CASE WHEN g.status = 'exception' THEN g.exception_reason ELSE 'delay' END AS kind,
               g.booked_at + interval '30 hours' AS opened,
               (SELECT 'user:' || u.id FROM users u WHERE u.tenant_id = {tenant}
                ORDER BY u.id OFFSET g.n % 6 LIMIT 1) AS clerk,
               CASE WHEN g.r[6] < 0.85 AND g.booked_at + interval '30 hours' + interval '100 hours' * g.r[8]
                         < {end}::timestamptz
                    THEN g.booked_at + interval '30 hours' + interval '100 hours' * g.r[8] END AS resolved) AS w
           WHERE (g.status = 'exception' OR (g.work_item AND g.status IN ('delivered', 'closed')))
             AND g.booked_at + interval '30 hours' < {end}::timestamptz""",
    ),
    (
        "change requests",
        """INSERT INTO change_requests (tenant_id, id, order_id, kind, payload, reason, status, requested_by,
                                        decided_by, decided_at, created_at)
           SELECT {tenant}, pg_temp.uuid7(g.created_at + interval '1 hour'), g.id, g.change_kind, '{{}}',
                  'customer asked',
                  CASE WHEN g.r[9] < 0.6 THEN 'applied' WHEN g.r[9] < 0.9 THEN 'rejected' ELSE 'pending' END,
                  'bench', CASE WHEN g.r[9] < 0.9 THEN 'user:approver' END,
                  CASE WHEN g.r[9] < 0.9 THEN g.created_at + interval '3 hours' END, g.created_at + interval '1 hour'
           FROM gen g WHERE g.change_kind IS NOT NULL AND g.created_at + interval '1 hour' < {end}::timestamptz""",
    ),
    (
        "order counter",
        """INSERT INTO order_counters (tenant_id, last_number)
           VALUES ({tenant}, (SELECT max(number) FROM orders WHERE tenant_id = {tenant}))
           ON CONFLICT (tenant_id) DO UPDATE SET last_number = excluded.last_number""",
    ),
]


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


async def generate(
    owner: asyncpg.Connection, tenant_id: uuid.UUID, orders: int, start: datetime, end: datetime, *, quiet: bool = False
) -> None:
    """``orders`` orders of ``tenant_id`` created in ``[start, end)`` with everything that hangs on
    them, in one transaction, through the real tables (their triggers mark the rollup days)."""
    params = {"tenant": _literal(tenant_id), "start": _literal(start.isoformat()), "end": _literal(end.isoformat())}
    async with owner.transaction():
        await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        numbered = await owner.fetchval("SELECT coalesce(max(number), 0) FROM orders WHERE tenant_id = $1", tenant_id)
        params["offset"] = str(numbered)
        await owner.execute(UUID7)
        began = time.perf_counter()
        await owner.execute(GEN.format(n=orders, **params))
        again = await owner.fetchval("SELECT count(*) > 0 FROM customers WHERE tenant_id = $1", tenant_id)
        for label, sql in INSERTS:
            if again and label in {"customers", "carrier accounts and users"}:
                continue
            step = time.perf_counter()
            status = await owner.execute(sql.format(**params))
            if not quiet:
                rows = status.rsplit(" ", 1)[-1]
                print(f"    {label}: {rows} rows in {time.perf_counter() - step:.1f} s", flush=True)
        if not quiet:
            print(f"  tenant {tenant_id}: {orders:,} orders generated in {time.perf_counter() - began:.1f} s")


async def mark_everything_dirty(owner: asyncpg.Connection, tenant_id: uuid.UUID) -> int:
    """Every UTC day that holds the tenant's data marked dirty for every rollup report: the state the
    bulk load (or the migration that created the rollups) leaves, and the rollups emptied."""
    async with owner.transaction():
        await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        for table in ROLLUP_TABLES:
            await owner.execute(f"DELETE FROM {table} WHERE tenant_id = $1", tenant_id)
        await owner.execute("DELETE FROM report_dirty_days WHERE tenant_id = $1", tenant_id)
        status = await owner.execute(
            """INSERT INTO report_dirty_days (tenant_id, report, day)
               SELECT $1, r, d::date FROM unnest($2::text[]) AS r,
                   generate_series((SELECT min(created_at) FROM orders WHERE tenant_id = $1) AT TIME ZONE 'UTC',
                                   now() AT TIME ZONE 'UTC', interval '1 day') AS d""",
            tenant_id,
            list(ROLLUP_REPORTS),
        )
    return int(status.rsplit(" ", 1)[-1])


async def dirty_days(owner: asyncpg.Connection, tenant_id: uuid.UUID) -> int:
    async with owner.transaction():
        await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        return int(await owner.fetchval("SELECT count(*) FROM report_dirty_days WHERE tenant_id = $1", tenant_id))


# --- measuring ------------------------------------------------------------------------------------


class Tenants(NamedTuple):
    a: uuid.UUID
    b: uuid.UUID
    viewer_key: str


async def make_tenants(services: Services) -> Tenants:
    database.configure(services.app_database_url)
    await database.start_pool(2)
    try:
        a, _ = await tenant_service.create_tenant(
            TenantCreate(
                slug=f"big-{uuid.uuid4().hex[:8]}",
                name="Big",
                base_currency="EUR",
                origin_country="CN",
                timezone=ZONE_A,
            )
        )
        b, _ = await tenant_service.create_tenant(
            TenantCreate(slug=f"small-{uuid.uuid4().hex[:8]}", name="Small", base_currency="USD", origin_country="CN")
        )
        key = (await tenant_service.create_api_key(a.id, Role.VIEWER, "bench viewer")).api_key
        return Tenants(a.id, b.id, key)
    finally:
        await database.close_pool()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed_get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = await client.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return elapsed


def report_path(name: str, fmt: str, first: date, last: date) -> str:
    return f"/v1/reports/{name}?from={first.isoformat()}&to={last.isoformat()}&format={fmt}"


def start_worker(services: Services) -> multiprocessing.Process:
    process = multiprocessing.get_context("spawn").Process(target=_work, args=(services,), daemon=False)
    process.start()
    return process


def _work(services: Services) -> None:
    from hub.worker import build_worker  # noqa: PLC0415

    build_worker(services).run()


def stop(process: multiprocessing.Process | None) -> None:
    if process is None:
        return
    process.terminate()
    process.join(15)
    if process.is_alive():
        process.kill()
        process.join(5)


async def measure(  # noqa: C901 (one benchmark's phases, in the order they print)
    port: int, services: Services, owner_url: str, tenants: Tenants, orders: int, rounds: int, start: datetime
) -> None:
    zone = ZoneInfo(ZONE_A)
    last = datetime.now(zone).date()
    first = last - timedelta(days=364)
    auth = {"Authorization": f"Bearer {tenants.viewer_key}"}
    owner = await asyncpg.connect(owner_url)
    worker: multiprocessing.Process | None = None
    try:
        async with owner.transaction():
            await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenants.a))
            order_id = await owner.fetchval("SELECT id FROM orders WHERE tenant_id = $1 LIMIT 1", tenants.a)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            for _ in range(20):
                await timed_get(client, "/health", {})
                await timed_get(client, f"/v1/orders/{order_id}", auth)

            async def baseline() -> str:
                health = [await timed_get(client, "/health", {}) for _ in range(50)]
                read = [await timed_get(client, f"/v1/orders/{order_id}", auth) for _ in range(50)]
                return (
                    f"/health p50 {_ms(_pct(health, 0.5))} p95 {_ms(_pct(health, 0.95))}; "
                    f"GET /v1/orders/{{id}} p50 {_ms(_pct(read, 0.5))} p95 {_ms(_pct(read, 0.95))}"
                )

            print(f"baseline (one request at a time): {await baseline()}")
            print(f"period {first} to {last} ({ZONE_A}), tenant A {orders:,} orders")

            print("cold, in the read (every day of the year dirty, no worker):")
            cold_read: dict[tuple[str, str], float] = {}
            for name in REPORTS:
                for fmt in FORMATS:
                    marks = await mark_everything_dirty(owner, tenants.a)
                    cold_read[name, fmt] = await timed_get(client, report_path(name, fmt, first, last), auth)
                    left = await dirty_days(owner, tenants.a)
                    took = _ms(cold_read[name, fmt])
                    print(f"  {name:<12} {fmt:<4} {took:>10}  ({marks} marks before, {left} after)")

            print("after the worker (every day dirty, then the worker's refresh):")
            marks = await mark_everything_dirty(owner, tenants.a)
            began = time.perf_counter()
            worker = start_worker(services)
            while await dirty_days(owner, tenants.a):  # noqa: ASYNC110 (another process's work)
                await asyncio.sleep(0.1)
            caught_up = time.perf_counter() - began
            print(f"  the worker refreshed {marks} marks in {caught_up:.1f} s (process start included)")
            # The rollups were just rebuilt: autovacuum's autoanalyze would gather their statistics
            # now (a table changed by a tenth), but this machine's server runs with autovacuum off,
            # and with none the planner takes 500,000 transit rows for one and sorts them.
            began = time.perf_counter()
            await owner.execute("ANALYZE " + ", ".join(ROLLUP_TABLES))
            print(f"  ANALYZE of the rollup tables {time.perf_counter() - began:.1f} s (autoanalyze's work)")
            for name in REPORTS:
                for fmt in FORMATS:
                    elapsed = await timed_get(client, report_path(name, fmt, first, last), auth)
                    print(f"  {name:<12} {fmt:<4} {_ms(elapsed):>10}")
            stop(worker)
            worker = None

            print(f"after a day of writes ({max(1, orders // 365):,} orders just written, worker stopped):")
            for name in REPORTS:
                for fmt in FORMATS:
                    now = datetime.now(UTC)
                    await generate(owner, tenants.a, max(1, orders // 365), now - timedelta(hours=24), now, quiet=True)
                    left = await dirty_days(owner, tenants.a)
                    elapsed = await timed_get(client, report_path(name, fmt, first, last), auth)
                    print(f"  {name:<12} {fmt:<4} {_ms(elapsed):>10}  ({left} marks before)")

            print(f"warm ({rounds} rounds):")
            warm: dict[tuple[str, str], list[float]] = {key: [] for key in cold_read}
            for _ in range(rounds):
                for name in REPORTS:
                    for fmt in FORMATS:
                        warm[name, fmt].append(await timed_get(client, report_path(name, fmt, first, last), auth))
            for (name, fmt), values in warm.items():
                print(
                    f"  {name:<12} {fmt:<4} p50 {_ms(statistics.median(values)):>10}  p95 {_ms(_pct(values, 0.95)):>10}"
                )
            print(f"baseline again: {await baseline()}")
    finally:
        stop(worker)
        await owner.close()


@contextlib.contextmanager
def bench_database(*, keep: bool = False) -> Iterator[tuple[str, str, Services]]:
    data_dir = ROOT / "var" / "bench"
    server_url = os.environ.get("DATABASE_URL") or embedded.start_postgres(data_dir)
    redis_url = os.environ.get("REDIS_URL") or embedded.start_redis(data_dir)
    name = f"orderhub_bench_reports_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    owner_url = _replace_database(server_url, name)
    try:
        asyncio.run(migrate(owner_url, quiet=True))
        services = Services(
            owner_database_url=owner_url,
            app_database_url=embedded.app_url_for(owner_url, APP_DB_ROLE),
            redis_url=redis_url,
            embedded_database="DATABASE_URL" not in os.environ,
            embedded_redis="REDIS_URL" not in os.environ,
        )
        yield str(data_dir), owner_url, services
    finally:
        if keep:
            print(f'kept the database: {owner_url} (drop it with DROP DATABASE "{name}")')
        else:
            asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def load(owner_url: str, tenants: Tenants, orders: int, start: datetime, end: datetime) -> None:
    owner = await asyncpg.connect(owner_url)
    try:
        await generate(owner, tenants.a, orders, start, end)
        await generate(owner, tenants.b, max(1, orders // 20), start, end)
        began = time.perf_counter()
        await owner.execute("VACUUM ANALYZE")  # what autovacuum does after a load: visibility map, statistics
        print(f"  VACUUM ANALYZE {time.perf_counter() - began:.1f} s")
    finally:
        await owner.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders of tenant A (B gets a twentieth)")
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds of every report and format")
    parser.add_argument(
        "--keep", action="store_true", help="leave the generated database in place (for EXPLAIN ANALYZE)"
    )
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs (shared with whatever else runs on this machine)")
    with bench_database(keep=args.keep) as (data_dir, owner_url, services):
        tenants = asyncio.run(make_tenants(services))
        end = datetime.now(UTC) - timedelta(hours=1)
        start = end - timedelta(days=365)
        print("generating:")
        asyncio.run(load(owner_url, tenants, args.orders, start, end))
        port = _free_port()
        api = multiprocessing.get_context("spawn").Process(target=_serve, args=(services, port, data_dir, 1))
        api.start()
        try:
            asyncio.run(_wait_ready(f"http://127.0.0.1:{port}"))
            asyncio.run(measure(port, services, owner_url, tenants, args.orders, args.rounds, start))
        finally:
            stop(api)


if __name__ == "__main__":
    main()
