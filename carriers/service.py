"""Business rules of the carriers package: accounts, inbound tracking, booking, tracking sweeps.

Transactions are opened here (``tenant_tx`` per tenant; the ``webhook-endpoint`` system path only to
find an account by its endpoint token or to list accounts for the cron sweeps). Carrier calls go
through :func:`carriers.registry.create_gateway`; this module never imports the orders domain and
reports a shipment's new status as an outbox event, ``shipment_status_changed``.

Booking books ONE label per idempotency key, even when called twice or when the process dies
between the carrier's answer and our commit:

1. the shipment row is inserted ``pending`` with the key and committed;
2. a quote is taken and, when the carrier names a shipment of its own (EasyPost ``shp_...``), that id
   is committed on the row, so a retry buys the *same* carrier shipment (which the carrier refuses to
   buy twice) instead of creating a new one;
3. the label is bought while the row is locked (a concurrent call waits, then sees ``booked``),
   passing the shipment id as the carrier idempotency key / reference (the sandbox derives its
   shipment and tracking number from it, so a retry gets the same label), and the row becomes
   ``booked`` in the same transaction as the outbox event.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from carriers import repository
from carriers.base import (
    BookingRequest,
    CarrierGateway,
    CustomsInfo,
    CustomsItem,
    Message,
    Rate,
    RatesRequest,
    TrackingEvent,
    enc_hook,
)
from carriers.errors import MalformedWebhook
from carriers.registry import CARRIERS, carrier_info, create_gateway
from carriers.repository import Row
from carriers.sandbox import mapper as sandbox_mapper
from carriers.schemas import (
    CarrierAccountCreate,
    CarrierAccountRead,
    CustomsLine,
    InboundAccepted,
    RateRead,
    RatesRead,
    ShipmentBookingInput,
    ShipmentRatesInput,
    ShipmentRead,
    TrackingEventRead,
)
from carriers.signatures import sign_hub
from carriers.units import ShipmentStatus, TrackingReason, TrackingState, advance, next_status
from hub.core import outbox
from hub.core.batching import GroupCommit
from hub.core.crypto import decrypt, encrypt
from hub.core.database import system_tx, tenant_tx
from hub.core.egress import refuse_private_url
from hub.core.errors import (
    Conflict,
    FieldError,
    InvalidSignature,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
)
from hub.core.ids import new_id
from hub.core.money import Money, money_to_wire
from hub.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from hub.core.settings import Settings
from hub.core.system import SystemPath

logger = logging.getLogger("carriers.service")

CREDENTIALS_PURPOSE = "carrier-credentials"
WEBHOOK_SECRET_PURPOSE = "carrier-webhook-secret"  # noqa: S105 (a key-derivation label, not a secret)
MAX_WEBHOOK_BODY = 256 * 1024
"""Inbound tracking webhooks larger than this are refused with 413."""
STATUS_CHANGED_JOB = "shipment_status_changed"
PROCESS_INBOUND_JOB = "process_inbound_event"
SANDBOX_POST_JOB = "sandbox_post_event"
STALE_AFTER = timedelta(days=7)
RETIRE_AFTER = timedelta(days=90)
TRANSIENT_CODES = frozenset({"timeout", "network_error", "http_429", "http_500", "http_502", "http_503", "http_504"})
KEPT_HEADERS = frozenset({"content-type", "content-length", "user-agent", "x-request-id", "x-forwarded-for"})
"""Headers kept with a raw inbound event: nothing that signs or authenticates."""
MAX_KEY_LENGTH = 255


# -- accounts ------------------------------------------------------------------------------------


def webhook_url(settings: Settings, carrier: str, endpoint_token: str) -> str:
    return f"{settings.public_base_url}/webhooks/tracking/{carrier}/{endpoint_token}"


def _account_read(row: Row, settings: Settings) -> CarrierAccountRead:
    return repository.account_read(row, webhook_url(settings, row["carrier"], row["endpoint_token"]))


def _validate_account(data: CarrierAccountCreate) -> None:
    if data.carrier not in CARRIERS:
        known = ", ".join(sorted(CARRIERS))
        raise ValidationFailed.single("carrier", f"unknown carrier; one of {known}")
    if not data.name.strip() or len(data.name) > 200:
        raise ValidationFailed.single("name", "1 to 200 characters")
    if data.webhook_secret is not None and not 1 <= len(data.webhook_secret) <= 1000:
        # The carrier chooses the secret (EasyPost's own test vector is six characters).
        raise ValidationFailed.single("webhook_secret", "1 to 1000 characters")
    simulate = data.options.get("simulate_tracking", True)
    if not isinstance(simulate, bool):
        raise ValidationFailed.single("options.simulate_tracking", "true or false")
    time_scale = data.options.get("time_scale", 1)
    if isinstance(time_scale, bool) or not isinstance(time_scale, int | float) or not 1 <= time_scale <= 1_000_000:
        raise ValidationFailed.single("options.time_scale", "a number from 1 to 1000000")
    scenario = data.options.get("scenario", "delivered")
    if data.carrier == "sandbox" and scenario not in sandbox_mapper.SCENARIOS:
        raise ValidationFailed.single("options.scenario", f"one of {', '.join(sandbox_mapper.SCENARIOS)}")
    if "base_url" in data.options:
        # The adapter calls it with the tenant's credentials: never at the hub's own network (SSRF).
        base_url = data.options["base_url"]
        refuse_private_url(base_url if isinstance(base_url, str) else "", "options.base_url")
    try:
        create_gateway(data.carrier, credentials=data.credentials, options=data.options)
    except ValueError as exc:
        # Adapter messages name what is wrong without quoting credential values.
        field = "credentials" if "credential" in str(exc) else "options"
        raise ValidationFailed.single(field, str(exc)) from None


async def create_account(tenant_id: uuid.UUID, data: CarrierAccountCreate, *, settings: Settings) -> CarrierAccountRead:
    """Store an account; credentials and the webhook secret only as ciphertext."""
    _validate_account(data)
    webhook_secret = data.webhook_secret
    if webhook_secret is None and data.carrier == "sandbox":
        # The hub signs the sandbox's simulated webhooks itself, so it needs a secret of its own.
        webhook_secret = secrets.token_urlsafe(32)
    plain = msgspec.json.encode(data.credentials).decode()
    credentials = (
        encrypt(plain, secret_key=settings.secret_key, purpose=CREDENTIALS_PURPOSE) if data.credentials else None
    )
    secret = (
        encrypt(webhook_secret, secret_key=settings.secret_key, purpose=WEBHOOK_SECRET_PURPOSE)
        if webhook_secret
        else None
    )
    async with tenant_tx(tenant_id):
        row = await repository.insert_account(
            tenant_id,
            new_id(),
            carrier=data.carrier,
            name=data.name.strip(),
            credentials_encrypted=credentials,
            webhook_secret_encrypted=secret,
            options=data.options,
            endpoint_token=secrets.token_urlsafe(32),
        )
    logger.info("carrier account created", extra={"carrier": data.carrier, "account_id": str(row["id"])})
    return _account_read(row, settings)


async def list_accounts(
    tenant_id: uuid.UUID, *, settings: Settings, limit: int = 50, cursor: str | None = None
) -> Page[CarrierAccountRead]:
    check_limit(limit)
    after = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await repository.list_accounts(tenant_id, after=after, limit=limit + 1)
    items = [_account_read(r, settings) for r in rows]
    more = len(items) > limit
    items = items[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


def _credentials(row: Row, settings: Settings) -> dict[str, str]:
    if not row["credentials_encrypted"]:
        return {}
    plain = decrypt(row["credentials_encrypted"], secret_key=settings.secret_key, purpose=CREDENTIALS_PURPOSE)
    return msgspec.json.decode(plain, type=dict[str, str])


def _options(row: Row) -> dict[str, Any]:
    value = row["options"]
    decoded = msgspec.json.decode(value) if isinstance(value, str | bytes) else value
    return dict(decoded or {})


def _webhook_secret(row: Row, settings: Settings) -> str | None:
    if not row["webhook_secret_encrypted"]:
        return None
    return decrypt(row["webhook_secret_encrypted"], secret_key=settings.secret_key, purpose=WEBHOOK_SECRET_PURPOSE)


def gateway_for(row: Row, settings: Settings, http_client: httpx.AsyncClient | None = None) -> CarrierGateway:
    """The adapter for one stored account (credentials decrypted here, never logged)."""
    return create_gateway(
        row["carrier"], credentials=_credentials(row, settings), options=_options(row), http_client=http_client
    )


async def _account(tenant_id: uuid.UUID, account_id: uuid.UUID, *, field: str = "carrier_account_id") -> Row:
    row = await repository.get_account(tenant_id, account_id)
    if row is None or row["disabled_at"] is not None:
        raise ValidationFailed.single(field, "no such carrier account")
    return row


# -- inbound webhooks ----------------------------------------------------------------------------


# Endpoint tokens resolved recently, per process: a carrier posts bursts to one endpoint, and the
# lookup is a cross-tenant transaction of its own (and two Fernet decryptions). An account changed or
# disabled in another process is seen here within ACCOUNT_CACHE_SECONDS.
ACCOUNT_CACHE_SECONDS = 10.0
_ACCOUNT_CACHE_MAX = 5_000


@dataclass(frozen=True, slots=True)
class _Endpoint:
    account: Row
    secret: str | None
    gateway: CarrierGateway


_endpoint_cache: dict[str, tuple[float, _Endpoint]] = {}


async def _endpoint_for_token(endpoint_token: str, settings: Settings) -> _Endpoint | None:
    now = time.monotonic()
    cached = _endpoint_cache.get(endpoint_token)
    if cached is not None and cached[0] > now:
        return cached[1]
    async with system_tx(SystemPath.WEBHOOK_ENDPOINT):
        account = await repository.find_account_by_token(endpoint_token)
    if account is None:
        _endpoint_cache.pop(endpoint_token, None)
        return None
    endpoint = _Endpoint(account, _webhook_secret(account, settings), gateway_for(account, settings))
    if len(_endpoint_cache) >= _ACCOUNT_CACHE_MAX:
        _endpoint_cache.clear()
    _endpoint_cache[endpoint_token] = (now + ACCOUNT_CACHE_SECONDS, endpoint)
    return endpoint


async def receive_webhook(
    carrier: str, endpoint_token: str, headers: Mapping[str, str], body: bytes, *, settings: Settings
) -> InboundAccepted:
    """Verify a carrier's webhook and store it raw; processing happens in ``process_inbound_event``."""
    if len(body) > MAX_WEBHOOK_BODY:
        raise PayloadTooLarge(f"tracking webhooks are limited to {MAX_WEBHOOK_BODY} bytes")
    endpoint = await _endpoint_for_token(endpoint_token, settings)
    if endpoint is None or endpoint.account["carrier"] != carrier:
        raise NotFound("unknown webhook endpoint")
    account = endpoint.account
    if endpoint.secret is None:
        raise InvalidSignature("this carrier account has no webhook secret; set one to receive webhooks")
    if not endpoint.gateway.verify_webhook(headers, body, endpoint.secret):
        raise InvalidSignature("the webhook signature is missing or does not match the body")
    event = repository.InboundRow(
        id=new_id(),
        carrier_account_id=account["id"],
        carrier=carrier,
        headers={k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS},
        raw_body=body,
    )
    await _inbound_writer.submit(account["tenant_id"], event)
    return InboundAccepted(id=event.id, status="received")


async def _store_inbound(tenant_id: uuid.UUID, events: list[repository.InboundRow]) -> list[None]:
    """Group-commit writer: the raw webhooks that arrived together, and one job to process them."""
    await repository.insert_inbound_batch(tenant_id, events, job=PROCESS_INBOUND_JOB, outbox_id=new_id())
    return [None] * len(events)


# Webhooks arrive in bursts from a handful of carriers; storing them together is what lets the
# endpoint keep up (benchmarks/bench_webhooks.py). Each is still answered only once it is committed.
# Two writers, batches of at most 8 (as for quotes): a burst goes out as two transactions side by
# side instead of one while this process waits (0.32-0.33 of /health before, 0.36-0.40 after).
_inbound_writer: GroupCommit[repository.InboundRow, None] = GroupCommit(
    "inbound-webhooks", _store_inbound, writers=2, max_batch=8
)


async def process_inbound_event(tenant_id: uuid.UUID, inbound_event_id: uuid.UUID, *, settings: Settings) -> str:
    """Parse a stored webhook and ingest its events (call inside the job's ``tenant_tx``).

    Idempotent: an event already processed is left alone. A body the adapter cannot read is
    marked ``failed`` with the reason; it never raises for bad input.
    """
    row = await repository.lock_inbound(tenant_id, inbound_event_id)
    if row is None or row["status"] != "received":
        return "nothing to do"
    account = await repository.get_account(tenant_id, row["carrier_account_id"])
    try:
        if account is None:
            raise ValueError("the carrier account is gone")
        events = gateway_for(account, settings).parse_webhook(bytes(row["raw_body"]))
    except MalformedWebhook as exc:
        await repository.finish_inbound(tenant_id, inbound_event_id, "failed", exc.detail)
        return "failed"
    except ValueError as exc:
        await repository.finish_inbound(tenant_id, inbound_event_id, "failed", str(exc))
        return "failed"
    except Exception as exc:  # an adapter bug must not retry forever: keep the body, say why
        logger.exception("tracking webhook could not be parsed", extra={"inbound_event_id": str(inbound_event_id)})
        await repository.finish_inbound(tenant_id, inbound_event_id, "failed", f"unreadable: {type(exc).__name__}")
        return "failed"
    outcome = await ingest_events(
        tenant_id, events, carrier_account_id=row["carrier_account_id"], source="webhook", inbound_event_id=row["id"]
    )
    status = "unmatched" if outcome.unmatched and not outcome.matched else "processed"
    await repository.finish_inbound(tenant_id, inbound_event_id, status, None)
    return status


async def get_inbound_event(tenant_id: uuid.UUID, inbound_event_id: uuid.UUID) -> Row | None:
    async with tenant_tx(tenant_id):
        return await repository.get_inbound(tenant_id, inbound_event_id)


# -- ingestion: de-dup, match, forward-only status -------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    stored: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0


@dataclass(frozen=True, slots=True)
class _Step:
    status: ShipmentStatus
    reason: str | None
    occurred_at: datetime


def _pick_shipment(candidates: list[Row], carrier_account_id: uuid.UUID | None, carrier: str) -> Row | None:
    """Prefer the shipment booked on the same account, then with the same carrier, then the newest."""
    live = [c for c in candidates if c["status"] != "failed"]
    for match in (
        [c for c in live if c["carrier_account_id"] == carrier_account_id],
        [c for c in live if c["carrier"] == carrier],
        live,
    ):
        if match:
            return match[0]
    return None


async def ingest_events(
    tenant_id: uuid.UUID,
    events: Sequence[TrackingEvent],
    *,
    carrier_account_id: uuid.UUID | None,
    source: str,
    inbound_event_id: uuid.UUID | None = None,
) -> IngestOutcome:
    """Store events once each (by ``dedup_key``), match them to shipments and move status forward.

    Call inside a ``tenant_tx``. Events whose tracking number matches no shipment are kept with no
    shipment and matched by :func:`match_unmatched` when the shipment appears.
    """
    stored = duplicates = matched = unmatched = 0
    by_number: dict[str, list[TrackingEvent]] = {}
    for event in events:
        by_number.setdefault(event.tracking_number.strip().upper(), []).append(event)
    for number, group in by_number.items():
        target = _pick_shipment(
            await repository.find_shipments_by_tracking(tenant_id, number), carrier_account_id, group[0].carrier
        )
        fresh: list[_Step] = []
        for event in sorted(group, key=lambda e: e.occurred_at):
            inserted = await repository.insert_tracking_event(
                tenant_id,
                new_id(),
                event,
                shipment_id=target["id"] if target else None,
                carrier_account_id=carrier_account_id,
                inbound_event_id=inbound_event_id,
                source=source,
            )
            if not inserted:
                duplicates += 1
                continue
            stored += 1
            fresh.append(_Step(event.status, event.reason.value if event.reason else None, event.occurred_at))
        if target is None:
            unmatched += len(fresh)
        else:
            matched += len(fresh)
            await _apply(tenant_id, target, fresh)
    return IngestOutcome(stored=stored, duplicates=duplicates, matched=matched, unmatched=unmatched)


async def _apply(tenant_id: uuid.UUID, shipment: Row, steps: Sequence[_Step]) -> None:
    """Move one shipment's status forward through ``steps`` (rules in :mod:`carriers.units`)."""
    if not steps or shipment["status"] not in ShipmentStatus.__members__.values():
        return
    current = ShipmentStatus(shipment["status"])
    state = TrackingState(
        status=current, reached=ShipmentStatus(shipment["reached"]), last_event_at=shipment["last_event_at"]
    )
    reason: str | None = shipment["status_reason"]
    for step in sorted(steps, key=lambda s: s.occurred_at):
        before = state.status
        stale = state.last_event_at is not None and step.occurred_at < state.last_event_at
        state = advance(state, step.status, step.occurred_at)
        if state.status is not before:
            reason = step.reason
        elif (
            state.status is ShipmentStatus.EXCEPTION
            and step.status is ShipmentStatus.EXCEPTION
            and step.reason is not None
            and not stale
        ):
            # New trouble while already in trouble (damaged while held in customs): the status
            # stays, but the newest reason is what a clerk must act on, so it is announced too.
            reason = step.reason
    await repository.update_shipment(
        tenant_id,
        shipment["id"],
        status=state.status.value,
        reached=state.reached.value,
        last_event_at=state.last_event_at,
        status_reason=reason,
    )
    if state.status is not current or (
        state.status is ShipmentStatus.EXCEPTION and reason != shipment["status_reason"]
    ):
        await _status_changed(tenant_id, shipment, state.status.value, reason)


async def _status_changed(tenant_id: uuid.UUID, shipment: Row, status: str, reason: str | None) -> None:
    await outbox.enqueue(
        tenant_id,
        STATUS_CHANGED_JOB,
        {
            "shipment_id": str(shipment["id"]),
            "order_id": str(shipment["order_id"]),
            "status": status,
            "reason": reason,
        },
    )


async def match_unmatched(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> int:
    """Attach waiting events with the shipment's tracking number and apply them (inside ``tenant_tx``)."""
    shipment = await repository.get_shipment(tenant_id, shipment_id, lock=True)
    if shipment is None or not shipment["tracking_number"]:
        return 0
    waiting = await repository.lock_unmatched(tenant_id, shipment["tracking_number"])
    if not waiting:
        return 0
    await repository.attach_events(tenant_id, [w["id"] for w in waiting], shipment_id)
    steps = [_Step(ShipmentStatus(w["status"]), w["reason"], w["occurred_at"]) for w in waiting]
    await _apply(tenant_id, shipment, steps)
    return len(waiting)


# -- shipments: read -----------------------------------------------------------------------------


async def get_shipment(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> ShipmentRead:
    async with tenant_tx(tenant_id):
        row = await repository.get_shipment(tenant_id, shipment_id)
    if row is None:
        raise NotFound("no such shipment")
    return repository.shipment_read(row)


async def list_shipment_events(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> list[TrackingEventRead]:
    """The shipment's tracking events, oldest first."""
    async with tenant_tx(tenant_id):
        if await repository.get_shipment(tenant_id, shipment_id) is None:
            raise NotFound("no such shipment")
        rows = await repository.list_events(tenant_id, shipment_id)
    return [repository.tracking_event_read(r) for r in rows]


async def get_label(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> bytes:
    async with tenant_tx(tenant_id):
        label = await repository.get_label(tenant_id, shipment_id)
    if label is None:
        raise NotFound("no label stored for this shipment")
    return label


# -- rates and booking ---------------------------------------------------------------------------


def _customs(
    lines: Sequence[CustomsLine], contents_type: str, signer: str, incoterm: str | None = None
) -> CustomsInfo | None:
    if not lines:
        return None
    items = [
        CustomsItem(
            description=line.description,
            quantity=line.quantity,
            value=Money(line.value, line.currency),
            weight_kg=line.weight,
            hs_code=line.hs_code,
            origin_country=line.origin,
            sku=line.sku,
        )
        for line in lines
    ]
    return CustomsInfo(
        contents_type=contents_type,  # type: ignore[arg-type]
        items=items,
        signer=signer,
        incoterm=incoterm,
    )


def _messages_error(messages: Sequence[Message], default: str) -> ValidationFailed:
    errors = [FieldError(m.field or "carrier", m.message) for m in messages if m.level == "error"]
    if not errors:
        errors = [FieldError("carrier", default)]
    return ValidationFailed("; ".join(e.message for e in errors), errors=errors)


def _is_transient(messages: Sequence[Message]) -> bool:
    errors = [m for m in messages if m.level == "error"]
    return bool(errors) and all(m.code in TRANSIENT_CODES or m.code.startswith("http_5") for m in errors)


async def rates_for(
    tenant_id: uuid.UUID,
    request: ShipmentRatesInput,
    *,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
) -> RatesRead:
    """Quotes from one carrier account; carrier problems come back as ``messages``."""
    async with tenant_tx(tenant_id):
        account = await _account(tenant_id, request.carrier_account_id)
    if "rates" not in carrier_info(account["carrier"]).capabilities:
        raise ValidationFailed.single("carrier_account_id", f"{account['carrier']} does not quote rates")
    gateway = gateway_for(account, settings, http_client)
    result = await gateway.rates(
        RatesRequest(
            shipper=request.ship_from,
            recipient=request.ship_to,
            parcels=request.parcels,
            customs=_customs(request.customs, request.contents_type, request.ship_from.name),
            services=request.services,
        )
    )
    return RatesRead(
        carrier_account_id=account["id"],
        rates=[
            RateRead(
                carrier=r.carrier,
                service=r.service,
                total=money_to_wire(r.total),
                transit_days=r.transit_days,
                provider=r.provider,
            )
            for r in result.rates
        ],
        messages=result.messages,
    )


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH or not idempotency_key.isprintable():
        raise ValidationFailed.single("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} printable characters")


def _request_hash(request: ShipmentBookingInput) -> bytes:
    return hashlib.sha256(msgspec.json.encode(request, enc_hook=enc_hook)).digest()


def _booking_request(shipment: Row, request: ShipmentBookingInput) -> BookingRequest:
    return BookingRequest(
        idempotency_key=str(shipment["id"]),
        shipper=request.ship_from,
        recipient=request.ship_to,
        parcels=request.parcels,
        service=request.service,
        provider=request.provider,
        customs=_customs(
            request.customs, request.contents_type, request.signer or request.ship_from.name, request.incoterm
        ),
        reference=request.reference or str(shipment["id"]),
        rate_ref=shipment["rate_ref"],
        carrier_shipment_id=shipment["carrier_shipment_id"],
    )


def _choose(rates: Sequence[Rate], service: str, provider: str | None) -> Rate | None:
    matching = [
        r
        for r in rates
        if r.service.casefold() == service.casefold()
        and (provider is None or (r.provider or "").casefold() == provider.casefold())
    ]
    return min(matching, key=lambda r: r.total.amount, default=None)


def _finished(row: Row) -> ShipmentRead:
    """The answer for a shipment whose booking is over (booked or later, or failed)."""
    if row["status"] == "failed":
        messages = msgspec.convert(repository.json_value(row["messages"]), list[Message])
        raise _messages_error(messages, row["status_reason"] or "the carrier refused the booking")
    return repository.shipment_read(row)


async def book_shipment(
    tenant_id: uuid.UUID,
    request: ShipmentBookingInput,
    *,
    idempotency_key: str,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
) -> ShipmentRead:
    """Book one label for ``request``; the same key gives the same shipment and never a second label.

    Raises:
        ValidationFailed: bad input, an unusable account, or the carrier refused (``failed``).
        Conflict: the key was used with another request, or a retried EasyPost-style purchase could
            not be confirmed (the row stays ``pending`` with ``status_reason`` ``booking_unconfirmed``).
        ServiceUnavailable: the carrier could not be reached; call again with the same key.
    """
    _check_key(idempotency_key)
    if not request.parcels:
        raise ValidationFailed.single("parcels", "at least one parcel")
    request_hash = _request_hash(request)
    async with tenant_tx(tenant_id):
        account = await _account(tenant_id, request.carrier_account_id)
        if "book" not in carrier_info(account["carrier"]).capabilities:
            raise ValidationFailed.single("carrier_account_id", f"{account['carrier']} does not book labels")
        await repository.insert_pending_shipment(
            tenant_id,
            new_id(),
            order_id=request.order_id,
            carrier_account_id=account["id"],
            carrier=account["carrier"],
            service=request.service,
            provider=request.provider,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            request=request,
            parcels=request.parcels,
        )
    gateway = gateway_for(account, settings, http_client)
    row = await _prepare(tenant_id, idempotency_key, request, request_hash, gateway)
    if row["status"] != "pending":
        return _finished(row)
    return await _buy(tenant_id, idempotency_key, request, gateway, account)


async def _prepare(
    tenant_id: uuid.UUID,
    idempotency_key: str,
    request: ShipmentBookingInput,
    request_hash: bytes,
    gateway: CarrierGateway,
) -> Row:
    """Check the key's request, count the attempt and commit the carrier's own shipment id if any."""
    async with tenant_tx(tenant_id):
        row = await repository.get_shipment_by_key(tenant_id, idempotency_key, lock=True)
        assert row is not None
        if bytes(row["request_hash"]) != request_hash:
            raise Conflict(
                "this Idempotency-Key was used with a different booking request",
                extra={"field": "Idempotency-Key", "existing_id": str(row["id"])},
            )
        if row["status"] != "pending":
            return row
        values: dict[str, Any] = {"book_attempts": row["book_attempts"] + 1}
        if row["carrier_shipment_id"] is None and "rates" in carrier_info(row["carrier"]).capabilities:
            quoted = await gateway.rates(
                RatesRequest(
                    shipper=request.ship_from,
                    recipient=request.ship_to,
                    parcels=request.parcels,
                    customs=_booking_request(row, request).customs,
                    services=[request.service],
                    reference=str(row["id"]),
                )
            )
            if not quoted.rates and _is_transient(quoted.messages):
                # Do not fall through to a create-and-buy: a retry must find a committed carrier id.
                raise ServiceUnavailable("the carrier could not be reached; call again with the same Idempotency-Key")
            chosen = _choose(quoted.rates, request.service, request.provider)
            if chosen is not None and chosen.carrier_shipment_id and chosen.rate_ref:
                values.update(carrier_shipment_id=chosen.carrier_shipment_id, rate_ref=chosen.rate_ref)
        await repository.update_shipment(tenant_id, row["id"], **values)
        updated = await repository.get_shipment(tenant_id, row["id"])
    assert updated is not None
    return updated


async def _buy(
    tenant_id: uuid.UUID,
    idempotency_key: str,
    request: ShipmentBookingInput,
    gateway: CarrierGateway,
    account: Row,
) -> ShipmentRead:
    failure: Exception | None = None
    async with tenant_tx(tenant_id):
        row = await repository.get_shipment_by_key(tenant_id, idempotency_key, lock=True)
        assert row is not None
        if row["status"] != "pending":  # a concurrent call finished while we waited for the lock
            return _finished(row)
        result = None
        if row["book_attempts"] > 1 and row["carrier_shipment_id"]:
            # A retry after an attempt whose answer never committed: ask the carrier what happened
            # to its shipment before paying for anything.
            found = await gateway.retrieve_booking(row["carrier_shipment_id"], idempotency_key)
            if found is not None and found.shipment is not None:
                result = found  # the label was bought then: adopt it
            elif found is not None and _is_transient(found.messages):
                raise ServiceUnavailable(
                    "the carrier could not be asked about an earlier attempt; call again with the same Idempotency-Key",
                    extra={"messages": [msgspec.to_builtins(m) for m in found.messages]},
                )
        if result is None:
            result = await gateway.book(_booking_request(row, request))
        if result.shipment is not None:
            await _record_booking(tenant_id, row, result.shipment, account)
        elif _is_transient(result.messages):
            failure = ServiceUnavailable(
                "the carrier could not be reached; call again with the same Idempotency-Key",
                extra={"messages": [msgspec.to_builtins(m) for m in result.messages]},
            )
        elif row["book_attempts"] > 1 and row["carrier_shipment_id"]:
            # A retry after an earlier attempt whose answer we never committed: the carrier may
            # have sold the label then. Never buy again; leave it for a person to reconcile.
            await repository.update_shipment(tenant_id, row["id"], status_reason="booking_unconfirmed")
            failure = Conflict(
                "an earlier attempt may have booked this label with the carrier; it was not booked again",
                extra={"shipment_id": str(row["id"]), "carrier_shipment_id": row["carrier_shipment_id"]},
            )
        else:
            reason = next((m.message for m in result.messages if m.level == "error"), "the carrier refused")
            await repository.update_shipment(
                tenant_id,
                row["id"],
                status="failed",
                status_reason=reason[:500],
                messages=[msgspec.to_builtins(m) for m in result.messages],
            )
            failure = _messages_error(result.messages, reason)
        final = await repository.get_shipment(tenant_id, row["id"])
    if failure is not None:
        raise failure
    assert final is not None
    return repository.shipment_read(final)


async def _record_booking(tenant_id: uuid.UUID, row: Row, booked: Any, account: Row) -> None:
    """Mark the row booked, announce it, match waiting events, schedule the sandbox's timeline."""
    booked_at = datetime.now(UTC)
    status = next_status(ShipmentStatus(row["status"]), ShipmentStatus.BOOKED)
    await repository.update_shipment(
        tenant_id,
        row["id"],
        status=status.value,
        reached=status.value,
        status_reason=None,
        tracking_number=booked.tracking_number,
        carrier_shipment_id=booked.carrier_shipment_id,
        label_pdf=booked.label_pdf,
        label_url=booked.label_url,
        provider=booked.provider,
        rate=money_to_wire(booked.total) if booked.total is not None else None,
        booked_at=booked_at,
        messages=[],
    )
    await _status_changed(tenant_id, row, status.value, None)
    await match_unmatched(tenant_id, row["id"])
    if account["carrier"] == "sandbox" and _options(account).get("simulate_tracking", True):
        await _schedule_sandbox_timeline(tenant_id, row, booked.tracking_number, booked_at, account)


# -- sandbox tracking simulation -----------------------------------------------------------------


async def _schedule_sandbox_timeline(
    tenant_id: uuid.UUID, row: Row, tracking_number: str, booked_at: datetime, account: Row
) -> None:
    """One outbox row per event, due when the event happens; each posts a signed webhook to us."""
    options = _options(account)
    request = msgspec.convert(repository.json_value(row["request"]), ShipmentBookingInput)
    speedup = float(options.get("time_scale", 1) or 1)
    timeline = sandbox_mapper.event_timeline(
        tracking_number,
        booked_at,
        shipper=request.ship_from,
        recipient=request.ship_to,
        service=request.service,
        scenario=str(options.get("scenario", "delivered")),
    )
    for event in timeline:
        offset = (event.occurred_at - booked_at) / max(speedup, 1.0)
        due = booked_at + offset
        scheduled = msgspec.structs.replace(event, occurred_at=due)
        await outbox.enqueue(
            tenant_id,
            SANDBOX_POST_JOB,
            {
                "carrier_account_id": str(account["id"]),
                "shipment_id": str(row["id"]),
                "event": msgspec.json.decode(msgspec.json.encode(scheduled)),
            },
            available_at=due,
        )


async def post_sandbox_event(
    tenant_id: uuid.UUID,
    payload: dict[str, Any],
    *,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
) -> str:
    """POST one scheduled sandbox event, signed, to the hub's own public webhook URL.

    Goes through the real inbound path (signature, raw storage, the processing job) so the sandbox
    behaves like a carrier. Raises on network trouble and 5xx so the job is retried.
    """
    async with tenant_tx(tenant_id):
        account = await repository.get_account(tenant_id, uuid.UUID(payload["carrier_account_id"]))
    if account is None or account["disabled_at"] is not None:
        return "account gone"
    secret = _webhook_secret(account, settings)
    if secret is None:
        return "no webhook secret"
    event = msgspec.convert(payload["event"], TrackingEvent, strict=False)
    body = sandbox_mapper.build_webhook_body([event])
    url = webhook_url(settings, account["carrier"], account["endpoint_token"])
    headers = {"Content-Type": "application/json", "Hub-Signature": sign_hub(secret, body)}
    if http_client is not None:
        response = await http_client.post(url, content=body, headers=headers)
    else:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, content=body, headers=headers)
    if response.status_code >= 500:
        raise RuntimeError(f"the hub answered {response.status_code} to a sandbox event")
    return "posted" if response.is_success else f"refused {response.status_code}"


# -- cancel --------------------------------------------------------------------------------------


async def cancel_shipment(
    tenant_id: uuid.UUID,
    shipment_id: uuid.UUID,
    *,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
    on_cancelled: Callable[[Row], Awaitable[None]] | None = None,
) -> ShipmentRead:
    """Void the label before the parcel moves; 409 once it has (or while a booking is pending).

    ``on_cancelled`` runs in the same transaction once the shipment is cancelled, with its row: the
    composition layer moves the order back there, since this package never imports the orders domain.
    """
    failure: Exception | None = None
    async with tenant_tx(tenant_id):
        row = await repository.get_shipment(tenant_id, shipment_id, lock=True)
        if row is None:
            raise NotFound("no such shipment")
        status = row["status"]
        if status in {"cancelled"}:
            return repository.shipment_read(row)
        if status == "failed":
            await repository.update_shipment(tenant_id, shipment_id, status="cancelled", cancelled_at=datetime.now(UTC))
            if on_cancelled is not None:
                await on_cancelled(row)
        elif (
            status == "pending"
            or next_status(ShipmentStatus(status), ShipmentStatus.CANCELLED, reached=ShipmentStatus(row["reached"]))
            is not ShipmentStatus.CANCELLED
        ):
            raise Conflict(f"a shipment that is {status} cannot be cancelled", extra={"current_status": status})
        else:
            account = await repository.get_account(tenant_id, row["carrier_account_id"])
            assert account is not None
            result = await gateway_for(account, settings, http_client).cancel(row["carrier_shipment_id"] or "")
            if result.cancelled:
                await repository.update_shipment(
                    tenant_id, shipment_id, status="cancelled", status_reason=None, cancelled_at=datetime.now(UTC)
                )
                await _status_changed(tenant_id, row, "cancelled", None)
                if on_cancelled is not None:
                    await on_cancelled(row)
            elif _is_transient(result.messages):
                failure = ServiceUnavailable("the carrier could not be reached; try again")
            else:
                failure = Conflict(
                    "the carrier refused to cancel: " + "; ".join(m.message for m in result.messages),
                    extra={"messages": [msgspec.to_builtins(m) for m in result.messages]},
                )
        final = await repository.get_shipment(tenant_id, shipment_id)
    if failure is not None:
        raise failure
    assert final is not None
    return repository.shipment_read(final)


# -- cron sweeps ---------------------------------------------------------------------------------


async def _accounts(carriers: list[str] | None = None) -> list[Row]:
    # The sweeps' own system path: SELECT on carrier_accounts across tenants and nothing else;
    # everything they then do per account runs in that tenant's transaction.
    async with system_tx(SystemPath.CARRIER_SWEEP):
        return await repository.list_active_accounts(carriers)


async def poll_trackers(
    *,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
    batch_size: int = 50,
    max_per_account: int = 500,
    pause_seconds: float = 1.0,
) -> int:
    """Ask carriers that do not push (no webhook secret, or ``options.poll``) for news; events ingested."""
    trackable = [name for name, info in CARRIERS.items() if "track" in info.capabilities]
    total = 0
    for account in await _accounts(trackable):
        if account["webhook_secret_encrypted"] and not _options(account).get("poll"):
            continue  # this account pushes its events
        tenant_id: uuid.UUID = account["tenant_id"]
        async with tenant_tx(tenant_id):
            rows = await repository.list_trackable(tenant_id, account["id"], limit=max_per_account)
        if not rows:
            continue
        try:
            gateway = gateway_for(account, settings, http_client)
        except ValueError:
            logger.warning("carrier account unusable for polling", extra={"account_id": str(account["id"])})
            continue
        try:
            total += await _poll_account(tenant_id, account["id"], gateway, rows, batch_size, pause_seconds)
        except Exception:
            # One tenant's carrier failing in a way its adapter did not foresee must not stop the
            # sweep for every account after it; what was ingested before the failure is kept.
            logger.exception("polling a carrier account failed", extra={"account_id": str(account["id"])})
    return total


async def _poll_account(
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    gateway: CarrierGateway,
    rows: list[Row],
    batch_size: int,
    pause_seconds: float,
) -> int:
    stored = 0
    for start in range(0, len(rows), batch_size):
        if start:
            await asyncio.sleep(pause_seconds)  # rate limit per account between batches
        numbers = [r["tracking_number"] for r in rows[start : start + batch_size]]
        updates = await gateway.track(numbers)
        async with tenant_tx(tenant_id):
            for update in updates:
                outcome = await ingest_events(tenant_id, update.events, carrier_account_id=account_id, source="poll")
                stored += outcome.stored
    return stored


async def _tenants() -> list[uuid.UUID]:
    seen: dict[uuid.UUID, None] = {}
    for account in await _accounts():
        seen.setdefault(account["tenant_id"], None)
    return list(seen)


async def mark_stale_shipments(*, stale_after: timedelta = STALE_AFTER, now: datetime | None = None) -> int:
    """Shipments with no event for ``stale_after`` become ``exception`` with reason ``delay``."""
    cutoff = (now or datetime.now(UTC)) - stale_after
    marked = 0
    for tenant_id in await _tenants():
        async with tenant_tx(tenant_id):
            for row in await repository.lock_stale_shipments(tenant_id, cutoff):
                await repository.update_shipment(
                    tenant_id, row["id"], status="exception", status_reason=TrackingReason.DELAY.value
                )
                await _status_changed(tenant_id, row, "exception", TrackingReason.DELAY.value)
                marked += 1
    return marked


async def retire_trackers(*, max_age: timedelta = RETIRE_AFTER, now: datetime | None = None) -> int:
    """Stop following delivered, returned or cancelled shipments, and any older than ``max_age``."""
    cutoff = (now or datetime.now(UTC)) - max_age
    retired = 0
    for tenant_id in await _tenants():
        async with tenant_tx(tenant_id):
            retired += await repository.retire_trackers(tenant_id, cutoff)
    return retired
