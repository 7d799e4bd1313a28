"""Outbound seller webhooks: fan-out from the outbox, signed delivery, attempts logged, backoff."""

from __future__ import annotations

import asyncio
import json
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import asyncpg
import httpx
import pytest

from carriers.signatures import verify_hub
from hub.core import outbox
from hub.core.bootstrap import Services
from hub.core.database import fetch, tenant_tx
from hub.core.outbox import outbox_job
from hub.orders.webhooks import MAX_ATTEMPTS, deliver_webhook, fan_out
from hub.worker import build_worker
from tenants.roles import Role
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle, make_tenant
from tests.integration.test_outbox_and_worker import RecordingQueue, job_function, owner_connection, private_queue
from tests.integration.test_tenancy import execute_as

SECRET = "whsec_0123456789abcdef"


async def _pending_outbox(tenant_id: uuid.UUID, job: str) -> list[dict[str, Any]]:
    async with tenant_tx(tenant_id):
        return await fetch(
            "SELECT id, payload FROM outbox WHERE tenant_id = {} AND job = {} AND completed_at IS NULL ORDER BY id",
            tenant_id,
            job,
        )


async def _endpoint(client: httpx.AsyncClient, tenant: TenantHandle, url: str) -> dict[str, Any]:
    created = await client.post("/v1/webhook-endpoints", json={"url": url, "secret": SECRET}, headers=tenant.headers())
    assert created.status_code == 201, created.text
    endpoint: dict[str, Any] = created.json()
    return endpoint


async def _fan_out_pending(tenant: TenantHandle) -> None:
    """Run the fan-out job of every pending order event, as the worker would."""
    for row in await _pending_outbox(tenant.id, "deliver_order_event"):
        payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        await outbox_job(fan_out)({"redis": None}, str(tenant.id), str(row["id"]), payload)


async def _send(ctx: dict[str, Any], tenant_id: uuid.UUID, delivery_id: str) -> str:
    """Run the newest send job (outbox row) of one delivery, as the worker would."""
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT id, payload FROM outbox WHERE tenant_id = {} AND job = 'deliver_webhook' "
            "AND payload->>'delivery_id' = {} ORDER BY id DESC LIMIT 1",
            tenant_id,
            delivery_id,
        )
    assert rows, f"no send job for delivery {delivery_id}"
    payload = rows[0]["payload"] if isinstance(rows[0]["payload"], dict) else json.loads(rows[0]["payload"])
    return await deliver_webhook(ctx, str(tenant_id), str(rows[0]["id"]), payload)


async def test_order_created_is_delivered_signed(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    endpoint = await client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://seller.example/hooks", "secret": SECRET},
        headers=tenant.headers(),
    )
    assert endpoint.status_code == 201, endpoint.text
    assert "secret" not in endpoint.json()
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()

    rows = await _pending_outbox(tenant.id, "deliver_order_event")
    assert len(rows) == 2  # order.created and the status change to approved
    run = outbox_job(fan_out, name="deliver_order_event")
    for row in rows:
        payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        assert await run({"redis": None}, str(tenant.id), str(row["id"]), payload) == "done"
        # arq may run a job twice: the second run does nothing.
        assert await run({"redis": None}, str(tenant.id), str(row["id"]), payload) == "already done"

    deliveries = (
        await client.get(f"/v1/webhook-endpoints/{endpoint.json()['id']}/deliveries", headers=tenant.headers())
    ).json()
    assert {d["event"] for d in deliveries} == {"order.created", "order.status_changed"}

    received: list[httpx.Request] = []

    def seller(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    for delivery in deliveries:
        result = await _send({"webhook_transport": httpx.MockTransport(seller)}, tenant.id, delivery["id"])
        assert result == "delivered"
    assert len(received) == 2
    for request in received:
        assert verify_hub(request.headers["Hub-Signature"], request.content, SECRET)
        assert order["id"].encode() in request.content
    again = await _send({"webhook_transport": httpx.MockTransport(seller)}, tenant.id, deliveries[0]["id"])
    assert again == "already done"
    assert len(received) == 2


async def test_failed_delivery_is_logged_and_retried(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    endpoint = await _endpoint(client, tenant, "https://seller.example/down")
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    await _fan_out_pending(tenant)
    deliveries = (
        await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers())
    ).json()

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    result = await _send({"webhook_transport": httpx.MockTransport(down)}, tenant.id, deliveries[0]["id"])
    assert result == "retry: HTTP 503"
    async with tenant_tx(tenant.id):
        (send,) = await fetch(
            "SELECT available_at > now() AS later, dispatched_at, completed_at FROM outbox "
            "WHERE tenant_id = {} AND job = 'deliver_webhook' AND payload->>'delivery_id' = {}",
            tenant.id,
            deliveries[0]["id"],
        )
    assert send["later"], "due again after the backoff, not at once"
    assert send["completed_at"] is None
    assert send["dispatched_at"] is None
    after = (await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers())).json()
    failed = next(d for d in after if d["id"] == deliveries[0]["id"])
    assert failed["attempts"] == 1
    assert failed["last_status"] == 503
    assert failed["delivered_at"] is None


async def test_webhook_endpoint_needs_a_real_url(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    bad = await client.post(
        "/v1/webhook-endpoints", json={"url": "ftp://x", "secret": SECRET}, headers=tenant.headers()
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "url"
    clerk = await client.post(
        "/v1/webhook-endpoints", json={"url": "https://a.example", "secret": SECRET}, headers=tenant.headers(Role.CLERK)
    )
    assert clerk.status_code == 403


# --- no requests to the hub's own network (SSRF) -------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/v1/api-keys",
        "http://api.localhost/",
        "http://10.0.0.1/hooks",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://2130706433/",  # 127.0.0.1 as one number: the resolver reads it so
        "http://0x7f.1/",
        "http://017700000001/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://redis:6379/",  # a single-label name is a name on the local network
    ],
)
async def test_webhook_endpoint_on_a_private_address_is_refused(
    client: httpx.AsyncClient, tenant: TenantHandle, url: str
) -> None:
    refused = await client.post("/v1/webhook-endpoints", json={"url": url, "secret": SECRET}, headers=tenant.headers())
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "url"
    assert (await client.get("/v1/webhook-endpoints", headers=tenant.headers())).json() == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_delivery_never_connects_to_a_private_address(
    client: httpx.AsyncClient, tenant: TenantHandle, host: str
) -> None:
    """An endpoint whose name resolves to the hub's own network at delivery time (DNS rebinding, a row
    stored before the check) is refused when connecting, not only at registration."""
    connections: list[object] = []

    async def listener(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer.get_extra_info("peername"))
        writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(listener, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    endpoint = await _endpoint(client, tenant, "https://seller.example/hooks")
    async with tenant_tx(tenant.id):
        await fetch(
            "UPDATE webhook_endpoints SET url = {} WHERE tenant_id = {} AND id = {}",
            f"http://{host}:{port}/hooks",
            tenant.id,
            uuid.UUID(endpoint["id"]),
        )
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    await _fan_out_pending(tenant)
    deliveries = (
        await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers())
    ).json()
    try:
        assert (await _send({"redis": None}, tenant.id, deliveries[0]["id"])).startswith("retry: ConnectError")
    finally:
        server.close()
        await server.wait_closed()
    assert connections == []
    after = (await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers())).json()
    refused = next(d for d in after if d["id"] == deliveries[0]["id"])
    assert refused["delivered_at"] is None
    assert "not a public address" in (refused["last_error"] or ""), refused


# --- no delivery lost to Redis ---------------------------------------------------------------------


async def test_a_delivery_survives_redis_being_emptied(client: httpx.AsyncClient, services: Services) -> None:
    """Redis emptied (or the worker killed) after an event fanned out loses no delivery: the sends are
    outbox rows, relayed and re-relayed after the lease like every other job, and the real worker
    sends them."""
    await outbox.relay_once(RecordingQueue(), batch=10_000)  # older rows belong to other tests
    tenant = await make_tenant()
    endpoint = await _endpoint(client, tenant, "https://seller.example/hooks")
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    received: list[httpx.Request] = []

    def seller(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    async with private_queue(services) as (pool, queue_name):
        fan_out_job = job_function("deliver_order_event")
        for row in await _pending_outbox(tenant.id, "deliver_order_event"):
            payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
            assert await fan_out_job({"redis": pool}, str(tenant.id), str(row["id"]), payload) == "done"
        await outbox.relay_once(pool)
        # Redis is emptied (a restart without persistence) before any worker sent a delivery.
        await pool.delete(queue_name)
        async with owner_connection(services) as owner:
            await owner.execute(
                "UPDATE outbox SET dispatched_at = now() - $1::interval "
                "WHERE tenant_id = $2 AND dispatched_at IS NOT NULL",
                outbox.LEASE + timedelta(minutes=1),
                tenant.id,
            )
        await outbox.relay_once(pool)
        worker = build_worker(services, burst=True, start_relay=False, manage_pool=False, queue_name=queue_name)
        worker.ctx["webhook_transport"] = httpx.MockTransport(seller)
        try:
            await worker.async_run()
        finally:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Call to deprecated close", category=DeprecationWarning)
                await worker.close()
    deliveries = (
        await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers())
    ).json()
    assert len(deliveries) == 2
    assert all(d["delivered_at"] is not None for d in deliveries), deliveries
    assert len(received) == 2


async def test_a_receiver_can_deduplicate_by_event_id(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Delivery is at-least-once: a retry carries the same ids, so a receiver can tell a repeat from
    a new event whose body happens to read the same (two status changes with the same from and to)."""
    await _endpoint(client, tenant, "https://seller.example/hooks")
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    events = await _pending_outbox(tenant.id, "deliver_order_event")
    await _fan_out_pending(tenant)
    received: list[httpx.Request] = []
    answers = iter([500, 204, 204])

    def seller(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(next(answers))

    async with tenant_tx(tenant.id):
        deliveries = await fetch(
            "SELECT id FROM webhook_deliveries WHERE tenant_id = {} ORDER BY created_at, id", tenant.id
        )
    ctx = {"webhook_transport": httpx.MockTransport(seller)}
    assert (await _send(ctx, tenant.id, str(deliveries[0]["id"]))).startswith("retry")
    assert await _send(ctx, tenant.id, str(deliveries[0]["id"])) == "delivered"
    assert await _send(ctx, tenant.id, str(deliveries[1]["id"])) == "delivered"
    first, retried, other = received
    assert first.content == retried.content
    assert first.headers["Hub-Delivery-Id"] == retried.headers["Hub-Delivery-Id"] == str(deliveries[0]["id"])
    assert other.headers["Hub-Delivery-Id"] == str(deliveries[1]["id"])
    event_ids = {json.loads(r.content)["id"] for r in (first, other)}
    assert event_ids == {str(row["id"]) for row in events}, "the body (signed) names the event"


async def test_a_seller_replays_a_delivery_through_the_api(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """A delivery given up after MAX_ATTEMPTS (or one delivered) is sent again on the seller's word."""
    endpoint = await _endpoint(client, tenant, "https://seller.example/hooks")
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    await _fan_out_pending(tenant)
    listing = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    delivery = (await client.get(listing, headers=tenant.headers())).json()[0]
    answers: list[int] = [500] * MAX_ATTEMPTS + [204]
    received: list[httpx.Request] = []

    def seller(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(answers.pop(0))

    ctx = {"webhook_transport": httpx.MockTransport(seller)}
    results = [await _send(ctx, tenant.id, delivery["id"]) for _ in range(MAX_ATTEMPTS)]
    assert results[-1] == "gave up: HTTP 500"
    assert await _send(ctx, tenant.id, delivery["id"]) == "already done"

    replay = f"{listing}/{delivery['id']}/replay"
    assert (await client.post(replay, headers=other_tenant.headers())).status_code == 404
    assert (await client.post(replay, headers=tenant.headers(Role.CLERK))).status_code == 403
    accepted = await client.post(replay, headers=tenant.headers())
    assert accepted.status_code == 202, accepted.text
    assert await _send(ctx, tenant.id, delivery["id"]) == "delivered"
    assert received[-1].content == received[0].content
    after = next(d for d in (await client.get(listing, headers=tenant.headers())).json() if d["id"] == delivery["id"])
    assert after["delivered_at"] is not None
    missing = f"{listing}/{uuid.uuid4()}/replay"
    assert (await client.post(missing, headers=tenant.headers())).status_code == 404


# --- every attempt logged ----------------------------------------------------------------------------


async def _fanned_out_delivery(client: httpx.AsyncClient, tenant: TenantHandle) -> tuple[str, str]:
    """An endpoint and one of its deliveries (order.created fanned out), as (endpoint id, delivery id)."""
    endpoint = await _endpoint(client, tenant, "https://seller.example/hooks")
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    await _fan_out_pending(tenant)
    listing = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    deliveries = (await client.get(listing, headers=tenant.headers())).json()
    return endpoint["id"], next(d["id"] for d in deliveries if d["event"] == "order.created")


async def test_every_attempt_is_logged_with_a_bounded_excerpt(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """The delivery row keeps the last outcome only; the attempts log keeps each one, append-only."""
    endpoint_id, delivery_id = await _fanned_out_delivery(client, tenant)
    answers = [
        httpx.Response(503, content=b"down for maintenance\x00" + b"x" * 5000),
        httpx.Response(500, content="服务器错误".encode()),
        httpx.Response(204),
    ]

    def seller(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    ctx = {"webhook_transport": httpx.MockTransport(seller)}
    assert (await _send(ctx, tenant.id, delivery_id)).startswith("retry")
    assert (await _send(ctx, tenant.id, delivery_id)).startswith("retry")
    assert await _send(ctx, tenant.id, delivery_id) == "delivered"

    url = f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/attempts"
    listed = await client.get(url, headers=tenant.headers())
    assert listed.status_code == 200, listed.text
    newest, second, first = listed.json()
    assert [a["attempt"] for a in (first, second, newest)] == [1, 2, 3]
    assert (first["status"], first["error"]) == (503, "HTTP 503")
    assert first["response_excerpt"].startswith("down for maintenance")
    assert len(first["response_excerpt"].encode()) <= 1024 * 3  # 1 KiB of the body, as text
    assert len(first["response_excerpt"]) <= 1024
    assert "\x00" not in first["response_excerpt"]
    assert (second["status"], second["response_excerpt"]) == (500, "服务器错误")
    assert (newest["status"], newest["error"], newest["response_excerpt"]) == (204, None, None)
    assert all(a["duration_ms"] >= 0 and a["started_at"] for a in (first, second, newest))
    assert first["started_at"] <= second["started_at"] <= newest["started_at"]

    assert (await client.get(url, headers=other_tenant.headers())).status_code == 404
    assert (await client.get(url, headers=tenant.headers(Role.CLERK))).status_code == 403
    unknown = f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{uuid.uuid4()}/attempts"
    assert (await client.get(unknown, headers=tenant.headers())).status_code == 404
    other_endpoint = (
        await client.post(
            "/v1/webhook-endpoints", json={"url": "https://b.example/h", "secret": SECRET}, headers=tenant.headers()
        )
    ).json()
    crossed = f"/v1/webhook-endpoints/{other_endpoint['id']}/deliveries/{delivery_id}/attempts"
    assert (await client.get(crossed, headers=tenant.headers())).status_code == 404


async def test_a_connection_failure_is_logged_without_a_status(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    endpoint_id, delivery_id = await _fanned_out_delivery(client, tenant)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    assert await _send({"webhook_transport": httpx.MockTransport(unreachable)}, tenant.id, delivery_id) == (
        "retry: ConnectTimeout"
    )
    url = f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/attempts"
    (attempt,) = (await client.get(url, headers=tenant.headers())).json()
    assert attempt["status"] is None
    assert attempt["error"] == "ConnectTimeout"
    assert attempt["response_excerpt"] is None


async def test_the_attempts_log_is_append_only(
    client: httpx.AsyncClient, tenant: TenantHandle, services: Services
) -> None:
    """The application role may add attempts and read them, never rewrite or remove one."""
    _, delivery_id = await _fanned_out_delivery(client, tenant)
    await _send({"webhook_transport": httpx.MockTransport(lambda r: httpx.Response(500))}, tenant.id, delivery_id)
    connection = await asyncpg.connect(services.app_database_url)
    try:
        for statement in (
            "UPDATE webhook_delivery_attempts SET status = 200 WHERE tenant_id = $1",
            "DELETE FROM webhook_delivery_attempts WHERE tenant_id = $1",
        ):
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                await execute_as(connection, tenant.id, statement, tenant.id)
    finally:
        await connection.close()


# --- the retry schedule and Retry-After -------------------------------------------------------------


async def _due_in(tenant_id: uuid.UUID, delivery_id: str) -> timedelta:
    async with tenant_tx(tenant_id):
        (row,) = await fetch(
            "SELECT available_at - now() AS due_in FROM outbox WHERE tenant_id = {} AND job = 'deliver_webhook' "
            "AND payload->>'delivery_id' = {} AND completed_at IS NULL",
            tenant_id,
            delivery_id,
        )
    due_in: timedelta = row["due_in"]
    return due_in


@pytest.mark.parametrize(
    ("status", "retry_after", "low", "high"),
    [
        (503, "1800", timedelta(seconds=1795), timedelta(seconds=1800)),
        (429, "1200", timedelta(seconds=1195), timedelta(seconds=1200)),
        (429, "in-a-bit", timedelta(seconds=26), timedelta(seconds=33)),  # unreadable: the backoff
        (503, "2", timedelta(seconds=26), timedelta(seconds=33)),  # never sooner than the backoff
        (503, "86400", timedelta(seconds=3595), timedelta(seconds=3600)),  # never later than an hour
        (500, "1800", timedelta(seconds=26), timedelta(seconds=33)),  # only 429 and 503 say when
    ],
)
async def test_retry_after_sets_the_next_attempt(
    client: httpx.AsyncClient,
    tenant: TenantHandle,
    status: int,
    retry_after: str,
    low: timedelta,
    high: timedelta,
) -> None:
    _, delivery_id = await _fanned_out_delivery(client, tenant)

    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Retry-After": retry_after})

    assert await _send({"webhook_transport": httpx.MockTransport(busy)}, tenant.id, delivery_id) == (
        f"retry: HTTP {status}"
    )
    assert low <= await _due_in(tenant.id, delivery_id) <= high


async def test_retry_after_as_an_http_date(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    _, delivery_id = await _fanned_out_delivery(client, tenant)
    when = format_datetime(datetime.now(UTC) + timedelta(minutes=40), usegmt=True)

    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": when})

    assert (await _send({"webhook_transport": httpx.MockTransport(busy)}, tenant.id, delivery_id)).startswith("retry")
    assert timedelta(minutes=38) <= await _due_in(tenant.id, delivery_id) <= timedelta(minutes=40)


# --- deleting an endpoint ------------------------------------------------------------------------------


async def test_a_deleted_endpoint_is_sent_nothing_more_and_its_log_stays_readable(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """Deleting an endpoint between fan-out and send: the send is skipped, and an attempt says why."""
    endpoint_id, delivery_id = await _fanned_out_delivery(client, tenant)
    endpoint_url = f"/v1/webhook-endpoints/{endpoint_id}"
    assert (await client.delete(endpoint_url, headers=other_tenant.headers())).status_code == 404
    assert (await client.delete(endpoint_url, headers=tenant.headers(Role.CLERK))).status_code == 403
    deleted = await client.delete(endpoint_url, headers=tenant.headers())
    assert deleted.status_code == 204, deleted.text
    assert (await client.delete(endpoint_url, headers=tenant.headers())).status_code == 204  # again: still gone
    unknown = await client.delete(f"/v1/webhook-endpoints/{uuid.uuid4()}", headers=tenant.headers())
    assert unknown.status_code == 404
    assert (await client.get("/v1/webhook-endpoints", headers=tenant.headers())).json() == []

    received: list[httpx.Request] = []

    def seller(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    ctx = {"webhook_transport": httpx.MockTransport(seller)}
    assert await _send(ctx, tenant.id, delivery_id) == "skipped: the endpoint is deleted"
    assert received == []
    assert await _pending_outbox(tenant.id, "deliver_webhook") != []  # the other delivery, not this one
    assert await _send(ctx, tenant.id, delivery_id) == "already done"

    deliveries = (await client.get(f"{endpoint_url}/deliveries", headers=tenant.headers())).json()
    skipped = next(d for d in deliveries if d["id"] == delivery_id)
    assert skipped["delivered_at"] is None
    attempts = f"{endpoint_url}/deliveries/{delivery_id}/attempts"
    (attempt,) = (await client.get(attempts, headers=tenant.headers())).json()
    assert attempt["status"] is None
    assert attempt["error"] == "not sent: the endpoint is deleted"
    assert attempt["duration_ms"] == 0

    replay = await client.post(f"{endpoint_url}/deliveries/{delivery_id}/replay", headers=tenant.headers())
    assert replay.status_code == 409, replay.text

    # A new order fans out to no deleted endpoint.
    await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    await _fan_out_pending(tenant)
    assert len((await client.get(f"{endpoint_url}/deliveries", headers=tenant.headers())).json()) == len(deliveries)


async def test_a_retry_due_after_the_endpoint_is_deleted_is_not_sent(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    endpoint_id, delivery_id = await _fanned_out_delivery(client, tenant)
    answers = [500, 204]
    received: list[httpx.Request] = []

    def seller(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(answers.pop(0))

    ctx = {"webhook_transport": httpx.MockTransport(seller)}
    assert await _send(ctx, tenant.id, delivery_id) == "retry: HTTP 500"
    assert (await client.delete(f"/v1/webhook-endpoints/{endpoint_id}", headers=tenant.headers())).status_code == 204
    assert await _send(ctx, tenant.id, delivery_id) == "skipped: the endpoint is deleted"
    assert len(received) == 1
    url = f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/attempts"
    newest, first = (await client.get(url, headers=tenant.headers())).json()
    assert (first["attempt"], first["status"]) == (1, 500)
    assert (newest["attempt"], newest["error"]) == (2, "not sent: the endpoint is deleted")


async def test_a_rotated_secret_signs_the_next_send_pending_retries_included(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """A seller whose secret leaked replaces it; the old one must stop verifying at once."""
    endpoint_id, delivery_id = await _fanned_out_delivery(client, tenant)
    down = await _send(
        {"webhook_transport": httpx.MockTransport(lambda _: httpx.Response(503))}, tenant.id, delivery_id
    )
    assert down.startswith("retry"), down

    new_secret = "rotated-secret-0123456789abcdef"
    url = f"/v1/webhook-endpoints/{endpoint_id}/secret"
    too_short = await client.put(url, json={"secret": "short"}, headers=tenant.headers())
    assert too_short.status_code == 422, too_short.text
    assert [e["field"] for e in too_short.json()["errors"]] == ["secret"]
    assert (await client.put(url, json={"secret": new_secret}, headers=other_tenant.headers())).status_code == 404
    assert (await client.put(url, json={"secret": new_secret}, headers=tenant.headers(Role.CLERK))).status_code == 403
    rotated = await client.put(url, json={"secret": new_secret}, headers=tenant.headers())
    assert rotated.status_code == 200, rotated.text
    assert "secret" not in rotated.json()

    received: list[httpx.Request] = []

    def seller(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    assert await _send({"webhook_transport": httpx.MockTransport(seller)}, tenant.id, delivery_id) == "delivered"
    assert verify_hub(received[0].headers["Hub-Signature"], received[0].content, new_secret)
    assert not verify_hub(received[0].headers["Hub-Signature"], received[0].content, SECRET)
