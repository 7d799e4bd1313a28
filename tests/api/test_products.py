"""Products: the first tenant resource, validation, pagination, roles."""

from __future__ import annotations

from typing import Any

import httpx

from tenants.roles import Role
from tests.conftest import TenantHandle

PRODUCT = {
    "sku": "TS-RED-M",
    "name": "T-shirt red M",
    "customs_description": "Men's cotton knitted T-shirt",
    "hs_code": "6109.10",
    "origin_country": "cn",
    "unit_price": {"amount": "19.90", "currency": "EUR"},
    "weight_kg": "0.2",
}


async def test_create_get_patch_product(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    created = await client.post("/v1/products", json=PRODUCT, headers=tenant.headers(Role.CLERK))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["hs_code"] == "610910"
    assert body["origin_country"] == "CN"
    # At least the currency's decimals, never numeric(19,4)'s padding: "19.90", not "19.9" or "19.9000".
    assert body["unit_price"] == {"amount": "19.90", "currency": "EUR"}

    fetched = await client.get(f"/v1/products/{body['id']}", headers=tenant.headers(Role.VIEWER))
    assert fetched.status_code == 200
    assert fetched.json()["sku"] == "TS-RED-M"

    patched = await client.patch(
        f"/v1/products/{body['id']}",
        json={"unit_price": {"amount": "21.00", "currency": "EUR"}, "hs_code": None},
        headers=tenant.headers(Role.CLERK),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["unit_price"]["amount"] == "21.00"
    assert patched.json()["hs_code"] is None
    assert patched.json()["name"] == "T-shirt red M"


async def test_duplicate_sku_is_a_conflict(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    assert (await client.post("/v1/products", json=PRODUCT, headers=tenant.headers())).status_code == 201
    again = await client.post("/v1/products", json=PRODUCT, headers=tenant.headers())
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_cursor_pagination_walks_every_product_once(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for index in range(5):
        response = await client.post(
            "/v1/products", json={**PRODUCT, "sku": f"SKU-{index}"}, headers=tenant.headers(Role.CLERK)
        )
        assert response.status_code == 201
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/products", params=params, headers=tenant.headers(Role.VIEWER))).json()
        seen.extend(item["sku"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"SKU-{i}" for i in range(5)]
    assert len(seen) == 5


async def test_viewer_cannot_write(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await client.post("/v1/products", json=PRODUCT, headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 403
    assert response.json()["type"].endswith("/permission-denied")


async def test_approver_cannot_write_catalog(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await client.post("/v1/products", json=PRODUCT, headers=tenant.headers(Role.APPROVER))
    assert response.status_code == 403


async def test_a_unit_price_finer_than_4_decimals_is_refused_not_cut(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The column holds 4 decimals: PostgreSQL cut 0.00005 to 0.0001 (or 0.0000) without a word."""
    fine = {"amount": "0.00005", "currency": "EUR"}
    created = await client.post("/v1/products", json={**PRODUCT, "unit_price": fine}, headers=tenant.headers())
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["field"] == "unit_price.amount"
    product = (await client.post("/v1/products", json=PRODUCT, headers=tenant.headers())).json()
    patched = await client.patch(f"/v1/products/{product['id']}", json={"unit_price": fine}, headers=tenant.headers())
    assert patched.status_code == 422, patched.text
    assert patched.json()["errors"][0]["field"] == "unit_price.amount"
    kept = (await client.get(f"/v1/products/{product['id']}", headers=tenant.headers())).json()
    assert kept["unit_price"]["amount"] == "19.90"
    four = await client.post(
        "/v1/products",
        json={**PRODUCT, "sku": "CHIP", "unit_price": {"amount": "0.0005", "currency": "EUR"}},
        headers=tenant.headers(),
    )
    assert four.status_code == 201, four.text
    assert four.json()["unit_price"]["amount"] == "0.0005"
