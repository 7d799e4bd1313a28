"""Documents, labels and tracking in the console, in Debian's Chromium with JavaScript off.

The same harness as ``test_console_browser.py`` (uvicorn subprocess on the test services). An owner
sets the exporter and a sandbox carrier account in Settings, quotes duties for a DDP order, generates
a commercial invoice (the ``render_document`` job runs in this process), downloads the PDF through the
browser, books a label, and sees the signed sandbox tracking events posted to the hub's webhook on
the order page; the customs hold becomes a work item on the Exceptions page and is resolved there.
Screenshots go to ``test_settings.data_dir / "screenshots"`` (``1x-*.png``).
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Page, async_playwright
from pypdf import PdfReader

from carriers.base import TrackingEvent
from carriers.sandbox import mapper as sandbox_mapper
from carriers.signatures import sign_hub
from carriers.units import ShipmentStatus, TrackingReason
from hub.core.bootstrap import Services
from hub.core.settings import Settings
from tenants import users
from tenants.roles import Role
from tests.api.test_documents import EXPORTER
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle, run_outbox_jobs
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

WEBHOOK_SECRET = "console-e2e-sandbox-secret-42"


def _events(tracking: str) -> list[TrackingEvent]:
    start = datetime.now(UTC) - timedelta(hours=20)
    return [
        TrackingEvent(
            carrier="sandbox",
            tracking_number=tracking,
            status=ShipmentStatus.IN_TRANSIT,
            occurred_at=start,
            description="Picked up by the courier",
            location="Shenzhen, CN",
            carrier_event_id=f"{tracking}-01",
            raw_code="PICKED_UP",
        ),
        TrackingEvent(
            carrier="sandbox",
            tracking_number=tracking,
            status=ShipmentStatus.EXCEPTION,
            reason=TrackingReason.CUSTOMS_HOLD,
            occurred_at=start + timedelta(hours=14),
            description="Held by customs: duties to be confirmed",
            location="Frankfurt, DE",
            carrier_event_id=f"{tracking}-02",
            raw_code="CUSTOMS_HELD",
        ),
    ]


async def _fill_exporter(page: Page) -> None:
    address = EXPORTER["address"]
    assert isinstance(address, dict)
    await page.fill("#exporter-name", str(EXPORTER["name"]))
    await page.fill("#exporter-company", str(EXPORTER["company"]))
    await page.fill("#exporter-email", str(EXPORTER["email"]))
    for key, value in address.items():
        await page.fill(f"#exporter-address-{key}", str(value))
    await page.click("[data-testid=save-exporter]")


async def test_documents_labels_and_tracking_in_a_real_browser(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, services: Services
) -> None:
    owner_email = f"owner-{uuid.uuid4().hex[:6]}@example.com"
    await users.create_user(tenant.id, owner_email, "Wang Fang", Role.OWNER, PASSWORD)
    await _catalog(client, tenant)
    created = await client.post("/v1/orders", json=_order(external_ref="E2E-DOCS"), headers=tenant.headers())
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "approved"
    assert order["incoterm"] == "DDP"
    shots = test_settings.data_dir / "screenshots"
    _prepare(shots)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = test_settings.data_dir / f"console-docs-e2e-{port}.log"
    process = _start_server(test_settings, services, port, log)
    try:
        await _wait_until_up(base, process, log)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(
                    viewport={"width": 1366, "height": 768},
                    java_script_enabled=False,
                    accept_downloads=True,
                )
                page = await context.new_page()
                await _sign_in(page, base, tenant, owner_email)

                # Settings: the exporter of record and a sandbox carrier account (secrets write-only).
                await page.click("text=Settings")
                await _fill_exporter(page)
                await page.wait_for_url(f"{base}/console/settings*")
                assert "Exporter saved." in await page.inner_text("[role=status]")
                await page.select_option("#account-carrier", "sandbox")
                await page.fill("#account-name", "Sandbox EU")
                await page.fill("#account-webhook-secret", WEBHOOK_SECRET)
                await page.fill("#account-options", '{"simulate_tracking": false}')
                await page.click("[data-testid=create-account]")
                await page.wait_for_url(f"{base}/console/settings*")
                accounts = page.locator("[data-testid=carrier-accounts]")
                assert "Sandbox EU" in await accounts.inner_text()
                assert WEBHOOK_SECRET not in await page.content()
                webhook_path = urlsplit(await accounts.locator("code.url").first.inner_text()).path
                await page.screenshot(path=shots / "11-settings-exporter-and-carrier.png", full_page=True)

                # The order: duties first (DDP across a border), then the commercial invoice.
                await page.goto(f"{base}/console/orders/{order['id']}")
                await page.click("[data-testid=quote]")
                await page.wait_for_url(f"{base}/console/orders/{order['id']}*")
                assert await page.locator("[data-testid=explanation] li").count() >= 1
                assert await page.inner_text("[data-testid=payer]") == "Seller"
                await page.select_option("#document-type", "commercial_invoice")
                await page.select_option("#document-locale", "en")
                await page.click("[data-testid=generate-document]")
                await page.wait_for_url(f"{base}/console/orders/{order['id']}*")
                assert await page.inner_text("[data-testid=document-status]") == "Pending"
                assert "render_document" in await run_outbox_jobs(tenant.id, only="render_document")
                await page.reload()
                assert await page.inner_text("[data-testid=document-status]") == "Ready"
                async with page.expect_download() as downloading:
                    await page.click("[data-testid=documents] [data-testid=download-pdf]")
                download = await downloading.value
                pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
                assert pdf.startswith(b"%PDF")
                text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                assert order["number"] in text
                await page.screenshot(path=shots / "12-order-landed-cost-and-documents.png", full_page=True)
                await page.click("[data-testid=documents] >> text=Preview")
                assert order["number"] in await page.inner_text("[data-testid=document-content]")
                await page.screenshot(path=shots / "13-document-preview.png", full_page=True)

                # A label, then the carrier's signed tracking events through the public webhook.
                await page.goto(f"{base}/console/orders/{order['id']}")
                await page.fill("#book-weight", "0.8")
                await page.click("[data-testid=book-label]")
                await page.wait_for_url(f"{base}/console/orders/{order['id']}*")
                assert "Label booked" in await page.inner_text("[role=status]")
                tracking = await page.inner_text("[data-testid=tracking-number]")
                body = sandbox_mapper.build_webhook_body(_events(tracking))
                async with httpx.AsyncClient() as http:
                    posted = await http.post(
                        f"{base}{webhook_path}",
                        content=body,
                        headers={"Hub-Signature": sign_hub(WEBHOOK_SECRET, body), "Content-Type": "application/json"},
                    )
                assert posted.status_code == 202, posted.text
                await run_outbox_jobs(tenant.id)  # parse and apply the events
                await run_outbox_jobs(tenant.id)  # the order and the work item follow the shipment
                await page.reload()
                timeline = await page.inner_text("[data-testid=tracking]")
                assert timeline.index("Picked up by the courier") < timeline.index("Held by customs")
                assert "Customs hold" in timeline
                assert "Frankfurt, DE" in timeline
                assert await page.inner_text("[data-testid=shipment-status]") == "Exception"
                await page.screenshot(path=shots / "14-order-shipment-tracking.png", full_page=True)

                # The customs hold waits on the Exceptions page until a clerk resolves it.
                await page.click("text=Exceptions")
                row = page.locator("[data-testid=work-items] tr", has_text=order["number"])
                assert await row.count() == 1
                assert "Customs hold" in await row.inner_text()
                assert await page.locator("[data-testid=exception-shipments]").count() == 1
                await page.screenshot(path=shots / "15-exceptions.png", full_page=True)
                await row.locator("[data-testid=resolve]").click()
                assert await page.locator("[data-field^='resolution:']").count() == 1  # a resolution is required
                row = page.locator("[data-testid=work-items] tr", has_text=order["number"])
                await row.locator("input[name=resolution]").fill("Invoice and EORI sent to the broker")
                await row.locator("[data-testid=resolve]").click()
                await page.wait_for_url(f"{base}/console/exceptions")
                assert "resolved" in await page.inner_text("[role=status]")
                await page.click("text=中文")
                await page.wait_for_url(f"{base}/console/exceptions")
                await page.goto(f"{base}/console/orders/{order['id']}")
                await page.screenshot(path=shots / "16-order-zh.png", full_page=True)
            finally:
                await browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    print(f"console screenshots: {shots}")
