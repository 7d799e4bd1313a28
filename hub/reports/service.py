"""The reports: period parsing and validation, then one aggregate query set per report.

A period is whole days in the tenant's time zone (``tenants.timezone``, carried on the
:class:`~tenants.schemas.Principal`): ``from`` and ``to`` inclusive, at most :data:`MAX_DAYS` days.
Every function opens one ``tenant_tx`` (row-level security applies to every statement) and asks
:mod:`hub.reports.repository` for aggregates; nothing here sums rows one by one.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hub.core.database import tenant_tx
from hub.core.errors import FieldError, ValidationFailed
from hub.core.money import MoneyWire, quantum
from hub.core.validation import client_date, raise_if
from hub.reports import repository as repo
from hub.reports.schemas import (
    ChannelRow,
    Count,
    Interval,
    LandedCostReport,
    OrdersBucket,
    OrdersReport,
    ReportPeriod,
    ReviewsReport,
    ShippingReport,
    WorkItemsReport,
)
from tenants.schemas import Principal

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
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
    start_day = client_date("from", raw_from or None, errors)
    end_day = client_date("to", raw_to or None, errors)
    raise_if(errors)
    if end_day is None:
        end_day = max(today, start_day) if start_day is not None else today
    if start_day is None:
        start_day = end_day - dt.timedelta(days=DEFAULT_DAYS - 1)
    if end_day < start_day:
        raise_if([FieldError("to", f"must be on or after from ({start_day.isoformat()}), not {end_day.isoformat()}")])
    days = (end_day - start_day).days + 1
    if days > MAX_DAYS:
        raise_if(
            [FieldError("to", f"a report covers at most {MAX_DAYS} days; {start_day} to {end_day} is {days} days")]
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
        raise ValidationFailed.single("interval", f"unknown interval {raw!r}: use day or week")
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


# --- orders ---------------------------------------------------------------------------------------


async def orders_report(principal: Principal, period: ReportPeriod, *, interval: Interval = "day") -> OrdersReport:
    """Orders received in ``period`` per day or week, channel and status; revenue per currency."""
    async with tenant_tx(principal.tenant_id):
        rows = await repo.orders_aggregates(principal.tenant_id, period, interval)
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
    revenue = _per_currency([pair for pairs in series.values() for pair in pairs])
    return OrdersReport(
        period=period,
        interval=interval,
        orders=sum(counts.values()),
        revenue=revenue,
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
            "revenue: order totals (goods after discounts, plus shipping) of the orders received in the "
            "period, per currency, leaving out orders now cancelled or rejected",
            "by_status: each order counted under its status now",
        ],
    )


# --- the other reports (filled in below, one commit each) -----------------------------------------


async def reviews_report(principal: Principal, period: ReportPeriod) -> ReviewsReport:
    """Review outcomes of orders received in ``period``: auto-approved vs held, hold reasons,
    approval lead time (p50/p90) and change requests by kind."""
    raise NotImplementedError


async def landed_cost_report(principal: Principal, period: ReportPeriod) -> LandedCostReport:
    """Duties, taxes and fees of the orders received in ``period`` by destination and HS chapter,
    and what the seller bears (DDP)."""
    raise NotImplementedError


async def shipping_report(principal: Principal, period: ReportPeriod) -> ShippingReport:
    """On-time delivery by carrier and destination, transit days, exceptions, customs holds, stale
    shipments, over the shipments booked in ``period``."""
    raise NotImplementedError


async def work_items_report(principal: Principal, period: ReportPeriod) -> WorkItemsReport:
    """Work items open by SLA and breached, resolution time per clerk; returns and refund totals."""
    raise NotImplementedError
