"""Rates, booking and cancelling labels.

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

Carrier calls go through the account's adapter (:func:`carriers.accounts.gateway_for`); carrier
problems stay data (:class:`carriers.base.Message`) until this module decides to raise. Touches the
database (``tenant_tx``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec

from carriers import repository
from carriers.accounts import gateway_for, options_of, usable_account
from carriers.base import (
    BookingRequest,
    CarrierGateway,
    CustomsInfo,
    CustomsItem,
    Message,
    Rate,
    RatesRequest,
    enc_hook,
)
from carriers.registry import carrier_info
from carriers.repository import Row
from carriers.schemas import (
    CustomsLine,
    RateRead,
    RatesRead,
    ShipmentBookingInput,
    ShipmentRatesInput,
    ShipmentRead,
)
from carriers.simulation import schedule_sandbox_timeline
from carriers.tracking import announce_status, match_unmatched
from carriers.units import ShipmentPurpose, ShipmentStatus, next_status
from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound, ServiceUnavailable, ValidationFailed
from hub.core.ids import new_id
from hub.core.money import Money, money_to_wire
from hub.core.settings import Settings

TRANSIENT_CODES = frozenset({"timeout", "network_error", "http_429", "http_500", "http_502", "http_503", "http_504"})
UNKNOWN_OUTCOME_CODES = frozenset({"response_too_large", "unreadable_response"})
"""The carrier answered 2xx but its body could not be read (too long, cut short, not its format): it
may have done what it was asked, a purchase included. Never a refusal: the caller answers 503 and the
retry asks the carrier (:meth:`carriers.base.CarrierGateway.retrieve_booking`) before buying again."""
MAX_KEY_LENGTH = 255


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


def _outcome_unknown(messages: Sequence[Message]) -> bool:
    """True when a call may have gone through: the carrier could not be reached or answered, or its
    2xx answer could not be read. A booking is then retried, never marked refused."""
    errors = [m for m in messages if m.level == "error"]
    return _is_transient(messages) or any(m.code in UNKNOWN_OUTCOME_CODES for m in errors)


async def rates_for(
    tenant_id: uuid.UUID,
    request: ShipmentRatesInput,
    *,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
) -> RatesRead:
    """Quotes from one carrier account; carrier problems come back as ``messages``."""
    async with tenant_tx(tenant_id):
        account = await usable_account(tenant_id, request.carrier_account_id)
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
    purpose: ShipmentPurpose = "outbound",
) -> ShipmentRead:
    """Book one label for ``request``; the same key gives the same shipment and never a second label.

    ``purpose`` is stored on the shipment: ``return`` for a return label (the orders domain's
    returns), which is never an order's outbound shipment (:mod:`carriers.shipments`).

    Raises:
        ValidationFailed: bad input, an unusable account, or the carrier refused (``failed``).
        Conflict: the key was used with another request, or a retried EasyPost-style purchase could
            not be confirmed (the row stays ``pending`` with ``status_reason`` ``booking_unconfirmed``).
        ServiceUnavailable: the carrier could not be reached, or answered a purchase with a body that
            could not be read (a label may have been sold); call again with the same key, which asks
            the carrier before buying.
    """
    _check_key(idempotency_key)
    if not request.parcels:
        raise ValidationFailed.single("parcels", "at least one parcel")
    request_hash = _request_hash(request)
    async with tenant_tx(tenant_id):
        account = await usable_account(tenant_id, request.carrier_account_id)
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
            purpose=purpose,
            request_hash=request_hash,
            request=request,
            parcels=request.parcels,
        )
    gateway = gateway_for(account, settings, http_client)
    row = await _prepare(tenant_id, idempotency_key, request, request_hash, purpose, gateway)
    if row["status"] != "pending":
        return _finished(row)
    return await _buy(tenant_id, idempotency_key, request, gateway, account)


async def _prepare(
    tenant_id: uuid.UUID,
    idempotency_key: str,
    request: ShipmentBookingInput,
    request_hash: bytes,
    purpose: ShipmentPurpose,
    gateway: CarrierGateway,
) -> Row:
    """Check the key's request, count the attempt and commit the carrier's own shipment id if any."""
    async with tenant_tx(tenant_id):
        row = await repository.get_shipment_by_key(tenant_id, idempotency_key, lock=True)
        assert row is not None
        if bytes(row["request_hash"]) != request_hash or row["purpose"] != purpose:
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
            elif found is not None and _outcome_unknown(found.messages):
                raise ServiceUnavailable(
                    "the carrier could not be asked about an earlier attempt; call again with the same Idempotency-Key",
                    extra={"messages": [msgspec.to_builtins(m) for m in found.messages]},
                )
        if result is None:
            result = await gateway.book(_booking_request(row, request))
        if result.shipment is not None:
            await _record_booking(tenant_id, row, result.shipment, account)
        elif _outcome_unknown(result.messages):
            failure = ServiceUnavailable(
                "the carrier could not be reached or its answer could not be read; "
                "call again with the same Idempotency-Key",
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
    await announce_status(tenant_id, row, status.value, None)
    await match_unmatched(tenant_id, row["id"])
    if account["carrier"] == "sandbox" and options_of(account).get("simulate_tracking", True):
        await schedule_sandbox_timeline(tenant_id, row, booked.tracking_number, booked_at, account)


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
                await announce_status(tenant_id, row, "cancelled", None)
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
