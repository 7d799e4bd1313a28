"""Issue #17 fixes that reach the API through files the hardening branch did not own.

* hub/app.py registers ``hub.bodies.check_json_body`` (item 3: text/plain JSON, a body nested 500
  levels deep, ``"quantity": "2"`` taken by Litestar's lax conversion);
* hub/orders/intake.py names the order's ``currency`` for XAU/XTS/XXX, ``shipping.currency`` for a
  shipping charge in one, and hub/orders/stock.py bounds a stock row's SKU (item 3);
* customs/schemas.py keeps the stand-alone quote's and a keyed-in FX rate's ``date`` in the window
  (item 2);
* hub/orders/order_controllers.py hands ``X-Shopify-Topic`` and ``X-Shopify-Webhook-Id`` to
  ``shopify.receive`` (item 4).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from hub.bodies import MAX_JSON_DEPTH
from hub.core.bootstrap import Services
from hub.core.settings import Settings
from tests.api.test_hardening_bodies import json_operations
from tests.api.test_orders import TSHIRT, _catalog, _order
from tests.api.test_shopify import PAYLOAD, _connect, _sign
from tests.conftest import TenantHandle

pytestmark = pytest.mark.api

PARAM = re.compile(r"\{[^}]+\}")
QUOTE: dict[str, Any] = {
    "destination_country": "DE",
    "currency": "EUR",
    "date": "2026-11-27",
    "lines": [{"description": "T-shirt", "hs_code": "610910", "quantity": 1, "unit_price": "10"}],
}


def _problem(response: httpx.Response, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in fields, fields
    return fields[field]


def _nested(depth: int) -> dict[str, Any]:
    """An object ``depth`` levels deep (itself the first level)."""
    inner: dict[str, Any] = {}
    for _ in range(depth - 1):
        inner = {"a": inner}
    return inner


# --- media type --------------------------------------------------------------------------------


async def test_every_json_route_refuses_a_body_that_says_it_is_not_json(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, services: Services
) -> None:
    walked = 0
    for method, template in json_operations(test_settings, services):
        path = PARAM.sub(str(uuid.uuid4()), template)
        for media in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"):
            response = await client.request(
                method, path, content=b"{}", headers=tenant.headers(**{"Content-Type": media})
            )
            assert response.status_code == 415, f"{method} {template} as {media}: {response.text}"
            _problem(response, 415, "Content-Type")
        walked += 1
    assert walked >= 30


async def test_json_without_a_content_type_or_with_a_json_one_is_read(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    for media in (None, "application/json", "application/json; charset=UTF-8", "application/merge-patch+json"):
        body = json.dumps({**TSHIRT, "sku": f"P-{uuid.uuid4().hex[:8]}"}).encode()
        headers = tenant.headers(**({"Content-Type": media} if media else {}))
        response = await client.post("/v1/products", content=body, headers=headers)
        assert response.status_code == 201, (media, response.text)
    plain = await client.post(
        "/v1/landed-cost/quotes", content=json.dumps(QUOTE), headers=tenant.headers(**{"Content-Type": "text/plain"})
    )
    _problem(plain, 415, "Content-Type")


# --- exact types and depth -------------------------------------------------------------------


async def test_a_string_where_a_number_or_boolean_is_declared_is_a_422_naming_it(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    body = _order()
    body["lines"][0]["quantity"] = "2"
    response = await client.post("/v1/orders", json=body, headers=tenant.headers())
    assert "got `str`" in _problem(response, 422, "lines[0].quantity")
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []
    stock = await client.put("/v1/stock/TS-RED-M", json={"on_hand": "5"}, headers=tenant.headers())
    _problem(stock, 422, "on_hand")
    flag = await client.post("/v1/orders", json=_order(rush="true"), headers=tenant.headers())
    _problem(flag, 422, "rush")


async def test_a_body_nested_past_the_limit_is_a_422_naming_its_top_field(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    for depth in (MAX_JSON_DEPTH + 1, 500):
        account = {"carrier": "sandbox", "name": "deep", "options": _nested(depth)}
        response = await client.post("/v1/carrier-accounts", json=account, headers=tenant.headers())
        assert "levels deep" in _problem(response, 422, "options")
    listed = await client.get("/v1/carrier-accounts", headers=tenant.headers())
    assert all(a["name"] != "deep" for a in listed.json()["items"]), "a refused account was stored"
    # The body is level 1: options at level 2 may nest to the limit.
    fits = {"carrier": "sandbox", "name": "fits", "options": _nested(MAX_JSON_DEPTH - 1)}
    response = await client.post("/v1/carrier-accounts", json=fits, headers=tenant.headers())
    assert response.status_code != 422 or "levels deep" not in response.text, response.text


# --- order currency, shipping currency, stock SKU --------------------------------------------


@pytest.mark.parametrize("code", ["XXX", "XAU", "XTS"])
async def test_an_order_in_a_metal_or_test_code_names_its_currency(
    client: httpx.AsyncClient, tenant: TenantHandle, code: str
) -> None:
    await _catalog(client, tenant)
    money = {"amount": "1.00", "currency": code}
    body = _order(currency=code, shipping=money, lines=[{"name": "Gold bar", "quantity": 1, "unit_price": money}])
    response = await client.post("/v1/orders", json=body, headers=tenant.headers())
    assert "not a currency" in _problem(response, 422, "currency")
    assert "not a currency" in _problem(response, 422, "shipping.currency")


@pytest.mark.parametrize("sku", ["A" * 5000, "A" * 65, "TS RED"])
async def test_a_stock_row_for_a_sku_no_catalog_could_hold_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, sku: str
) -> None:
    response = await client.put(f"/v1/stock/{sku}", json={"on_hand": 1}, headers=tenant.headers())
    _problem(response, 422, "sku")
    assert (await client.get(f"/v1/stock/{sku}", headers=tenant.headers())).status_code == 404


# --- stand-alone quote and FX rate dates ----------------------------------------------------


@pytest.mark.parametrize("sent", ["9999-01-01", "1999-12-31", "2026-13-45"])
async def test_a_standalone_quote_or_fx_rate_date_outside_the_window_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, sent: str
) -> None:
    quote = await client.post("/v1/landed-cost/quotes", json={**QUOTE, "date": sent}, headers=tenant.headers())
    _problem(quote, 422, "date")
    rate = {"base": "USD", "quote": "EUR", "rate": "0.92", "date": sent}
    fx = await client.post("/v1/fx-rates", json=rate, headers=tenant.headers())
    _problem(fx, 422, "date")


# --- Shopify topics through the route -----------------------------------------------------------


async def test_the_webhook_route_hands_the_topic_and_delivery_id_to_the_handler(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    path = await _connect(client, tenant)

    async def deliver(topic: str, payload: dict[str, Any], webhook_id: str) -> dict[str, Any]:
        body = json.dumps(payload).encode()
        headers = {"X-Shopify-Hmac-Sha256": _sign(body), "X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id}
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    order = json.loads(PAYLOAD)
    unknown = {**copy.deepcopy(order), "id": 820982911946154777}
    assert (await deliver("orders/updated", unknown, "w-0"))["outcome"] == "ignored"
    assert (await deliver("orders/paid", order, "w-1"))["outcome"] == "ignored"
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []
    created = await deliver("orders/create", order, "w-2")
    assert created["outcome"] == "created"
    cancelled = await deliver("orders/cancelled", {**order, "cancel_reason": "customer"}, "w-3")
    assert (cancelled["outcome"], cancelled["status"]) == ("cancelled", "cancelled")
    now = (await client.get(f"/v1/orders/{created['order_id']}", headers=tenant.headers())).json()
    assert now["status"] == "cancelled"
