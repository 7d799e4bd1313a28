"""A report as tables, written as CSV (the standard library) or XLSX (openpyxl, write-only).

Each report becomes named sections, each a header and rows, the same in both formats:

* CSV: the sections one after another, each introduced by a line ``# <section>`` and followed by a
  blank line (UTF-8 with a BOM, so spreadsheet programs read Chinese names). A cell that starts with
  ``= + - @`` is defused with a leading quote (OWASP CSV injection);
* XLSX: one sheet per section. Counts are integers, money amounts numbers with the currency's
  decimal places (the currency is in the column name or a column of its own), rates numbers.

Money per currency is never one column: a report with revenue in EUR and USD has a column for each.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from hub.core.money import MoneyWire, currency_exponent
from hub.reports.schemas import (
    Durations,
    LandedCostReport,
    OrdersReport,
    Report,
    ReviewsReport,
    ShippingReport,
    WorkItemsReport,
)

Cell = str | int | Decimal | None


class Money(msgspec.Struct, frozen=True):
    """A money cell: written as its amount (a number in XLSX, formatted to the currency's places)."""

    amount: Decimal
    currency: str


class Section(msgspec.Struct, frozen=True):
    name: str
    header: list[str]
    rows: list[list[Cell | Money]]


def _money(wire: MoneyWire) -> Money:
    return Money(Decimal(wire.amount), wire.currency)


def _rate(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _currencies(*lists: Sequence[MoneyWire]) -> list[str]:
    return sorted({m.currency for items in lists for m in items})


def _by_currency(items: Sequence[MoneyWire], currencies: list[str]) -> list[Cell | Money]:
    """One cell per currency of ``currencies``: the amount, or 0 in that currency when there is none."""
    found = {m.currency: m for m in items}
    return [_money(found[code]) if code in found else Money(Decimal(0), code) for code in currencies]


def _durations(prefix: str, value: Durations) -> list[tuple[str, Cell]]:
    return [
        (f"{prefix}_count", value.count),
        (f"{prefix}_p50_seconds", value.p50_seconds),
        (f"{prefix}_p90_seconds", value.p90_seconds),
    ]


def _summary(pairs: list[tuple[str, Cell]], money: Sequence[tuple[str, MoneyWire]] = ()) -> Section:
    rows: list[list[Cell | Money]] = [[name, value, None] for name, value in pairs]
    rows.extend([name, _money(wire), wire.currency] for name, wire in money)
    return Section("summary", ["metric", "value", "currency"], rows)


def _period(report: Report) -> Section:
    period = report.period
    rows: list[list[Cell | Money]] = [
        ["from", period.from_date.isoformat()],
        ["to", period.to_date.isoformat()],
        ["timezone", period.timezone],
        ["days", period.days],
    ]
    if isinstance(report, OrdersReport):
        rows.append(["interval", report.interval])
    rows.extend(["note", note] for note in report.notes)
    return Section("period", ["field", "value"], rows)


def _orders(report: OrdersReport) -> list[Section]:
    codes = _currencies(report.revenue, *(row.revenue for row in report.by_channel))
    revenue = [f"revenue_{code}" for code in codes]
    return [
        _summary([("orders", report.orders)], [("revenue", m) for m in report.revenue]),
        Section(
            "series",
            ["start", "orders", *revenue],
            [[b.start.isoformat(), b.orders, *_by_currency(b.revenue, codes)] for b in report.series],
        ),
        Section(
            "by_channel",
            ["channel", "orders", *revenue],
            [[c.channel, c.orders, *_by_currency(c.revenue, codes)] for c in report.by_channel],
        ),
        Section("by_status", ["status", "orders"], [[c.key, c.count] for c in report.by_status]),
    ]


def _reviews(report: ReviewsReport) -> list[Section]:
    return [
        _summary(
            [
                ("reviewed", report.reviewed),
                ("auto_approved", report.auto_approved),
                ("held", report.held),
                ("rejected", report.rejected),
                *_durations("approval_lead_time", report.approval_lead_time),
            ]
        ),
        Section("outcomes", ["outcome", "orders"], [[c.key, c.count] for c in report.outcomes]),
        Section("hold_reasons", ["reason", "orders"], [[c.key, c.count] for c in report.hold_reasons]),
        Section(
            "change_requests",
            ["kind", "requested", "applied", "rejected", "pending"],
            [[r.kind, r.requested, r.applied, r.rejected, r.pending] for r in report.change_requests],
        ),
    ]


def _landed_cost(report: LandedCostReport) -> list[Section]:
    return [
        _summary([("orders_quoted", report.orders_quoted), ("orders_unquoted", report.orders_unquoted)]),
        Section(
            "by_destination",
            ["destination", "currency", "orders", "customs_value", "duty", "tax", "fee", "landed_cost"],
            [
                [
                    r.destination,
                    r.currency,
                    r.orders,
                    *(_money(m) for m in (r.customs_value, r.duty, r.tax, r.fee, r.landed_cost)),
                ]
                for r in report.by_destination
            ],
        ),
        Section(
            "by_chapter",
            ["chapter", "currency", "lines", "customs_value", "duty"],
            [[r.chapter, r.currency, r.lines, _money(r.customs_value), _money(r.duty)] for r in report.by_chapter],
        ),
        Section(
            "seller_borne",
            ["currency", "orders", "duty", "tax", "fee", "total"],
            [
                [r.currency, r.orders, *(_money(m) for m in (r.duty, r.tax, r.fee, r.total))]
                for r in report.seller_borne
            ],
        ),
    ]


def _shipping(report: ShippingReport) -> list[Section]:
    return [
        _summary(
            [
                ("shipments", report.shipments),
                ("delivered", report.delivered),
                ("with_promise", report.with_promise),
                ("on_time", report.on_time),
                ("on_time_rate", _rate(report.on_time_rate)),
                *_durations("transit", report.transit),
                ("exception_shipments", report.exception_shipments),
                ("customs_holds", report.customs_holds),
                ("stale", report.stale),
                ("stale_after_hours", report.stale_after_hours),
            ]
        ),
        Section(
            "by_carrier_destination",
            [
                "carrier",
                "destination",
                "shipments",
                "delivered",
                "with_promise",
                "on_time",
                "on_time_rate",
                "transit_count",
                "transit_p50_seconds",
                "transit_p90_seconds",
                "exceptions",
                "customs_holds",
            ],
            [
                [
                    r.carrier,
                    r.destination,
                    r.shipments,
                    r.delivered,
                    r.with_promise,
                    r.on_time,
                    _rate(r.on_time_rate),
                    *(value for _, value in _durations("transit", r.transit)),
                    r.exceptions,
                    r.customs_holds,
                ]
                for r in report.by_carrier_destination
            ],
        ),
        Section("by_status", ["status", "shipments"], [[c.key, c.count] for c in report.by_status]),
        Section("exceptions", ["reason", "shipments"], [[c.key, c.count] for c in report.exceptions]),
    ]


def _work_items(report: WorkItemsReport) -> list[Section]:
    return [
        _summary(
            [
                ("opened", report.opened),
                ("resolved", report.resolved),
                ("breached", report.breached),
                *_durations("resolution_time", report.resolution_time),
            ]
        ),
        Section(
            "open_by_sla",
            ["kind", "sla_hours", "open", "breached"],
            [[r.kind, r.sla_hours, r.open, r.breached] for r in report.open_by_sla],
        ),
        Section(
            "by_clerk",
            ["clerk", "name", "resolved", "breached", "resolution_p50_seconds", "resolution_p90_seconds"],
            [
                [
                    r.clerk,
                    r.name,
                    r.resolved,
                    r.breached,
                    r.resolution_time.p50_seconds,
                    r.resolution_time.p90_seconds,
                ]
                for r in report.by_clerk
            ],
        ),
        Section(
            "returns",
            ["currency", "requested", "refunded", "refund_amount", "refund_shipping"],
            [
                [r.currency, r.requested, r.refunded, _money(r.refund_amount), _money(r.refund_shipping)]
                for r in report.returns
            ],
        ),
        Section("returns_by_status", ["status", "returns"], [[c.key, c.count] for c in report.returns_by_status]),
    ]


def sections(report: Report) -> list[Section]:
    """The report's tables, the period (and the notes) first."""
    if isinstance(report, OrdersReport):
        body = _orders(report)
    elif isinstance(report, ReviewsReport):
        body = _reviews(report)
    elif isinstance(report, LandedCostReport):
        body = _landed_cost(report)
    elif isinstance(report, ShippingReport):
        body = _shipping(report)
    else:
        body = _work_items(report)
    return [_period(report), *body]


def _csv_safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _text(cell: Cell | Money) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Money):
        return format(cell.amount, "f")
    if isinstance(cell, str):
        return _csv_safe(cell)
    return format(cell, "f") if isinstance(cell, Decimal) else str(cell)


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for section in sections(report):
        writer.writerow([f"# {section.name}"])
        writer.writerow(section.header)
        writer.writerows([_text(cell) for cell in row] for row in section.rows)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode()


def _number_format(currency: str) -> str:
    places = currency_exponent(currency)
    return "0." + "0" * places if places else "0"


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook(write_only=True)
    for section in sections(report):
        sheet: Any = workbook.create_sheet(title=section.name[:31])
        sheet.append(section.header)
        for row in section.rows:
            cells: list[Any] = []
            for value in row:
                if isinstance(value, Money):
                    # openpyxl writes a Decimal's own digits (its stubs list float only).
                    cell = WriteOnlyCell(sheet, value=value.amount)  # type: ignore[arg-type]
                    cell.number_format = _number_format(value.currency)
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
