"""msgspec Structs of the reports: what ``GET /v1/reports/...`` answers and the console draws.

Money is always per currency (``MoneyWire``: the amount a decimal string); no figure adds up amounts
of two currencies. Counts are integers; durations are whole seconds (``None`` when nothing was
measured). Lists are sorted by their key unless said otherwise, so that two runs compare equal.
Names are stable: fields may be added, never renamed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from hub.core.money import MoneyWire

Interval = Literal["day", "week"]
ReportFormat = Literal["json", "csv", "xlsx"]
ReportName = Literal["orders", "reviews", "landed-cost", "shipping", "work-items"]


class ReportPeriod(msgspec.Struct, frozen=True, kw_only=True):
    """Whole days ``from_date`` .. ``to_date`` (both inclusive) in ``timezone`` (an IANA name).

    ``start`` and ``end`` are the instants the days begin and end (``end`` exclusive): the range the
    SQL filters on, so a day is the tenant's day, daylight-saving changes included.
    """

    from_date: dt.date = msgspec.field(name="from")
    to_date: dt.date = msgspec.field(name="to")
    timezone: str
    days: int
    start: dt.datetime
    end: dt.datetime


class Count(msgspec.Struct, frozen=True, kw_only=True):
    """How many of something fall under ``key`` (a status, a channel, a finding code...)."""

    key: str
    count: int


class Durations(msgspec.Struct, frozen=True, kw_only=True):
    """``count`` measured durations and their percentiles (``percentile_cont``), in seconds."""

    count: int
    p50_seconds: int | None
    p90_seconds: int | None


# --- orders -------------------------------------------------------------------------------------


class OrdersBucket(msgspec.Struct, frozen=True, kw_only=True):
    """One day or week (starting Monday) of the period: orders received and their revenue."""

    start: dt.date
    orders: int
    revenue: list[MoneyWire]


class ChannelRow(msgspec.Struct, frozen=True, kw_only=True):
    channel: str
    orders: int
    revenue: list[MoneyWire]


class OrdersReport(msgspec.Struct, kw_only=True):
    """Orders received in the period (by their ``created_at`` in the tenant's zone).

    ``revenue`` is the sum of order totals per currency, leaving out orders now cancelled or
    rejected; ``by_status`` counts every order by its status now.
    """

    period: ReportPeriod
    interval: Interval
    orders: int
    revenue: list[MoneyWire]
    series: list[OrdersBucket]
    """Every day (or week) of the period, in order, empty ones included (zero, no revenue)."""
    by_channel: list[ChannelRow]
    by_status: list[Count]
    notes: list[str] = msgspec.field(default_factory=list)


# --- reviews ------------------------------------------------------------------------------------


class ChangeRequestKindRow(msgspec.Struct, frozen=True, kw_only=True):
    """Change requests filed in the period of one ``kind``, by where they stand now."""

    kind: str
    requested: int
    applied: int
    rejected: int
    pending: int


class ReviewsReport(msgspec.Struct, kw_only=True):
    """The automated review of orders received in the period and what people did after it.

    ``auto_approved``: the first review approved the order (no person needed). ``held``: the first
    review stopped it (``on_hold``, ``awaiting_approval``, ``backordered`` or ``in_review``).
    ``hold_reasons`` counts the blocking finding codes of those first reviews (an order with two
    reasons counts under both). ``approval_lead_time`` is from intake to a person's approval, over the
    held orders a person approved.
    """

    period: ReportPeriod
    reviewed: int
    auto_approved: int
    held: int
    outcomes: list[Count]
    hold_reasons: list[Count]
    approval_lead_time: Durations
    rejected: int
    change_requests: list[ChangeRequestKindRow]
    notes: list[str] = msgspec.field(default_factory=list)


# --- landed cost --------------------------------------------------------------------------------


class DestinationCostRow(msgspec.Struct, frozen=True, kw_only=True):
    """The latest quote of each order received in the period, summed per destination and currency."""

    destination: str
    currency: str
    orders: int
    customs_value: MoneyWire
    duty: MoneyWire
    tax: MoneyWire
    fee: MoneyWire
    landed_cost: MoneyWire


class ChapterCostRow(msgspec.Struct, frozen=True, kw_only=True):
    """Quote lines by HS chapter (the code's first two digits) and currency."""

    chapter: str
    currency: str
    lines: int
    customs_value: MoneyWire
    duty: MoneyWire


class SellerBorneRow(msgspec.Struct, frozen=True, kw_only=True):
    """Duties, taxes and fees the seller pays (the quote's payer is the seller: DDP), per currency."""

    currency: str
    orders: int
    duty: MoneyWire
    tax: MoneyWire
    fee: MoneyWire
    total: MoneyWire


class LandedCostReport(msgspec.Struct, kw_only=True):
    period: ReportPeriod
    orders_quoted: int
    orders_unquoted: int
    by_destination: list[DestinationCostRow]
    by_chapter: list[ChapterCostRow]
    seller_borne: list[SellerBorneRow]
    notes: list[str] = msgspec.field(default_factory=list)


# --- shipping -----------------------------------------------------------------------------------


class DeliveryRow(msgspec.Struct, frozen=True, kw_only=True):
    """Shipments booked in the period for one carrier and destination (the ship-to country).

    ``with_promise``: delivered shipments whose order has a requested delivery date; ``on_time``: of
    those, delivered no later than that date (in the tenant's zone). ``on_time_rate`` is
    ``on_time / with_promise`` as a decimal string with four places ("0.9500"), None without any.
    ``exceptions``: shipments that had at least one exception; ``customs_holds``: one for customs.
    """

    carrier: str
    destination: str
    shipments: int
    delivered: int
    with_promise: int
    on_time: int
    on_time_rate: str | None
    transit: Durations
    exceptions: int
    customs_holds: int


class ShippingReport(msgspec.Struct, kw_only=True):
    period: ReportPeriod
    shipments: int
    delivered: int
    with_promise: int
    on_time: int
    on_time_rate: str | None
    transit: Durations
    by_carrier_destination: list[DeliveryRow]
    by_status: list[Count]
    exceptions: list[Count]
    """Per exception reason (``customs_hold``, ``damage``, ...), the shipments that had it (most first)."""
    exception_shipments: int
    """Shipments with at least one exception (each once)."""
    customs_holds: int
    stale: int
    """Shipments in transit now whose last tracking event is older than the stale threshold."""
    stale_after_hours: int
    notes: list[str] = msgspec.field(default_factory=list)


# --- work items and returns ---------------------------------------------------------------------


class SlaRow(msgspec.Struct, frozen=True, kw_only=True):
    """Work items of one kind that are open now: within their SLA or past it."""

    kind: str
    sla_hours: int
    open: int
    breached: int


class ClerkRow(msgspec.Struct, frozen=True, kw_only=True):
    """Work items resolved in the period by one person (``resolved_by``, an actor string)."""

    clerk: str
    name: str | None
    """The person's display name when ``clerk`` is a user of the tenant."""
    resolved: int
    breached: int
    resolution_time: Durations


class ReturnsRow(msgspec.Struct, frozen=True, kw_only=True):
    """Returns requested in the period in one currency; refunds counted once closed or received."""

    currency: str
    requested: int
    refunded: int
    refund_amount: MoneyWire
    refund_shipping: MoneyWire


class WorkItemsReport(msgspec.Struct, kw_only=True):
    period: ReportPeriod
    opened: int
    resolved: int
    breached: int
    """Of the items opened in the period, those resolved after their due time or still open past it."""
    open_by_sla: list[SlaRow]
    by_clerk: list[ClerkRow]
    resolution_time: Durations
    returns: list[ReturnsRow]
    returns_by_status: list[Count]
    notes: list[str] = msgspec.field(default_factory=list)


Report = OrdersReport | ReviewsReport | LandedCostReport | ShippingReport | WorkItemsReport
