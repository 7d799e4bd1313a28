"""Returns (RMA): request shipped lines, four-eyes decision, a return label on the original carrier
account, receipt with restock or write-off, exact pro-rata refunds, and the link to the export."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

from carriers.sandbox import mapper as sandbox_mapper
from carriers.signatures import sign_hub
from hub.core import outbox
from hub.core.database import fetch, tenant_tx
from hub.orders.returns import compute_refund, line_refund
from tenants.roles import Role
from tests.api.test_orders import _catalog, _order
from tests.api.test_shipping_flow import PARCELS, _setup
from tests.api.test_tracking_webhooks import SANDBOX_SECRET, timeline
from tests.conftest import TenantHandle, run_outbox_jobs

LINES = [{"sku": "TS-RED-M", "quantity": 3, "unit_price": {"amount": "19.90", "currency": "EUR"}}]


async def _shipped(
    client: httpx.AsyncClient, tenant: TenantHandle, *, deliver: bool = True
) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """An order of 3 shirts (59.70 + 12.00 shipping) shipped on a sandbox label, with a commercial invoice."""
    order, account, webhook_path = await _setup(client, tenant)
    # _setup's order has 2 units; this one has 3 (the catalog holds 10).
    order = (
        await client.post("/v1/orders", json=_order(external_ref="RMA-1", lines=LINES), headers=tenant.headers())
    ).json()
    assert order["status"] == "approved", order
    quote = await client.post(
        f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert quote.status_code == 201, quote.text
    invoice = await client.post(
        f"/v1/orders/{order['id']}/documents", json={"type": "commercial_invoice"}, headers=tenant.headers()
    )
    assert invoice.status_code == 202, invoice.text
    booked = await client.post(
        "/v1/shipments",
        json={"order_id": order["id"], "carrier_account_id": account["id"], "service": "standard", "parcels": PARCELS},
        headers=tenant.headers(),
    )
    assert booked.status_code == 201, booked.text
    shipment = booked.json()
    await run_outbox_jobs(tenant.id)
    if deliver:
        body = sandbox_mapper.build_webhook_body(timeline(shipment["tracking_number"]))
        posted = await client.post(
            webhook_path, content=body, headers={"Hub-Signature": sign_hub(SANDBOX_SECRET, body)}
        )
        assert posted.status_code == 202, posted.text
        await run_outbox_jobs(tenant.id)
        await run_outbox_jobs(tenant.id)
        assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "delivered"
    return order, shipment, invoice.json()["id"]


async def _request(
    client: httpx.AsyncClient, tenant: TenantHandle, order_id: str, lines: list[dict[str, Any]], role: Role = Role.CLERK
) -> httpx.Response:
    return await client.post(
        f"/v1/orders/{order_id}/returns",
        json={"reason": "too small", "lines": lines},
        headers=tenant.headers(role),
    )


async def _status(client: httpx.AsyncClient, tenant: TenantHandle, order_id: str) -> str:
    status: str = (await client.get(f"/v1/orders/{order_id}", headers=tenant.headers())).json()["status"]
    return status


async def _on_hand(client: httpx.AsyncClient, tenant: TenantHandle) -> int:
    on_hand: int = (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["on_hand"]
    return on_hand


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


# --- the refund rule, exactly -------------------------------------------------------------------


def test_line_refund_rounds_half_up_and_the_last_units_take_the_rest() -> None:
    assert line_refund(Decimal("0.05"), 2, 1, 0, Decimal(0), "EUR") == Decimal("0.03")  # 0.025 half-up
    assert line_refund(Decimal("0.05"), 2, 1, 1, Decimal("0.03"), "EUR") == Decimal("0.02")
    assert line_refund(Decimal("10.00"), 3, 1, 0, Decimal(0), "EUR") == Decimal("3.33")
    assert line_refund(Decimal("10.00"), 3, 1, 1, Decimal("3.33"), "EUR") == Decimal("3.33")
    assert line_refund(Decimal("10.00"), 3, 1, 2, Decimal("6.66"), "EUR") == Decimal("3.34")
    assert line_refund(Decimal("1000"), 3, 2, 0, Decimal(0), "JPY") == Decimal("667")  # JPY has no minor unit
    assert line_refund(Decimal("0.100"), 3, 1, 0, Decimal(0), "BHD") == Decimal("0.033")
    assert line_refund(Decimal("10.00"), 3, 0, 0, Decimal(0), "EUR") == Decimal(0)


def test_shipping_is_refunded_only_when_everything_comes_back() -> None:
    lines = [{"line_no": 1, "quantity": 3, "line_total": "59.70"}, {"line_no": 2, "quantity": 1, "line_total": "5.00"}]
    refunds, shipping = compute_refund("EUR", lines, Decimal("12.00"), {1: 3}, {})
    assert refunds == {1: Decimal("59.70")}
    assert shipping == 0
    refunds, shipping = compute_refund("EUR", lines, Decimal("12.00"), {1: 3, 2: 1}, {})
    assert sum(refunds.values()) + shipping == Decimal("76.70")
    # The second of two returns completes the order: it carries the shipping.
    refunds, shipping = compute_refund("EUR", lines, Decimal("12.00"), {2: 1}, {1: (3, Decimal("59.70"))})
    assert (refunds, shipping) == ({2: Decimal("5.00")}, Decimal("12.00"))


# --- the whole loop -----------------------------------------------------------------------------


async def test_return_flow_request_approve_label_receive_close(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order, shipment, invoice_id = await _shipped(client, tenant)
    stock_before = await _on_hand(client, tenant)

    requested = await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1, "condition": "damaged"}])
    assert requested.status_code == 201, requested.text
    rma = requested.json()
    assert rma["status"] == "requested"
    assert rma["order_number"] == order["number"]
    assert rma["shipment_id"] == shipment["id"]
    assert rma["refund"] == _money("19.90")
    assert rma["refund_shipping"] == _money("0.00")
    assert rma["lines"] == [
        {
            "line_no": 1,
            "sku": "TS-RED-M",
            "name": "T-shirt red M",
            "quantity": 1,
            "condition": "damaged",
            "refund": _money("19.90"),
            "received_quantity": None,
            "disposition": None,
        }
    ]
    relief = rma["relief"]
    assert relief["original_shipment_id"] == shipment["id"]
    assert relief["original_tracking_number"] == shipment["tracking_number"]
    assert relief["original_carrier"] == "sandbox"
    assert relief["commercial_invoice_id"] == invoice_id
    assert relief["lines"] == [
        {
            "line_no": 1,
            "sku": "TS-RED-M",
            "description": "T-shirt red M",
            "hs_code": "610910",
            "origin_country": "CN",
            "quantity": 1,
            "value": _money("19.90"),
        }
    ]
    assert rma["label"] is None
    assert await _status(client, tenant, order["id"]) == "return_requested"

    url = f"/v1/returns/{rma['id']}"
    # Receiving before the decision, or a label, is a state conflict.
    early = await client.post(
        f"{url}/receive",
        json={"lines": [{"line_no": 1, "quantity": 1, "disposition": "restock"}]},
        headers=tenant.headers(),
    )
    assert early.status_code == 409, early.text
    assert (await client.post(f"{url}/label", headers=tenant.headers())).status_code == 409
    # A clerk may not decide at all; the approver may.
    assert (await client.post(f"{url}/approve", json={}, headers=tenant.headers(Role.CLERK))).status_code == 403
    approved = await client.post(f"{url}/approve", json={"reason": "photos OK"}, headers=tenant.headers(Role.APPROVER))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decision_reason"] == "photos OK"
    again = await client.post(f"{url}/reject", json={}, headers=tenant.headers(Role.APPROVER))
    assert again.status_code == 409

    labelled = await client.post(f"{url}/label", headers=tenant.headers(Role.CLERK))
    assert labelled.status_code == 200, labelled.text
    label = labelled.json()["label"]
    assert labelled.json()["status"] == "label_issued"
    assert label["tracking_number"]
    assert label["tracking_number"] != shipment["tracking_number"]
    relabel = await client.post(f"{url}/label", json={}, headers=tenant.headers(Role.CLERK))
    assert relabel.json()["label"]["shipment_id"] == label["shipment_id"], "one label per return"
    booked = (await client.get(f"/v1/shipments/{label['shipment_id']}", headers=tenant.headers())).json()
    assert booked["status"] == "booked"
    assert booked["carrier_account_id"] == shipment["carrier_account_id"]
    async with tenant_tx(tenant.id):
        rows = await fetch(
            "SELECT idempotency_key, request FROM shipments WHERE tenant_id = {} AND id IN ({}, {}) ORDER BY id",
            tenant.id,
            uuid.UUID(shipment["id"]),
            uuid.UUID(label["shipment_id"]),
        )
    original, back = (
        r["request"] if isinstance(r["request"], dict) else msgspec.json.decode(r["request"]) for r in rows
    )
    assert rows[1]["idempotency_key"] == f"rma:{rma['id']}"
    assert back["ship_from"] == original["ship_to"]
    assert back["ship_to"] == original["ship_from"]
    assert back["contents_type"] == "returned_goods"
    assert [(c["hs_code"], c["quantity"], c["value"]) for c in back["customs"]] == [("610910", 1, "19.90")]
    # The label's own tracking never moves the order.
    await run_outbox_jobs(tenant.id)
    assert await _status(client, tenant, order["id"]) == "return_requested"

    received = await client.post(
        f"{url}/receive",
        json={"lines": [{"line_no": 1, "quantity": 1, "disposition": "restock"}]},
        headers=tenant.headers(Role.CLERK),
    )
    assert received.status_code == 200, received.text
    got = received.json()
    assert got["status"] == "received"
    assert got["lines"][0]["received_quantity"] == 1
    assert got["lines"][0]["disposition"] == "restock"
    assert got["refund"] == _money("19.90")
    assert await _on_hand(client, tenant) == stock_before + 1
    assert await _status(client, tenant, order["id"]) == "return_requested"  # 2 of 3 shirts are still out
    twice = await client.post(
        f"{url}/receive",
        json={"lines": [{"line_no": 1, "quantity": 1, "disposition": "restock"}]},
        headers=tenant.headers(Role.CLERK),
    )
    assert twice.status_code == 409
    assert await _on_hand(client, tenant) == stock_before + 1

    # The rest comes back: the last units take what is left of the line, and shipping is refunded.
    too_many = await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 3}])
    assert too_many.status_code == 422, too_many.text
    assert too_many.json()["errors"][0]["field"] == "lines[0].quantity"
    assert "at most 2" in too_many.json()["errors"][0]["message"]
    rest = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 2, "condition": "used"}])).json()
    assert rest["refund"] == _money("51.80")
    assert rest["refund_shipping"] == _money("12.00")
    rest_url = f"/v1/returns/{rest['id']}"
    assert (await client.post(f"{rest_url}/approve", json={}, headers=tenant.headers(Role.APPROVER))).status_code == 200
    # Goods may arrive without our label (the buyer sent them): receive straight from approved.
    written_off = await client.post(
        f"{rest_url}/receive",
        json={"lines": [{"line_no": 1, "quantity": 2, "disposition": "write_off"}]},
        headers=tenant.headers(Role.CLERK),
    )
    assert written_off.status_code == 200, written_off.text
    assert written_off.json()["refund"] == _money("51.80")
    assert await _on_hand(client, tenant) == stock_before + 1, "written-off units are not restocked"
    assert await _status(client, tenant, order["id"]) == "returned"

    assert (await client.post(f"{rest_url}/close", headers=tenant.headers(Role.CLERK))).json()["status"] == "closed"
    assert (await client.post(f"{url}/close", headers=tenant.headers(Role.CLERK))).status_code == 200
    assert (await client.post(f"{url}/close", headers=tenant.headers(Role.CLERK))).status_code == 409
    listed = (await client.get(f"/v1/orders/{order['id']}/returns", headers=tenant.headers(Role.VIEWER))).json()
    assert [r["id"] for r in listed] == [rma["id"], rest["id"]]
    assert sum(Decimal(r["refund"]["amount"]) for r in listed) == Decimal("71.70")  # 59.70 + 12.00, to the cent
    kinds = [e["kind"] for e in (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()]
    for kind in ("return.requested", "return.approved", "return.label_issued", "return.received", "return.closed"):
        assert kind in kinds
    assert "return.shipment_status" in kinds
    # Nothing left to return.
    nothing = await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}])
    assert nothing.status_code == 409


async def test_partial_receipt_refunds_what_arrived(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order, _, _ = await _shipped(client, tenant, deliver=False)
    rma = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 3}])).json()
    assert rma["refund"] == _money("71.70")  # everything: 59.70 + 12.00 shipping
    url = f"/v1/returns/{rma['id']}"
    await client.post(f"{url}/approve", json={}, headers=tenant.headers(Role.APPROVER))
    got = await client.post(
        f"{url}/receive",
        json={"lines": [{"line_no": 1, "quantity": 2, "disposition": "restock"}]},
        headers=tenant.headers(Role.CLERK),
    )
    assert got.status_code == 200, got.text
    assert got.json()["refund"] == _money("39.80")
    assert got.json()["refund_shipping"] == _money("0.00")
    assert await _status(client, tenant, order["id"]) == "return_requested"


# --- four-eyes, rejection -----------------------------------------------------------------------


async def test_nobody_decides_their_own_return_and_a_rejection_restores_the_order(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    order, _, _ = await _shipped(client, tenant)
    own = await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}], role=Role.OWNER)
    assert own.status_code == 201, own.text
    url = f"/v1/returns/{own.json()['id']}"
    for action in ("approve", "reject"):
        refused = await client.post(f"{url}/{action}", json={}, headers=tenant.headers(Role.OWNER))
        assert refused.status_code == 403, refused.text
        assert "four-eyes" in refused.json()["detail"]
    rejected = await client.post(f"{url}/reject", json={"reason": "worn"}, headers=tenant.headers(Role.APPROVER))
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert await _status(client, tenant, order["id"]) == "delivered"
    for path, body in (
        ("approve", {}),
        ("label", {}),
        ("receive", {"lines": [{"line_no": 1, "quantity": 1, "disposition": "restock"}]}),
        ("close", {}),
    ):
        response = await client.post(f"{url}/{path}", json=body, headers=tenant.headers(Role.ADMIN))
        assert response.status_code == 409, (path, response.text)
    # A rejected return counts for nothing: all 3 units can still come back.
    assert (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 3}])).status_code == 201


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x", "lines": [{"line_no": 1, "quantity": -1}]}, "lines[0].quantity"),
        ({"reason": "x", "lines": [{"line_no": 1, "quantity": 0}]}, "lines[0].quantity"),
        ({"reason": "x", "lines": [{"line_no": 7, "quantity": 1}]}, "lines[0].line_no"),
        ({"reason": "x", "lines": [{"line_no": 1, "quantity": 4}]}, "lines[0].quantity"),
        ({"reason": "x", "lines": [{"line_no": 1, "quantity": 1}, {"line_no": 1, "quantity": 1}]}, "lines[1].line_no"),
        ({"reason": "x", "lines": []}, "lines"),
        ({"reason": " ", "lines": [{"line_no": 1, "quantity": 1}]}, "reason"),
        ({"reason": "x", "lines": [{"line_no": 1, "quantity": 1, "condition": "smelly"}]}, "condition"),
        ({"reason": "x", "lines": [{"line_no": 1, "quantity": "one"}]}, "quantity"),
    ],
)
async def test_bad_return_requests_are_refused(
    client: httpx.AsyncClient, tenant: TenantHandle, body: dict[str, Any], field: str
) -> None:
    order, _, _ = await _shipped(client, tenant, deliver=False)
    response = await client.post(f"/v1/orders/{order['id']}/returns", json=body, headers=tenant.headers(Role.CLERK))
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert await client.get(f"/v1/orders/{order['id']}/returns", headers=tenant.headers()) is not None
    assert (await client.get(f"/v1/orders/{order['id']}/returns", headers=tenant.headers())).json() == []


async def test_bad_receipts_are_refused_and_change_nothing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order, _, _ = await _shipped(client, tenant, deliver=False)
    rma = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 2}])).json()
    url = f"/v1/returns/{rma['id']}"
    await client.post(f"{url}/approve", json={}, headers=tenant.headers(Role.APPROVER))
    stock = await _on_hand(client, tenant)
    cases = [
        ([{"line_no": 1, "quantity": 3, "disposition": "restock"}], "lines[0].quantity"),
        ([{"line_no": 1, "quantity": -2, "disposition": "restock"}], "lines[0].quantity"),
        ([{"line_no": 2, "quantity": 1, "disposition": "restock"}], "lines[0].line_no"),
        ([], "lines"),
        ([{"line_no": 1, "quantity": 1, "disposition": "burn"}], "disposition"),
    ]
    for lines, field in cases:
        response = await client.post(f"{url}/receive", json={"lines": lines}, headers=tenant.headers(Role.CLERK))
        assert response.status_code in (400, 422), (lines, response.text)
        assert field in response.text
    assert await _on_hand(client, tenant) == stock
    assert (await client.get(url, headers=tenant.headers())).json()["status"] == "approved"
    viewer = await client.post(
        f"{url}/receive",
        json={"lines": [{"line_no": 1, "quantity": 1, "disposition": "restock"}]},
        headers=tenant.headers(Role.VIEWER),
    )
    assert viewer.status_code == 403


async def test_an_order_that_never_left_cannot_be_returned(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    response = await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}])
    assert response.status_code == 409, response.text
    assert "not been shipped" in response.json()["detail"]
    assert await _status(client, tenant, order["id"]) == "approved"
    viewer = await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}], role=Role.VIEWER)
    assert viewer.status_code == 403
    missing = await _request(client, tenant, str(uuid.uuid4()), [{"line_no": 1, "quantity": 1}])
    assert missing.status_code == 404
    assert (await client.get(f"/v1/returns/{uuid.uuid4()}", headers=tenant.headers())).status_code == 404
    assert (await client.get("/v1/returns/nope", headers=tenant.headers())).status_code == 404


async def test_returns_stay_behind_the_tenant_wall(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    order, _, _ = await _shipped(client, tenant, deliver=False)
    rma = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}])).json()
    url = f"/v1/returns/{rma['id']}"
    b = other_tenant.headers()
    assert (await client.get(url, headers=b)).status_code == 404
    for path in ("approve", "reject", "label", "close"):
        assert (await client.post(f"{url}/{path}", json={}, headers=b)).status_code == 404, path
    receive = {"lines": [{"line_no": 1, "quantity": 1, "disposition": "restock"}]}
    assert (await client.post(f"{url}/receive", json=receive, headers=b)).status_code == 404
    assert (await client.get(f"/v1/orders/{order['id']}/returns", headers=b)).status_code == 404
    foreign = await client.post(
        f"/v1/orders/{order['id']}/returns",
        json={"reason": "B", "lines": [{"line_no": 1, "quantity": 1}]},
        headers=b,
    )
    assert foreign.status_code == 404
    assert (await client.get(url, headers=tenant.headers())).json()["status"] == "requested"


async def test_a_return_label_in_trouble_opens_a_work_item_but_never_moves_the_order(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    order, _, _ = await _shipped(client, tenant)
    body = {"reason": "wrong colour", "lines": [{"line_no": 1, "quantity": 3}]}
    headers = tenant.headers(Role.CLERK, **{"Idempotency-Key": "rma-1"})
    first = await client.post(f"/v1/orders/{order['id']}/returns", json=body, headers=headers)
    again = await client.post(f"/v1/orders/{order['id']}/returns", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"], "one return per Idempotency-Key"
    other = await client.post(f"/v1/orders/{order['id']}/returns", json={**body, "reason": "x"}, headers=headers)
    assert other.status_code == 409
    url = f"/v1/returns/{first.json()['id']}"
    await client.post(f"{url}/approve", json={}, headers=tenant.headers(Role.APPROVER))
    label = (await client.post(f"{url}/label", headers=tenant.headers(Role.CLERK))).json()["label"]
    await run_outbox_jobs(tenant.id)
    async with tenant_tx(tenant.id):
        await outbox.enqueue(
            tenant.id,
            "shipment_status_changed",
            {"shipment_id": label["shipment_id"], "order_id": order["id"], "status": "exception", "reason": "lost"},
        )
    await run_outbox_jobs(tenant.id, only="shipment_status_changed")
    assert await _status(client, tenant, order["id"]) == "return_requested"
    (item,) = (await client.get("/v1/work-items", headers=tenant.headers())).json()["items"]
    assert (item["kind"], item["shipment_id"], item["sla_hours"]) == ("lost", label["shipment_id"], 48)
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    label_events = [e["payload"]["status"] for e in events if e["kind"] == "return.shipment_status"]
    assert label_events == ["booked", "exception"]


async def test_a_return_label_refuses_a_parcel_that_is_not_one(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    # The return label checked its parcels on its own: a NaN weight raised InvalidOperation (a 500)
    # and 1e-30 kg bought a label; it now applies the outgoing label's check.
    order, _, _ = await _shipped(client, tenant)
    rma = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}])).json()
    url = f"/v1/returns/{rma['id']}"
    approved = await client.post(f"{url}/approve", json={}, headers=tenant.headers(Role.APPROVER))
    assert approved.status_code == 200, approved.text
    for parcel, field in (
        ({"weight_kg": "NaN"}, "parcels[0].weight_kg"),
        ({"weight_kg": "1e-30"}, "parcels[0].weight_kg"),
        ({"weight_kg": "0.8", "length_cm": "0", "width_cm": 20, "height_cm": 5}, "parcels[0].length_cm"),
        ({"weight_kg": "0.8", "length_cm": 30, "width_cm": "Infinity", "height_cm": 5}, "parcels[0].width_cm"),
    ):
        refused = await client.post(f"{url}/label", json={"parcels": [parcel]}, headers=tenant.headers(Role.CLERK))
        assert refused.status_code == 422, (parcel, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    labelled = await client.post(f"{url}/label", json={"parcels": PARCELS}, headers=tenant.headers(Role.CLERK))
    assert labelled.status_code == 200, labelled.text


async def test_two_returns_that_together_complete_the_order_refund_shipping_once(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # Each return's receipt saw the other (still open) return's units, judged the order complete and
    # refunded the 12.00 shipping again: 83.70 refunded on a 71.70 order.
    order, _, _ = await _shipped(client, tenant)
    one = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}])).json()
    two = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 2}])).json()
    assert (one["refund_shipping"], two["refund_shipping"]) == (_money("0.00"), _money("12.00"))
    refunds = []
    for rma, quantity in ((one, 1), (two, 2)):
        url = f"/v1/returns/{rma['id']}"
        assert (await client.post(f"{url}/approve", json={}, headers=tenant.headers(Role.APPROVER))).status_code == 200
        got = await client.post(
            f"{url}/receive",
            json={"lines": [{"line_no": 1, "quantity": quantity, "disposition": "restock"}]},
            headers=tenant.headers(Role.CLERK),
        )
        assert got.status_code == 200, got.text
        refunds.append(got.json())
    assert [r["refund_shipping"] for r in refunds] == [_money("0.00"), _money("12.00")]
    assert sum(Decimal(r["refund"]["amount"]) for r in refunds) == Decimal("71.70")
    assert await _status(client, tenant, order["id"]) == "returned"


async def test_rejecting_every_open_return_puts_the_order_back_where_it_was(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # The second return recorded 'return_requested' as the order's status before it, so rejecting
    # both left a delivered order in return_requested with nothing under way.
    order, _, _ = await _shipped(client, tenant)
    first = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}])).json()
    second = (await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 1}])).json()
    for rma in (first, second):
        rejected = await client.post(
            f"/v1/returns/{rma['id']}/reject", json={"reason": "worn"}, headers=tenant.headers(Role.APPROVER)
        )
        assert rejected.status_code == 200, rejected.text
    assert await _status(client, tenant, order["id"]) == "delivered"
