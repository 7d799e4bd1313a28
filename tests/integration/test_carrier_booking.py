"""Booking: one label per idempotency key (twice, concurrently, after a crash), matching waiting events,
the sandbox's simulated timeline through the real webhook path, cancel, rates and the cron sweeps.

Real PostgreSQL and Redis; the only fake is the carrier's HTTP edge (``httpx.MockTransport``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from carriers import booking, jobs, simulation, sweeps, tracking
from carriers import inbound as carrier_inbound
from carriers import shipments as carrier_shipments
from carriers.base import Address, Parcel
from carriers.easypost import mapper as easypost_mapper
from carriers.http import create_client
from carriers.registry import create_gateway
from carriers.schemas import CustomsLine, ShipmentBookingInput, ShipmentRatesInput, ShipmentRead
from hub.core import egress
from hub.core.database import fetch, tenant_tx
from hub.core.errors import Conflict, ServiceUnavailable, ValidationFailed
from hub.core.settings import Settings, get_settings
from tests.api.test_tracking_webhooks import (
    SHIP_FROM,
    SHIP_TO,
    book_sandbox,
    booking_input,
    create_account,
    pending_outbox,
    run_inbound_jobs,
    sandbox_account,
)
from tests.conftest import TenantHandle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers" / "easypost"
EP_SECRET = "easypost-hook-secret"
EP_TRACKING = "LZ123456789US"
EP_SHIPMENT = "shp_93170d48eb1a413aa5c0d8bf4384a350"

US_SHIPPER = Address(
    name="Steve Brule",
    line1="417 Montgomery Street",
    city="San Francisco",
    region="CA",
    postal_code="94104",
    country="US",
)


class EasyPostEdge:
    """EasyPost's HTTP API as documented (recorded example responses); counts label purchases."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bought: set[str] = set()
        self.lookup_down = False
        self.lost_buy_answer: httpx.Response | None = None
        """Answer the next purchase with this instead of the bought shipment (the label is still sold
        when it is a 2xx: the carrier took the money, its answer did not make it back readable)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls[f"{request.method} {path}"] += 1
        if request.method == "POST" and path == "/v2/shipments":
            return httpx.Response(200, content=(FIXTURES / "shipment_create.json").read_bytes())
        if request.method == "POST" and path.endswith("/buy"):
            shipment = path.split("/")[3]
            if shipment in self.bought:  # EasyPost refuses to buy postage twice for one shipment
                body = b'{"error": {"code": "SHIPMENT.POSTAGE.EXISTS", "message": "postage exists", "errors": []}}'
                return httpx.Response(422, content=body)
            answer, self.lost_buy_answer = self.lost_buy_answer, None
            if answer is not None and not answer.is_success:
                return answer
            self.bought.add(shipment)
            return answer or httpx.Response(200, content=(FIXTURES / "shipment_buy.json").read_bytes())
        if request.method == "GET" and path.startswith("/v2/shipments/shp_"):
            if self.lookup_down:
                return httpx.Response(503, content=b'{"error": {"code": "SERVICE.UNAVAILABLE", "message": "down"}}')
            # Retrieve a Shipment: the same object the create and buy calls return, as it is now.
            bought = path.split("/")[3] in self.bought
            return httpx.Response(
                200, content=(FIXTURES / ("shipment_buy.json" if bought else "shipment_create.json")).read_bytes()
            )
        if request.method == "POST" and path.endswith("/refund"):
            return httpx.Response(200, content=(FIXTURES / "shipment_refund.json").read_bytes())
        if request.method == "GET" and path == "/v2/trackers":
            body = (FIXTURES / "trackers_list.json").read_bytes().replace(b"EZ1000000001", EP_TRACKING.encode())
            return httpx.Response(200, content=body)
        return httpx.Response(404, content=b'{"error": {"code": "NOT_FOUND", "message": "no route"}}')


def easypost_input(account_id: str) -> ShipmentBookingInput:
    return ShipmentBookingInput(
        order_id=uuid.uuid4(),
        carrier_account_id=uuid.UUID(account_id),
        service="PriorityMailInternational",
        provider="USPS",
        parcels=[Parcel(weight_kg=Decimal("0.6"))],
        ship_from=US_SHIPPER,
        ship_to=SHIP_TO,
        customs=[
            CustomsLine(
                description="T-shirt",
                quantity=2,
                value=Decimal("39.80"),
                currency="USD",
                weight=Decimal("0.3"),
                hs_code="610910",
                origin="US",
                sku="TS-RED-M",
            )
        ],
        reference="SHOP-1001",
    )


async def _shipments(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    async with tenant_tx(tenant_id):
        return await fetch(
            "SELECT id, status, tracking_number, book_attempts FROM shipments WHERE tenant_id = {}", tenant_id
        )


# -- one label per key ---------------------------------------------------------------------------


async def test_booking_twice_with_the_same_key_books_one_label(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, _ = await sandbox_account(client, tenant)
    first = await book_sandbox(tenant, account["id"], test_settings, key="book-1")
    again = await book_sandbox(tenant, account["id"], test_settings, key="book-1")
    assert first.status == "booked"
    assert (again.id, again.tracking_number) == (first.id, first.tracking_number)
    assert first.rate is not None
    assert first.label_available
    assert len(await _shipments(tenant.id)) == 1
    changes = await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)
    assert [c["payload"]["status"] for c in changes] == ["booked"]

    other_body = booking_input(account["id"], service_name="express")
    with pytest.raises(Conflict):
        await booking.book_shipment(tenant.id, other_body, idempotency_key="book-1", settings=test_settings)


async def test_concurrent_bookings_with_one_key_book_one_label(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, _ = await sandbox_account(client, tenant)
    request = booking_input(account["id"])
    results = await asyncio.gather(
        *(booking.book_shipment(tenant.id, request, idempotency_key="race", settings=test_settings) for _ in range(4))
    )
    assert len({r.id for r in results}) == 1
    assert {r.status for r in results} == {"booked"}
    assert len(await _shipments(tenant.id)) == 1
    assert len(await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)) == 1


class EasyPostCrash:
    """An EasyPost account, its edge, and a booking whose first attempt dies at ``step``."""

    def __init__(self, edge: EasyPostEdge, http: httpx.AsyncClient, request: ShipmentBookingInput) -> None:
        self.edge, self.http, self.request = edge, http, request

    @classmethod
    async def open(cls, client: httpx.AsyncClient, tenant: TenantHandle) -> EasyPostCrash:
        account, _ = await create_account(
            client, tenant, "easypost", credentials={"api_key": "EZTK_test"}, webhook_secret=EP_SECRET
        )
        edge = EasyPostEdge()
        return cls(edge, httpx.AsyncClient(transport=httpx.MockTransport(edge)), easypost_input(account["id"]))

    async def book(self, tenant: TenantHandle, key: str, settings: Settings) -> ShipmentRead:
        return await booking.book_shipment(
            tenant.id, self.request, idempotency_key=key, settings=settings, http_client=self.http
        )

    async def die_once(
        self, tenant: TenantHandle, key: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, step: str
    ) -> None:
        """Run a first attempt whose process dies at ``booking.<step>`` (nothing after it commits)."""

        async def die(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError(f"worker died at {step}")

        with monkeypatch.context() as patched:
            patched.setattr(booking, step, die)
            with pytest.raises(RuntimeError):
                await self.book(tenant, key, settings)


async def test_easypost_booking_is_bought_once_even_after_a_crash_before_commit(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = await EasyPostCrash.open(client, tenant)
    await crash.die_once(tenant, "ep-1", test_settings, monkeypatch, "_record_booking")  # after the carrier answered
    [row] = await _shipments(tenant.id)
    assert row["status"] == "pending"  # the carrier's answer never committed

    # The retry asks EasyPost about the shipment first, finds the label bought, and adopts it.
    booked = await crash.book(tenant, "ep-1", test_settings)
    assert booked.status == "booked"
    assert booked.id == row["id"]
    assert booked.tracking_number == EP_TRACKING
    assert crash.edge.calls["POST /v2/shipments"] == 1
    assert crash.edge.calls[f"POST /v2/shipments/{EP_SHIPMENT}/buy"] == 1  # no second label
    assert crash.edge.calls[f"GET /v2/shipments/{EP_SHIPMENT}"] == 1
    assert crash.edge.bought == {EP_SHIPMENT}
    await crash.http.aclose()


async def test_easypost_retry_after_a_crash_before_the_purchase_buys_once(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = await EasyPostCrash.open(client, tenant)
    await crash.die_once(tenant, "ep-2", test_settings, monkeypatch, "_buy")  # rates committed, nothing bought
    booked = await crash.book(tenant, "ep-2", test_settings)
    assert booked.status == "booked"
    assert crash.edge.calls[f"GET /v2/shipments/{EP_SHIPMENT}"] == 1  # EasyPost said: not bought yet
    assert crash.edge.calls[f"POST /v2/shipments/{EP_SHIPMENT}/buy"] == 1
    await crash.http.aclose()


async def test_easypost_retry_when_the_lookup_fails_buys_nothing_and_asks_to_retry(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = await EasyPostCrash.open(client, tenant)
    await crash.die_once(tenant, "ep-3", test_settings, monkeypatch, "_record_booking")
    crash.edge.lookup_down = True
    with pytest.raises(ServiceUnavailable):
        await crash.book(tenant, "ep-3", test_settings)
    assert crash.edge.calls[f"POST /v2/shipments/{EP_SHIPMENT}/buy"] == 1
    [row] = await _shipments(tenant.id)
    assert row["status"] == "pending"

    crash.edge.lookup_down = False  # EasyPost is back: the same key now adopts the label bought the first time
    booked = await crash.book(tenant, "ep-3", test_settings)
    assert booked.status == "booked"
    assert crash.edge.calls[f"POST /v2/shipments/{EP_SHIPMENT}/buy"] == 1
    await crash.http.aclose()


def _oversized(status: int) -> httpx.Response:
    return httpx.Response(status, content=b" " * (get_settings().carrier_max_response_bytes + 1))


def _answer(status: int, body: bytes) -> Any:
    return lambda: httpx.Response(status, content=body)


@pytest.mark.parametrize(
    ("answer", "sold"),
    [
        pytest.param(lambda: _oversized(200), True, id="2xx-oversized"),
        pytest.param(_answer(200, b'{"id": "shp_93170d48eb1a413aa5c0d8bf4384a350", "trac'), True, id="2xx-cut"),
        pytest.param(_answer(200, b"<html>upstream proxy</html>"), True, id="2xx-not-json"),
        pytest.param(lambda: _oversized(503), False, id="503-oversized"),
    ],
)
async def test_an_unreadable_purchase_answer_is_an_unknown_outcome_and_the_retry_adopts_the_label(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, answer: Any, sold: bool
) -> None:
    """A 2xx to the purchase whose body cannot be read may have sold a label: not a refusal (422,
    ``failed``, a new key and a second label), but 503 with the shipment still pending, so the retry
    asks the carrier and adopts what was bought. A 5xx too large to read is still a 5xx."""
    crash = await EasyPostCrash.open(client, tenant)
    crash.edge.lost_buy_answer = answer()
    with pytest.raises(ServiceUnavailable):
        await crash.book(tenant, "ep-unread", test_settings)
    [row] = await _shipments(tenant.id)
    assert row["status"] == "pending"
    assert crash.edge.bought == ({EP_SHIPMENT} if sold else set())

    booked = await crash.book(tenant, "ep-unread", test_settings)
    assert booked.status == "booked"
    assert booked.tracking_number == EP_TRACKING
    assert crash.edge.bought == {EP_SHIPMENT}
    assert crash.edge.calls[f"GET /v2/shipments/{EP_SHIPMENT}"] == 1  # asked before paying again
    assert crash.edge.calls[f"POST /v2/shipments/{EP_SHIPMENT}/buy"] == (1 if sold else 2)
    await crash.http.aclose()


async def test_sandbox_booking_after_a_crash_gets_the_same_label(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, _ = await sandbox_account(client, tenant)
    original = booking._record_booking

    async def die(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("crash")

    monkeypatch.setattr(booking, "_record_booking", die)
    with pytest.raises(RuntimeError):
        await book_sandbox(tenant, account["id"], test_settings, key="sbx-crash")
    monkeypatch.setattr(booking, "_record_booking", original)
    booked = await book_sandbox(tenant, account["id"], test_settings, key="sbx-crash")
    assert booked.status == "booked"
    [row] = await _shipments(tenant.id)
    assert row["book_attempts"] == 2
    assert row["tracking_number"] == booked.tracking_number


async def test_carrier_refusal_is_422_and_stays_refused(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, _ = await sandbox_account(client, tenant)
    bad = booking_input(account["id"], service_name="overnight")
    with pytest.raises(ValidationFailed) as refused:
        await booking.book_shipment(tenant.id, bad, idempotency_key="bad-1", settings=test_settings)
    assert refused.value.errors[0].field == "service"
    with pytest.raises(ValidationFailed):
        await booking.book_shipment(tenant.id, bad, idempotency_key="bad-1", settings=test_settings)
    [row] = await _shipments(tenant.id)
    assert row["status"] == "failed"


# -- matching ------------------------------------------------------------------------------------


async def test_unmatched_events_are_matched_when_the_shipment_is_booked(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, path = await create_account(
        client, tenant, "easypost", credentials={"api_key": "EZTK_test"}, webhook_secret=EP_SECRET
    )
    body = (
        (FIXTURES / "event_tracker_updated.json")
        .read_bytes()
        .replace(b'"tracking_code":"1"', f'"tracking_code":"{EP_TRACKING}"'.encode())
    )
    signature = easypost_mapper.sign_body(body, EP_SECRET)
    accepted = await client.post(path, content=body, headers={"X-Hmac-Signature": signature})
    assert accepted.status_code == 202
    await run_inbound_jobs(tenant.id, test_settings)
    inbound = await carrier_inbound.get_inbound_event(tenant.id, uuid.UUID(accepted.json()["id"]))
    assert inbound is not None
    assert inbound["status"] == "unmatched"

    http = httpx.AsyncClient(transport=httpx.MockTransport(EasyPostEdge()))
    shipment = await booking.book_shipment(
        tenant.id,
        easypost_input(account["id"]),
        idempotency_key="ep-match",
        settings=test_settings,
        http_client=http,
    )
    await http.aclose()
    assert shipment.tracking_number == EP_TRACKING
    assert shipment.status == "in_transit"  # the waiting events were applied
    events = (await client.get(f"/v1/shipments/{shipment.id}/events", headers=tenant.headers())).json()
    assert len(events) == 7
    assert events == sorted(events, key=lambda e: e["occurred_at"])
    statuses = [c["payload"]["status"] for c in await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)]
    assert statuses == ["booked", "in_transit"]


# -- sandbox simulation --------------------------------------------------------------------------


async def test_sandbox_timeline_posts_signed_webhooks_to_the_hub(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, _ = await create_account(client, tenant, "sandbox", options={"time_scale": 3600})
    shipment = await book_sandbox(tenant, account["id"], test_settings)
    scheduled = await pending_outbox(tenant.id, simulation.SANDBOX_POST_JOB)
    assert len(scheduled) == 6  # domestic: label, pickup, departure, depot, out for delivery, delivered
    assert scheduled[-1]["available_at"] > scheduled[0]["available_at"]
    ctx = {"settings": test_settings, "carrier_http_client": client}  # the app itself, over ASGI
    for row in scheduled:
        assert await jobs.sandbox_post_event(ctx, str(tenant.id), str(row["id"]), row["payload"]) == "posted"
        assert await jobs.sandbox_post_event(ctx, str(tenant.id), str(row["id"]), row["payload"]) == "already done"
    assert set(await run_inbound_jobs(tenant.id, test_settings)) == {"done"}
    got = (await client.get(f"/v1/shipments/{shipment.id}", headers=tenant.headers())).json()
    assert got["status"] == "delivered"
    events = (await client.get(f"/v1/shipments/{shipment.id}/events", headers=tenant.headers())).json()
    assert [e["carrier_code"] for e in events][-1] == "DELIVERED"
    assert {e["source"] for e in events} == {"webhook"}


async def test_no_simulation_when_switched_off(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, _ = await sandbox_account(client, tenant)  # simulate_tracking false
    await book_sandbox(tenant, account["id"], test_settings)
    assert await pending_outbox(tenant.id, simulation.SANDBOX_POST_JOB) == []


# -- cancel and rates ----------------------------------------------------------------------------


async def test_cancel_before_pickup_only(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    account, _ = await sandbox_account(client, tenant)
    shipment = await book_sandbox(tenant, account["id"], test_settings)
    cancelled = await booking.cancel_shipment(tenant.id, shipment.id, settings=test_settings)
    assert cancelled.status == "cancelled"
    again = await booking.cancel_shipment(tenant.id, shipment.id, settings=test_settings)
    assert again.status == "cancelled"
    moving = await book_sandbox(tenant, account["id"], test_settings)
    async with tenant_tx(tenant.id):
        await fetch(
            "UPDATE shipments SET status = 'in_transit', reached = 'in_transit' WHERE tenant_id = {} AND id = {}",
            tenant.id,
            moving.id,
        )
    with pytest.raises(Conflict):
        await booking.cancel_shipment(tenant.id, moving.id, settings=test_settings)
    statuses = [c["payload"]["status"] for c in await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)]
    assert statuses.count("cancelled") == 1


async def test_rates_for_sandbox(client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings) -> None:
    account, _ = await sandbox_account(client, tenant)
    rates = await booking.rates_for(
        tenant.id,
        ShipmentRatesInput(
            carrier_account_id=uuid.UUID(account["id"]),
            parcels=[Parcel(weight_kg=Decimal(1))],
            ship_from=SHIP_FROM,
            ship_to=SHIP_TO,
        ),
        settings=test_settings,
    )
    assert {r.service for r in rates.rates} == {"standard", "express"}


# -- cron ----------------------------------------------------------------------------------------


async def test_polling_stale_marking_and_retirement(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings
) -> None:
    # An EasyPost account without a webhook secret is polled.
    account, _ = await create_account(client, tenant, "easypost", credentials={"api_key": "EZTK_poll"})
    edge = EasyPostEdge()
    http = httpx.AsyncClient(transport=httpx.MockTransport(edge))
    shipment = await booking.book_shipment(
        tenant.id, easypost_input(account["id"]), idempotency_key="ep-poll", settings=test_settings, http_client=http
    )
    stored = await jobs.poll_trackers({"settings": test_settings, "carrier_http_client": http})
    assert stored >= 1
    assert edge.calls["GET /v2/trackers"] >= 1
    events = (await client.get(f"/v1/shipments/{shipment.id}/events", headers=tenant.headers())).json()
    assert events
    assert {e["source"] for e in events} == {"poll"}
    assert await jobs.poll_trackers({"settings": test_settings, "carrier_http_client": http}) == 0  # de-duplicated
    await http.aclose()

    sandbox, _ = await sandbox_account(client, tenant)
    quiet = await book_sandbox(tenant, sandbox["id"], test_settings)
    later = datetime.now(UTC) + timedelta(days=8)
    assert await sweeps.mark_stale_shipments(now=later) >= 1
    stale = await carrier_shipments.get_shipment(tenant.id, quiet.id)
    assert (stale.status, stale.status_reason) == ("exception", "delay")
    changes = await pending_outbox(tenant.id, tracking.STATUS_CHANGED_JOB)
    assert {
        "shipment_id": str(quiet.id),
        "order_id": str(quiet.order_id),
        "status": "exception",
        "reason": "delay",
    } in [c["payload"] for c in changes]

    await booking.cancel_shipment(
        tenant.id, (await book_sandbox(tenant, sandbox["id"], test_settings)).id, settings=test_settings
    )
    assert await sweeps.retire_trackers() >= 1
    assert await sweeps.retire_trackers(now=datetime.now(UTC) + timedelta(days=91)) >= 1
    async with tenant_tx(tenant.id):
        left = await fetch(
            "SELECT count(*) AS n FROM shipments WHERE tenant_id = {} AND tracking_retired_at IS NULL", tenant.id
        )
    assert left[0]["n"] == 0


@pytest.mark.parametrize("carrier", ["easypost", "aftership"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "api.rebound.example"])
@pytest.mark.parametrize("shared", [True, False], ids=["shared-client", "own-client"])
async def test_carrier_calls_never_connect_to_a_private_address(
    monkeypatch: pytest.MonkeyPatch, carrier: str, host: str, shared: bool
) -> None:
    """``options.base_url`` is checked when the account is saved; a name that resolves inward later
    (DNS rebinding, a row stored before the check) is refused when connecting, by the client built
    the production way: the shared one from ``create_client()`` or the adapter's own."""
    real_getaddrinfo = egress.anyio.getaddrinfo

    async def rebinding(name: str, *args: Any, **kwargs: Any) -> Any:
        # A public-looking name that passed registration and now points at the hub's own host.
        return await real_getaddrinfo("127.0.0.1" if name == "api.rebound.example" else name, *args, **kwargs)

    monkeypatch.setattr(egress.anyio, "getaddrinfo", rebinding)
    connections: list[object] = []

    async def listener(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer.get_extra_info("peername"))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(listener, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with contextlib.AsyncExitStack() as stack:
            http_client = await stack.enter_async_context(create_client()) if shared else None
            gateway = create_gateway(
                carrier,
                credentials={"api_key": "key_not_for_anyone"},
                options={"base_url": f"http://{host}:{port}/v2"},
                http_client=http_client,
            )
            updates = await gateway.track(["LZ123456789US"])
    finally:
        server.close()
        await server.wait_closed()
    assert connections == []
    assert [m.code for m in updates[0].messages] == ["network_error"], updates
    assert "not a public address" in updates[0].messages[0].message, updates


async def test_one_tenants_failing_carrier_does_not_stop_polling_for_the_others(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, test_settings: Settings
) -> None:
    """A carrier answering garbage (here a body that claims gzip and is not, which httpx raises on)
    for one tenant's account is logged and skipped; the sweep goes on to every other account."""
    broken = "Basic " + base64.b64encode(b"EZTK_broken:").decode()
    edges = {broken: EasyPostEdge()}  # one EasyPost account each: they buy the same recorded shipment
    fine_edge = EasyPostEdge()

    def carriers(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization")
        if request.url.path == "/v2/trackers" and auth == broken:
            return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all")
        return edges.get(auth or "", fine_edge)(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(carriers))
    shipments = {}
    # tenant sorts before other_tenant (UUIDv7), and the sweep goes tenant by tenant.
    for handle, key in ((tenant, "EZTK_broken"), (other_tenant, "EZTK_fine")):
        account, _ = await create_account(client, handle, "easypost", credentials={"api_key": key})
        shipments[key] = await booking.book_shipment(
            handle.id,
            easypost_input(account["id"]),
            idempotency_key=f"ep-{key}",
            settings=test_settings,
            http_client=http,
        )
    try:
        assert await jobs.poll_trackers({"settings": test_settings, "carrier_http_client": http}) >= 1
    finally:
        await http.aclose()
    fine = shipments["EZTK_fine"]
    events = (await client.get(f"/v1/shipments/{fine.id}/events", headers=other_tenant.headers())).json()
    assert {e["source"] for e in events} == {"poll"}
