"""Shopify orders/create webhooks: HMAC verified per tenant, mapped, redeliveries answered without duplicates.

The payload follows the order object of Shopify's REST Admin API documentation (trimmed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import httpx

from hub.orders import shopify
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle

PAYLOAD = (Path(__file__).parent.parent / "fixtures" / "shopify" / "orders_create.json").read_bytes()
SECRET = "shpss_0123456789abcdef0123"


def _sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


async def _connect(client: httpx.AsyncClient, tenant: TenantHandle) -> str:
    response = await client.post(
        "/v1/shopify-connections",
        json={"shop_domain": "acme.myshopify.com", "webhook_secret": SECRET},
        headers=tenant.headers(),
    )
    assert response.status_code == 201, response.text
    assert SECRET not in response.text
    return "/" + response.json()["webhook_url"].split("/", 3)[3]


async def test_signed_order_is_taken_in_once(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    path = await _connect(client, tenant)
    headers = {"X-Shopify-Hmac-Sha256": _sign(PAYLOAD), "Content-Type": "application/json"}
    first = await client.post(path, content=PAYLOAD, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    order = (await client.get(f"/v1/orders/{first.json()['order_id']}", headers=tenant.headers())).json()
    assert order["channel"] == "shopify"
    assert order["external_ref"] == "820982911946154508"
    assert order["entered_by"] == "channel:shopify"
    assert order["ship_to"]["country"] == "DE"
    # 19.90 + 2 x 5.00 - 1.00 discount + 10.00 shipping
    assert order["totals"]["total"]["amount"] == "38.90"
    again = await client.post(path, content=PAYLOAD, headers=headers)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    listing = (await client.get("/v1/orders", params={"channel": "shopify"}, headers=tenant.headers())).json()
    assert len(listing["items"]) == 1


async def test_wrong_or_missing_hmac_stores_nothing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    path = await _connect(client, tenant)
    forged = await client.post(path, content=PAYLOAD, headers={"X-Shopify-Hmac-Sha256": _sign(PAYLOAD, "wrong-secret")})
    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/problem+json")
    missing = await client.post(path, content=PAYLOAD)
    assert missing.status_code == 401
    tampered = await client.post(
        path, content=PAYLOAD.replace(b"19.90", b"0.01"), headers={"X-Shopify-Hmac-Sha256": _sign(PAYLOAD)}
    )
    assert tampered.status_code == 401
    for refused in (forged, missing, tampered):
        # A signature problem, not an API-key one: the sender must not go looking for a key.
        assert refused.json()["title"] == "The webhook signature is not valid"
        assert refused.json()["type"] == "https://orderhub.dev/problems/invalid-signature"
    german = await client.post(
        path,
        content=PAYLOAD,
        headers={"X-Shopify-Hmac-Sha256": _sign(PAYLOAD, "wrong-secret"), "Accept-Language": "de"},
    )
    assert german.json()["title"] == "Die Webhook-Signatur ist ungültig"
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []


async def test_a_non_ascii_hmac_header_is_401_not_500(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    path = await _connect(client, tenant)
    # Latin-1 bytes reach the handler as non-ASCII text, which str compare_digest refuses to compare.
    for raw in (b"\xe9\xe9", _sign(PAYLOAD)[:-1].encode() + b"\xe9"):
        response = await client.post(path, content=PAYLOAD, headers={"X-Shopify-Hmac-Sha256": raw})
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []


async def test_unknown_endpoint_and_bad_bodies(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    path = await _connect(client, tenant)
    unknown = await client.post(
        "/webhooks/shopify/not-a-token", content=PAYLOAD, headers={"X-Shopify-Hmac-Sha256": _sign(PAYLOAD)}
    )
    assert unknown.status_code == 404
    junk = b"{not json"
    bad = await client.post(path, content=junk, headers={"X-Shopify-Hmac-Sha256": _sign(junk)})
    assert bad.status_code == 400
    huge = b"{" + b" " * (600 * 1024) + b"}"
    too_big = await client.post(path, content=huge, headers={"X-Shopify-Hmac-Sha256": _sign(huge)})
    assert too_big.status_code == 413
    no_lines = b'{"id": 1, "currency": "EUR", "line_items": []}'
    empty = await client.post(path, content=no_lines, headers={"X-Shopify-Hmac-Sha256": _sign(no_lines)})
    assert empty.status_code == 422


async def test_signed_bodies_with_wrongly_typed_fields_get_a_4xx(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Found by the API fuzz: these validly signed bodies were 500s in the mapping."""
    path = await _connect(client, tenant)
    for payload in (
        b'{"shipping_address": "x"}',
        b'{"shipping_lines": ["x"]}',
        b'{"shipping_lines": [{"price": "abc"}]}',
        b'{"id": 5, "currency": "EUR", "line_items": [{"title": "x", "quantity": "2", "price": {"a": 1}}]}',
        b'{"id": 6, "currency": "EUR", "customer": [], "line_items": "none"}',
    ):
        response = await client.post(path, content=payload, headers={"X-Shopify-Hmac-Sha256": _sign(payload)})
        assert 400 <= response.status_code < 500, (payload, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    priced = await client.post(
        path,
        content=b'{"shipping_lines": [{"price": "abc"}]}',
        headers={"X-Shopify-Hmac-Sha256": _sign(b'{"shipping_lines": [{"price": "abc"}]}')},
    )
    assert priced.json()["errors"][0]["field"] == "shipping_lines[0].price"


async def test_conflicts_keep_the_problem_status_an_integer(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Found by the API fuzz: an extension member named status overwrote RFC 9457's."""
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=tenant.headers())
    again = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=tenant.headers())
    assert again.status_code == 409
    assert again.json()["status"] == 409
    assert again.json()["current_status"] == "cancelled"
    huge = await client.put("/v1/stock/HUGE", json={"on_hand": 3007921147099667}, headers=tenant.headers())
    assert huge.status_code == 422
    assert huge.json()["errors"][0]["field"] == "on_hand"


def test_the_shopify_id_is_stripped_like_every_channels_reference() -> None:
    """Spaces around the id would make a second reference; spaces alone are no id, as an absent one is."""
    payload = json.loads(PAYLOAD)
    assert shopify.to_order({**payload, "id": " 820982911946154508 "}).external_ref == "820982911946154508"
    assert shopify.to_order({**payload, "id": "   "}).external_ref is None


async def test_discount_codes_reach_the_order_through_their_allocations(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Shopify puts what a discount code takes off in ``discount_allocations`` (per line item, per
    shipping line); ``total_discount`` is deprecated and stays "0.00". Reading only it stored the
    order at its undiscounted price, more than the buyer paid."""
    await _catalog(client, tenant)
    path = await _connect(client, tenant)
    payload = json.loads(PAYLOAD)
    payload["id"] = 820982911946154509
    payload["discount_codes"] = [{"code": "SAVE10", "amount": "2.99", "type": "percentage"}]
    first, poster = payload["line_items"]
    first["discount_allocations"] = [{"amount": "1.99", "discount_application_index": 0}]
    poster["total_discount"] = "0.00"
    poster["discount_allocations"] = [{"amount": "1.00", "discount_application_index": 0}]
    payload["shipping_lines"][0]["discount_allocations"] = [{"amount": "10.00", "discount_application_index": 1}]
    body = json.dumps(payload).encode()
    response = await client.post(path, content=body, headers={"X-Shopify-Hmac-Sha256": _sign(body)})
    assert response.status_code == 200, response.text
    order = (await client.get(f"/v1/orders/{response.json()['order_id']}", headers=tenant.headers())).json()
    # 19.90 - 1.99 + 2 x 5.00 - 1.00, free shipping (10.00 - 10.00)
    assert order["totals"]["total"]["amount"] == "26.91"
    assert order["totals"]["shipping"]["amount"] == "0.00"
    assert [line["line_total"]["amount"] for line in order["lines"]] == ["17.91", "9.00"]


async def test_an_order_without_its_shopify_id_is_refused_not_stored_twice(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The id is what makes a redelivery a redelivery: without it each delivery stored another order."""
    await _catalog(client, tenant)
    path = await _connect(client, tenant)
    payload = json.loads(PAYLOAD)
    del payload["id"]
    body = json.dumps(payload).encode()
    for _ in range(2):
        response = await client.post(path, content=body, headers={"X-Shopify-Hmac-Sha256": _sign(body)})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "id"
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []


async def test_a_webhook_from_another_shop_is_refused(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """A Shopify app signs every shop's webhooks with the same app secret, so the signature alone does
    not say which shop sent it: another shop's order posted to this connection's URL was stored here."""
    await _catalog(client, tenant)
    path = await _connect(client, tenant)
    headers = {"X-Shopify-Hmac-Sha256": _sign(PAYLOAD), "X-Shopify-Shop-Domain": "rival.myshopify.com"}
    foreign = await client.post(path, content=PAYLOAD, headers=headers)
    assert foreign.status_code == 422, foreign.text
    assert foreign.headers["content-type"].startswith("application/problem+json")
    assert foreign.json()["errors"][0]["field"] == "X-Shopify-Shop-Domain"
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []
    own = await client.post(path, content=PAYLOAD, headers={**headers, "X-Shopify-Shop-Domain": "ACME.myshopify.com"})
    assert own.status_code == 200, own.text
