"""The console's reports page in a real browser (Debian's Chromium through Playwright), JavaScript off.

The same harness as ``test_console_browser.py`` (uvicorn subprocess on the test services). Orders, a
quote, a delivered shipment, a return and work items are made through the running app's API; a clerk
signs in, opens Reports from the navigation, and every chart is checked to be drawn (an SVG with a
size on the page, its bars and dots too) and every ``data-value`` to equal the figure of the API's
JSON for the same period. The Chinese page carries the same figures; a period ending before it starts
is refused beside the field. Screenshots go to ``test_settings.data_dir / "screenshots"`` (``2x-*.png``).
"""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

from hub.core.bootstrap import Services
from hub.core.settings import Settings
from tenants import users
from tenants.roles import Role
from tests.api.test_console_reports import REPORTS, expected_figure, seed
from tests.conftest import TenantHandle
from tests.e2e.test_console_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    _free_port,
    _prepare,
    _sign_in,
    _start_server,
    _wait_until_up,
)


async def _api(http: httpx.AsyncClient, tenant: TenantHandle, params: dict[str, str]) -> dict[str, dict[str, Any]]:
    found = {}
    for name in REPORTS:
        response = await http.get(f"/v1/reports/{name}", params=params, headers=tenant.headers(Role.VIEWER))
        assert response.status_code == 200, response.text
        found[name] = response.json()
    return found


async def _marks_match(page: Page, reports: dict[str, dict[str, Any]]) -> int:
    """Every bar and dot on the page is drawn and carries the API's figure; returns how many."""
    charts = page.locator("svg.chart")
    assert await charts.count() >= 10
    for index in range(await charts.count()):
        box = await charts.nth(index).bounding_box()
        assert box is not None, "a chart is not drawn"
        assert box["width"] > 200
        assert box["height"] > 40
    compared = 0
    for index in range(await charts.count()):
        chart = charts.nth(index)
        chart_id = await chart.get_attribute("data-chart")
        assert chart_id
        marks = chart.locator("[data-value]")
        for n in range(await marks.count()):
            mark = marks.nth(n)
            key, series, value = (
                await mark.get_attribute("data-key"),
                await mark.get_attribute("data-series"),
                await mark.get_attribute("data-value"),
            )
            assert key is not None
            assert series is not None
            assert value == expected_figure(reports, chart_id, series, key), (chart_id, series, key)
            assert await mark.bounding_box() is not None, (chart_id, key)
            compared += 1
    return compared


async def test_reports_in_a_real_browser(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, services: Services
) -> None:
    del client  # the app's lifespan owns the pool the seeding services use
    clerk_email = f"clerk-{uuid.uuid4().hex[:6]}@example.com"
    await users.create_user(tenant.id, clerk_email, "Zhang Clerk", Role.CLERK, PASSWORD)
    shots = test_settings.data_dir / "screenshots"
    _prepare(shots)
    assert CHROMIUM.exists()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = test_settings.data_dir / f"reports-e2e-{port}.log"
    process = _start_server(test_settings, services, port, log)
    try:
        await _wait_until_up(base, process, log)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            await seed(http, tenant)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    context = await browser.new_context(
                        viewport={"width": 1366, "height": 900},
                        java_script_enabled=False,
                    )
                    page = await context.new_page()
                    await _sign_in(page, base, tenant, clerk_email)
                    await page.click("header nav >> text=Reports")
                    await page.wait_for_url(f"{base}/console/reports")
                    period = {
                        "from": await page.input_value("#report-from"),
                        "to": await page.input_value("#report-to"),
                    }
                    reports = await _api(http, tenant, period)
                    assert reports["orders"]["orders"] == 5
                    assert await page.inner_text("[data-testid=orders-total]") == "5"
                    compared = await _marks_match(page, reports)
                    assert compared >= len(reports["orders"]["series"]) * 3  # orders, EUR and USD revenue per day
                    assert await page.locator("svg.chart[data-chart='orders.revenue.USD'] circle").count() == len(
                        reports["orders"]["series"]
                    )
                    await page.screenshot(path=shots / "2x-reports-en.png", full_page=True)

                    # Weekly buckets: the same orders, fewer dots.
                    await page.select_option("#report-interval", "week")
                    await page.click("text=Show")
                    await page.wait_for_url(f"{base}/console/reports?*interval=week*")
                    weekly = await http.get(
                        "/v1/reports/orders", params={**period, "interval": "week"}, headers=tenant.headers()
                    )
                    await _marks_match(page, {**reports, "orders": weekly.json()})
                    dots = page.locator("svg.chart[data-chart='orders.series'] circle")
                    assert await dots.count() == len(weekly.json()["series"])

                    # In Chinese: the same figures, Chinese words and dates.
                    await page.click("text=中文")
                    await page.wait_for_url(f"{base}/console/reports?*")
                    assert await page.inner_text("h1") == "报表"
                    title = page.locator("svg.chart[data-chart='orders.by_channel'] text.chart-title")
                    assert await title.text_content() == "按渠道统计的订单"
                    axis = page.locator("svg.chart[data-chart='orders.series'] text.axis-label").first
                    assert "月" in (await axis.text_content() or "")
                    await _marks_match(page, {**reports, "orders": weekly.json()})
                    await page.screenshot(path=shots / "2x-reports-zh.png", full_page=True)

                    # A period that ends before it starts is refused beside the field.
                    await page.fill("#report-from", "2026-03-10")
                    await page.fill("#report-to", "2026-03-09")
                    await page.click("text=显示")
                    error = page.locator("[data-field=to]")
                    assert await error.count() == 1
                    assert "2026-03-10" in await error.inner_text()
                    assert await page.locator("svg.chart").count() == 0
                    await page.screenshot(path=shots / "2x-reports-bad-period.png", full_page=True)
                finally:
                    await browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    print(f"reports screenshots: {shots}")
