"""Inbound tracking webhooks: carrier signatures, raw storage first, de-dup, forward-only status, tenancy."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from carriers import booking, jobs, tracking
from carriers import inbound as carrier_inbound
from carriers.base import Address, Parcel, TrackingEvent
from carriers.sandbox import mapper as sandbox_mapper
from carriers.schemas import ShipmentBookingInput, ShipmentRead
from carriers.signatures import sign_hub
from carriers.units import ShipmentStatus
from hub.core.database import fetch, tenant_tx
from hub.core.outbox import outbox_job
from hub.core.settings import Settings
from tests.conftest import TenantHandle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers"
EASYPOST_SECRET = "sécret"  # EasyPost's published test vector (PEERS.md 3.1)
EASYPOST_SIGNATURE = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
SANDBOX_SECRET = "sandbox-webhook-secret-0123"
AFTERSHIP_SECRET = "aftership-webhook-secret-0123"

SHIP_FROM = Address(name="Lager GmbH", line1="Industriestr. 1", city="Hamburg", postal_code="20095", country="DE")
SHIP_TO = Address(name="Anna Schmidt", line1="Hauptstr. 5", city="Berlin", postal_code="10115", country="DE")


# -- helpers shared with tests/integration/test_carrier_booking.py --------------------------------


async def create_account(
    client: httpx.AsyncClient, tenant: TenantHandle, carrier: str, **extra: Any
) -> tuple[dict[str, Any], str]:
    """Create an account through the API; returns its JSON and the webhook path."""
    response = await client.post(
        "/v1/carrier-accounts",
        json={"carrier": carrier, "name": f"{carrier} account", **extra},
        headers=tenant.headers(),
    )
    assert response.status_code == 201, response.text
    account = response.json()
    return account, "/webhooks/tracking/" + account["webhook_url"].split("/webhooks/tracking/", 1)[1]


async def sandbox_account(
    client: httpx.AsyncClient, tenant: TenantHandle, **options: Any
) -> tuple[dict[str, Any], str]:
    return await create_account(
        client, tenant, "sandbox", webhook_secret=SANDBOX_SECRET, options={"simulate_tracking": False, **options}
    )


def booking_input(
    account_id: str, *, order_id: uuid.UUID | None = None, service_name: str = "standard"
) -> ShipmentBookingInput:
    return ShipmentBookingInput(
        order_id=order_id or uuid.uuid4(),
        carrier_account_id=uuid.UUID(account_id),
        service=service_name,
        parcels=[Parcel(weight_kg=Decimal("0.5"), length_cm=Decimal(30), width_cm=Decimal(20), height_cm=Decimal(5))],
        ship_from=SHIP_FROM,
        ship_to=SHIP_TO,
        reference="SHOP-1001",
    )


async def book_sandbox(
    tenant: TenantHandle, account_id: str, settings: Settings, key: str | None = None
) -> ShipmentRead:
    """Book a domestic sandbox shipment; the same key gives the same request (and order id)."""
    key = key or uuid.uuid4().hex
    request = booking_input(account_id, order_id=uuid.uuid5(uuid.NAMESPACE_URL, f"order:{tenant.id}:{key}"))
    return await booking.book_shipment(tenant.id, request, idempotency_key=key, settings=settings)


async def pending_outbox(tenant_id: uuid.UUID, job: str) -> list[dict[str, Any]]:
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT id, payload, available_at FROM outbox WHERE tenant_id = {} AND job = {} AND completed_at IS NULL "
            "ORDER BY available_at, id",
            tenant_id,
            job,
        )
    return [
        {**r, "payload": r["payload"] if isinstance(r["payload"], dict) else json.loads(r["payload"])} for r in rows
    ]


async def run_inbound_jobs(tenant_id: uuid.UUID, settings: Settings) -> list[str]:
    """Run every pending ``process_inbound_event`` outbox job the way the worker would."""
    run = outbox_job(jobs.process_inbound_event)
    results = []
    for row in await pending_outbox(tenant_id, carrier_inbound.PROCESS_INBOUND_JOB):
        results.append(await run({"settings": settings}, str(tenant_id), str(row["id"]), row["payload"]))
    return results


def sandbox_body(events: list[TrackingEvent]) -> tuple[bytes, dict[str, str]]:
    body = sandbox_mapper.build_webhook_body(events)
    return body, {"Hub-Signature": sign_hub(SANDBOX_SECRET, body), "Content-Type": "application/json"}


def timeline(tracking: str) -> list[TrackingEvent]:
    booked = datetime.now(UTC) - timedelta(days=2)
    return sandbox_mapper.event_timeline(tracking, booked, shipper=SHIP_FROM, recipient=SHIP_TO)


async def inbound_row(tenant_id: uuid.UUID, event_id: str) -> dict[str, Any]:
    row = await carrier_inbound.get_inbound_event(tenant_id, uuid.UUID(event_id))
    assert row is not None
    return row


# -- signatures ----------------------------------------------------------------------------------


async def _stored_inbound(tenant: TenantHandle) -> int:
    """How many raw webhooks the tenant has stored (a refused one must add none)."""
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT count(*) AS n FROM inbound_events WHERE tenant_id = {}", tenant.id)
    count: int = rows[0]["n"]
    return count


async def test_easypost_documented_signature_is_accepted_and_stored_raw(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    _, path = await create_account(
        client, tenant, "easypost", credentials={"api_key": "EZTK_x"}, webhook_secret=EASYPOST_SECRET
    )
    body = (FIXTURES / "easypost" / "event_tracker_updated.json").read_bytes()
    response = await client.post(
        path, content=body, headers={"X-Hmac-Signature": EASYPOST_SIGNATURE, "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "received"
    stored = await inbound_row(tenant.id, accepted["id"])
    assert bytes(stored["raw_body"]) == body
    assert stored["status"] == "received"
    headers = stored["headers"] if isinstance(stored["headers"], dict) else json.loads(stored["headers"])
    assert "x-hmac-signature" not in headers
    assert headers["content-type"] == "application/json"

    assert await run_inbound_jobs(tenant.id, test_settings) == ["done"]
    stored = await inbound_row(tenant.id, accepted["id"])
    assert stored["status"] == "unmatched"  # tracking code "1" belongs to no shipment (yet)
    async with tenant_tx(tenant.id):
        events = await fetch(
            "SELECT tracking_number, shipment_id, source, carrier_code FROM tracking_events WHERE tenant_id = {}",
            tenant.id,
        )
    assert len(events) == 7
    assert {e["tracking_number"] for e in events} == {"1"}
    assert all(e["shipment_id"] is None and e["source"] == "webhook" for e in events)


async def test_aftership_signature_scheme(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    _, path = await create_account(
        client, tenant, "aftership", credentials={"api_key": "asat_x"}, webhook_secret=AFTERSHIP_SECRET
    )
    body = (FIXTURES / "aftership" / "webhook_tracking_update.json").read_bytes()
    signature = base64.b64encode(hmac.new(AFTERSHIP_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    accepted = await client.post(path, content=body, headers={"aftership-hmac-sha256": signature})
    assert accepted.status_code == 202, accepted.text
    forged = await client.post(
        path, content=body + b" ", headers={"aftership-hmac-sha256": signature, "Accept-Language": "ja"}
    )
    assert forged.status_code == 401
    assert forged.json()["title"] == "Webhook の署名が無効です"
    assert await run_inbound_jobs(tenant.id, test_settings) == ["done"]
    assert (await inbound_row(tenant.id, accepted.json()["id"]))["status"] == "unmatched"


async def test_forged_and_missing_signatures_are_401_and_nothing_is_stored(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    _, path = await create_account(
        client, tenant, "easypost", credentials={"api_key": "EZTK_x"}, webhook_secret=EASYPOST_SECRET
    )
    body = (FIXTURES / "easypost" / "event_tracker_updated.json").read_bytes()
    forged = "hmac-sha256-hex=" + hmac.new(b"wrong", body, hashlib.sha256).hexdigest()
    for headers in ({"X-Hmac-Signature": forged}, {}, {"X-Hmac-Signature": "garbage"}):
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        # A signature problem, not an API-key one: the sender must not go looking for a key.
        assert response.json()["title"] == "The webhook signature is not valid"
        assert response.json()["type"] == "https://orderhub.dev/problems/invalid-signature"
    tampered = await client.post(path, content=body + b"\n", headers={"X-Hmac-Signature": EASYPOST_SIGNATURE})
    assert tampered.status_code == 401
    assert tampered.json()["title"] == "The webhook signature is not valid"
    assert await _stored_inbound(tenant) == 0


async def test_a_non_ascii_hub_signature_is_401_not_500(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    _, path = await sandbox_account(client, tenant)
    body, _ = sandbox_body(timeline("SBX0000000000")[:1])
    now = int(datetime.now(UTC).timestamp())
    for raw in (f"t={now},v1=".encode() + b"\xe9" * 64, b"t=\xb2,v1=00"):
        response = await client.post(path, content=body, headers={"Hub-Signature": raw})
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await _stored_inbound(tenant) == 0


async def test_unknown_token_or_wrong_carrier_is_404(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    _, path = await sandbox_account(client, tenant)
    body, headers = sandbox_body(timeline("SBX0000000000")[:1])
    unknown = await client.post("/webhooks/tracking/sandbox/not-a-token", content=body, headers=headers)
    assert unknown.status_code == 404
    token = path.rsplit("/", 1)[1]
    mismatch = await client.post(f"/webhooks/tracking/easypost/{token}", content=body, headers=headers)
    assert mismatch.status_code == 404
    assert (await client.post(path, content=body, headers=headers)).status_code == 202


async def test_oversized_body_is_413(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    _, path = await sandbox_account(client, tenant)
    big = b'{"pad": "' + b"x" * (256 * 1024) + b'"}'
    response = await client.post(path, content=big, headers={"Hub-Signature": sign_hub(SANDBOX_SECRET, big)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")

    async def stream() -> Any:  # no Content-Length: the limit applies to the bytes actually read
        for _ in range(40):
            yield b"x" * 8192

    streamed = await client.post(path, content=stream(), headers={"Hub-Signature": "t=1,v1=00"})
    assert streamed.status_code == 413


async def test_malformed_json_is_stored_then_failed_with_the_reason(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    _, path = await sandbox_account(client, tenant)
    body = b'{"id": "evt", "data": {"tracking_number": '
    response = await client.post(path, content=body, headers={"Hub-Signature": sign_hub(SANDBOX_SECRET, body)})
    assert response.status_code == 202
    assert await run_inbound_jobs(tenant.id, test_settings) == ["done"]
    stored = await inbound_row(tenant.id, response.json()["id"])
    assert stored["status"] == "failed"
    assert stored["error"]
    assert "sandbox" in stored["error"]
    assert bytes(stored["raw_body"]) == body


# -- ingestion -----------------------------------------------------------------------------------


async def test_replayed_event_is_deduplicated_and_a_job_run_twice_is_harmless(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, path = await sandbox_account(client, tenant)
    shipment = await book_sandbox(tenant, account["id"], test_settings)
    assert shipment.tracking_number is not None
    events = timeline(shipment.tracking_number)[:3]
    body, headers = sandbox_body(events)
    first = await client.post(path, content=body, headers=headers)
    replay = await client.post(path, content=body, headers=headers)
    assert first.status_code == replay.status_code == 202

    rows = await pending_outbox(tenant.id, carrier_inbound.PROCESS_INBOUND_JOB)
    assert len(rows) == 2
    run = outbox_job(jobs.process_inbound_event)
    ctx = {"settings": test_settings}
    assert await run(ctx, str(tenant.id), str(rows[0]["id"]), rows[0]["payload"]) == "done"
    # arq may run the same job twice: the second run finds the outbox row done.
    assert await run(ctx, str(tenant.id), str(rows[0]["id"]), rows[0]["payload"]) == "already done"
    assert await run(ctx, str(tenant.id), str(rows[1]["id"]), rows[1]["payload"]) == "done"
    # Even the service called again directly does nothing for a processed event.
    async with tenant_tx(tenant.id):
        again = await carrier_inbound.process_inbound_event(
            tenant.id, uuid.UUID(first.json()["id"]), settings=test_settings
        )
    assert again == "nothing to do"

    listed = await client.get(f"/v1/shipments/{shipment.id}/events", headers=tenant.headers())
    assert listed.status_code == 200
    assert len(listed.json()) == 3
    assert (await inbound_row(tenant.id, replay.json()["id"]))["status"] == "processed"
    got = (await client.get(f"/v1/shipments/{shipment.id}", headers=tenant.headers())).json()
    assert got["status"] == "in_transit"
    changes = await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)
    assert [c["payload"]["status"] for c in changes] == ["booked", "in_transit"]
    assert changes[-1]["payload"] == {
        "shipment_id": str(shipment.id),
        "order_id": str(shipment.order_id),
        "status": "in_transit",
        "reason": None,
    }


async def test_out_of_order_events_do_not_move_status_back(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, path = await sandbox_account(client, tenant)
    shipment = await book_sandbox(tenant, account["id"], test_settings)
    assert shipment.tracking_number is not None
    events = timeline(shipment.tracking_number)
    delivered = [e for e in events if e.status is ShipmentStatus.DELIVERED]
    earlier = [e for e in events if e.status is ShipmentStatus.IN_TRANSIT][:2]
    for batch in (delivered, earlier):
        body, headers = sandbox_body(batch)
        assert (await client.post(path, content=body, headers=headers)).status_code == 202
        await run_inbound_jobs(tenant.id, test_settings)
    got = (await client.get(f"/v1/shipments/{shipment.id}", headers=tenant.headers())).json()
    assert got["status"] == "delivered"
    listed = (await client.get(f"/v1/shipments/{shipment.id}/events", headers=tenant.headers())).json()
    assert [e["status"] for e in listed] == ["in_transit", "in_transit", "delivered"]  # oldest first
    assert set(listed[0]) >= {"status", "reason", "description", "occurred_at", "location", "carrier_code", "source"}
    assert listed[0]["source"] == "webhook"
    assert listed[0]["carrier_code"] == "PICKED_UP"
    statuses = [c["payload"]["status"] for c in await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)]
    assert statuses == ["booked", "delivered"]


async def test_customs_hold_sets_exception_with_reason(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, path = await sandbox_account(client, tenant)
    shipment = await book_sandbox(tenant, account["id"], test_settings)
    assert shipment.tracking_number is not None
    booked = datetime.now(UTC) - timedelta(days=3)
    cn = Address(name="Li Wei", line1="88 Keyuan Road", city="Shenzhen", country="CN")
    held = sandbox_mapper.event_timeline(
        shipment.tracking_number, booked, shipper=cn, recipient=SHIP_TO, scenario="customs_hold"
    )
    upto_hold = held[: [e.raw_code for e in held].index("CUSTOMS_HELD") + 1]
    body, headers = sandbox_body(upto_hold)
    assert (await client.post(path, content=body, headers=headers)).status_code == 202
    await run_inbound_jobs(tenant.id, test_settings)
    got = (await client.get(f"/v1/shipments/{shipment.id}", headers=tenant.headers())).json()
    assert (got["status"], got["status_reason"]) == ("exception", "customs_hold")
    changes = await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)
    assert changes[-1]["payload"]["reason"] == "customs_hold"


async def test_another_tenants_shipment_is_404(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, test_settings: Settings
) -> None:
    account, _ = await sandbox_account(client, tenant)
    shipment = await book_sandbox(tenant, account["id"], test_settings)
    mine = await client.get(f"/v1/shipments/{shipment.id}", headers=tenant.headers())
    assert mine.status_code == 200
    assert mine.json()["label_available"] is True
    for suffix in ("", "/events", "/label"):
        theirs = await client.get(f"/v1/shipments/{shipment.id}{suffix}", headers=other_tenant.headers())
        assert theirs.status_code == 404, suffix
    assert (await client.get("/v1/shipments/not-a-uuid", headers=tenant.headers())).status_code == 404
    label = await client.get(f"/v1/shipments/{shipment.id}/label", headers=tenant.headers())
    assert label.status_code == 200
    assert label.content.startswith(b"%PDF")


async def test_a_burst_of_webhooks_is_stored_together_and_every_event_is_processed(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, path = await sandbox_account(client, tenant)
    shipment = await book_sandbox(tenant, account["id"], test_settings)
    assert shipment.tracking_number is not None
    events = timeline(shipment.tracking_number)
    bodies = [sandbox_body([event]) for event in events]
    committed = carrier_inbound._inbound_writer.committed
    answers = await asyncio.gather(*(client.post(path, content=body, headers=headers) for body, headers in bodies))
    assert [a.status_code for a in answers] == [202] * len(events)
    # The batches went as statements committed on their own, on a tenant session (no BEGIN, no COMMIT).
    assert carrier_inbound._inbound_writer.committed > committed
    accepted = {a.json()["id"] for a in answers}
    async with tenant_tx(tenant.id):
        stored = await fetch("SELECT id::text AS id FROM inbound_events WHERE tenant_id = {}", tenant.id)
    assert {row["id"] for row in stored} == accepted  # answered 202 means stored
    jobs_pending = await pending_outbox(tenant.id, carrier_inbound.PROCESS_INBOUND_JOB)
    # Group commit: the burst shares jobs (and transactions); together they name every event once.
    assert len(jobs_pending) < len(events)
    named = [i for row in jobs_pending for i in row["payload"]["inbound_event_ids"]]
    assert sorted(named) == sorted(accepted)
    assert await run_inbound_jobs(tenant.id, test_settings) == ["done"] * len(jobs_pending)
    got = (await client.get(f"/v1/shipments/{shipment.id}", headers=tenant.headers())).json()
    assert got["status"] == "delivered"
    listed = (await client.get(f"/v1/shipments/{shipment.id}/events", headers=tenant.headers())).json()
    assert len(listed) == len(events)
