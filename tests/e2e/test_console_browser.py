"""The clerk console in a real browser (Debian's Chromium through Playwright), with JavaScript off.

The app runs under uvicorn in a subprocess on a free 127.0.0.1 port, built with
``create_app(test_settings, services)`` against the test database and Redis; users are seeded from
the test process. A clerk-owner signs in, enters a rush order by hand, finds it in the queue, is
refused approving it (four-eyes), and an approver approves it. Screenshots of the main pages are
saved under ``test_settings.data_dir / "screenshots"``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import msgspec
import pytest
from playwright.async_api import Page, async_playwright

from hub.core.bootstrap import Services
from hub.core.settings import Settings
from tenants import users
from tenants.roles import Role
from tests.conftest import TenantHandle

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
STARTUP_SECONDS = 60
SERVER = """
import os, sys, msgspec, uvicorn
from hub.app import create_app
from hub.core.bootstrap import Services
from hub.core.settings import Settings
from pathlib import Path
settings = msgspec.json.decode(os.environ["CONSOLE_E2E_SETTINGS"], type=Settings, dec_hook=lambda t, v: Path(v))
services = msgspec.json.decode(os.environ["CONSOLE_E2E_SERVICES"], type=Services)
uvicorn.run(create_app(settings, services), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _start_server(settings: Settings, services: Services, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CONSOLE_E2E_SETTINGS": msgspec.json.encode(settings, enc_hook=str).decode(),
        "CONSOLE_E2E_SERVICES": msgspec.json.encode(services).decode(),
    }
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT
        )


def _read(log: Path) -> str:
    return log.read_text(errors="replace")


def _prepare(directory: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: apt-get install chromium")
    directory.mkdir(parents=True, exist_ok=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            assert process.poll() is None, _read(log)
            try:
                if (await http.get(f"{base}/health", timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
    raise AssertionError(f"the app did not start:\n{_read(log)}")


async def _sign_in(page: Page, base: str, tenant: TenantHandle, email: str) -> None:
    await page.goto(f"{base}/console/login")
    await page.fill("#tenant", tenant.slug)
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/console/queue")


async def test_console_in_a_real_browser(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, services: Services
) -> None:
    del client  # the app's lifespan owns the pool the seeding services use
    suffix = uuid.uuid4().hex[:6]
    owner_email, approver_email = f"owner-{suffix}@example.com", f"approver-{suffix}@example.com"
    await users.create_user(tenant.id, owner_email, "Wang Fang", Role.OWNER, PASSWORD)
    await users.create_user(tenant.id, approver_email, "Anna Approver", Role.APPROVER, PASSWORD)
    shots = test_settings.data_dir / "screenshots"
    _prepare(shots)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = test_settings.data_dir / f"console-e2e-{port}.log"
    process = _start_server(test_settings, services, port, log)
    try:
        await _wait_until_up(base, process, log)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                viewport = {"width": 1366, "height": 768}
                clerk = await browser.new_context(viewport=viewport, java_script_enabled=False)  # type: ignore[arg-type]
                page = await clerk.new_page()
                await page.goto(f"{base}/console/login")
                await page.screenshot(path=shots / "01-sign-in.png", full_page=True)
                await _sign_in(page, base, tenant, owner_email)
                assert f"Tenant {tenant.slug}" in await page.inner_text("[data-testid=tenant-name]")
                assert await page.inner_text("[data-testid=role]") == "Owner"

                # A rush order taken over the phone, with one mistake first.
                await page.click("text=New order")
                await page.select_option("#channel_detail", "phone")
                await page.fill("#external_ref", f"TEL-{suffix}")
                await page.check("input[name=rush]")
                for selector, value in {
                    "customer.code": "C-88",
                    "customer.name": "李伟",
                    "customer.email": "li@example",
                    "ship_to.name": "Li Wei",
                    "ship_to.line1": "Hauptstr. 5",
                    "ship_to.postal_code": "10115",
                    "ship_to.city": "Berlin",
                    "ship_to.country": "DE",
                    "shipping": "8.00",
                    "lines[0].name": "Tea cup",
                    "lines[0].quantity": "2",
                    "lines[0].unit_price": "12.50",
                    "lines[0].hs_code": "691110",
                    "lines[0].origin_country": "CN",
                    "lines[0].weight_kg": "0.3",
                }.items():
                    await page.fill(f'[name="{selector}"]', value)
                await page.click("text=Save order")
                assert await page.locator('[data-field="customer.email"]').count() == 1
                await page.screenshot(path=shots / "02-new-order-with-error.png", full_page=True)
                await page.fill('[name="customer.email"]', "li@example.com")
                await page.click("text=Save order")
                await page.wait_for_url(f"{base}/console/orders/*")
                number = (await page.inner_text("h1")).split()[1]

                # It waits in the queue, with what blocks it.
                await page.click("text=Review queue")
                row = page.locator("[data-testid=queue] tr", has_text=number)
                assert await row.count() == 1
                assert "Rush order: needs approval." in await row.inner_text()
                await page.screenshot(path=shots / "03-review-queue.png", full_page=True)
                await row.locator("a").first.click()
                await page.wait_for_url(f"{base}/console/orders/*")
                order_url = page.url

                # The person who entered it may not approve it.
                await page.click("[data-testid=approve]")
                error = await page.inner_text("[data-testid=error]")
                assert "four-eyes" in error
                assert await page.inner_text("[data-testid=status]") == "Awaiting approval"
                await page.screenshot(path=shots / "04-own-order-refused.png", full_page=True)

                await page.click("text=Settings")
                assert await page.locator("[data-testid=keys] tbody tr").count() >= 1
                await page.screenshot(path=shots / "05-settings.png", full_page=True)
                await page.click("text=中文")
                await page.wait_for_url(f"{base}/console/settings")
                await page.click("text=审核队列")
                await page.screenshot(path=shots / "06-queue-zh.png", full_page=True)
                await page.click("text=退出")
                await page.wait_for_url(f"{base}/console/login")

                # Another person approves it.
                approver_context = await browser.new_context(viewport=viewport, java_script_enabled=False)  # type: ignore[arg-type]
                second = await approver_context.new_page()
                await _sign_in(second, base, tenant, approver_email)
                await second.goto(order_url)
                await second.fill("#approve-reason", "rush agreed with the customer")
                await second.click("[data-testid=approve]")
                await second.wait_for_url(order_url)
                assert await second.inner_text("[data-testid=status]") == "Approved"
                timeline = await second.inner_text("[data-testid=timeline]")
                assert "Anna Approver" in timeline
                assert "Wang Fang" in timeline
                await second.screenshot(path=shots / "07-approved-by-another.png", full_page=True)
            finally:
                await browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    print(f"console screenshots: {shots}")
