"""The reports' SQL: aggregates only, computed by PostgreSQL, inside the caller's tenant transaction.

Every statement names ``tenant_id`` (the leading column of every key and index it uses) and runs
under row-level security. A local day ``d`` of time zone ``tz`` is the instants
``[d::timestamp AT TIME ZONE tz, (d + 1)::timestamp AT TIME ZONE tz)``.

Orders, reviews, landed cost and shipping read daily rollups (see the migration
``hub_2026_12_05t20_10_00``): :func:`take_dirty` takes the period's dirty-day marks, the
``recompute_*`` functions rebuild the local days they touch from the source tables, and the
``read_*`` functions aggregate the rollup. Work items, returns, change requests and stale shipments
are small enough to aggregate live.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from hub.core.database import fetch
from hub.reports.schemas import Interval, ReportPeriod

NOT_REVENUE = ("cancelled", "rejected")
"""Orders left out of revenue: the money never came (or went back before shipping)."""

REVIEW_WARNING_CODES = ("delivery_date_past", "price_currency_mismatch", "substitute_available", "weight_missing")
"""Finding codes the review raises as warnings (never a hold reason). A timeline's
``review.completed`` event lists every code; tests/unit/test_reports_units.py checks this list
against the rules in :mod:`hub.orders.review`."""

ROLLUP_TABLES: dict[str, tuple[str, ...]] = {
    "orders": ("report_orders_daily",),
    "reviews": ("report_counts_daily",),
    "landed-cost": ("report_landed_cost_daily", "report_landed_cost_chapters_daily"),
    "shipping": ("report_shipping_daily", "report_transit_daily", "report_counts_daily"),
}
"""The rollup tables of each report (``report_counts_daily`` is shared, told apart by ``report``)."""

_SHARED = frozenset({"report_counts_daily"})

# The local days to recompute as one span of instants: from the first day's midnight to the end of
# the last (``lo``, ``hi``), which one index range scan reads; a row belongs to the local date of its
# instant in ``tz`` and counts when that date is one of ``days`` (the span may hold days not asked).
# Consumes the parameters (timezone, days).
_SPAN = """
    span AS MATERIALIZED (
        SELECT tz, days, (SELECT min(x) FROM unnest(days) AS x)::timestamp AT TIME ZONE tz AS lo,
               ((SELECT max(x) FROM unnest(days) AS x) + 1)::timestamp AT TIME ZONE tz AS hi
        FROM (SELECT {}::text AS tz, {}::date[] AS days) AS given
    )
"""


def _in_span(alias: str, column: str) -> str:
    """Rows of ``alias`` whose ``column`` lies in the span, on one of its days (the bounds as scalar
    subqueries, which an index range scan takes as its bounds; a join on ``span`` would not)."""
    return (
        f"{alias}.{column} >= (SELECT lo FROM span) AND {alias}.{column} < (SELECT hi FROM span) "  # noqa: S608
        f"AND ({alias}.{column} AT TIME ZONE span.tz)::date = ANY(span.days)"
    )


def _day(alias: str, column: str) -> str:
    return f"({alias}.{column} AT TIME ZONE span.tz)::date"


def _utc_days(period: ReportPeriod) -> tuple[dt.date, dt.date]:
    """The UTC days that overlap the period's instants."""
    return period.start.astimezone(dt.UTC).date(), (period.end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()


# --- marks and rollup upkeep ----------------------------------------------------------------------


async def lock_report(tenant_id: uuid.UUID, report: str) -> None:
    """Serialize the upkeep of one tenant's report (two readers never rebuild the same day at once)."""
    await fetch("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", f"report:{tenant_id}:{report}")


async def drop_other_zones(tenant_id: uuid.UUID, report: str, period: ReportPeriod) -> int:
    """Delete the period's rollup rows computed in another time zone than the period's (the tenant's
    zone was changed); returns how many went. Their days must then be computed again."""
    dropped = 0
    for table in ROLLUP_TABLES[report]:
        scoped = " AND report = {}" if table in _SHARED else ""
        args: list[Any] = [tenant_id, period.timezone, period.from_date, period.to_date]
        if table in _SHARED:
            args.append(report)
        rows = await fetch(
            f"WITH gone AS (DELETE FROM {table} WHERE tenant_id = {{}} AND timezone <> {{}} "  # noqa: S608 (names from code)
            f"AND day BETWEEN {{}}::date - 1 AND {{}}::date + 1{scoped} RETURNING 1) SELECT count(*) AS n FROM gone",
            *args,
        )
        dropped += int(rows[0]["n"])
    return dropped


async def mark_period(tenant_id: uuid.UUID, report: str, period: ReportPeriod) -> None:
    """Mark every UTC day of the period dirty."""
    first, last = _utc_days(period)
    await fetch(
        "INSERT INTO report_dirty_days (tenant_id, report, day) "
        "SELECT {}, {}, day::date FROM generate_series({}::date, {}::date, interval '1 day') AS day",
        tenant_id,
        report,
        first,
        last,
    )


async def take_dirty(tenant_id: uuid.UUID, report: str, period: ReportPeriod) -> list[dt.date]:
    """Remove and return the marks (UTC days) that overlap the period.

    A write committing meanwhile waits for this transaction on its own mark and then sets it again,
    so the next read recomputes that day once more: a change is never lost.
    """
    first, last = _utc_days(period)
    rows = await fetch(
        "DELETE FROM report_dirty_days WHERE tenant_id = {} AND report = {} AND day BETWEEN {} AND {} RETURNING day",
        tenant_id,
        report,
        first,
        last,
    )
    return sorted({row["day"] for row in rows})


async def take_oldest_marks(tenant_id: uuid.UUID, report: str, limit: int) -> list[dt.date]:
    """Remove and return the marks of the ``limit`` oldest marked UTC days (every mark of each; one
    write statement leaves one mark per day it touches, so a day may have several)."""
    rows = await fetch(
        "DELETE FROM report_dirty_days WHERE tenant_id = {} AND report = {} AND day IN ("
        "SELECT DISTINCT day FROM report_dirty_days WHERE tenant_id = {} AND report = {} ORDER BY day LIMIT {}"
        ") RETURNING day",
        tenant_id,
        report,
        tenant_id,
        report,
        limit,
    )
    return sorted({row["day"] for row in rows})


async def marked_tenants() -> list[uuid.UUID]:
    """Every tenant with a mark (run inside ``system_tx(REPORT_REFRESH)``)."""
    rows = await fetch("SELECT DISTINCT tenant_id FROM report_dirty_days")
    return [row["tenant_id"] for row in rows]


async def tenant_timezone(tenant_id: uuid.UUID) -> str:
    rows = await fetch("SELECT timezone FROM tenants WHERE id = {}", tenant_id)
    return str(rows[0]["timezone"]) if rows else "UTC"


async def _clear(tenant_id: uuid.UUID, report: str, timezone: str, days: list[dt.date]) -> None:
    for table in ROLLUP_TABLES[report]:
        scoped = " AND report = {}" if table in _SHARED else ""
        args: list[Any] = [tenant_id, timezone, days]
        if table in _SHARED:
            args.append(report)
        await fetch(
            f"DELETE FROM {table} WHERE tenant_id = {{}} AND timezone = {{}} AND day = ANY({{}}::date[]){scoped}",  # noqa: S608
            *args,
        )


async def recompute_orders(tenant_id: uuid.UUID, timezone: str, days: list[dt.date]) -> None:
    await _clear(tenant_id, "orders", timezone, days)
    await fetch(
        f"""
        WITH {_SPAN}
        INSERT INTO report_orders_daily (tenant_id, timezone, day, channel, status, currency, orders, total)
        SELECT {{}}, {{}}, {_day("o", "created_at")}, o.channel, o.status, o.currency, count(*), sum(o.total)
        FROM span JOIN orders o ON o.tenant_id = {{}} AND {_in_span("o", "created_at")}
        GROUP BY 3, 4, 5, 6
        """,  # noqa: S608
        timezone,
        days,
        tenant_id,
        timezone,
        tenant_id,
    )


async def recompute_reviews(tenant_id: uuid.UUID, timezone: str, days: list[dt.date]) -> None:
    """Intake outcomes and the intake review's blocking codes (by the day of the intake's status
    change), approvals with their lead time from intake, and rejections (by their own day)."""
    await _clear(tenant_id, "reviews", timezone, days)
    await fetch(
        f"""
        WITH {_SPAN},
        intake AS (
            SELECT {_day("e", "at")} AS day, e.order_id, e.payload->>'to' AS outcome
            FROM span JOIN order_events e ON e.tenant_id = {{}} AND {_in_span("e", "at")}
            WHERE e.kind = 'order.status_changed' AND e.payload->>'from' = 'received'
        ),
        reasons AS (
            SELECT i.day, code
            FROM intake i
            CROSS JOIN LATERAL (
                SELECT r.payload FROM order_events r
                WHERE r.tenant_id = {{}} AND r.order_id = i.order_id AND r.kind = 'review.completed'
                ORDER BY r.id LIMIT 1
            ) AS first
            CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(first.payload->'findings', '[]'::jsonb)) AS code
            WHERE i.outcome <> 'approved' AND (first.payload->>'blocking')::int > 0 AND code <> ALL({{}}::text[])
        ),
        decisions AS (
            SELECT {_day("e", "at")} AS day, e.kind,
                   greatest(0, floor(extract(epoch FROM e.at - o.created_at)))::int AS seconds
            FROM span JOIN order_events e ON e.tenant_id = {{}} AND {_in_span("e", "at")}
            JOIN orders o ON o.tenant_id = e.tenant_id AND o.id = e.order_id
            WHERE e.kind IN ('order.approved', 'order.rejected')
        )
        INSERT INTO report_counts_daily (tenant_id, report, timezone, day, metric, key, count, seconds)
        SELECT {{}}, 'reviews', {{}}, day, metric, key, count, seconds FROM (
            SELECT day, 'outcome' AS metric, outcome AS key, count(*) AS count, ARRAY[]::int[] AS seconds
            FROM intake GROUP BY day, outcome
            UNION ALL
            SELECT day, 'hold_reason', code, count(*), ARRAY[]::int[] FROM reasons GROUP BY day, code
            UNION ALL
            SELECT day, 'approved', '', count(*), array_agg(seconds ORDER BY seconds)
            FROM decisions WHERE kind = 'order.approved' GROUP BY day
            UNION ALL
            SELECT day, 'rejected', '', count(*), ARRAY[]::int[]
            FROM decisions WHERE kind = 'order.rejected' GROUP BY day
        ) AS facts
        """,  # noqa: S608
        timezone,
        days,
        tenant_id,
        tenant_id,
        list(REVIEW_WARNING_CODES),
        tenant_id,
        tenant_id,
        timezone,
    )


def _amount(path: str) -> str:
    return f"coalesce((q.response->'{path}'->>'amount')::numeric, 0)"


async def recompute_landed_cost(tenant_id: uuid.UUID, timezone: str, days: list[dt.date]) -> None:
    """Each order received on the days with its latest stored quote (or none), in one pass."""
    await _clear(tenant_id, "landed-cost", timezone, days)
    await fetch(
        f"""
        WITH {_SPAN},
        q AS MATERIALIZED (
            SELECT {_day("o", "created_at")} AS day, o.ship_to->>'country' AS ship_country, latest.response
            FROM span JOIN orders o ON o.tenant_id = {{}} AND {_in_span("o", "created_at")}
            LEFT JOIN LATERAL (
                SELECT lq.response FROM landed_cost_quotes lq
                WHERE lq.tenant_id = o.tenant_id AND lq.order_id = o.id
                ORDER BY lq.id DESC LIMIT 1
            ) AS latest ON true
        ),
        totals AS (
            INSERT INTO report_landed_cost_daily (tenant_id, timezone, day, quoted, destination, currency, payer,
                                                  orders, customs_value, duty, tax, fee, landed_cost)
            SELECT {{}}, {{}}, q.day, q.response IS NOT NULL,
                   coalesce(q.response->>'destination_country', q.ship_country, ''),
                   coalesce(q.response->>'currency', ''), coalesce(q.response->>'payer', ''),
                   count(*), sum({_amount("customs_value")}), sum({_amount("duty_total")}),
                   sum({_amount("tax_total")}), sum({_amount("fee_total")}), sum({_amount("landed_cost_total")})
            FROM q GROUP BY 3, 4, 5, 6, 7
            RETURNING 1
        ),
        chapters AS (
            INSERT INTO report_landed_cost_chapters_daily (tenant_id, timezone, day, chapter, currency, lines,
                                                           customs_value, duty)
            SELECT {{}}, {{}}, q.day, left(coalesce(line->>'hs_code', ''), 2), q.response->>'currency', count(*),
                   sum(coalesce((line->'customs_value'->>'amount')::numeric, 0)),
                   sum(coalesce((line->'duty'->>'amount')::numeric, 0))
            FROM q CROSS JOIN LATERAL jsonb_array_elements(q.response->'lines') AS line
            WHERE q.response IS NOT NULL
            GROUP BY 3, 4, 5
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM totals) AS totals, (SELECT count(*) FROM chapters) AS chapters
        """,  # noqa: S608
        timezone,
        days,
        tenant_id,
        tenant_id,
        timezone,
        tenant_id,
        timezone,
    )


async def recompute_shipping(tenant_id: uuid.UUID, timezone: str, days: list[dt.date]) -> None:
    """Outbound shipments with a label bought (purpose 'outbound': not return labels), by the
    day they were created: status now, delivery against the order's requested date, exceptions and
    customs holds, and the transit hour histogram."""
    await _clear(tenant_id, "shipping", timezone, days)
    await fetch(
        f"""
        WITH {_SPAN},
        s AS MATERIALIZED (
            SELECT {_day("s", "created_at")} AS day, s.id, s.carrier,
                   coalesce(s.request->'ship_to'->>'country', '') AS destination, s.status,
                   s.status_reason, (s.status = 'delivered' OR s.reached = 'delivered') AS delivered,
                   o.requested_delivery_date AS promised, coalesce(s.booked_at, s.created_at) AS shipped_at,
                   s.last_event_at
            FROM span JOIN shipments s ON s.tenant_id = {{}} AND {_in_span("s", "created_at")}
            JOIN orders o ON o.tenant_id = s.tenant_id AND o.id = s.order_id
            WHERE s.booked_at IS NOT NULL AND s.purpose = 'outbound'
        ),
        tracked AS MATERIALIZED (
            SELECT s.day, s.id, s.carrier, s.destination, s.status, s.status_reason, s.delivered, s.promised,
                   s.shipped_at, s.last_event_at,
                   min(t.occurred_at) FILTER (WHERE t.status = 'delivered') AS delivered_first,
                   array_agg(DISTINCT coalesce(t.reason, 'unknown')) FILTER (WHERE t.status = 'exception')
                       AS exception_reasons
            FROM s LEFT JOIN tracking_events t
                ON t.tenant_id = {{}} AND t.shipment_id = s.id AND t.status IN ('delivered', 'exception')
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
        ),
        facts AS MATERIALIZED (
            SELECT tracked.*,
                   CASE WHEN delivered THEN coalesce(delivered_first, last_event_at) END AS delivered_at,
                   ARRAY(
                       SELECT DISTINCT reason FROM unnest(coalesce(exception_reasons, ARRAY[]::text[])
                           || CASE WHEN status = 'exception' THEN ARRAY[coalesce(status_reason, 'unknown')]
                                   ELSE ARRAY[]::text[] END) AS reason
                   ) AS reasons
            FROM tracked
        ),
        rows AS (
            INSERT INTO report_shipping_daily (tenant_id, timezone, day, carrier, destination, status, shipments,
                                               delivered, with_promise, on_time, exceptions, customs_holds)
            SELECT {{}}, {{}}, day, carrier, destination, status, count(*),
                   count(*) FILTER (WHERE delivered),
                   count(*) FILTER (WHERE delivered AND promised IS NOT NULL),
                   count(*) FILTER (WHERE delivered AND (delivered_at AT TIME ZONE {{}})::date <= promised),
                   count(*) FILTER (WHERE cardinality(reasons) > 0),
                   count(*) FILTER (WHERE 'customs_hold' = ANY(reasons))
            FROM facts GROUP BY day, carrier, destination, status
            RETURNING 1
        ),
        transit AS (
            INSERT INTO report_transit_daily (tenant_id, timezone, day, carrier, destination, hours, shipments)
            SELECT {{}}, {{}}, day, carrier, destination,
                   greatest(0, floor(extract(epoch FROM delivered_at - shipped_at) / 3600))::int, count(*)
            FROM facts WHERE delivered AND delivered_at IS NOT NULL
            GROUP BY 3, 4, 5, 6
            RETURNING 1
        ),
        reasons AS (
            INSERT INTO report_counts_daily (tenant_id, report, timezone, day, metric, key, count)
            SELECT {{}}, 'shipping', {{}}, day, 'exception_reason', reason, count(*)
            FROM facts CROSS JOIN LATERAL unnest(reasons) AS reason
            GROUP BY day, reason
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM rows) + (SELECT count(*) FROM transit) + (SELECT count(*) FROM reasons) AS n
        """,  # noqa: S608
        timezone,
        days,
        tenant_id,
        tenant_id,
        tenant_id,
        timezone,
        timezone,
        tenant_id,
        timezone,
        tenant_id,
        timezone,
    )


# --- reading the rollups --------------------------------------------------------------------------

_IN_PERIOD = "tenant_id = {} AND timezone = {} AND day BETWEEN {} AND {}"


def _period_args(tenant_id: uuid.UUID, period: ReportPeriod) -> list[Any]:
    return [tenant_id, period.timezone, period.from_date, period.to_date]


async def read_orders(tenant_id: uuid.UUID, period: ReportPeriod, interval: Interval) -> list[dict[str, Any]]:
    """Three groupings of the rollup in one pass: (bucket, currency, counted), (channel, currency,
    counted), (status); ``set`` names a row's grouping and ``counted`` whether it is revenue."""
    return await fetch(
        f"""
        WITH r AS (
            SELECT date_trunc({{}}, day::timestamp)::date AS bucket, channel, status, currency,
                   status <> ALL({{}}::text[]) AS counted, orders, total
            FROM report_orders_daily WHERE {_IN_PERIOD}
        )
        SELECT CASE WHEN grouping(bucket) = 0 THEN 'bucket' WHEN grouping(channel) = 0 THEN 'channel'
                    ELSE 'status' END AS set,
               bucket, channel, status, currency, counted, sum(orders)::bigint AS n, sum(total) AS amount
        FROM r
        GROUP BY GROUPING SETS ((bucket, currency, counted), (channel, currency, counted), (status))
        """,  # noqa: S608
        interval,
        list(NOT_REVENUE),
        *_period_args(tenant_id, period),
    )


async def read_counts(tenant_id: uuid.UUID, report: str, period: ReportPeriod) -> list[dict[str, Any]]:
    return await fetch(
        f"SELECT metric, key, sum(count)::bigint AS count FROM report_counts_daily WHERE {_IN_PERIOD} "  # noqa: S608
        "AND report = {} GROUP BY metric, key ORDER BY metric, key",
        *_period_args(tenant_id, period),
        report,
    )


async def read_durations(tenant_id: uuid.UUID, report: str, metric: str, period: ReportPeriod) -> dict[str, Any]:
    """``count``, ``p50`` and ``p90`` (``percentile_cont``) of the rollup's durations of ``metric``."""
    rows = await fetch(
        f"""
        SELECT count(s) AS count, percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90
        FROM report_counts_daily r CROSS JOIN LATERAL unnest(r.seconds) AS s
        WHERE {_IN_PERIOD} AND r.report = {{}} AND r.metric = {{}}
        """,  # noqa: S608
        *_period_args(tenant_id, period),
        report,
        metric,
    )
    return rows[0]


async def read_landed_cost(tenant_id: uuid.UUID, period: ReportPeriod) -> list[dict[str, Any]]:
    return await fetch(
        f"""
        SELECT quoted, destination, currency, payer, sum(orders)::bigint AS orders,
               sum(customs_value) AS customs_value, sum(duty) AS duty, sum(tax) AS tax, sum(fee) AS fee,
               sum(landed_cost) AS landed_cost
        FROM report_landed_cost_daily WHERE {_IN_PERIOD}
        GROUP BY quoted, destination, currency, payer ORDER BY destination, currency, payer
        """,  # noqa: S608
        *_period_args(tenant_id, period),
    )


async def read_landed_cost_chapters(tenant_id: uuid.UUID, period: ReportPeriod) -> list[dict[str, Any]]:
    return await fetch(
        f"""
        SELECT chapter, currency, sum(lines)::bigint AS lines, sum(customs_value) AS customs_value,
               sum(duty) AS duty
        FROM report_landed_cost_chapters_daily WHERE {_IN_PERIOD}
        GROUP BY chapter, currency ORDER BY chapter, currency
        """,  # noqa: S608
        *_period_args(tenant_id, period),
    )


async def read_shipping(tenant_id: uuid.UUID, period: ReportPeriod) -> list[dict[str, Any]]:
    """Per (carrier, destination) and per status; ``set`` names a row's grouping."""
    return await fetch(
        f"""
        SELECT CASE WHEN grouping(carrier) = 0 THEN 'route' ELSE 'status' END AS set, carrier, destination, status,
               sum(shipments)::bigint AS shipments, sum(delivered)::bigint AS delivered,
               sum(with_promise)::bigint AS with_promise, sum(on_time)::bigint AS on_time,
               sum(exceptions)::bigint AS exceptions, sum(customs_holds)::bigint AS customs_holds
        FROM report_shipping_daily WHERE {_IN_PERIOD}
        GROUP BY GROUPING SETS ((carrier, destination), (status))
        """,  # noqa: S608
        *_period_args(tenant_id, period),
    )


async def read_transit(tenant_id: uuid.UUID, period: ReportPeriod) -> list[dict[str, Any]]:
    """Transit percentiles per (carrier, destination) and overall (carrier NULL) from the hour histogram.

    ``percentile_cont(p)`` over N sorted values is ``v[lo] + (pos - lo) * (v[hi] - v[lo])`` with
    ``pos = p * (N - 1)``, ``lo = floor(pos)``, ``hi = ceil(pos)`` (0-based): the value at rank k is
    the smallest ``hours`` whose cumulative count exceeds k, so the histogram gives the same result
    as ``percentile_cont`` over the expanded values, without expanding a million of them.
    """
    return await fetch(
        f"""
        WITH h AS (
            SELECT carrier, destination, hours, sum(shipments) AS n, grouping(carrier) AS overall
            FROM report_transit_daily WHERE {_IN_PERIOD}
            GROUP BY GROUPING SETS ((carrier, destination, hours), (hours))
        ), c AS (
            SELECT *, sum(n) OVER (PARTITION BY overall, carrier, destination ORDER BY hours) AS upto,
                   sum(n) OVER (PARTITION BY overall, carrier, destination) AS total
            FROM h
        ), p AS (
            SELECT overall, carrier, destination, total, q, q * (total - 1) AS pos
            FROM (SELECT DISTINCT overall, carrier, destination, total FROM c) AS g
            CROSS JOIN (VALUES (0.5::numeric), (0.9::numeric)) AS qs (q)
        )
        SELECT p.overall = 1 AS overall, p.carrier, p.destination, p.total::bigint AS count, p.q,
               (SELECT min(c.hours) FROM c WHERE c.overall = p.overall AND c.carrier IS NOT DISTINCT FROM p.carrier
                  AND c.destination IS NOT DISTINCT FROM p.destination AND c.upto > floor(p.pos)) AS lo,
               (SELECT min(c.hours) FROM c WHERE c.overall = p.overall AND c.carrier IS NOT DISTINCT FROM p.carrier
                  AND c.destination IS NOT DISTINCT FROM p.destination AND c.upto > ceil(p.pos)) AS hi,
               p.pos - floor(p.pos) AS fraction
        FROM p
        """,  # noqa: S608
        *_period_args(tenant_id, period),
    )


# --- live aggregates (small tables) ---------------------------------------------------------------

# The period's instants, computed by PostgreSQL from the days (the same rule as the rollups').
_LO = "({}::date)::timestamp AT TIME ZONE {}"
_HI = "({}::date + 1)::timestamp AT TIME ZONE {}"


def _bounds(period: ReportPeriod) -> list[Any]:
    return [period.from_date, period.timezone, period.to_date, period.timezone]


async def change_requests_by_kind(tenant_id: uuid.UUID, period: ReportPeriod) -> list[dict[str, Any]]:
    return await fetch(
        f"SELECT kind, status, count(*) AS n FROM change_requests WHERE tenant_id = {{}} "  # noqa: S608
        f"AND created_at >= {_LO} AND created_at < {_HI} GROUP BY kind, status",
        tenant_id,
        *_bounds(period),
    )


async def stale_shipments(tenant_id: uuid.UUID, stale_after: dt.timedelta) -> int:
    """Shipments still followed whose last sign of life is older than ``stale_after`` (now)."""
    rows = await fetch(
        "SELECT count(*) AS n FROM shipments WHERE tenant_id = {} AND tracking_retired_at IS NULL "
        "AND status IN ('booked', 'in_transit', 'out_for_delivery', 'exception') AND purpose = 'outbound' "
        "AND coalesce(last_event_at, booked_at, created_at) < now() - {}::interval",
        tenant_id,
        stale_after,
    )
    return int(rows[0]["n"])


async def work_items_opened(tenant_id: uuid.UUID, period: ReportPeriod) -> dict[str, Any]:
    """Items opened in the period, and how many of them broke their SLA (resolved late or open past due)."""
    rows = await fetch(
        f"SELECT count(*) AS opened, count(*) FILTER (WHERE coalesce(resolved_at, now()) > due_at) AS breached "  # noqa: S608
        f"FROM work_items WHERE tenant_id = {{}} AND opened_at >= {_LO} AND opened_at < {_HI}",
        tenant_id,
        *_bounds(period),
    )
    return rows[0]


async def work_items_open_by_kind(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Open now (``open`` or ``in_progress``) per kind, and how many are past their due time."""
    return await fetch(
        "SELECT kind, count(*) AS open, count(*) FILTER (WHERE due_at < now()) AS breached FROM work_items "
        "WHERE tenant_id = {} AND status IN ('open', 'in_progress') GROUP BY kind ORDER BY kind",
        tenant_id,
    )


async def work_items_resolved(tenant_id: uuid.UUID, period: ReportPeriod) -> list[dict[str, Any]]:
    """Resolved in the period per person and overall (``clerk`` NULL), with ``percentile_cont`` of
    the resolution time (opening to resolution, seconds); ``name`` is the person's display name."""
    return await fetch(
        f"""
        SELECT w.resolved_by AS clerk, min(u.display_name) AS name, count(*) AS resolved,
               count(*) FILTER (WHERE w.resolved_at > w.due_at) AS breached,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM w.resolved_at - w.opened_at)) AS p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM w.resolved_at - w.opened_at)) AS p90
        FROM work_items w
        LEFT JOIN users u ON u.tenant_id = w.tenant_id AND w.resolved_by = 'user:' || u.id::text
        WHERE w.tenant_id = {{}} AND w.resolved_at >= {_LO} AND w.resolved_at < {_HI}
        GROUP BY GROUPING SETS ((w.resolved_by), ())
        """,  # noqa: S608
        tenant_id,
        *_bounds(period),
    )


async def returns_by_currency(tenant_id: uuid.UUID, period: ReportPeriod) -> list[dict[str, Any]]:
    """Returns requested in the period per currency and status, with their refunds (lines and shipping)."""
    return await fetch(
        f"SELECT currency, status, count(*) AS n, sum(refund_amount) AS refund, sum(refund_shipping) AS shipping "  # noqa: S608
        f"FROM returns WHERE tenant_id = {{}} AND requested_at >= {_LO} AND requested_at < {_HI} "
        "GROUP BY currency, status",
        tenant_id,
        *_bounds(period),
    )
