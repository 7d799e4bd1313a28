"""Shopify order webhooks: HMAC verified per tenant, mapped, redeliveries answered without duplicates,
and handled by topic: only orders/create makes an order; orders/cancelled cancels, orders/updated files
change requests, every other topic is ignored.

The payload follows the order object of Shopify's REST Admin API documentation (trimmed); a
cancellation or an update carries the same order object with ``cancelled_at``/``cancel_reason`` or
the edited fields.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.core.database import fetch, tenant_tx
from hub.orders import shopify
from tenants.roles import Role
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
    assert again.json() == {**first.json(), "duplicate": True, "outcome": "duplicate"}
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


# --- topics ---------------------------------------------------------------------------------------
#
# These call shopify.receive, the function the webhook route hands each delivery to, with the
# X-Shopify-Topic and X-Shopify-Webhook-Id values the route reads from the headers.


def _token(path: str) -> str:
    return path.rsplit("/", 1)[1]


async def _deliver(
    path: str, topic: str, payload: dict[str, Any] | bytes, webhook_id: str | None = None
) -> shopify.WebhookResult:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await shopify.receive(_token(path), body, _sign(body), topic=topic, webhook_id=webhook_id)


async def _shopify_order(client: httpx.AsyncClient, tenant: TenantHandle) -> tuple[str, dict[str, Any]]:
    """A connection and the fixture's order taken in through it; returns the path and the order."""
    await _catalog(client, tenant)
    path = await _connect(client, tenant)
    created = await _deliver(path, "orders/create", PAYLOAD)
    assert created.outcome == "created"
    order = (await client.get(f"/v1/orders/{created.order_id}", headers=tenant.headers())).json()
    return path, order


async def _events(client: httpx.AsyncClient, tenant: TenantHandle, order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/orders/{order_id}/events", headers=tenant.headers())
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


async def _change_requests(client: httpx.AsyncClient, tenant: TenantHandle, order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/orders/{order_id}/change-requests", headers=tenant.headers())
    assert response.status_code == 200, response.text
    requests: list[dict[str, Any]] = response.json()
    return requests


async def _work_items(client: httpx.AsyncClient, tenant: TenantHandle) -> list[dict[str, Any]]:
    response = await client.get("/v1/work-items", headers=tenant.headers())
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _set_status(tenant: TenantHandle, order_id: str, status: str) -> None:
    """As the shipment job leaves it: the parcel is on its way (no API makes an order in_transit)."""
    async with tenant_tx(tenant.id):
        await fetch("UPDATE orders SET status = {} WHERE tenant_id = {} AND id = {}", status, tenant.id, order_id)


def _payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(json.loads(PAYLOAD))
    payload.update(changes)
    return payload


async def test_an_explicit_orders_create_topic_takes_the_order_in(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path, order = await _shopify_order(client, tenant)
    again = await _deliver(path, "orders/create", PAYLOAD)
    assert (again.outcome, again.duplicate, str(again.order_id)) == ("duplicate", True, order["id"])


async def test_orders_cancelled_cancels_the_order_through_the_normal_cancel(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path, order = await _shopify_order(client, tenant)
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 1
    cancelled = _payload(cancelled_at="2026-11-28T09:00:00-05:00", cancel_reason="customer")
    result = await _deliver(path, "orders/cancelled", cancelled, webhook_id="w-1")
    assert (result.outcome, result.status, str(result.order_id)) == ("cancelled", "cancelled", order["id"])
    now = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert now["status"] == "cancelled"
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 0
    event = next(e for e in await _events(client, tenant, order["id"]) if e["kind"] == "order.cancelled")
    assert event["actor"] == "channel:shopify"
    assert event["payload"]["reason"] == "cancelled in Shopify (customer)"
    # Shopify's retry of the same delivery, and a second cancellation: nothing more happens.
    for webhook_id in ("w-1", "w-2"):
        again = await _deliver(path, "orders/cancelled", cancelled, webhook_id=webhook_id)
        assert (again.outcome, again.duplicate) == ("already_closed", True)
    kinds = [e["kind"] for e in await _events(client, tenant, order["id"])]
    assert kinds.count("order.cancelled") == 1


async def test_a_cancellation_of_an_order_on_its_way_goes_to_a_work_item(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path, order = await _shopify_order(client, tenant)
    await _set_status(tenant, order["id"], "in_transit")
    cancelled = _payload(cancelled_at="2026-11-28T09:00:00-05:00", cancel_reason="fraud")
    result = await _deliver(path, "orders/cancelled", cancelled, webhook_id="w-9")
    assert (result.outcome, result.status) == ("cancel_not_applied", "in_transit")
    assert result.work_item_id is not None
    now = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert now["status"] == "in_transit", "a parcel on its way was marked cancelled"
    event = next(e for e in await _events(client, tenant, order["id"]) if e["kind"] == "shopify.cancel_not_applied")
    assert event["actor"] == "channel:shopify"
    assert event["payload"]["reason"] == "cancelled in Shopify (fraud)"
    assert event["payload"]["work_item_id"] == str(result.work_item_id)
    (item,) = await _work_items(client, tenant)
    assert item["id"] == str(result.work_item_id)
    assert item["order_id"] == order["id"]
    assert item["opened_by"] == "channel:shopify"
    assert "Shopify cancelled order SO-000001 (fraud)" in item["description"]
    # The same delivery again is a duplicate; another delivery of the news opens no second item.
    assert (await _deliver(path, "orders/cancelled", cancelled, webhook_id="w-9")).outcome == "duplicate"
    assert (await _deliver(path, "orders/cancelled", cancelled, webhook_id="w-10")).work_item_id is None
    assert len(await _work_items(client, tenant)) == 1


async def test_a_cancellation_or_update_of_an_unknown_order_creates_nothing(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    path = await _connect(client, tenant)
    for topic in ("orders/cancelled", "orders/updated"):
        result = await _deliver(path, topic, _payload(id=820982911946154999, cancel_reason="customer"))
        assert (result.topic, result.outcome, result.order_id) == (topic, "ignored", None)
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []


async def test_other_topics_are_answered_and_ignored(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    path = await _connect(client, tenant)
    for topic, body in (
        ("orders/paid", PAYLOAD),
        ("orders/fulfilled", PAYLOAD),
        ("orders/delete", b'{"id": 820982911946154508}'),
        ("app/uninstalled", b"not even JSON"),
        ("ORDERS/PAID", PAYLOAD),
    ):
        result = await _deliver(path, topic, body)
        assert (result.outcome, result.order_id) == ("ignored", None), topic
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []


async def test_a_signature_is_checked_before_any_topic(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    path = await _connect(client, tenant)
    body = b'{"id": 1}'
    for topic in ("orders/paid", "orders/cancelled", "orders/updated"):
        with pytest.raises(shopify.InvalidSignature):
            await shopify.receive(_token(path), body, _sign(body, "wrong-secret"), topic=topic)


async def test_orders_updated_files_an_address_change_for_a_person_to_approve(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path, order = await _shopify_order(client, tenant)
    updated = _payload()
    updated["shipping_address"] = {**updated["shipping_address"], "address1": "Unter den Linden 1", "zip": "10117"}
    result = await _deliver(path, "orders/updated", updated, webhook_id="u-1")
    assert result.outcome == "updated"
    (request,) = await _change_requests(client, tenant, order["id"])
    assert [str(i) for i in result.change_request_ids] == [request["id"]]
    assert (request["kind"], request["status"], request["requested_by"]) == ("address", "pending", "channel:shopify")
    assert request["payload"]["ship_to"]["line1"] == "Unter den Linden 1"
    event = next(e for e in await _events(client, tenant, order["id"]) if e["kind"] == "shopify.order_updated")
    assert event["payload"]["changed"] == ["address"]
    assert event["payload"]["change_request_ids"] == [request["id"]]
    # Shopify sends orders/updated for every payment or tag too: the same change is not filed twice.
    assert (await _deliver(path, "orders/updated", updated, webhook_id="u-1")).outcome == "duplicate"
    assert (await _deliver(path, "orders/updated", updated, webhook_id="u-2")).change_request_ids == []
    assert len(await _change_requests(client, tenant, order["id"])) == 1
    # Approved by a person like any change request, it changes the order.
    approved = await client.post(
        f"/v1/change-requests/{request['id']}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER)
    )
    assert approved.status_code == 200, approved.text
    now = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert now["ship_to"]["line1"] == "Unter den Linden 1"
    # Now the order says what Shopify says: a further update files nothing.
    assert (await _deliver(path, "orders/updated", updated, webhook_id="u-3")).change_request_ids == []


async def test_orders_updated_files_changed_quantities_and_changed_lines(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path, order = await _shopify_order(client, tenant)
    more = _payload()
    more["line_items"][1]["quantity"] = 3  # the poster: 2 -> 3
    result = await _deliver(path, "orders/updated", more)
    (quantity,) = await _change_requests(client, tenant, order["id"])
    assert [str(i) for i in result.change_request_ids] == [quantity["id"]]
    assert (quantity["kind"], quantity["payload"]) == ("quantity", {"quantities": {"2": 3}})
    rejected = await client.post(
        f"/v1/change-requests/{quantity['id']}/reject", json={"reason": "no"}, headers=tenant.headers(Role.APPROVER)
    )
    assert rejected.status_code == 200, rejected.text
    # A person said no: the same quantities in the next update are not filed again.
    assert (await _deliver(path, "orders/updated", more)).change_request_ids == []
    # An order edit removed the poster (current_quantity 0): the line set changed.
    edited = _payload()
    edited["line_items"][1]["current_quantity"] = 0
    result = await _deliver(path, "orders/updated", edited)
    lines = next(r for r in await _change_requests(client, tenant, order["id"]) if r["kind"] == "lines")
    assert [str(i) for i in result.change_request_ids] == [lines["id"]]
    assert [line["sku"] for line in lines["payload"]["lines"]] == ["TS-RED-M"]


async def test_orders_updated_without_a_change_is_only_recorded(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path, order = await _shopify_order(client, tenant)
    result = await _deliver(path, "orders/updated", _payload(tags="paid, vip"), webhook_id="u-1")
    assert (result.outcome, result.change_request_ids, result.work_item_id) == ("updated", [], None)
    assert await _change_requests(client, tenant, order["id"]) == []
    event = next(e for e in await _events(client, tenant, order["id"]) if e["kind"] == "shopify.order_updated")
    assert event["payload"]["changed"] == []
    now = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert now["version"] == order["version"]


async def test_an_update_the_order_can_no_longer_take_goes_to_a_work_item(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path, order = await _shopify_order(client, tenant)
    await _set_status(tenant, order["id"], "delivered")
    updated = _payload()
    updated["shipping_address"] = {**updated["shipping_address"], "city": "Potsdam", "zip": "14467"}
    result = await _deliver(path, "orders/updated", updated)
    assert (result.outcome, result.change_request_ids) == ("updated", [])
    assert result.work_item_id is not None
    (item,) = await _work_items(client, tenant)
    assert "could not be filed" in item["description"]
    assert "address" in item["description"]
    event = next(e for e in await _events(client, tenant, order["id"]) if e["kind"] == "shopify.order_updated")
    assert event["payload"]["not_filed"][0]["kind"] == "address"
    # The same news again opens no second item.
    assert (await _deliver(path, "orders/updated", updated)).work_item_id is None
    assert len(await _work_items(client, tenant)) == 1


async def test_a_cancellation_without_an_id_is_refused(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    path = await _connect(client, tenant)
    with pytest.raises(shopify.ValidationFailed) as refused:
        await _deliver(path, "orders/cancelled", {"cancel_reason": "customer"})
    assert refused.value.errors[0].field == "id"
