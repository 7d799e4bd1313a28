"""The orderhub command line against the test database: tenant, key and user creation as API.md spells them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from hub.core.bootstrap import Services


def _run(
    services: Services, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    orderhub = shutil.which("orderhub")
    assert orderhub
    environment = {
        **os.environ,
        "DATABASE_URL": services.owner_database_url,
        "ORDERHUB_DATA_DIR": str(tmp_path),
        **(env or {}),
    }
    return subprocess.run([orderhub, *args], env=environment, capture_output=True, text=True, timeout=120, check=False)


def test_tenant_key_and_user_creation(services: Services, tmp_path: Path, client: httpx.AsyncClient) -> None:
    del client  # the app's pool is not used here, but its services fixture is
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    created = _run(
        services,
        tmp_path,
        "tenant",
        "create",
        slug,
        "--name",
        "CLI Ltd",
        "--base-currency",
        "EUR",
        "--origin-country",
        "CN",
        "--locale",
        "zh_Hans",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    tenant = json.loads(created.stdout)
    assert tenant["api_key"].startswith("ohk_")
    uuid.UUID(tenant["tenant_id"])

    key = _run(services, tmp_path, "key", "create", "--tenant", slug, "--role", "clerk", "--json")
    assert key.returncode == 0, key.stderr
    assert json.loads(key.stdout)["api_key"].startswith("ohk_")

    user = _run(
        services,
        tmp_path,
        "user",
        "create",
        "--tenant",
        slug,
        "--email",
        "Li@Example.cn",
        "--name",
        "Li",
        "--role",
        "approver",
        "--password-env",
        "PW",
        "--json",
        env={"PW": "a-long-enough-password"},
    )
    assert user.returncode == 0, user.stderr
    assert json.loads(user.stdout)["email"] == "li@example.cn"

    again = _run(services, tmp_path, "tenant", "create", slug, "--name", "Again", "--json")
    assert again.returncode == 2
    assert "exists" in json.loads(again.stderr)["error"]
    bad = _run(
        services,
        tmp_path,
        "tenant",
        "create",
        f"x-{uuid.uuid4().hex[:6]}",
        "--name",
        "B",
        "--base-currency",
        "EURO",
        "--json",
    )
    assert bad.returncode == 2
    assert json.loads(bad.stderr)["errors"][0]["field"] == "base_currency"
    unknown = _run(services, tmp_path, "key", "create", "--tenant", "no-such-tenant", "--role", "clerk", "--json")
    assert unknown.returncode == 2


def test_serve_with_two_workers_answers_from_both_and_stops_on_sigterm(
    services: Services, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    del client
    orderhub = shutil.which("orderhub")
    assert orderhub
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DATABASE_URL": services.owner_database_url,
        "REDIS_URL": services.redis_url,
        "ORDERHUB_DATA_DIR": str(tmp_path),
        "ORDERHUB_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [orderhub, "serve", "--port", str(port), "--workers", "2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = None
        for _ in range(200):
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert ready is not None, "the server never came up"
        assert ready.status_code == 200, ready.text
        # Two worker processes (spawned children of the server; not the resource tracker) serve the port.
        children = subprocess.run(
            ["ps", "-ww", "--ppid", str(server.pid), "-o", "args="], capture_output=True, text=True, check=False
        ).stdout.splitlines()
        assert len([c for c in children if "spawn_main" in c]) == 2, children
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode is not None
    assert "Traceback" not in stderr, stderr
