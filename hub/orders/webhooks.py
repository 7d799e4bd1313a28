"""Outbound seller webhooks: endpoints per tenant, signed deliveries with backoff, every attempt logged.

``order.created`` / ``order.status_changed`` reach the outbox in the order's own transaction; the
``deliver_order_event`` job fans an event out into one delivery row per subscribed endpoint, each
with an outbox row of its own, and ``deliver_webhook`` POSTs each with
``Hub-Signature: t=<unix>,v1=<hex hmac-sha256 of "t.body">``, retrying with exponential backoff
and jitter for about a day (the outbox row is made due again; see :data:`MAX_ATTEMPTS`). Each attempt
is logged, append-only, in ``webhook_delivery_attempts`` (status, bounded error, the answer's first
KiB) in the transaction that settles it. A delivery can be replayed by hand.

Delivery is at-least-once and unordered. The body ``{"id", "type", "data"}`` names the event by
``id`` (a UUIDv7: sorting one order's events by it gives their order); the ``Hub-Delivery-Id`` header
names the delivery, the same on every retry and replay. Receivers de-duplicate by either.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, Literal

import httpx
import msgspec

from carriers.signatures import sign_hub
from hub.core import outbox
from hub.core.crypto import decrypt, encrypt
from hub.core.database import tenant_tx
from hub.core.egress import PrivateAddress, public_transport, refuse_private_url
from hub.core.errors import Conflict, NotFound
from hub.core.ids import new_id
from hub.core.settings import get_settings
from hub.orders.repository import webhooks as repo_webhooks
from hub.orders.schemas import AttemptRead, DeliveryRead, EndpointRead

EventName = Literal["order.created", "order.status_changed"]
EVENTS: tuple[EventName, ...] = ("order.created", "order.status_changed")
PURPOSE = "webhook-endpoint-secret"
SEND_JOB = "deliver_webhook"

# The retry schedule. A wait doubles from RETRY_BASE and stops growing at RETRY_CAP: 30 s, 1, 2, 4, 8,
# 16, 32 min, then an hour 23 times, 30 waits of 86,610 s in all (24 h 3.5 min), so MAX_ATTEMPTS = 31
# sends. Eight attempts over about four minutes gave up on a seller whose server was down for five;
# peers retry for hours to days (Stripe, live mode: exponential backoff for up to three days), and a
# day covers a seller's outage, a deploy gone wrong overnight, a certificate expired on a weekend
# morning, while the hourly cap keeps a recovered seller from waiting long. Each wait is spread by up
# to JITTER either way, so the deliveries that failed together do not all come back at once. A 429 or
# 503 with Retry-After is waited out, but never sooner than the backoff nor later than RETRY_CAP.
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 31
JITTER = 0.1
RETRY_AFTER_STATUSES = frozenset({429, 503})
EXCERPT_BYTES = 1024
"""How much of a receiver's answer an attempt keeps: enough to read its error, never a whole page."""
ERROR_CHARS = 300
DELETED = "not sent: the endpoint is deleted"


class EndpointCreate(msgspec.Struct, kw_only=True):
    url: Annotated[str, msgspec.Meta(max_length=2000)]
    secret: Annotated[str, msgspec.Meta(min_length=16, max_length=200)]
    events: list[EventName] = msgspec.field(default_factory=lambda: list(EVENTS))


class SecretRotate(msgspec.Struct, kw_only=True):
    secret: Annotated[str, msgspec.Meta(min_length=16, max_length=200)]


def _sealed(secret: str) -> str:
    """A signing secret as stored: encrypted at rest with the hub's key."""
    return encrypt(secret, secret_key=get_settings().secret_key, purpose=PURPOSE)


async def create_endpoint(tenant_id: uuid.UUID, data: EndpointCreate) -> EndpointRead:
    refuse_private_url(data.url, "url")
    endpoint_id = new_id()
    secret = _sealed(data.secret)
    async with tenant_tx(tenant_id):
        return await repo_webhooks.insert_endpoint(tenant_id, endpoint_id, data.url, secret, list(data.events))


async def rotate_secret(tenant_id: uuid.UUID, endpoint_id: uuid.UUID, data: SecretRotate) -> EndpointRead:
    """Replace the signing secret (encrypted at rest, never shown again).

    Every send reads the secret when it is made, so the next attempt, a pending retry included, is
    signed with the new one: a seller rotates by accepting both secrets for a while, then this.
    """
    secret = _sealed(data.secret)
    async with tenant_tx(tenant_id):
        row = await repo_webhooks.set_secret(tenant_id, endpoint_id, secret)
    if row is None:
        raise NotFound("no such webhook endpoint")
    return row


async def list_endpoints(tenant_id: uuid.UUID) -> list[EndpointRead]:
    async with tenant_tx(tenant_id):
        return await repo_webhooks.list_endpoints(tenant_id)


async def delete_endpoint(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    """Stop sending to an endpoint, now and for every send still pending (retries included).

    A soft delete: the row stays, disabled, so its deliveries and their attempts remain readable.
    Deleting it again changes nothing (the first deletion's time is kept).
    """
    async with tenant_tx(tenant_id):
        found = await repo_webhooks.disable_endpoint(tenant_id, endpoint_id)
    if not found:
        raise NotFound("no such webhook endpoint")


async def list_deliveries(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> list[DeliveryRead]:
    async with tenant_tx(tenant_id):
        if not await repo_webhooks.endpoint_exists(tenant_id, endpoint_id):
            raise NotFound("no such webhook endpoint")
        return await repo_webhooks.list_deliveries(tenant_id, endpoint_id)


async def list_attempts(tenant_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> list[AttemptRead]:
    """A delivery's attempts, newest first (at most 200), across replays."""
    async with tenant_tx(tenant_id):
        if not await repo_webhooks.delivery_exists(tenant_id, endpoint_id, delivery_id):
            raise NotFound("no such delivery")
        return await repo_webhooks.list_attempts(tenant_id, delivery_id)


async def fan_out(ctx: dict[str, Any], tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Outbox job body: one delivery row per endpoint subscribed to the event, each sent by its own
    outbox row in this same transaction.

    Not enqueued on Redis from here: a job enqueued before this transaction commits can run, find no
    delivery and end, and one in a Redis that is then emptied is gone for good, with nothing left to
    re-dispatch it. An outbox row is relayed again after its lease until the send is settled.
    """
    event = payload["event"]
    endpoint_ids = await repo_webhooks.subscribed_endpoint_ids(tenant_id, event)
    # The event's id is its outbox row's: stable, signed with the body, and a UUIDv7 taken in the
    # order's own transaction, so a receiver de-duplicates repeats and orders one order's events by it.
    body = msgspec.json.encode({"id": str(ctx["outbox_id"]), "type": event, "data": payload})
    for endpoint_id in endpoint_ids:
        delivery_id = new_id()
        await repo_webhooks.insert_delivery(tenant_id, delivery_id, endpoint_id, event, body)
        await outbox.enqueue(tenant_id, SEND_JOB, {"delivery_id": str(delivery_id)})


def nominal_backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed sends, before jitter: :data:`RETRY_BASE` doubling, capped."""
    doublings = min(max(attempts, 1) - 1, 20)  # 2**20 * 30 s is far past the cap already
    return min(RETRY_BASE * (1 << doublings), RETRY_CAP)


def backoff(attempts: int, *, spread: float | None = None) -> timedelta:
    """:func:`nominal_backoff` spread by ``spread`` (a fraction, random within :data:`JITTER` unless given)."""
    if spread is None:
        spread = random.uniform(-JITTER, JITTER)  # spreading load, not a secret
    return min(nominal_backoff(attempts) * (1 + spread), RETRY_CAP)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header as a wait from ``now``: delay-seconds or an HTTP-date; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return timedelta(seconds=int(value)) if len(value) <= 9 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def retry_delay(attempts: int, retry_after: timedelta | None, *, spread: float | None = None) -> timedelta:
    """The wait before the next send: the backoff, or the receiver's Retry-After within [backoff, cap]."""
    normal = backoff(attempts, spread=spread)
    if retry_after is None:
        return normal
    return max(normal, min(retry_after, RETRY_CAP))


def _excerpt(head: bytes) -> str | None:
    """The first :data:`EXCERPT_BYTES` of an answer as text PostgreSQL can store (no NUL)."""
    if not head:
        return None
    return head[:EXCERPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


async def deliver_webhook(ctx: dict[str, Any], tenant_id: str, outbox_id: str, payload: dict[str, Any]) -> str:
    """POST one delivery (an outbox job); a failure makes the row due again after :func:`retry_delay`.

    Not wrapped in :func:`hub.core.outbox.outbox_job` (that holds a transaction open around an HTTP
    call): the row is checked first and settled after, in the transaction that logs the attempt. The
    retry schedule lives in the outbox row, not in Redis, so a Redis restart mid-backoff loses no
    retry. Sending twice (a re-dispatch while the first send was in flight) is at-least-once
    delivery; receivers de-duplicate.
    """
    tenant = uuid.UUID(tenant_id)
    row_id = uuid.UUID(outbox_id)
    delivery_id = uuid.UUID(payload["delivery_id"])
    if await outbox.is_done(tenant, row_id):
        return "already done"
    async with tenant_tx(tenant):
        row = await repo_webhooks.delivery_to_send(tenant, delivery_id)
    if row is None or row.delivered_at is not None:
        await outbox.mark_done(tenant, row_id)
        return "nothing to do"
    if row.disabled_at is not None:
        # Deleted since fan-out (or since the last retry): nothing is sent, and the log says why.
        async with tenant_tx(tenant):
            await repo_webhooks.record_attempt(
                tenant,
                delivery_id,
                started_at=datetime.now(UTC),
                duration_ms=0,
                status=None,
                error=DELETED,
                excerpt=None,
            )
            await outbox.mark_done(tenant, row_id, error=DELETED)
        return "skipped: the endpoint is deleted"
    body = row.body
    secret = decrypt(row.secret_encrypted, secret_key=get_settings().secret_key, purpose=PURPOSE)
    status: int | None = None
    error: str | None = None
    head = b""
    retry_after: timedelta | None = None
    started_at = datetime.now(UTC)
    clock = time.monotonic()
    try:
        # The transport is injectable so tests can stand in for the seller's server (the true edge);
        # the real one connects to public addresses only, whatever the name resolves to by now.
        transport = ctx.get("webhook_transport") or public_transport()
        async with (
            httpx.AsyncClient(timeout=5, transport=transport) as http,
            http.stream(
                "POST",
                row.url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "Hub-Signature": sign_hub(secret, body),
                    # The same on every retry and replay of this event to this endpoint.
                    "Hub-Delivery-Id": str(delivery_id),
                    # The excerpt is read as sent; a compressed answer would be unreadable in the log.
                    "Accept-Encoding": "identity",
                },
            ) as response,
        ):
            status = response.status_code
            if status in RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            # Only the head of the answer is read: the log keeps an excerpt, and a receiver that
            # answers with megabytes costs the worker no more than that.
            async for chunk in response.aiter_bytes():
                head += chunk
                if len(head) >= EXCERPT_BYTES:
                    break
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.HTTPError as exc:
        error = type(exc).__name__
        if isinstance(exc.__cause__, PrivateAddress):
            error += f": {exc}"
    duration_ms = round((time.monotonic() - clock) * 1000)
    async with tenant_tx(tenant):
        attempts = await repo_webhooks.record_attempt(
            tenant,
            delivery_id,
            started_at=started_at,
            duration_ms=duration_ms,
            status=status,
            error=error[:ERROR_CHARS] if error is not None else None,
            excerpt=_excerpt(head),
        )
        if error is not None and attempts < MAX_ATTEMPTS:
            await outbox.reschedule(tenant, row_id, retry_delay(attempts, retry_after), error=error)
            return f"retry: {error}"
        await outbox.mark_done(tenant, row_id, error=error)
    return "delivered" if error is None else f"gave up: {error}"


async def replay(tenant_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
    """Send a delivery again, delivered or given up, with a fresh budget of attempts.

    The send is an outbox row written with the reset, so a replay accepted is a replay sent. A
    deleted endpoint's deliveries are kept to read, not sent: replaying one is a conflict.
    """
    async with tenant_tx(tenant_id):
        endpoint = await repo_webhooks.lock_endpoint(tenant_id, endpoint_id)
        if (
            endpoint is not None
            and endpoint.disabled_at is not None
            and await repo_webhooks.delivery_exists(tenant_id, endpoint_id, delivery_id)
        ):
            raise Conflict("the webhook endpoint is deleted: its deliveries are kept to read, not sent")
        if not await repo_webhooks.reset_delivery(tenant_id, endpoint_id, delivery_id):
            raise NotFound("no such delivery")
        await outbox.enqueue(tenant_id, SEND_JOB, {"delivery_id": str(delivery_id)})
