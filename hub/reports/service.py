"""The reports: period parsing and validation, then one aggregate query set per report.

A period is whole days in the tenant's time zone (``tenants.timezone``, carried on the
:class:`~tenants.schemas.Principal`): ``from`` and ``to`` inclusive, at most :data:`MAX_DAYS` days.
Every function opens one ``tenant_tx`` (row-level security applies to every statement) and asks
:mod:`hub.reports.repository` for aggregates; nothing here sums rows one by one.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from carriers.sweeps import STALE_AFTER
from hub.core.database import tenant_tx
from hub.core.errors import FieldError, ValidationFailed
from hub.core.money import MoneyWire, quantum
from hub.core.validation import client_date, raise_if
from hub.orders.work_items import SLA_HOURS
from hub.reports import repository as repo
from hub.reports.schemas import (
    ChangeRequestKindRow,
    ChannelRow,
    ChapterCostRow,
    ClerkRow,
    Count,
    DeliveryRow,
    DestinationCostRow,
    Durations,
    Interval,
    LandedCostReport,
    OrdersBucket,
    OrdersReport,
    ReportPeriod,
    ReturnsRow,
    ReviewsReport,
    SellerBorneRow,
    ShippingReport,
    SlaRow,
    WorkItemsReport,
)
from tenants.schemas import Principal

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "PeriodFieldError",
    "landed_cost_report",
    "orders_report",
    "parse_period",
    "period_for",
    "reviews_report",
    "shipping_report",
    "work_items_report",
]

MAX_DAYS = 366
"""The longest period a report covers: a year, leap day included."""
DEFAULT_DAYS = 30
"""Without ``from``, a report covers this many days up to ``to`` (default today)."""
INTERVALS: tuple[Interval, ...] = ("day", "week")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # Tenant creation checks the name; a zone that vanished from tzdata reads as UTC.
        return zoneinfo.ZoneInfo("UTC")


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant ``day`` begins in ``zone``, as UTC (a midnight skipped by DST begins at the jump)."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return local.astimezone(dt.UTC)


MAX_PARAMETER = 40
"""Longer query values are refused without being quoted back."""


def quoted(raw: str) -> str:
    """``raw`` for an error message: quoted, and cut when a client sent a page of it."""
    return repr(raw) if len(raw) <= MAX_PARAMETER else repr(raw[:MAX_PARAMETER]) + "..."


class PeriodFieldError(FieldError, frozen=True):
    """A :class:`FieldError` of :func:`parse_period` that also says which rule the value broke, so a
    page can word it in its reader's language without reading the English message. The wire (the
    problem's ``errors``) carries ``field`` and ``message`` only, as for every other field error.

    ``code``: ``not_a_date`` (not YYYY-MM-DD, or no such day), ``out_of_range`` (before 2000-01-01 or
    more than five years ahead), ``before_from`` (``to`` before ``from``) or ``too_long`` (more than
    :data:`MAX_DAYS` days).
    """

    code: str = ""


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(field: str, raw: str | None, errors: list[FieldError]) -> dt.date | None:
    if raw is not None and len(raw) > MAX_PARAMETER:
        errors.append(
            PeriodFieldError(field, f"{quoted(raw)} is not a date: use YYYY-MM-DD, e.g. 2026-03-31", "not_a_date")
        )
        return None
    found: list[FieldError] = []
    value = client_date(field, raw or None, found)
    for error in found:
        errors.append(PeriodFieldError(error.field, error.message, _date_code(raw or "")))
    return value


def _date_code(raw: str) -> str:
    """Why :func:`client_date` refused ``raw``: a real YYYY-MM-DD day is outside the window."""
    if _ISO_DAY.fullmatch(raw):
        try:
            dt.date.fromisoformat(raw)
        except ValueError:
            return "not_a_date"
        return "out_of_range"
    return "not_a_date"


def parse_period(
    raw_from: str | None, raw_to: str | None, timezone: str, *, today: dt.date | None = None
) -> ReportPeriod:
    """``from`` and ``to`` as sent (YYYY-MM-DD, either may be absent) to a checked period.

    ``to`` defaults to today in ``timezone``, ``from`` to :data:`DEFAULT_DAYS` days before ``to``.

    Raises:
        ValidationFailed: naming ``from`` or ``to`` (not a date, outside 2000-01-01 .. today + 5
            years, ``to`` before ``from``, or more than :data:`MAX_DAYS` days).
    """
    zone = _zone(timezone)
    today = today or dt.datetime.now(zone).date()
    errors: list[FieldError] = []
    start_day = _day("from", raw_from, errors)
    end_day = _day("to", raw_to, errors)
    raise_if(errors)
    if end_day is None:
        end_day = max(today, start_day) if start_day is not None else today
    if start_day is None:
        start_day = end_day - dt.timedelta(days=DEFAULT_DAYS - 1)
    if end_day < start_day:
        raise_if(
            [
                PeriodFieldError(
                    "to",
                    f"must be on or after from ({start_day.isoformat()}), not {end_day.isoformat()}",
                    "before_from",
                )
            ]
        )
    days = (end_day - start_day).days + 1
    if days > MAX_DAYS:
        raise_if(
            [
                PeriodFieldError(
                    "to",
                    f"a report covers at most {MAX_DAYS} days; {start_day} to {end_day} is {days} days",
                    "too_long",
                )
            ]
        )
    return ReportPeriod(
        from_date=start_day,
        to_date=end_day,
        timezone=zone.key,
        days=days,
        start=_midnight(start_day, zone),
        end=_midnight(end_day + dt.timedelta(days=1), zone),
    )


def period_for(principal: Principal, raw_from: str | None, raw_to: str | None) -> ReportPeriod:
    """:func:`parse_period` in the caller's tenant's time zone."""
    return parse_period(raw_from, raw_to, principal.timezone)


def check_interval(raw: str | None) -> Interval:
    """``day`` (the default) or ``week``; anything else is a 422 naming ``interval``."""
    if raw is None or raw in {"", "day"}:
        return "day"
    if raw != "week":
        raise ValidationFailed.single("interval", f"unknown interval {quoted(raw)}: use day or week")
    return "week"


# --- money ----------------------------------------------------------------------------------------


def money(amount: Any, currency: str) -> MoneyWire:
    """A sum from SQL (numeric) at the currency's precision, rounded half up (sums of stored amounts
    are already at that precision; the rounding only drops storage padding)."""
    value = Decimal(amount if amount is not None else 0)
    return MoneyWire(amount=format(value.quantize(quantum(currency), rounding=ROUND_HALF_UP), "f"), currency=currency)


def _per_currency(rows: list[tuple[str, Any]]) -> list[MoneyWire]:
    """(currency, amount) pairs summed per currency, sorted by currency; never one across two."""
    sums: dict[str, Decimal] = {}
    for currency, amount in rows:
        sums[currency] = sums.get(currency, Decimal(0)) + Decimal(amount or 0)
    return [money(sums[code], code) for code in sorted(sums)]


# --- the buckets of a period ----------------------------------------------------------------------


def bucket_starts(period: ReportPeriod, interval: Interval) -> list[dt.date]:
    """Every day of the period, or the Monday of every week that touches it."""
    if interval == "day":
        return [period.from_date + dt.timedelta(days=n) for n in range(period.days)]
    first = period.from_date - dt.timedelta(days=period.from_date.weekday())
    starts = []
    day = first
    while day <= period.to_date:
        starts.append(day)
        day += dt.timedelta(days=7)
    return starts


# --- rollup upkeep -------------------------------------------------------------------------------


def local_days(utc_days: list[dt.date], timezone: str) -> list[dt.date]:
    """The local days of ``timezone`` that overlap any of the UTC days (one or two each)."""
    zone = _zone(timezone)
    found: set[dt.date] = set()
    for day in utc_days:
        first = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        last = first + dt.timedelta(days=1, microseconds=-1)
        local = first.astimezone(zone).date()
        while local <= last.astimezone(zone).date():
            found.add(local)
            local += dt.timedelta(days=1)
    return sorted(found)


Recompute = Callable[[uuid.UUID, str, list[dt.date]], Awaitable[None]]

RECOMPUTE: dict[str, Recompute] = {
    "orders": repo.recompute_orders,
    "reviews": repo.recompute_reviews,
    "landed-cost": repo.recompute_landed_cost,
    "shipping": repo.recompute_shipping,
}
"""Each rollup report's recompute of local days (the reports of :data:`repository.ROLLUP_TABLES`)."""


def zone_name(timezone: str) -> str:
    """The zone a period of a tenant with ``timezone`` is in (a vanished zone reads as UTC)."""
    return _zone(timezone).key


async def _bring_up_to_date(tenant_id: uuid.UUID, report: str, period: ReportPeriod, recompute: Recompute) -> None:
    """Recompute the rollup days of ``period`` that changed since they were computed (call in the
    tenant transaction that then reads the rollup)."""
    await repo.lock_report(tenant_id, report)
    if await repo.drop_other_zones(tenant_id, report, period):
        await repo.mark_period(tenant_id, report, period)
    days = local_days(await repo.take_dirty(tenant_id, report, period), period.timezone)
    if days:
        await recompute(tenant_id, period.timezone, days)


def _seconds(value: Any) -> int | None:
    """A duration from SQL (``percentile_cont`` gives a double) in whole seconds, half up."""
    if value is None:
        return None
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _durations(count: Any, p50: Any, p90: Any, *, scale: int = 1) -> Durations:
    n = int(count or 0)
    if n == 0:
        return Durations(count=0, p50_seconds=None, p90_seconds=None)
    return Durations(
        count=n,
        p50_seconds=_seconds(Decimal(str(p50)) * scale) if p50 is not None else None,
        p90_seconds=_seconds(Decimal(str(p90)) * scale) if p90 is not None else None,
    )


def _rate(part: int, whole: int) -> str | None:
    """``part / whole`` with four decimal places, half up; None when there is no whole."""
    if whole == 0:
        return None
    return format((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "f")


# --- orders ---------------------------------------------------------------------------------------


async def orders_report(principal: Principal, period: ReportPeriod, *, interval: Interval = "day") -> OrdersReport:
    """Orders received in ``period`` per day or week, channel and status; revenue per currency."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        await _bring_up_to_date(tenant_id, "orders", period, repo.recompute_orders)
        rows = await repo.read_orders(tenant_id, period, interval)
    series: dict[dt.date, list[tuple[str, Any]]] = {start: [] for start in bucket_starts(period, interval)}
    counts: dict[dt.date, int] = dict.fromkeys(series, 0)
    channels: dict[str, list[tuple[str, Any]]] = {}
    channel_counts: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for row in rows:
        if row["set"] == "bucket":
            counts[row["bucket"]] = counts.get(row["bucket"], 0) + row["n"]
            if row["counted"]:
                series.setdefault(row["bucket"], []).append((row["currency"], row["amount"]))
        elif row["set"] == "channel":
            channel_counts[row["channel"]] = channel_counts.get(row["channel"], 0) + row["n"]
            channels.setdefault(row["channel"], [])
            if row["counted"]:
                channels[row["channel"]].append((row["currency"], row["amount"]))
        else:
            statuses[row["status"]] = row["n"]
    return OrdersReport(
        period=period,
        interval=interval,
        orders=sum(counts.values()),
        revenue=_per_currency([pair for pairs in series.values() for pair in pairs]),
        series=[
            OrdersBucket(start=start, orders=counts.get(start, 0), revenue=_per_currency(series[start]))
            for start in sorted(series)
        ],
        by_channel=[
            ChannelRow(channel=name, orders=channel_counts[name], revenue=_per_currency(channels[name]))
            for name in sorted(channel_counts)
        ],
        by_status=[Count(key=name, count=statuses[name]) for name in sorted(statuses)],
        notes=[
            "orders: received in the period (created_at in the tenant's time zone)",
            "revenue: order totals (goods after discounts, plus shipping) per currency, leaving out orders "
            "now cancelled or rejected; currencies are never added together",
            "by_status: each order under its status now",
            "week buckets start on Monday; the first and last may hold only the period's days",
        ],
    )


# --- reviews --------------------------------------------------------------------------------------

CHANGE_REQUEST_KINDS = ("address", "quantity", "lines", "delivery_date", "cancel")


async def reviews_report(principal: Principal, period: ReportPeriod) -> ReviewsReport:
    """Review outcomes of orders received in ``period``: auto-approved vs held, hold reasons,
    approval lead time (p50/p90) and change requests by kind."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        await _bring_up_to_date(tenant_id, "reviews", period, repo.recompute_reviews)
        counts = await repo.read_counts(tenant_id, "reviews", period)
        lead = await repo.read_durations(tenant_id, "reviews", "approved", period)
        changes = await repo.change_requests_by_kind(tenant_id, period)
    outcomes = {row["key"]: int(row["count"]) for row in counts if row["metric"] == "outcome"}
    reasons = {row["key"]: int(row["count"]) for row in counts if row["metric"] == "hold_reason"}
    rejected = sum(int(row["count"]) for row in counts if row["metric"] == "rejected")
    by_kind: dict[str, dict[str, int]] = {}
    for row in changes:
        by_kind.setdefault(row["kind"], {})[row["status"]] = int(row["n"])
    kinds = sorted(set(CHANGE_REQUEST_KINDS) | set(by_kind))
    return ReviewsReport(
        period=period,
        reviewed=sum(outcomes.values()),
        auto_approved=outcomes.get("approved", 0),
        held=sum(n for status, n in outcomes.items() if status != "approved"),
        outcomes=[Count(key=key, count=outcomes[key]) for key in sorted(outcomes)],
        hold_reasons=sorted((Count(key=key, count=n) for key, n in reasons.items()), key=lambda c: (-c.count, c.key)),
        approval_lead_time=_durations(lead["count"], lead["p50"], lead["p90"]),
        rejected=rejected,
        change_requests=[
            ChangeRequestKindRow(
                kind=kind,
                requested=sum(by_kind.get(kind, {}).values()),
                applied=by_kind.get(kind, {}).get("applied", 0),
                rejected=by_kind.get(kind, {}).get("rejected", 0),
                pending=by_kind.get(kind, {}).get("pending", 0),
            )
            for kind in kinds
        ],
        notes=[
            "reviewed, auto_approved, held, outcomes: the intake review of each order received in the period "
            "(the status it gave the order); held is every outcome but approved",
            "hold_reasons: the blocking finding codes of those intake reviews that held an order (an order with "
            "two reasons counts under both; in_review, when auto-approval is off, carries none)",
            "approval_lead_time: from intake to a person's approval, over the approvals made in the period; "
            "rejected: rejections made in the period",
            "change_requests: filed in the period, by where they stand now (pending, applied or rejected)",
        ],
    )


# --- landed cost ----------------------------------------------------------------------------------


_BORNE = ("duty", "tax", "fee")


async def landed_cost_report(principal: Principal, period: ReportPeriod) -> LandedCostReport:
    """Duties, taxes and fees of the orders received in ``period`` by destination and HS chapter,
    and what the seller bears (DDP)."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        await _bring_up_to_date(tenant_id, "landed-cost", period, repo.recompute_landed_cost)
        rows = await repo.read_landed_cost(tenant_id, period)
        chapters = await repo.read_landed_cost_chapters(tenant_id, period)
    fields = ("customs_value", "duty", "tax", "fee", "landed_cost")
    destinations: dict[tuple[str, str], dict[str, Any]] = {}
    borne: dict[str, dict[str, Any]] = {}
    unquoted = 0
    for row in rows:
        if not row["quoted"]:
            unquoted += int(row["orders"])
            continue
        key = (row["destination"], row["currency"])
        into = destinations.setdefault(key, {"orders": 0, **dict.fromkeys(fields, Decimal(0))})
        into["orders"] += int(row["orders"])
        for name in fields:
            into[name] += Decimal(row[name])
        if row["payer"] == "seller":
            seller = borne.setdefault(row["currency"], {"orders": 0, **dict.fromkeys(_BORNE, Decimal(0))})
            seller["orders"] += int(row["orders"])
            for name in _BORNE:
                seller[name] += Decimal(row[name])
    return LandedCostReport(
        period=period,
        orders_quoted=sum(d["orders"] for d in destinations.values()),
        orders_unquoted=unquoted,
        by_destination=[
            DestinationCostRow(
                destination=destination,
                currency=currency,
                orders=sums["orders"],
                customs_value=money(sums["customs_value"], currency),
                duty=money(sums["duty"], currency),
                tax=money(sums["tax"], currency),
                fee=money(sums["fee"], currency),
                landed_cost=money(sums["landed_cost"], currency),
            )
            for (destination, currency), sums in sorted(destinations.items())
        ],
        by_chapter=[
            ChapterCostRow(
                chapter=row["chapter"],
                currency=row["currency"],
                lines=int(row["lines"]),
                customs_value=money(row["customs_value"], row["currency"]),
                duty=money(row["duty"], row["currency"]),
            )
            for row in chapters
        ],
        seller_borne=[
            SellerBorneRow(
                currency=currency,
                orders=sums["orders"],
                duty=money(sums["duty"], currency),
                tax=money(sums["tax"], currency),
                fee=money(sums["fee"], currency),
                total=money(sums["duty"] + sums["tax"] + sums["fee"], currency),
            )
            for currency, sums in sorted(borne.items())
        ],
        notes=[
            "each order received in the period counts with its latest stored quote (POST "
            "/v1/orders/{id}/landed-cost); orders_unquoted have none. Amounts are in the quote's currency "
            "(the destination's), never converted or added across currencies",
            "by_chapter: duty is priced per line, so it is exact per HS chapter; import taxes and fees are "
            "assessed on the whole consignment and the quote does not split them by line, so they are "
            "reported per destination only. chapter '' is a line without an HS code",
            "seller_borne: quotes whose duties and taxes the seller pays (incoterm DDP: payer 'seller')",
        ],
    )


# --- shipping -------------------------------------------------------------------------------------


async def shipping_report(principal: Principal, period: ReportPeriod) -> ShippingReport:
    """On-time delivery by carrier and destination, transit days, exceptions, customs holds, stale
    shipments, over the shipments booked in ``period``."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        await _bring_up_to_date(tenant_id, "shipping", period, repo.recompute_shipping)
        rows = await repo.read_shipping(tenant_id, period)
        transit_rows = await repo.read_transit(tenant_id, period)
        counts = await repo.read_counts(tenant_id, "shipping", period)
        stale = await repo.stale_shipments(tenant_id, STALE_AFTER)
    transit: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for row in transit_rows:
        key = (None, None) if row["overall"] else (row["carrier"], row["destination"])
        lo, hi = Decimal(row["lo"]), Decimal(row["hi"])
        value = lo + Decimal(row["fraction"]) * (hi - lo)
        entry = transit.setdefault(key, {"count": row["count"]})
        entry["p50" if Decimal(row["q"]) == Decimal("0.5") else "p90"] = value

    def _transit(key: tuple[str | None, str | None]) -> Durations:
        entry = transit.get(key)
        if entry is None:
            return _durations(0, None, None)
        return _durations(entry["count"], entry.get("p50"), entry.get("p90"), scale=3600)

    routes = sorted((r for r in rows if r["set"] == "route"), key=lambda r: (r["carrier"], r["destination"]))
    by_route = [
        DeliveryRow(
            carrier=r["carrier"],
            destination=r["destination"],
            shipments=int(r["shipments"]),
            delivered=int(r["delivered"]),
            with_promise=int(r["with_promise"]),
            on_time=int(r["on_time"]),
            on_time_rate=_rate(int(r["on_time"]), int(r["with_promise"])),
            transit=_transit((r["carrier"], r["destination"])),
            exceptions=int(r["exceptions"]),
            customs_holds=int(r["customs_holds"]),
        )
        for r in routes
    ]
    on_time = sum(r.on_time for r in by_route)
    with_promise = sum(r.with_promise for r in by_route)
    return ShippingReport(
        period=period,
        shipments=sum(r.shipments for r in by_route),
        delivered=sum(r.delivered for r in by_route),
        with_promise=with_promise,
        on_time=on_time,
        on_time_rate=_rate(on_time, with_promise),
        transit=_transit((None, None)),
        by_carrier_destination=by_route,
        by_status=sorted(
            (Count(key=r["status"], count=int(r["shipments"])) for r in rows if r["set"] == "status"),
            key=lambda c: c.key,
        ),
        exceptions=sorted(
            (Count(key=r["key"], count=int(r["count"])) for r in counts if r["metric"] == "exception_reason"),
            key=lambda c: (-c.count, c.key),
        ),
        exception_shipments=sum(r.exceptions for r in by_route),
        customs_holds=sum(r.customs_holds for r in by_route),
        stale=stale,
        stale_after_hours=int(STALE_AFTER.total_seconds() // 3600),
        notes=[
            "shipments: labels bought, by the day the shipment was created; status, delivery and exceptions "
            "as they stand now",
            "on_time: delivered (the first 'delivered' tracking event) no later than the order's requested "
            "delivery date, in the tenant's time zone; on_time_rate is over with_promise, the delivered "
            "shipments whose order has a requested date (the hub stores no carrier-promised date)",
            "transit: booking to delivery, measured in whole hours (p50/p90 as seconds)",
            "exceptions: per reason, the shipments that had an exception with it (one shipment may have "
            "several reasons); exception_shipments counts each shipment once; customs_holds: with a "
            "customs_hold exception",
            "stale: now, whatever the period: shipments still followed with no tracking event for stale_after_hours",
        ],
    )


# --- work items and returns -----------------------------------------------------------------------

REFUNDED = frozenset({"received", "closed"})
"""A return's refund is fixed on receipt (from what came back)."""


async def work_items_report(principal: Principal, period: ReportPeriod) -> WorkItemsReport:
    """Work items open by SLA and breached, resolution time per clerk; returns and refund totals."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        opened = await repo.work_items_opened(tenant_id, period)
        open_now = await repo.work_items_open_by_kind(tenant_id)
        resolved = await repo.work_items_resolved(tenant_id, period)
        returns = await repo.returns_by_currency(tenant_id, period)
    overall = next((row for row in resolved if row["clerk"] is None), None)
    clerks = sorted((row for row in resolved if row["clerk"] is not None), key=lambda row: row["clerk"])
    by_currency: dict[str, dict[str, Any]] = {}
    statuses: dict[str, int] = {}
    for row in returns:
        entry = by_currency.setdefault(
            row["currency"], {"requested": 0, "refunded": 0, "refund": Decimal(0), "shipping": Decimal(0)}
        )
        entry["requested"] += int(row["n"])
        statuses[row["status"]] = statuses.get(row["status"], 0) + int(row["n"])
        if row["status"] in REFUNDED:
            entry["refunded"] += int(row["n"])
            entry["refund"] += Decimal(row["refund"])
            entry["shipping"] += Decimal(row["shipping"])
    open_kinds = {row["kind"]: row for row in open_now}
    return WorkItemsReport(
        period=period,
        opened=int(opened["opened"]),
        resolved=int(overall["resolved"]) if overall else 0,
        breached=int(opened["breached"]),
        open_by_sla=[
            SlaRow(
                kind=kind,
                sla_hours=SLA_HOURS[kind],
                open=int(open_kinds[kind]["open"]) if kind in open_kinds else 0,
                breached=int(open_kinds[kind]["breached"]) if kind in open_kinds else 0,
            )
            for kind in sorted(set(SLA_HOURS) | set(open_kinds))
            if kind in SLA_HOURS
        ],
        by_clerk=[
            ClerkRow(
                clerk=row["clerk"],
                name=row["name"],
                resolved=int(row["resolved"]),
                breached=int(row["breached"]),
                resolution_time=_durations(row["resolved"], row["p50"], row["p90"]),
            )
            for row in clerks
        ],
        resolution_time=_durations(overall["resolved"], overall["p50"], overall["p90"])
        if overall
        else _durations(0, None, None),
        returns=[
            ReturnsRow(
                currency=currency,
                requested=sums["requested"],
                refunded=sums["refunded"],
                refund_amount=money(sums["refund"], currency),
                refund_shipping=money(sums["shipping"], currency),
            )
            for currency, sums in sorted(by_currency.items())
        ],
        returns_by_status=[Count(key=key, count=statuses[key]) for key in sorted(statuses)],
        notes=[
            "opened, breached: work items opened in the period; breached: resolved after their due time "
            "or still open past it",
            "open_by_sla: open now (open or in progress), whatever the period, per kind with its SLA",
            "by_clerk, resolution_time: items resolved in the period, by who resolved them (an actor: "
            "user:<id>, with the person's name); opening to resolution",
            "returns: requested in the period; refund_amount (lines and shipping) and refund_shipping count "
            "the returns received or closed, whose refund is fixed",
        ],
    )
