"""The whole clerk loop through the API: order -> landed cost -> label -> tracking -> delivered."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import msgspec

from carriers.sandbox import mapper as sandbox_mapper
from carriers.signatures import sign_hub
from hub.core.database import fetch, tenant_tx
from tenants.roles import Role
from tests.api.test_documents import EXPORTER
from tests.api.test_orders import _catalog, _order
from tests.api.test_tracking_webhooks import SANDBOX_SECRET, timeline
from tests.conftest import TenantHandle, run_outbox_jobs

PARCELS = [{"weight_kg": "0.8", "length_cm": 30, "width_cm": 20, "height_cm": 5}]


async def _setup(
    client: httpx.AsyncClient, tenant: TenantHandle, *, quoted: bool = False
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An approved order, a sandbox carrier account and its webhook path; ``quoted``: with the
    landed-cost quote that booking asks for."""
    await _catalog(client, tenant)
    assert (
        await client.patch("/v1/tenant/settings", json={"exporter": EXPORTER}, headers=tenant.headers())
    ).status_code == 200
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    assert order["status"] == "approved"
    account = (
        await client.post(
            "/v1/carrier-accounts",
            json={
                "carrier": "sandbox",
                "name": "Sandbox",
                "webhook_secret": SANDBOX_SECRET,
                "options": {"simulate_tracking": False},
            },
            headers=tenant.headers(),
        )
    ).json()
    path = "/webhooks/tracking/" + account["webhook_url"].split("/webhooks/tracking/", 1)[1]
    if quoted:
        quote = await client.post(
            f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
        )
        assert quote.status_code == 201, quote.text
    return order, account, path


async def _book(
    client: httpx.AsyncClient, tenant: TenantHandle, order: dict[str, Any], account: dict[str, Any]
) -> dict[str, Any]:
    booking = {"order_id": order["id"], "carrier_account_id": account["id"], "service": "standard", "parcels": PARCELS}
    shipment: dict[str, Any] = (await client.post("/v1/shipments", json=booking, headers=tenant.headers())).json()
    return shipment


async def test_book_track_deliver(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order, account, webhook_path = await _setup(client, tenant)
    booking = {"order_id": order["id"], "carrier_account_id": account["id"], "service": "standard", "parcels": PARCELS}
    # DDP across a border: the pre-flight refuses a label until the duty figures exist.
    refused = await client.post("/v1/shipments", json=booking, headers=tenant.headers())
    assert refused.status_code == 409, refused.text
    assert "landed_cost" in [f["field"] for f in refused.json()["findings"]]
    quote = await client.post(
        f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert quote.status_code == 201, quote.text

    rates = await client.post(
        "/v1/shipments/rates",
        json={k: booking[k] for k in ("order_id", "carrier_account_id", "parcels")},
        headers=tenant.headers(),
    )
    assert rates.status_code == 200, rates.text
    assert {r["service"] for r in rates.json()["rates"]} == {"standard", "express"}

    first = await client.post("/v1/shipments", json=booking, headers={**tenant.headers(), "Idempotency-Key": "ship-1"})
    assert first.status_code == 201, first.text
    again = await client.post("/v1/shipments", json=booking, headers={**tenant.headers(), "Idempotency-Key": "ship-1"})
    assert again.json()["id"] == first.json()["id"]
    shipment = first.json()
    assert shipment["status"] == "booked"
    label = await client.get(f"/v1/shipments/{shipment['id']}/label", headers=tenant.headers())
    assert label.content.startswith(b"%PDF")

    await run_outbox_jobs(tenant.id)
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "booked"

    body = sandbox_mapper.build_webhook_body(timeline(shipment["tracking_number"]))
    posted = await client.post(webhook_path, content=body, headers={"Hub-Signature": sign_hub(SANDBOX_SECRET, body)})
    assert posted.status_code == 202, posted.text
    await run_outbox_jobs(tenant.id)  # parse and apply the events
    await run_outbox_jobs(tenant.id)  # the order follows the shipment
    after = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert after["status"] == "delivered"
    events = (await client.get(f"/v1/shipments/{shipment['id']}/events", headers=tenant.headers())).json()
    assert events[-1]["status"] == "delivered"
    kinds = [e["kind"] for e in (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()]
    assert "shipment.status" in kinds


async def test_only_approved_orders_ship(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    await client.patch("/v1/tenant/settings", json={"exporter": EXPORTER}, headers=tenant.headers())
    rush = (await client.post("/v1/orders", json=_order(external_ref="R", rush=True), headers=tenant.headers())).json()
    account = (
        await client.post(
            "/v1/carrier-accounts",
            json={
                "carrier": "sandbox",
                "name": "S",
                "webhook_secret": SANDBOX_SECRET,
                "options": {"simulate_tracking": False},
            },
            headers=tenant.headers(),
        )
    ).json()
    response = await client.post(
        "/v1/shipments",
        json={"order_id": rush["id"], "carrier_account_id": account["id"], "service": "standard", "parcels": PARCELS},
        headers=tenant.headers(),
    )
    assert response.status_code == 409
    assert response.json()["current_status"] == "awaiting_approval"
    viewer = await client.post(
        "/v1/shipments",
        json={"order_id": rush["id"], "carrier_account_id": account["id"], "service": "standard", "parcels": PARCELS},
        headers=tenant.headers(Role.VIEWER),
    )
    assert viewer.status_code == 403


async def test_a_parcel_that_is_not_a_number_or_too_small_is_named_never_a_500(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # msgspec reads "NaN" and "sNaN" as Decimals; comparing one raised InvalidOperation (a 500).
    order, account, _ = await _setup(client, tenant, quoted=True)
    for route in ("/v1/shipments/rates", "/v1/shipments"):
        for parcel, field in (
            ({"weight_kg": "NaN"}, "parcels[0].weight_kg"),
            ({"weight_kg": "sNaN"}, "parcels[0].weight_kg"),
            ({"weight_kg": "0.8", "length_cm": "sNaN", "width_cm": 20, "height_cm": 5}, "parcels[0].length_cm"),
            ({"weight_kg": "0.8", "length_cm": 30, "width_cm": "Infinity", "height_cm": 5}, "parcels[0].width_cm"),
            # Numbers, but no parcel: 1e-30 kg booked a label, and so did a side of 0 or below.
            ({"weight_kg": "1e-30"}, "parcels[0].weight_kg"),
            ({"weight_kg": "0.0009"}, "parcels[0].weight_kg"),
            ({"weight_kg": "0"}, "parcels[0].weight_kg"),
            ({"weight_kg": "0.8", "length_cm": "1e-30", "width_cm": 20, "height_cm": 5}, "parcels[0].length_cm"),
            ({"weight_kg": "0.8", "length_cm": 30, "width_cm": 20, "height_cm": 0}, "parcels[0].height_cm"),
            ({"weight_kg": "0.8", "length_cm": 30, "width_cm": "-20", "height_cm": 5}, "parcels[0].width_cm"),
            ({"weight_kg": "0.8", "length_cm": "0.09", "width_cm": 20, "height_cm": 5}, "parcels[0].length_cm"),
        ):
            body = {"order_id": order["id"], "carrier_account_id": account["id"], "service": "standard"}
            response = await client.post(route, json={**body, "parcels": [parcel]}, headers=tenant.headers())
            assert response.status_code == 422, (route, parcel, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert [e["field"] for e in response.json()["errors"]] == [field]
    # The smallest sane parcel still books.
    smallest = {"weight_kg": "0.001", "length_cm": "0.1", "width_cm": "0.1", "height_cm": "0.1"}
    body = {"order_id": order["id"], "carrier_account_id": account["id"], "service": "standard"}
    booked = await client.post("/v1/shipments", json={**body, "parcels": [smallest]}, headers=tenant.headers())
    assert booked.status_code == 201, booked.text


async def test_an_order_with_a_live_label_is_not_cancelled_behind_it(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # The order becomes 'booked' only when the outbox job runs; until then it was still 'approved'
    # and a cancel went through, leaving a paid label on a cancelled order that nobody would void.
    order, account, _ = await _setup(client, tenant, quoted=True)
    shipment = await _book(client, tenant, order, account)
    assert shipment["status"] == "booked"
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "approved"
    refused = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "buyer"}, headers=tenant.headers())
    assert refused.status_code == 409, refused.text
    assert refused.json()["shipment_id"] == shipment["id"]
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "approved"
    # Void the label first, then the order cancels.
    voided = await client.post(f"/v1/shipments/{shipment['id']}/cancel", headers=tenant.headers())
    assert voided.json()["status"] == "cancelled"
    cancelled = await client.post(
        f"/v1/orders/{order['id']}/cancel", json={"reason": "buyer"}, headers=tenant.headers()
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


async def fetch_outbox(tenant_id: uuid.UUID, job: str) -> list[dict[str, Any]]:
    """Every outbox payload of the job, done or not, oldest first."""
    async with tenant_tx(tenant_id):
        rows = await fetch("SELECT payload FROM outbox WHERE tenant_id = {} AND job = {} ORDER BY id", tenant_id, job)
    return [r["payload"] if isinstance(r["payload"], dict) else msgspec.json.decode(r["payload"]) for r in rows]


async def _booked(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An order whose label is bought and whose status the outbox job has moved to 'booked'."""
    order, account, _ = await _setup(client, tenant, quoted=True)
    shipment = await _book(client, tenant, order, account)
    assert shipment["status"] == "booked"
    await run_outbox_jobs(tenant.id)
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "booked"
    return order, account, shipment


async def test_voiding_the_label_of_a_booked_order_lets_it_be_cancelled(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # Cancel asks to void the label first; once the job had marked the order 'booked', voiding it
    # left the order 'booked', which cannot be cancelled ("request a return instead"): a dead end.
    order, _, shipment = await _booked(client, tenant)
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 2
    refused = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "buyer"}, headers=tenant.headers())
    assert refused.status_code == 409, refused.text
    voided = await client.post(f"/v1/shipments/{shipment['id']}/cancel", headers=tenant.headers())
    assert voided.status_code == 200, voided.text
    assert voided.json()["status"] == "cancelled"
    # Back where it was before booking, at once (no job to wait for), said on the timeline and to the seller.
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "approved"
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    changes = [e["payload"] for e in events if e["kind"] == "order.status_changed"]
    assert changes[-1] == {"from": "booked", "to": "approved"}
    assert {"kind": "shipment.status", "status": "cancelled"} in [
        {"kind": e["kind"], "status": e["payload"].get("status")} for e in events
    ]
    outbox = await fetch_outbox(tenant.id, "deliver_order_event")
    assert {"event": "order.status_changed", "order_id": order["id"], "from": "booked", "to": "approved"} in outbox
    # A late job changes nothing, and the cancel now goes through and frees the stock.
    await run_outbox_jobs(tenant.id)
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "approved"
    cancelled = await client.post(
        f"/v1/orders/{order['id']}/cancel", json={"reason": "buyer"}, headers=tenant.headers()
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    stock = (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()
    assert stock["reserved"] == 0
    assert stock["available"] == 10


async def test_an_order_with_another_live_label_stays_booked(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order, account, first = await _booked(client, tenant)
    booking = {"order_id": order["id"], "carrier_account_id": account["id"], "service": "express", "parcels": PARCELS}
    second = (await client.post("/v1/shipments", json=booking, headers=tenant.headers())).json()
    assert second["status"] == "booked"
    await run_outbox_jobs(tenant.id)
    voided = await client.post(f"/v1/shipments/{first['id']}/cancel", headers=tenant.headers())
    assert voided.json()["status"] == "cancelled"
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "booked"
    refused = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "buyer"}, headers=tenant.headers())
    assert refused.status_code == 409, refused.text
    # The last one voided, the order is back to approved.
    voided = await client.post(f"/v1/shipments/{second['id']}/cancel", headers=tenant.headers())
    assert voided.json()["status"] == "cancelled"
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "approved"


async def test_a_label_voided_before_the_job_runs_does_not_book_the_order(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # The job follows the shipment's 'booked' from the outbox; run after the void, it marked the
    # order booked with no live label left: nothing to void, and a booked order cannot be cancelled.
    order, account, _ = await _setup(client, tenant, quoted=True)
    shipment = await _book(client, tenant, order, account)
    voided = await client.post(f"/v1/shipments/{shipment['id']}/cancel", headers=tenant.headers())
    assert voided.json()["status"] == "cancelled"
    await run_outbox_jobs(tenant.id)
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "approved"
    cancelled = await client.post(
        f"/v1/orders/{order['id']}/cancel", json={"reason": "buyer"}, headers=tenant.headers()
    )
    assert cancelled.status_code == 200, cancelled.text
