"""Tenant settings drive the review (price policy, auto-approval) and the exporter on documents."""

from __future__ import annotations

import httpx

from tenants.roles import Role
from tests.api.test_documents import EXPORTER
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle


async def test_policy_and_auto_approval_follow_the_settings(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    denied = await client.patch(
        "/v1/tenant/settings", json={"max_discount_percent": "30"}, headers=tenant.headers(Role.CLERK)
    )
    assert denied.status_code == 403
    updated = await client.patch(
        "/v1/tenant/settings",
        json={"max_discount_percent": "30", "auto_approve_clean_orders": False, "exporter": EXPORTER},
        headers=tenant.headers(),
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["settings"]["max_discount_percent"] == "30"
    # 25 % under list is now within policy, and a clean order waits in review for a clerk.
    cheap = _order(lines=[{"sku": "TS-RED-M", "quantity": 1, "unit_price": {"amount": "14.90", "currency": "EUR"}}])
    order = (await client.post("/v1/orders", json=cheap, headers=tenant.headers())).json()
    assert order["status"] == "in_review"
    assert not any(f["code"] == "price_below_policy" for f in order["findings"])
    # The stored exporter is used when a document request names none.
    document = await client.post(
        f"/v1/orders/{order['id']}/documents", json={"type": "packing_list"}, headers=tenant.headers()
    )
    assert document.status_code == 202, document.text


async def test_bad_settings_are_refused(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for body, field in (
        ({"max_discount_percent": "150"}, "max_discount_percent"),
        ({"max_discount_percent": "abc"}, "max_discount_percent"),
    ):
        response = await client.patch("/v1/tenant/settings", json=body, headers=tenant.headers())
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    unknown = await client.patch("/v1/tenant/settings", json={"colour": "red"}, headers=tenant.headers())
    assert unknown.status_code in (400, 422)
