"""``GET /v1/reports/...``: parse the period and format, call the report, answer JSON, CSV or XLSX.

Who may read: every role that may read orders (``Permission.READ``: owner, admin, clerk, approver,
viewer), as for ``GET /v1/orders``; a report shows no more than the orders list already does.

Query parameters: ``from``, ``to`` (YYYY-MM-DD, inclusive days in the tenant's time zone; default
the last 30 days up to today; at most 366 days), ``interval`` (``day`` or ``week``, orders only) and
``format`` (``json``, ``csv`` or ``xlsx``). A bad value is a 422 naming the parameter (checked by the
service, not by Litestar, whose errors would name the Python argument ``from_``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.types import ControllerRouterHandler

from hub.core.errors import ValidationFailed
from hub.reports import export, service
from hub.reports.schemas import (
    LandedCostReport,
    OrdersReport,
    Report,
    ReportFormat,
    ReportPeriod,
    ReviewsReport,
    ShippingReport,
    WorkItemsReport,
)
from tenants.guards import principal_of, requires
from tenants.roles import Permission
from tenants.schemas import Principal

From = Annotated[
    str | None,
    QueryParameter(name="from", description="first day, YYYY-MM-DD (default: 29 days before to)"),
]
To = Annotated[str | None, QueryParameter(name="to", description="last day, YYYY-MM-DD (default: today)")]
Format = Annotated[str | None, QueryParameter(name="format", description="json (default), csv or xlsx")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS: tuple[ReportFormat, ...] = ("json", "csv", "xlsx")


def check_format(raw: str | None) -> ReportFormat:
    if raw is None or raw == "":
        return "json"
    for known in FORMATS:
        if raw == known:
            return known
    raise ValidationFailed.single("format", f"unknown format {service.quoted(raw)}: use json, csv or xlsx")


def _checked(*checks: Callable[[], Any]) -> list[Any]:
    """Run every check; one 422 names every bad parameter at once (before any query runs)."""
    results: list[Any] = []
    errors = []
    for check in checks:
        try:
            results.append(check())
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return results


def _doc(report: type[Any]) -> ResponseSpec:
    return ResponseSpec(
        data_container=report,
        description="The report as JSON; with format=csv or format=xlsx, a file of the same tables",
    )


async def _answer(
    request: Request[Any, Any, Any],
    name: str,
    raw_from: str | None,
    raw_to: str | None,
    raw_format: str | None,
    build: Callable[[Principal, ReportPeriod], Awaitable[Report]],
    *,
    interval: str | None = None,
    with_interval: bool = False,
) -> Response[bytes]:
    principal = principal_of(request)
    checks: list[Callable[[], Any]] = [
        lambda: service.period_for(principal, raw_from, raw_to),
        lambda: check_format(raw_format),
    ]
    if with_interval:
        checks.append(lambda: service.check_interval(interval))
    period, chosen, *_ = _checked(*checks)
    report = await build(principal, period)
    stem = f"{name}-{period.from_date.isoformat()}-{period.to_date.isoformat()}"
    if chosen == "csv":
        return Response(
            export.to_csv(report),
            # Litestar appends "; charset=utf-8" to any text/* type.
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    if chosen == "xlsx":
        return Response(
            export.to_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
        )
    return Response(msgspec.json.encode(report), media_type="application/json")


class ReportController(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    opt = requires(Permission.READ)

    @get("/orders", operation_id="GetOrdersReport", responses={200: _doc(OrdersReport)})
    async def orders(
        self,
        request: Request[Any, Any, Any],
        from_: From = None,
        to: To = None,
        interval: Annotated[str | None, QueryParameter(description="day (default) or week")] = None,
        format_: Format = None,
    ) -> Response[bytes]:
        """Orders received per day or week, by channel and status; revenue per currency."""

        async def build(principal: Principal, period: ReportPeriod) -> Report:
            return await service.orders_report(principal, period, interval=service.check_interval(interval))

        return await _answer(request, "orders", from_, to, format_, build, interval=interval, with_interval=True)

    @get("/reviews", operation_id="GetReviewsReport", responses={200: _doc(ReviewsReport)})
    async def reviews(
        self, request: Request[Any, Any, Any], from_: From = None, to: To = None, format_: Format = None
    ) -> Response[bytes]:
        """Review outcomes: auto-approved vs held, hold reasons, approval lead time, change requests by kind."""
        return await _answer(request, "reviews", from_, to, format_, service.reviews_report)

    @get("/landed-cost", operation_id="GetLandedCostReport", responses={200: _doc(LandedCostReport)})
    async def landed_cost(
        self, request: Request[Any, Any, Any], from_: From = None, to: To = None, format_: Format = None
    ) -> Response[bytes]:
        """Duties, taxes and fees by destination and HS chapter; what the seller bears (DDP)."""
        return await _answer(request, "landed-cost", from_, to, format_, service.landed_cost_report)

    @get("/shipping", operation_id="GetShippingReport", responses={200: _doc(ShippingReport)})
    async def shipping(
        self, request: Request[Any, Any, Any], from_: From = None, to: To = None, format_: Format = None
    ) -> Response[bytes]:
        """On-time delivery by carrier and destination, transit time, exceptions, customs holds, stale shipments."""
        return await _answer(request, "shipping", from_, to, format_, service.shipping_report)

    @get("/work-items", operation_id="GetWorkItemsReport", responses={200: _doc(WorkItemsReport)})
    async def work_items(
        self, request: Request[Any, Any, Any], from_: From = None, to: To = None, format_: Format = None
    ) -> Response[bytes]:
        """Work items open by SLA and breached, resolution time per clerk; returns and refunds."""
        return await _answer(request, "work-items", from_, to, format_, service.work_items_report)


ROUTES: list[ControllerRouterHandler] = [ReportController]
