"""Clerk work items: opened by shipment exceptions (once per shipment and reason) or by hand, with an
SLA per kind, a queue oldest-due-first, and customs holds prepared with the invoice, the importer's
tax ids and a message to the buyer in the buyer's language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from carriers.base import TrackingEvent
from carriers.sandbox import mapper as sandbox_mapper
from carriers.signatures import sign_hub
from carriers.units import ShipmentStatus, TrackingReason
from hub.core import outbox
from hub.core.database import fetch, tenant_tx
from hub.orders import work_items
from tenants.roles import Role
from tests.api.test_orders import _catalog, _order
from tests.api.test_shipping_flow import PARCELS, _setup
from tests.api.test_tracking_webhooks import SANDBOX_SECRET
from tests.conftest import TenantHandle, run_outbox_jobs


async def _booked(client: httpx.AsyncClient, tenant: TenantHandle) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A DE order (DDP) with a landed-cost quote and a booked sandbox label; returns order, shipment, webhook path."""
    order, account, webhook_path = await _setup(client, tenant)
    quote = await client.post(
        f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert quote.status_code == 201, quote.text
    booked = await client.post(
        "/v1/shipments",
        json={"order_id": order["id"], "carrier_account_id": account["id"], "service": "standard", "parcels": PARCELS},
        headers=tenant.headers(),
    )
    assert booked.status_code == 201, booked.text
    await run_outbox_jobs(tenant.id)
    return order, booked.json(), webhook_path


def _event(tracking: str, code: str, status: ShipmentStatus, reason: TrackingReason | None, n: int) -> TrackingEvent:
    return TrackingEvent(
        carrier="sandbox",
        tracking_number=tracking,
        status=status,
        reason=reason,
        occurred_at=datetime.now(UTC) - timedelta(hours=10 - n),
        description=code,
        location="DE",
        carrier_event_id=f"{tracking}-x{n:02d}",
        raw_code=code,
    )


async def _post_events(client: httpx.AsyncClient, tenant: TenantHandle, path: str, events: list[TrackingEvent]) -> None:
    body = sandbox_mapper.build_webhook_body(events)
    posted = await client.post(path, content=body, headers={"Hub-Signature": sign_hub(SANDBOX_SECRET, body)})
    assert posted.status_code == 202, posted.text
    await run_outbox_jobs(tenant.id)  # parse and apply the events
    await run_outbox_jobs(tenant.id)  # the order follows the shipment, work items open


async def _hold(client: httpx.AsyncClient, tenant: TenantHandle, shipment: dict[str, Any], path: str) -> None:
    tracking = shipment["tracking_number"]
    await _post_events(
        client,
        tenant,
        path,
        [
            _event(tracking, "PICKED_UP", ShipmentStatus.IN_TRANSIT, None, 1),
            _event(tracking, "CUSTOMS_HELD", ShipmentStatus.EXCEPTION, TrackingReason.CUSTOMS_HOLD, 2),
        ],
    )


async def _job(tenant: TenantHandle, order_id: str, shipment_id: str, status: str, reason: str | None) -> None:
    """The carriers package's outbox event, as it writes it, run through the real job."""
    async with tenant_tx(tenant.id):
        await outbox.enqueue(
            tenant.id,
            "shipment_status_changed",
            {"shipment_id": shipment_id, "order_id": order_id, "status": status, "reason": reason},
        )
    await run_outbox_jobs(tenant.id, only="shipment_status_changed")


async def _items(client: httpx.AsyncClient, tenant: TenantHandle, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/work-items", params=params, headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _hours(item: dict[str, Any]) -> float:
    opened = datetime.fromisoformat(item["opened_at"])
    return (datetime.fromisoformat(item["due_at"]) - opened).total_seconds() / 3600


# --- customs holds ------------------------------------------------------------------------------


async def test_customs_hold_opens_one_item_with_invoice_tax_ids_and_a_german_message(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    order, shipment, path = await _booked(client, tenant)
    await _hold(client, tenant, shipment, path)

    after = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert after["status"] == "exception"
    items = await _items(client, tenant)
    assert len(items) == 1
    item = items[0]
    assert item["kind"] == "customs_hold"
    assert item["status"] == "open"
    assert item["order_id"] == order["id"]
    assert item["order_number"] == order["number"]
    assert item["shipment_id"] == shipment["id"]
    assert item["carrier_reason"] == "customs_hold"
    assert item["sla_hours"] == 24
    assert _hours(item) == 24
    assert item["overdue"] is False
    assert item["opened_by"] == "system:work-items"

    details = item["details"]
    assert details["tracking_number"] == shipment["tracking_number"]
    # No invoice existed: one was requested with the tenant's stored exporter.
    invoice = details["commercial_invoice"]
    assert invoice["requested"] is True
    assert invoice["status"] == "pending"
    document = await client.get(f"/v1/documents/{invoice['id']}", headers=tenant.headers())
    assert document.status_code == 200, document.text
    assert document.json()["type"] == "commercial_invoice"
    assert document.json()["order_id"] == order["id"]
    taxes = details["importer_tax_ids"]
    assert taxes["source"] == "commercial_invoice"
    assert taxes["missing"] is True  # a consumer order carries no EORI or VAT number

    # The buyer ships to Germany: the message is German, with the order, parcel and country.
    message = details["buyer_message"]
    assert message["locale"] == "de"
    assert message["to"] == "a@example.de"
    assert message["subject"] == f"Ihre Bestellung {order['number']} wird vom Zoll zurückgehalten"
    assert message["body"].startswith("Guten Tag Anna Schmidt,")
    assert f"Ihr Paket {shipment['tracking_number']} mit der Bestellung {order['number']}" in message["body"]
    assert "vom Zoll in Deutschland zurückgehalten" in message["body"]
    assert "Einfuhrabgaben und Steuern haben wir bereits bezahlt" in message["body"]  # DDP: the seller paid

    # The same exception again (a re-sent carrier event, a job run twice) opens nothing new.
    await _job(tenant, order["id"], shipment["id"], "exception", "customs_hold")
    assert len(await _items(client, tenant)) == 1
    # The invoice renders; a later hold of another shipment would attach it without a new request.
    await run_outbox_jobs(tenant.id)
    ready = (await client.get(f"/v1/documents/{invoice['id']}", headers=tenant.headers())).json()
    assert ready["status"] == "ready"

    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    opened = [e for e in events if e["kind"] == "work_item.opened"]
    assert len(opened) == 1
    assert opened[0]["payload"]["work_item_id"] == item["id"]
    assert opened[0]["actor"] == "system:work-items"


async def test_customs_hold_attaches_the_latest_ready_invoice(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order, shipment, path = await _booked(client, tenant)
    requested = await client.post(
        f"/v1/orders/{order['id']}/documents",
        json={
            "type": "commercial_invoice",
            "importer_vat_number": "DE136695976",
            "importer_eori": "DE123456789012345",
            "importer_is_business": True,
        },
        headers=tenant.headers(),
    )
    assert requested.status_code == 202, requested.text
    await run_outbox_jobs(tenant.id)
    await _hold(client, tenant, shipment, path)
    (item,) = await _items(client, tenant, kind="customs_hold")
    invoice = item["details"]["commercial_invoice"]
    assert invoice == {"id": requested.json()["id"], "status": "ready", "requested": False}
    taxes = item["details"]["importer_tax_ids"]
    assert taxes["vat_number"] == "DE136695976"
    assert taxes["eori"] == "DE123456789012345"
    assert taxes["is_business"] is True
    assert taxes["missing"] is False
    documents = (await client.get(f"/v1/orders/{order['id']}/documents", headers=tenant.headers())).json()
    assert len(documents) == 1, "no second invoice is requested when a ready one exists"


async def test_customs_hold_records_why_the_invoice_was_refused(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # No exporter in the tenant settings and no landed-cost quote: the invoice cannot be issued.
    await _catalog(client, tenant)
    order = (
        await client.post(
            "/v1/orders",
            json=_order(ship_to={**_order()["ship_to"], "country": "JP", "city": "Tokyo", "postal_code": "100-0001"}),
            headers=tenant.headers(),
        )
    ).json()
    shipment_id = str(uuid.uuid4())
    await _job(tenant, order["id"], shipment_id, "exception", "customs_hold")
    (item,) = await _items(client, tenant)
    invoice = item["details"]["commercial_invoice"]
    assert invoice["id"] is None
    assert invoice["status"] == "refused"
    assert invoice["refusal"]["code"] == "validation-failed"
    assert [e["field"] for e in invoice["refusal"]["errors"]] == ["exporter"]
    assert item["details"]["buyer_message"]["locale"] == "ja"
    assert "税関" in item["details"]["buyer_message"]["subject"]
    documents = (await client.get(f"/v1/orders/{order['id']}/documents", headers=tenant.headers())).json()
    assert documents == []
    # The refusal rolled back nothing else: the order moved and the item is on the timeline.
    assert (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()["status"] == "exception"
    kinds = [e["kind"] for e in (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()]
    assert "work_item.opened" in kinds


@pytest.mark.parametrize(
    ("reason", "kind", "hours"),
    [
        ("lost", "lost", 48),
        ("damage", "damage", 72),
        ("delay", "delay", 72),
        ("address_problem", "address_problem", 72),
        ("refused", "shipment_exception", 72),
        (None, "shipment_exception", 72),
    ],
)
async def test_each_exception_reason_opens_its_kind_with_its_sla(
    client: httpx.AsyncClient, tenant: TenantHandle, reason: str | None, kind: str, hours: int
) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    shipment_id = str(uuid.uuid4())
    await _job(tenant, order["id"], shipment_id, "exception", reason)
    await _job(tenant, order["id"], shipment_id, "exception", reason)
    (item,) = await _items(client, tenant)
    assert item["kind"] == kind
    assert item["sla_hours"] == hours
    assert _hours(item) == hours
    assert "buyer_message" not in item["details"]


async def test_another_reason_on_the_same_shipment_opens_another_item(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    shipment_id = str(uuid.uuid4())
    await _job(tenant, order["id"], shipment_id, "exception", "delay")
    await _job(tenant, order["id"], shipment_id, "in_transit", None)  # progress opens nothing
    await _job(tenant, order["id"], shipment_id, "exception", "damage")
    assert sorted(i["kind"] for i in await _items(client, tenant)) == ["damage", "delay"]


async def test_an_address_problem_found_during_a_customs_hold_opens_its_own_item(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # Exception to exception with another reason, straight from the carrier (no progress between):
    # the shipment was left saying customs_hold and the address problem reached no clerk.
    _, shipment, path = await _booked(client, tenant)
    await _hold(client, tenant, shipment, path)
    tracking = shipment["tracking_number"]
    address = ("DELIVERY_FAILED_ADDRESS", ShipmentStatus.EXCEPTION, TrackingReason.ADDRESS_PROBLEM)
    await _post_events(client, tenant, path, [_event(tracking, *address, 3)])
    got = (await client.get(f"/v1/shipments/{shipment['id']}", headers=tenant.headers())).json()
    assert (got["status"], got["status_reason"]) == ("exception", "address_problem")
    assert sorted(i["kind"] for i in await _items(client, tenant)) == ["address_problem", "customs_hold"]
    # The same scan again, or an older hold arriving late, changes nothing.
    again = _event(tracking, *address, 4)
    late = _event(tracking, "CUSTOMS_HELD", ShipmentStatus.EXCEPTION, TrackingReason.CUSTOMS_HOLD, 0)
    await _post_events(client, tenant, path, [again, late])
    got = (await client.get(f"/v1/shipments/{shipment['id']}", headers=tenant.headers())).json()
    assert got["status_reason"] == "address_problem"
    assert sorted(i["kind"] for i in await _items(client, tenant)) == ["address_problem", "customs_hold"]


def test_sla_table_and_buyer_locales() -> None:
    assert work_items.SLA_HOURS["customs_hold"] == 24
    assert work_items.SLA_HOURS["lost"] == 48
    assert set(work_items.SLA_HOURS) == set(work_items.KINDS)
    assert [work_items.buyer_locale(c) for c in ("DE", "FR", "ES", "JP", "CN", "US", "AT", "", None)] == [
        "de",
        "fr",
        "es",
        "ja",
        "zh_Hans",
        "en",
        "en",
        "en",
        "en",
    ]


# --- by hand, the queue, resolving --------------------------------------------------------------


async def test_clerk_opens_a_quality_complaint_and_resolves_it(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    body = {"order_id": order["id"], "kind": "quality", "description": "Print on the shirt peels off"}
    viewer = await client.post("/v1/work-items", json=body, headers=tenant.headers(Role.VIEWER))
    assert viewer.status_code == 403
    created = await client.post(
        "/v1/work-items", json=body, headers=tenant.headers(Role.CLERK, **{"Idempotency-Key": "complaint-1"})
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["kind"], item["status"], item["sla_hours"]) == ("quality", "open", 72)
    assert _hours(item) == 72
    again = await client.post(
        "/v1/work-items", json=body, headers=tenant.headers(Role.CLERK, **{"Idempotency-Key": "complaint-1"})
    )
    assert again.json()["id"] == item["id"]

    url = f"/v1/work-items/{item['id']}"
    assert (await client.get(url, headers=tenant.headers(Role.VIEWER))).json()["id"] == item["id"]
    empty = await client.post(f"{url}/resolve", json={"resolution": "  "}, headers=tenant.headers(Role.CLERK))
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "resolution"
    viewer_resolve = await client.post(f"{url}/resolve", json={"resolution": "x"}, headers=tenant.headers(Role.VIEWER))
    assert viewer_resolve.status_code == 403

    taken = await client.post(f"{url}/assign", json={}, headers=tenant.headers(Role.CLERK))
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "in_progress"
    assert taken.json()["assignee"].startswith("user:")  # the clerk key's person

    resolved = await client.post(
        f"{url}/resolve", json={"resolution": "Replacement shirt sent"}, headers=tenant.headers(Role.CLERK)
    )
    assert resolved.status_code == 200, resolved.text
    done = resolved.json()
    assert done["status"] == "resolved"
    assert done["resolution"] == "Replacement shirt sent"
    assert done["resolved_at"] is not None
    assert done["overdue"] is False
    twice = await client.post(f"{url}/resolve", json={"resolution": "again"}, headers=tenant.headers(Role.CLERK))
    assert twice.status_code == 409
    assign_done = await client.post(f"{url}/assign", json={}, headers=tenant.headers(Role.CLERK))
    assert assign_done.status_code == 409

    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    mine = [e for e in events if e["kind"].startswith("work_item.")]
    assert [e["kind"] for e in mine] == ["work_item.opened", "work_item.assigned", "work_item.resolved"]
    assert mine[-1]["payload"]["resolution"] == "Replacement shirt sent"
    assert [i["id"] for i in await _items(client, tenant, status="resolved")] == [item["id"]]
    assert await _items(client, tenant, status="open,in_progress") == []


async def test_bad_work_item_input_is_refused(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"order_id": order["id"], "kind": "broken", "description": "x"}, "kind"),
        ({"order_id": order["id"], "kind": "quality", "description": ""}, "description"),
        ({"order_id": str(uuid.uuid4()), "kind": "quality", "description": "x"}, "order_id"),
        ({"order_id": order["id"], "description": "x", "shipment_id": str(uuid.uuid4())}, "shipment_id"),
        ({"order_id": order["id"], "description": "x", "surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        response = await client.post("/v1/work-items", json=body, headers=tenant.headers(Role.CLERK))
        assert response.status_code in (400, 422), (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text, (field, response.text)
    for params in ({"status": "done"}, {"kind": "quality,nope"}, {"cursor": "not-a-cursor"}):
        listed = await client.get("/v1/work-items", params=params, headers=tenant.headers())
        assert listed.status_code in (400, 422), (params, listed.text)
    assert (await client.get("/v1/work-items/not-an-id", headers=tenant.headers())).status_code == 404
    assert (await client.get(f"/v1/work-items/{uuid.uuid4()}", headers=tenant.headers())).status_code == 404


async def test_queue_is_oldest_due_first_and_flags_overdue_items(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    ids = {}
    for kind in ("quality", "customs_hold", "lost"):
        created = await client.post(
            "/v1/work-items",
            json={"order_id": order["id"], "kind": kind, "description": kind},
            headers=tenant.headers(Role.CLERK),
        )
        assert created.status_code == 201, created.text
        ids[kind] = created.json()["id"]
    # The quality complaint was opened four days ago: its 72 hours are up.
    async with tenant_tx(tenant.id):
        await fetch(
            "UPDATE work_items SET opened_at = now() - interval '4 days', due_at = now() - interval '1 day' "
            "WHERE tenant_id = {} AND id = {}",
            tenant.id,
            uuid.UUID(ids["quality"]),
        )
    items = await _items(client, tenant)
    assert [i["kind"] for i in items] == ["quality", "customs_hold", "lost"]
    assert [i["overdue"] for i in items] == [True, False, False]
    assert items[0]["sla_age"] >= 4 * 24 * 3600
    assert items[1]["sla_age"] < 3600
    assert [i["kind"] for i in await _items(client, tenant, kind="lost,customs_hold")] == ["customs_hold", "lost"]

    first = (await client.get("/v1/work-items", params={"limit": 2}, headers=tenant.headers())).json()
    assert [i["kind"] for i in first["items"]] == ["quality", "customs_hold"]
    assert first["next_cursor"]
    rest = (
        await client.get(
            "/v1/work-items", params={"limit": 2, "cursor": first["next_cursor"]}, headers=tenant.headers()
        )
    ).json()
    assert [i["kind"] for i in rest["items"]] == ["lost"]
    assert rest["next_cursor"] is None


async def test_work_items_stay_behind_the_tenant_wall(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    item = (
        await client.post(
            "/v1/work-items",
            json={"order_id": order["id"], "kind": "quality", "description": "A's complaint"},
            headers=tenant.headers(Role.CLERK),
        )
    ).json()
    url = f"/v1/work-items/{item['id']}"
    b = other_tenant.headers()
    assert (await client.get(url, headers=b)).status_code == 404
    assert (await client.post(f"{url}/resolve", json={"resolution": "B"}, headers=b)).status_code == 404
    assert (await client.post(f"{url}/assign", json={}, headers=b)).status_code == 404
    assert (await client.get("/v1/work-items", headers=b)).json()["items"] == []
    foreign = await client.post(
        "/v1/work-items", json={"order_id": order["id"], "kind": "quality", "description": "B"}, headers=b
    )
    assert foreign.status_code == 422
    # An exception event for A's order run as tenant B opens nothing anywhere.
    await _job(other_tenant, order["id"], str(uuid.uuid4()), "exception", "lost")
    assert (await client.get("/v1/work-items", headers=b)).json()["items"] == []
    assert [i["id"] for i in await _items(client, tenant)] == [item["id"]]
    assert (await client.get(url, headers=tenant.headers())).json()["status"] == "open"
