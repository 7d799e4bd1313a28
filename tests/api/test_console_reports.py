"""The console's reports page through the ASGI app: a signed-in user sees the API's figures for the
same period (tables and every chart's ``data-value``), another tenant's orders never appear, a bad
period comes back beside its field, the CSV and XLSX exports are the API's, and the Chinese page reads
in Chinese with CLDR formats."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from hub.reports import service
from tenants import service as tenant_service
from tenants import users
from tenants.roles import Role
from tests.api.test_console import PASSWORD, make_user, sign_in
from tests.api.test_orders import _catalog, _order
from tests.api.test_reports import _csv_sections, _tenant_in, _usd_order, _xlsx_sections
from tests.api.test_returns import _request, _shipped
from tests.conftest import TenantHandle

pytestmark = pytest.mark.api

REPORTS = ("orders", "reviews", "landed-cost", "shipping", "work-items")
SVG = re.compile(r'<svg [^>]*data-chart="([^"]*)" data-empty="(true|false)"[^>]*>(.*?)</svg>', re.S)
MARK = re.compile(r'data-key="([^"]*)" data-series="([^"]*)" data-value="([^"]*)"')


def charts_of(page: str) -> dict[str, list[tuple[str, str, str]]]:
    """Each chart of a page (by ``data-chart``) with its marks: (data-key, data-series, data-value)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for chart_id, _, body in SVG.findall(page):
        found[html.unescape(chart_id)] = [
            (html.unescape(key), html.unescape(series), value) for key, series, value in MARK.findall(body)
        ]
    return found


def _money_in(items: list[dict[str, str]], currency: str) -> str:
    for item in items:
        if item["currency"] == currency:
            return item["amount"]
    return service.money(0, currency).amount


def expected_figure(reports: dict[str, dict[str, Any]], chart: str, series: str, key: str) -> str:
    """What the API's JSON says a chart's bar or dot is: the figure as the API writes it."""
    name, _, rest = chart.partition(".")
    report = reports[name]
    part, _, currency = rest.partition(".")
    if chart == "orders.series":
        return str(next(b["orders"] for b in report["series"] if b["start"] == key))
    if part == "revenue":
        return _money_in(next(b["revenue"] for b in report["series"] if b["start"] == key), currency)
    if part in ("by_channel",):
        return str(next(r["orders"] for r in report["by_channel"] if r["channel"] == key))
    if part in ("by_status", "outcomes", "hold_reasons", "exceptions", "returns_by_status"):
        return str(next(r["count"] for r in report[part] if r["key"] == key))
    if part == "change_requests":
        return str(next(r[series] for r in report["change_requests"] if r["kind"] == key))
    if part == "by_destination":
        row = next(r for r in report["by_destination"] if r["destination"] == key and r["currency"] == currency)
        return str(row[series]["amount"])
    if part == "by_chapter":
        row = next(r for r in report["by_chapter"] if r["chapter"] == key and r["currency"] == currency)
        return str(row["duty"]["amount"])
    if part == "on_time":
        carrier, destination = key.split("/")
        return str(
            next(
                r["on_time_rate"]
                for r in report["by_carrier_destination"]
                if (r["carrier"], r["destination"]) == (carrier, destination)
            )
        )
    if part == "open_by_sla":
        return str(next(r[series] for r in report["open_by_sla"] if r["kind"] == key))
    if part == "by_clerk":
        return str(next(r["resolved"] for r in report["by_clerk"] if r["clerk"] == key))
    raise AssertionError(f"unknown chart {chart}")


def check_charts_match(page: str, reports: dict[str, dict[str, Any]]) -> int:
    """Every bar and dot of the page equals the API's figure; returns how many were compared."""
    compared = 0
    for chart, marks in charts_of(page).items():
        for key, series, value in marks:
            assert value == expected_figure(reports, chart, series, key), (chart, series, key)
            compared += 1
    return compared


async def api_reports(
    client: httpx.AsyncClient, tenant: TenantHandle, params: dict[str, str]
) -> dict[str, dict[str, Any]]:
    found = {}
    for name in REPORTS:
        response = await client.get(f"/v1/reports/{name}", params=params, headers=tenant.headers(Role.VIEWER))
        assert response.status_code == 200, response.text
        found[name] = response.json()
    return found


async def seed(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Something for every report: a delivered shipment with a return, orders in two currencies and
    two channels, one held for approval, a quote, a work item resolved and one still open."""
    delivered, _, _ = await _shipped(client, tenant)  # the catalog, two orders, one quoted, shipped, delivered
    for body in (
        _order(
            external_ref=f"TEL-{uuid.uuid4().hex[:6]}",
            channel="manual",
            channel_detail="phone",
            lines=[{"sku": "TS-RED-M", "quantity": 1}],
        ),
        _order(**_usd_order(f"USD-{uuid.uuid4().hex[:6]}")),
        _order(external_ref=f"RUSH-{uuid.uuid4().hex[:6]}", rush=True),
    ):
        created = await client.post("/v1/orders", json=body, headers=tenant.headers())
        assert created.status_code == 201, created.text
    returned = await _request(client, tenant, delivered["id"], [{"line_no": 1, "quantity": 1, "condition": "used"}])
    assert returned.status_code == 201, returned.text
    for description in ("Print peels off", "Wrong colour"):
        item = await client.post(
            "/v1/work-items",
            json={"order_id": delivered["id"], "kind": "quality", "description": description},
            headers=tenant.headers(Role.CLERK),
        )
        assert item.status_code == 201, item.text
    resolved = await client.post(
        f"/v1/work-items/{item.json()['id']}/resolve", json={"resolution": "replaced"}, headers=tenant.headers()
    )
    assert resolved.status_code == 200, resolved.text


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


async def test_a_clerk_sees_the_apis_figures_in_tables_and_charts(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await seed(client, tenant)
    assert (await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))).status_code == 303
    page = await browser.get("/console/reports")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'href="/console/reports" class="on"' in text  # the navigation link
    reports = await api_reports(client, tenant, {})  # the same default period: the last 30 days
    assert reports["orders"]["period"]["days"] == service.DEFAULT_DAYS
    assert reports["orders"]["orders"] == 5

    charts = charts_of(text)
    assert {"orders.series", "orders.revenue.EUR", "orders.revenue.USD", "orders.by_channel"} <= set(charts)
    assert "reviews.hold_reasons" in charts
    assert "landed-cost.by_destination.EUR" in charts
    assert check_charts_match(text, reports) >= 2 * service.DEFAULT_DAYS + 6
    # Every day of the period is a dot; every channel and status a bar.
    assert [k for k, _, _ in charts["orders.series"]] == [b["start"] for b in reports["orders"]["series"]]
    assert {k for k, _, _ in charts["orders.by_channel"]} == {r["channel"] for r in reports["orders"]["by_channel"]}
    assert {k for k, _, _ in charts["orders.by_status"]} == {r["key"] for r in reports["orders"]["by_status"]}
    assert {k for k, _, _ in charts["reviews.hold_reasons"]} == {"rush"}
    assert ("DE", "duty", reports["landed-cost"]["by_destination"][0]["duty"]["amount"]) in charts[
        "landed-cost.by_destination.EUR"
    ]
    # The shipment, the return and the work items are drawn too.
    assert {k for k, _, _ in charts["shipping.by_status"]} == {"delivered"}
    assert [(k, v) for k, _, v in charts["work-items.returns_by_status"]] == [("requested", "1")]
    assert len(charts["work-items.by_clerk"]) == 1
    assert ("quality", "open", "1") in charts["work-items.open_by_sla"]

    # The tables say the same, formatted for the reader.
    assert '<strong data-testid="orders-total">5</strong>' in text
    revenue = text[text.index('data-testid="orders-revenue"') :][:300]
    eur = Decimal(_money_in(reports["orders"]["revenue"], "EUR"))
    assert f"€{eur:,.2f}" in revenue
    assert "US$17.50" in revenue or "$17.50" in revenue
    assert f'<strong data-testid="reviews-held">{reports["reviews"]["held"]}</strong>' in text
    assert f'<strong data-testid="landed-quoted">{reports["landed-cost"]["orders_quoted"]}</strong>' in text
    # Export links carry the period shown.
    period = reports["orders"]["period"]
    assert f"/console/reports/export/orders?from={period['from']}&amp;to={period['to']}&amp;interval=day" in text

    weekly = await browser.get("/console/reports", params={"interval": "week", "from": "2026-11-01", "to": _today()})
    assert weekly.status_code == 200
    week_reports = await api_reports(client, tenant, {"from": "2026-11-01", "to": _today()})
    week_orders = (
        await client.get(
            "/v1/reports/orders",
            params={"interval": "week", "from": "2026-11-01", "to": _today()},
            headers=tenant.headers(),
        )
    ).json()
    week_reports["orders"] = week_orders
    assert check_charts_match(weekly.text, week_reports) > 0
    assert [k for k, _, _ in charts_of(weekly.text)["orders.series"]] == [b["start"] for b in week_orders["series"]]


async def test_another_tenants_orders_never_appear(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await seed(client, tenant)
    assert (await sign_in(browser, other_tenant, await make_user(other_tenant, Role.OWNER))).status_code == 303
    page = (await browser.get("/console/reports")).text
    assert '<strong data-testid="orders-total">0</strong>' in page
    assert '<strong data-testid="landed-quoted">0</strong>' in page
    charts = charts_of(page)
    assert charts, "the page draws its charts, empty ones included"
    assert all(marks == [] for marks in charts.values()), "no bar or dot of another tenant's figures"
    assert page.count('data-empty="true"') == len(charts)
    assert "No data for this period" in page
    for name in REPORTS:
        exported = await browser.get(
            f"/console/reports/export/{name}", params={"from": _today(), "to": _today(), "format": "csv"}
        )
        assert exported.status_code == 200
        mine = await client.get(
            f"/v1/reports/{name}",
            params={"from": _today(), "to": _today(), "format": "csv"},
            headers=other_tenant.headers(),
        )
        assert exported.content == mine.content
    summary = {r["metric"]: r["value"] for r in _csv_sections(exported.content)["summary"]}
    assert summary["opened"] == "0"
    orders_csv = await browser.get(
        "/console/reports/export/orders", params={"from": _today(), "to": _today(), "format": "csv"}
    )
    assert _csv_sections(orders_csv.content)["by_channel"] == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        pytest.param({"from": "2026-13-01"}, "from", "A date like 2026-12-24.", id="from-month-13"),
        pytest.param({"to": "yesterday"}, "to", "A date like 2026-12-24.", id="to-not-a-date"),
        pytest.param({"from": "1999-12-31", "to": "2000-01-05"}, "from", "A date from 2000-01-01 to", id="before-2000"),
        pytest.param(
            {"from": "2026-03-10", "to": "2026-03-09"},
            "to",
            "On or after the first day (2026-03-10).",
            id="to-before-from",
        ),
        pytest.param(
            {"from": "2025-01-01", "to": "2026-01-02"}, "to", "A report covers at most 366 days.", id="367-days"
        ),
        pytest.param({"interval": "month"}, "interval", "Day or week.", id="interval"),
    ],
)
async def test_a_bad_period_is_shown_beside_its_field(
    browser: httpx.AsyncClient, tenant: TenantHandle, params: dict[str, str], field: str, message: str
) -> None:
    assert (await sign_in(browser, tenant, await make_user(tenant, Role.VIEWER))).status_code == 303
    page = await browser.get("/console/reports", params=params)
    assert page.status_code == 422
    errors = re.findall(r'<div class="err" data-field="([^"]+)">([^<]*)</div>', page.text)
    assert [name for name, _ in errors] == [field]
    assert errors[0][1].startswith(message)
    assert 'data-testid="report-errors"' in page.text
    assert "data-chart=" not in page.text
    for name, value in params.items():  # what was typed stays in the form
        if name != "interval":
            assert f'name="{name}" type="date" value="{value}"' in page.text


async def test_the_chinese_page_reads_in_chinese(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await seed(client, tenant)
    assert (await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))).status_code == 303
    await browser.get("/console/lang/zh_Hans")
    params = {"from": "2026-11-02", "to": _today()}
    page = (await browser.get("/console/reports", params=params)).text
    assert "报表" in page
    assert "2026年11月2日" in page  # the period, CLDR's long Chinese date
    assert "11月2日" in charts_axis(page)
    assert "Nov 2" not in page
    for english in ("Orders by channel", "No data for this period", "Hold reasons", "Download"):
        assert english not in page, english
    assert check_charts_match(page, await api_reports(client, tenant, params)) > 0
    bad = await browser.get("/console/reports", params={"from": "2026-03-10", "to": "2026-03-09"})
    assert bad.status_code == 422
    assert "不能早于开始日期（2026-03-10）" in bad.text
    assert (await browser.get("/console/lang/en")).status_code == 303
    assert "Nov 2, 2026" in (await browser.get("/console/reports", params=params)).text


def charts_axis(page: str) -> str:
    return " ".join(re.findall(r'<text class="axis-label"[^>]*>([^<]*)<', page))


async def test_exports_are_the_apis_files_and_parse_back(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await seed(client, tenant)
    assert (await sign_in(browser, tenant, await make_user(tenant, Role.APPROVER))).status_code == 303
    today = _today()
    for name in REPORTS:
        for fmt in ("csv", "xlsx"):
            params = {"from": today, "to": today, "format": fmt}
            mine = await browser.get(f"/console/reports/export/{name}", params=params)
            assert mine.status_code == 200, mine.text
            api = await client.get(f"/v1/reports/{name}", params=params, headers=tenant.headers())
            assert mine.headers["content-type"] == api.headers["content-type"]
            assert mine.headers["content-disposition"] == f'attachment; filename="{name}-{today}-{today}.{fmt}"'
            if fmt == "csv":
                assert mine.content == api.content
                sections = _csv_sections(mine.content)
            else:
                sections = _xlsx_sections(mine.content)
                assert sections == _xlsx_sections(api.content)
            if name == "orders":
                summary = {(r["metric"], r["currency"] or None): r["value"] for r in sections["summary"]}
                assert int(summary[("orders", None)]) == 5
                assert Decimal(str(summary[("revenue", "USD")])) == Decimal("17.50")


async def test_export_refusals_and_sign_in(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    signed_out = await browser.get("/console/reports/export/orders", params={"format": "csv"})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/console/login")
    assert (await browser.get("/console/reports")).status_code == 303
    assert (await sign_in(browser, tenant, await make_user(tenant, Role.VIEWER))).status_code == 303
    unknown = await browser.get("/console/reports/export/salaries", params={"format": "csv"})
    assert unknown.status_code == 404
    assert "text/html" in unknown.headers["content-type"]
    for params, word in (
        ({"format": "pdf"}, "format"),
        ({}, "format"),
        ({"format": "csv", "from": "2026-02-30"}, "from"),
        ({"format": "xlsx", "from": "2025-01-01", "to": "2026-01-02"}, "to"),
    ):
        refused = await browser.get("/console/reports/export/orders", params=params)
        assert refused.status_code == 422, params
        assert "text/html" in refused.headers["content-type"]
        assert word in refused.text
    too_long = await browser.get("/console/reports", params={"from": "x" * 600})
    assert too_long.status_code == 400
    assert "text/html" in too_long.headers["content-type"]
    del client


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_that_reads_orders_sees_reports(
    browser: httpx.AsyncClient, tenant: TenantHandle, role: Role
) -> None:
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    await users.create_user(tenant.id, email, "Report Reader", role, PASSWORD)
    assert (await sign_in(browser, tenant, email)).status_code == 303
    page = await browser.get(
        "/console/reports", params={"from": (datetime.now(UTC) - timedelta(days=6)).date().isoformat()}
    )
    assert page.status_code == 200
    assert 'href="/console/reports"' in page.text
    assert len(charts_of(page.text)) >= 10


async def test_a_persons_name_is_escaped_in_the_chart_and_the_table(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Names are the tenant's own text: a clerk called like a script tag is drawn as text."""
    await _catalog(client, tenant)
    order = await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    assert order.status_code == 201, order.text
    hostile = '<script>alert(1)</script> "Li" & Co'
    email = f"clerk-{uuid.uuid4().hex[:8]}@example.com"
    person = await users.create_user(tenant.id, email, hostile, Role.CLERK, PASSWORD)
    key = (await tenant_service.create_api_key(tenant.id, Role.CLERK, "clerk key", person)).api_key
    as_person = {"Authorization": f"Bearer {key}"}
    item = await client.post(
        "/v1/work-items",
        json={"order_id": order.json()["id"], "kind": "quality", "description": "seam"},
        headers=as_person,
    )
    assert item.status_code == 201, item.text
    done = await client.post(
        f"/v1/work-items/{item.json()['id']}/resolve", json={"resolution": "ok"}, headers=as_person
    )
    assert done.status_code == 200, done.text
    assert (await sign_in(browser, tenant, email)).status_code == 303
    page = (await browser.get("/console/reports")).text
    assert "<script>" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; {quote}Li{quote} &amp; Co"
    assert escaped.format(quote="&#34;") in page  # the table (Jinja's escaping)
    assert escaped.format(quote="&quot;") in page  # the chart's label (charts.py's escaping)
    assert charts_of(page)["work-items.by_clerk"] == [(f"user:{person}", "value", "1")]
    assert check_charts_match(page, await api_reports(client, tenant, {})) > 0


async def test_the_default_period_is_the_last_30_days_in_the_tenants_zone(browser: httpx.AsyncClient) -> None:
    # UTC+14 is a day ahead of UTC from 10:00 UTC, UTC-11 a day behind until 11:00: one always differs.
    zone = next(
        z
        for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
        if datetime.now(ZoneInfo(z)).date() != datetime.now(UTC).date()
    )
    tenant = await _tenant_in(zone)
    assert (await sign_in(browser, tenant, await make_user(tenant, Role.VIEWER))).status_code == 303
    page = (await browser.get("/console/reports")).text
    today = datetime.now(ZoneInfo(zone)).date()
    first = today - timedelta(days=service.DEFAULT_DAYS - 1)
    assert f'name="to" type="date" value="{today.isoformat()}"' in page
    assert f'name="from" type="date" value="{first.isoformat()}"' in page
    assert f"in the time zone {zone}." in page
    series = charts_of(page)["orders.series"]
    assert series == []  # nothing yet: the empty chart
