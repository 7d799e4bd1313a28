"""Customers: create, read, patch, list, upsert by code at intake, validation, tenant walls."""

from __future__ import annotations

import httpx

from tenants.roles import Role
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle


async def test_customer_lifecycle(client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle) -> None:
    created = await client.post(
        "/v1/customers",
        json={"code": "C-1", "name": "Li Wei", "phone": "138 0013 8000", "country": "CN"},
        headers=tenant.headers(Role.CLERK),
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["phone"] == "+8613800138000"
    patched = await client.patch(
        f"/v1/customers/{customer['id']}", json={"email": "li@example.cn"}, headers=tenant.headers()
    )
    assert patched.json()["email"] == "li@example.cn"
    assert patched.json()["phone"] == "+8613800138000"
    assert (
        await client.post("/v1/customers", json={"code": "C-1", "name": "x"}, headers=tenant.headers())
    ).status_code == 409
    bad = await client.post("/v1/customers", json={"code": "C-2", "name": "x", "email": "no"}, headers=tenant.headers())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "email"
    assert (await client.get(f"/v1/customers/{customer['id']}", headers=other_tenant.headers())).status_code == 404
    listing = (await client.get("/v1/customers", params={"q": "li"}, headers=tenant.headers(Role.VIEWER))).json()
    assert [c["code"] for c in listing["items"]] == ["C-1"]


async def test_intake_upserts_the_customer_by_code(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(external_ref="U-1"), headers=tenant.headers())
    changed = _order(external_ref="U-2")
    changed["customer"] = {**changed["customer"], "name": "Anna Schmidt-Meyer"}
    await client.post("/v1/orders", json=changed, headers=tenant.headers())
    listing = (await client.get("/v1/customers", headers=tenant.headers())).json()["items"]
    assert len(listing) == 1
    assert listing[0]["name"] == "Anna Schmidt-Meyer"
