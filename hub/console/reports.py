"""The console's reports page: the five reports of :mod:`hub.reports.service` as tables and SVG charts.

``GET /console/reports?from=&to=&interval=`` reads the same service functions as ``GET /v1/reports/...``,
with the signed-in user's principal (the tenant transaction and row-level security apply the same
way), over the same period (:func:`hub.reports.service.period_for`: whole days in the tenant's time
zone, the last 30 days by default). A bad ``from``, ``to`` or ``interval`` comes back beside its field,
in the reader's language, with a 422, as the console's other forms do. The charts are drawn here, on
the server (:mod:`hub.reports.charts`); every bar and dot carries its exact figure in ``data-value``.

``GET /console/reports/export/<report>?from=&to=&format=csv|xlsx`` answers the API's files
(:mod:`hub.reports.export`), authorised by the console session.

Who may read: every role with ``Permission.READ``, as for the API's reports routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal, format_percent
from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from markupsafe import Markup

from hub.console.controllers import locale_of, me_of, render
from hub.console.i18n import translate
from hub.console.sections import duration_parts
from hub.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from hub.core.money import MoneyWire
from hub.core.validation import EARLIEST_DATE, latest_date
from hub.reports import export, service
from hub.reports.charts import Bar, Series, ValueFormat, babel_locale, bar_chart, grouped_bar_chart, line_chart
from hub.reports.schemas import (
    Interval,
    LandedCostReport,
    OrdersReport,
    Report,
    ReportPeriod,
    ReviewsReport,
    ShippingReport,
    WorkItemsReport,
)
from tenants.roles import Permission
from tenants.schemas import Principal

__all__ = ["HANDLERS", "REPORTS"]

Raw = Annotated[str | None, QueryParameter(max_length=500)]
RawFrom = Annotated[str | None, QueryParameter(name="from", max_length=500)]
RawFormat = Annotated[str | None, QueryParameter(name="format", max_length=500)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = ("csv", "xlsx")


async def _orders(principal: Principal, period: ReportPeriod, interval: Interval) -> Report:
    return await service.orders_report(principal, period, interval=interval)


def _without_interval(
    build: Callable[[Principal, ReportPeriod], Awaitable[Report]],
) -> Callable[[Principal, ReportPeriod, Interval], Awaitable[Report]]:
    async def run(principal: Principal, period: ReportPeriod, interval: Interval) -> Report:
        del interval
        return await build(principal, period)

    return run


REPORTS: dict[str, Callable[[Principal, ReportPeriod, Interval], Awaitable[Report]]] = {
    "orders": _orders,
    "reviews": _without_interval(service.reviews_report),
    "landed-cost": _without_interval(service.landed_cost_report),
    "shipping": _without_interval(service.shipping_report),
    "work-items": _without_interval(service.work_items_report),
}
"""The report names of the API's routes, each with the service function that builds it."""


def _may_read(request: Request[Any, Any, Any]) -> Principal:
    me = me_of(request)
    if not me.may(Permission.READ.value):
        raise PermissionDenied("your role may not read reports")
    return me.principal


def _period_message(error: FieldError, locale: str, typed_from: str | None) -> str:
    """A period error in the reader's language, chosen by its code (never by its English text)."""
    code = error.code if isinstance(error, service.PeriodFieldError) else ""
    if code == "not_a_date":
        return translate("A date like 2026-12-24.", locale)
    if code == "out_of_range":
        return translate("A date from {earliest} to {latest}.", locale).format(
            earliest=EARLIEST_DATE.isoformat(), latest=latest_date().isoformat()
        )
    if code == "before_from":
        return translate("On or after the first day ({first}).", locale).format(first=typed_from or "")
    if code == "too_long":
        return translate("A report covers at most {n} days.", locale).format(n=service.MAX_DAYS)
    return error.message


def _check(
    principal: Principal, raw_from: str | None, raw_to: str | None, raw_interval: str | None, locale: str
) -> tuple[ReportPeriod | None, Interval, dict[str, list[str]]]:
    """The period and interval the form asks for, or the errors beside each field."""
    errors: dict[str, list[str]] = {}
    period: ReportPeriod | None = None
    interval: Interval = "day"
    try:
        period = service.period_for(principal, raw_from or None, raw_to or None)
    except ValidationFailed as exc:
        for error in exc.errors:
            errors.setdefault(error.field, []).append(_period_message(error, locale, raw_from))
    try:
        interval = service.check_interval(raw_interval)
    except ValidationFailed:
        errors.setdefault("interval", []).append(translate("Day or week.", locale))
    return period, interval, errors


# --- what the page draws ------------------------------------------------------------------------


def _amount(value: MoneyWire) -> Decimal:
    return Decimal(value.amount)


def _route(carrier: str, destination: str) -> str:
    return f"{carrier} → {destination}"


class Charts:
    """The charts of the five reports, worded in ``locale``."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.empty = translate("No data for this period", locale)

    def label(self, prefix: str, value: str) -> str:
        return translate(f"{prefix}:{value}", self.locale)

    def _bar(self, chart_id: str, title: str, desc: str, bars: list[Bar], fmt: ValueFormat | None = None) -> Markup:
        svg = bar_chart(
            chart_id, title, desc, bars, locale=self.locale, fmt=fmt or ValueFormat(), series="value", empty=self.empty
        )
        return Markup(svg)  # noqa: S704  (charts.py escapes every text it writes)

    def _grouped(
        self,
        chart_id: str,
        title: str,
        desc: str,
        categories: list[tuple[str, str]],
        series: list[Series],
        *,
        fmt: ValueFormat | None = None,
        stacked: bool = False,
    ) -> Markup:
        svg = grouped_bar_chart(
            chart_id,
            title,
            desc,
            categories,
            series,
            locale=self.locale,
            fmt=fmt or ValueFormat(),
            stacked=stacked,
            empty=self.empty,
        )
        return Markup(svg)  # noqa: S704  (charts.py escapes every text it writes)

    def _line(
        self, chart_id: str, title: str, desc: str, buckets: list[dt.date], series: list[Series], fmt: ValueFormat
    ) -> Markup:
        svg = line_chart(chart_id, title, desc, buckets, series, locale=self.locale, fmt=fmt, empty=self.empty)
        return Markup(svg)  # noqa: S704  (charts.py escapes every text it writes)

    def orders(self, report: OrdersReport) -> dict[str, Any]:
        locale = self.locale
        buckets = [bucket.start for bucket in report.series]
        weekly = report.interval == "week"
        count_title = (
            translate("Orders received per week", locale) if weekly else translate("Orders received per day", locale)
        )
        revenue_title = (
            translate("Revenue per week ({currency})", locale)
            if weekly
            else translate("Revenue per day ({currency})", locale)
        )
        charts = [
            self._line(
                "orders.series",
                count_title,
                translate("Orders received in each day or week of the period.", locale),
                buckets,
                [
                    Series(
                        "orders",
                        translate("Orders", locale),
                        {b.start.isoformat(): b.orders for b in report.series},
                    )
                ],
                ValueFormat(),
            )
        ]
        for total in report.revenue:
            code = total.currency
            zero = service.money(0, code)
            values: dict[str, Decimal | int] = {}
            for bucket in report.series:
                found = next((m for m in bucket.revenue if m.currency == code), zero)
                values[bucket.start.isoformat()] = _amount(found)
            charts.append(
                self._line(
                    f"orders.revenue.{code}",
                    revenue_title.format(currency=code),
                    translate("Order totals in one currency, without cancelled or rejected orders.", locale),
                    buckets,
                    [Series(f"revenue:{code}", code, values)],
                    ValueFormat(kind="currency", currency=code),
                )
            )
        charts.append(
            self._bar(
                "orders.by_channel",
                translate("Orders by channel", locale),
                translate("Orders received in the period, per sales channel.", locale),
                [Bar(row.channel, self.label("channel", row.channel), row.orders) for row in report.by_channel],
            )
        )
        charts.append(
            self._bar(
                "orders.by_status",
                translate("Orders by status", locale),
                translate("Orders received in the period, under their status now.", locale),
                [Bar(row.key, self.label("status", row.key), row.count) for row in report.by_status],
            )
        )
        return {"charts": charts}

    def reviews(self, report: ReviewsReport) -> dict[str, Any]:
        locale = self.locale
        kinds = [(row.kind, self.label("change", row.kind)) for row in report.change_requests]
        parts = (("applied", "cr"), ("rejected", "cr"), ("pending", "cr"))
        return {
            "charts": [
                self._bar(
                    "reviews.outcomes",
                    translate("Review outcomes", locale),
                    translate("What the first review of each order decided: approved, or held and why.", locale),
                    [Bar(row.key, self.label("status", row.key), row.count) for row in report.outcomes],
                ),
                self._bar(
                    "reviews.hold_reasons",
                    translate("Hold reasons", locale),
                    translate("The blocking findings of the held orders (an order may have several).", locale),
                    [Bar(row.key, self.label("hold", row.key), row.count) for row in report.hold_reasons],
                ),
                self._grouped(
                    "reviews.change_requests",
                    translate("Change requests by kind", locale),
                    translate("Change requests filed in the period: applied, rejected and pending.", locale),
                    kinds,
                    [
                        Series(
                            name,
                            self.label(context, name),
                            {row.kind: getattr(row, name) for row in report.change_requests},
                        )
                        for name, context in parts
                    ],
                    stacked=True,
                ),
            ]
        }

    def landed_cost(self, report: LandedCostReport) -> dict[str, Any]:
        locale = self.locale
        charts = []
        currencies = sorted({row.currency for row in report.by_destination})
        for code in currencies:
            rows = [row for row in report.by_destination if row.currency == code]
            charts.append(
                self._grouped(
                    f"landed-cost.by_destination.{code}",
                    translate("Duties, taxes and fees by destination ({currency})", locale).format(currency=code),
                    translate("From the latest quote of each order received in the period.", locale),
                    [(row.destination, row.destination) for row in rows],
                    [
                        Series(part, label, {row.destination: _amount(getattr(row, part)) for row in rows})
                        for part, label in (
                            ("duty", translate("Duty", locale)),
                            ("tax", translate("Taxes", locale)),
                            ("fee", translate("Fees", locale)),
                        )
                    ],
                    fmt=ValueFormat(kind="currency", currency=code),
                    stacked=True,
                )
            )
        for code in sorted({row.currency for row in report.by_chapter}):
            rows_by_chapter = [row for row in report.by_chapter if row.currency == code]
            charts.append(
                self._bar(
                    f"landed-cost.by_chapter.{code}",
                    translate("Duty by HS chapter ({currency})", locale).format(currency=code),
                    translate("Duty of the quoted lines, by the first two digits of their HS code.", locale),
                    [Bar(row.chapter, row.chapter, _amount(row.duty)) for row in rows_by_chapter],
                    ValueFormat(kind="currency", currency=code),
                )
            )
        if not charts:
            charts.append(
                self._bar(
                    "landed-cost.by_destination",
                    translate("Duties, taxes and fees by destination", locale),
                    translate("From the latest quote of each order received in the period.", locale),
                    [],
                )
            )
        return {"charts": charts}

    def shipping(self, report: ShippingReport) -> dict[str, Any]:
        locale = self.locale
        rated = [row for row in report.by_carrier_destination if row.on_time_rate is not None]
        return {
            "charts": [
                self._bar(
                    "shipping.on_time",
                    translate("On-time rate by carrier and destination", locale),
                    translate("Delivered no later than the requested date, of the shipments with one.", locale),
                    [
                        Bar(f"{row.carrier}/{row.destination}", _route(row.carrier, row.destination), Decimal(rate))
                        for row in rated
                        if (rate := row.on_time_rate) is not None
                    ],
                    ValueFormat(kind="percent"),
                ),
                self._bar(
                    "shipping.exceptions",
                    translate("Exceptions by reason", locale),
                    translate("Shipments booked in the period that had an exception, per reason.", locale),
                    [Bar(row.key, self.label("reason", row.key), row.count) for row in report.exceptions],
                ),
                self._bar(
                    "shipping.by_status",
                    translate("Shipments by status", locale),
                    translate("Shipments booked in the period, under their status now.", locale),
                    [Bar(row.key, self.label("ship", row.key), row.count) for row in report.by_status],
                ),
            ]
        }

    def work_items(self, report: WorkItemsReport, names: dict[str, str]) -> dict[str, Any]:
        locale = self.locale
        kinds = [(row.kind, self.label("wi", row.kind)) for row in report.open_by_sla]
        return {
            "charts": [
                self._grouped(
                    "work-items.open_by_sla",
                    translate("Open work items by kind", locale),
                    translate("Open now, whatever the period; breached: past their SLA.", locale),
                    kinds,
                    [
                        Series("open", translate("Open", locale), {row.kind: row.open for row in report.open_by_sla}),
                        Series(
                            "breached",
                            translate("Past their SLA", locale),
                            {row.kind: row.breached for row in report.open_by_sla},
                        ),
                    ],
                ),
                self._bar(
                    "work-items.by_clerk",
                    translate("Resolved by clerk", locale),
                    translate("Work items resolved in the period, by who resolved them.", locale),
                    [Bar(row.clerk, names.get(row.clerk, row.clerk), row.resolved) for row in report.by_clerk],
                ),
                self._bar(
                    "work-items.returns_by_status",
                    translate("Returns by status", locale),
                    translate("Returns requested in the period, under their status now.", locale),
                    [Bar(row.key, self.label("rma", row.key), row.count) for row in report.returns_by_status],
                ),
            ]
        }


def _clerk_names(report: WorkItemsReport, locale: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in report.by_clerk:
        if row.name:
            found[row.clerk] = row.name
        elif row.clerk.startswith("key:"):
            found[row.clerk] = translate("API key", locale) + " …" + row.clerk[-6:]
        elif row.clerk.startswith("system:"):
            found[row.clerk] = translate("system", locale) + f" ({row.clerk[7:]})"
    return found


def _formats(locale: str) -> dict[str, Any]:
    """The page's figure formats (CLDR, the reader's locale): counts, shares, durations."""
    where = babel_locale(locale)

    def num(value: int) -> str:
        return format_decimal(value, locale=where)

    def pct(value: str | None) -> str:
        return "–" if value is None else format_percent(Decimal(value), format="#,##0.#%", locale=where)

    return {"num": num, "pct": pct, "duration": duration_parts}


# --- the pages ----------------------------------------------------------------------------------


@get("/reports")
async def reports_page(
    request: Request[Any, Any, Any], from_: RawFrom = None, to: Raw = None, interval: Raw = None
) -> Template:
    principal = _may_read(request)
    locale = locale_of(request, principal)
    period, chosen, errors = _check(principal, from_, to, interval, locale)
    values = {"from": from_ or "", "to": to or "", "interval": interval or "day"}
    if errors or period is None:
        return render(
            request,
            "reports.html",
            status=422,
            errors=errors,
            values=values,
            period=None,
            reports=None,
            **_formats(locale),
        )
    values = {"from": period.from_date.isoformat(), "to": period.to_date.isoformat(), "interval": chosen}
    orders = await service.orders_report(principal, period, interval=chosen)
    reviews = await service.reviews_report(principal, period)
    landed = await service.landed_cost_report(principal, period)
    shipping = await service.shipping_report(principal, period)
    work = await service.work_items_report(principal, period)
    names = _clerk_names(work, locale)
    charts = Charts(locale)
    query = {"from": values["from"], "to": values["to"]}
    exports = {
        name: {
            fmt: f"/console/reports/export/{name}?"
            + urlencode({**query, **({"interval": chosen} if name == "orders" else {}), "format": fmt})
            for fmt in EXPORT_FORMATS
        }
        for name in REPORTS
    }
    return render(
        request,
        "reports.html",
        errors={},
        values=values,
        period=period,
        reports={
            "orders": {"data": orders, **charts.orders(orders)},
            "reviews": {"data": reviews, **charts.reviews(reviews)},
            "landed-cost": {"data": landed, **charts.landed_cost(landed)},
            "shipping": {"data": shipping, **charts.shipping(shipping)},
            "work-items": {"data": work, **charts.work_items(work, names)},
        },
        exports=exports,
        clerk_names=names,
        **_formats(locale),
    )


@get("/reports/export/{report:str}")
async def export_report(
    request: Request[Any, Any, Any],
    report: FromPath[str],
    from_: RawFrom = None,
    to: Raw = None,
    interval: Raw = None,
    format_: RawFormat = None,
) -> Response[bytes]:
    """The report as the API's CSV or XLSX file, for the signed-in user's tenant."""
    principal = _may_read(request)
    build = REPORTS.get(report)
    if build is None:
        raise NotFound("no such report")
    locale = locale_of(request, principal)
    period, chosen, errors = _check(principal, from_, to, interval, locale)
    if format_ not in EXPORT_FORMATS:
        errors.setdefault("format", []).append(translate("CSV or XLSX.", locale))
    if errors or period is None:
        raise ValidationFailed(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items()),
            errors=[FieldError(field, " ".join(messages)) for field, messages in errors.items()],
        )
    built = await build(principal, period, chosen)
    stem = f"{report}-{period.from_date.isoformat()}-{period.to_date.isoformat()}"
    if format_ == "csv":
        return Response(
            export.to_csv(built),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    return Response(
        export.to_xlsx(built), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'}
    )


HANDLERS = [reports_page, export_report]
