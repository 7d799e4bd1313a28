"""Carrier accounts: write-only secrets encrypted at rest, webhook URL, validation, roles, tenancy."""

from __future__ import annotations

import logging

import httpx
import pytest

from hub.core.database import fetch, tenant_tx
from hub.core.settings import Settings
from tenants.roles import Role
from tests.conftest import TenantHandle

API_KEY = "EZTK_live_very_secret_api_key_0123456789"
WEBHOOK_SECRET = "whsec-carrier-topsecret-9876"


async def test_create_easypost_account_never_returns_or_logs_secrets(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        "/v1/carrier-accounts",
        json={
            "carrier": "easypost",
            "name": "EasyPost main",
            "credentials": {"api_key": API_KEY},
            "webhook_secret": WEBHOOK_SECRET,
            "options": {"carrier_accounts": ["ca_1"]},
        },
        headers=tenant.headers(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["carrier"] == "easypost"
    assert body["name"] == "EasyPost main"
    assert body["options"] == {"carrier_accounts": ["ca_1"]}
    assert body["webhook_secret_set"] is True
    prefix = f"{test_settings.public_base_url}/webhooks/tracking/easypost/"
    assert body["webhook_url"].startswith(prefix)
    assert len(body["webhook_url"].removeprefix(prefix)) >= 40  # token_urlsafe(32)
    assert "credentials" not in body
    assert "webhook_secret" not in body
    assert API_KEY not in response.text
    assert WEBHOOK_SECRET not in response.text

    listed = await client.get("/v1/carrier-accounts", headers=tenant.headers())
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["items"]] == [body["id"]]
    assert API_KEY not in listed.text
    assert WEBHOOK_SECRET not in listed.text

    # Encrypted at rest: the stored columns do not contain the clear values.
    async with tenant_tx(tenant.id):
        rows = await fetch(
            "SELECT credentials_encrypted, webhook_secret_encrypted FROM carrier_accounts WHERE tenant_id = {}",
            tenant.id,
        )
    stored = str(rows[0])
    assert API_KEY not in stored
    assert WEBHOOK_SECRET not in stored
    assert rows[0]["credentials_encrypted"].startswith("v1:")

    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert API_KEY not in logged
    assert WEBHOOK_SECRET not in logged


async def test_unknown_carrier_is_422_naming_the_field(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await client.post(
        "/v1/carrier-accounts", json={"carrier": "pigeon", "name": "x"}, headers=tenant.headers()
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "carrier"


async def test_missing_credentials_are_422_without_echoing_values(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    response = await client.post(
        "/v1/carrier-accounts",
        json={"carrier": "easypost", "name": "x", "credentials": {"other": "value-xyz"}},
        headers=tenant.headers(),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "credentials"
    assert "value-xyz" not in response.text


async def test_bad_option_is_422(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await client.post(
        "/v1/carrier-accounts",
        json={"carrier": "sandbox", "name": "x", "options": {"simulate_tracking": "yes"}},
        headers=tenant.headers(),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "options.simulate_tracking"


@pytest.mark.parametrize(
    "base_url", ["http://169.254.169.254/latest", "http://127.0.0.1:6379", "http://localhost:8000", "ftp://x", 42]
)
async def test_a_base_url_on_the_hubs_own_network_is_422(
    client: httpx.AsyncClient, tenant: TenantHandle, base_url: object
) -> None:
    """The carrier's API is called with the tenant's credentials: never at the hub's own network (SSRF)."""
    response = await client.post(
        "/v1/carrier-accounts",
        json={
            "carrier": "easypost",
            "name": "x",
            "credentials": {"api_key": "EZTK_x"},
            "options": {"base_url": base_url},
        },
        headers=tenant.headers(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "options.base_url"
    pinned = await client.post(
        "/v1/carrier-accounts",
        json={
            "carrier": "aftership",
            "name": "pinned",
            "credentials": {"api_key": "as_x"},
            "options": {"base_url": "https://api.aftership.com/tracking/2026-07"},
        },
        headers=tenant.headers(),
    )
    assert pinned.status_code == 201, pinned.text


async def test_sandbox_account_gets_a_generated_secret(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await client.post(
        "/v1/carrier-accounts", json={"carrier": "sandbox", "name": "Sandbox"}, headers=tenant.headers()
    )
    assert response.status_code == 201
    assert response.json()["webhook_secret_set"] is True
    assert response.json()["webhook_url"].split("/webhooks/tracking/")[1].startswith("sandbox/")


async def test_only_managers_handle_accounts_and_tenants_are_walled(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    for role in (Role.CLERK, Role.VIEWER):
        denied = await client.post(
            "/v1/carrier-accounts", json={"carrier": "sandbox", "name": "x"}, headers=tenant.headers(role)
        )
        assert denied.status_code == 403
        assert (await client.get("/v1/carrier-accounts", headers=tenant.headers(role))).status_code == 403
    assert (await client.get("/v1/carrier-accounts")).status_code == 401
    created = await client.post(
        "/v1/carrier-accounts", json={"carrier": "sandbox", "name": "mine"}, headers=tenant.headers(Role.ADMIN)
    )
    assert created.status_code == 201
    theirs = await client.get("/v1/carrier-accounts", headers=other_tenant.headers())
    assert theirs.json()["items"] == []


async def test_create_is_idempotent(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    body = {"carrier": "sandbox", "name": "Same"}
    headers = tenant.headers(**{"Idempotency-Key": "acct-1"})
    first = await client.post("/v1/carrier-accounts", json=body, headers=headers)
    again = await client.post("/v1/carrier-accounts", json=body, headers=headers)
    assert first.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    listed = await client.get("/v1/carrier-accounts", headers=tenant.headers())
    assert len(listed.json()["items"]) == 1
