"""Pure EasyPost request building and response parsing (no I/O).

Shapes follow docs.easypost.com (Shipment, Rate, CustomsInfo/CustomsItem, Tracker, Event, Error)
and the documentation's example responses, recorded in ``tests/fixtures/carriers/easypost``.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from carriers.base import (
    Address,
    BookedShipment,
    BookingResult,
    CancelResult,
    CustomsInfo,
    Message,
    Parcel,
    Rate,
    RatesResult,
    TrackingEvent,
    TrackingUpdate,
    header_value,
)
from carriers.easypost import units
from carriers.easypost.errors import CARRIER
from carriers.easypost.schemas import EPEvent, EPMessage, EPRate, EPShipment, EPTracker, EPTrackerList, EPTrackingDetail
from carriers.easypost.settings import EasyPostSettings
from carriers.errors import MalformedWebhook
from carriers.units import (
    TERMINAL_STATUSES,
    ShipmentStatus,
    TrackingReason,
    format_location,
    guess_customs_reason,
    parse_carrier_datetime,
)
from hub.core.money import Money, is_known_currency

__all__ = [
    "SIGNATURE_HEADER",
    "SIGNATURE_PREFIX",
    "build_buy_payload",
    "build_shipment_payload",
    "map_status",
    "parse_bought_shipment",
    "parse_event_body",
    "parse_rates",
    "parse_refund",
    "parse_tracker_list",
    "select_rate",
    "sign_body",
    "tracker_to_update",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="


# --- webhook signature -------------------------------------------------------------------------


def sign_body(raw_body: bytes, secret: str) -> str:
    """EasyPost's header value: HMAC-SHA256 over the raw body, keyed by the NFKD-normalised,
    UTF-8 encoded secret, as ``hmac-sha256-hex=<hex>``."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return SIGNATURE_PREFIX + hmac.new(key, raw_body, hashlib.sha256).hexdigest()


def verify_signature(headers: Mapping[str, str], raw_body: bytes, secret: str) -> bool:
    """Constant-time check of ``X-Hmac-Signature``; false when missing, malformed or forged."""
    if not secret:
        return False
    received = header_value(headers, SIGNATURE_HEADER)
    if not received or not received.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(sign_body(raw_body, secret).encode(), received.strip().lower().encode())


# --- requests ----------------------------------------------------------------------------------


def _address(address: Address) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": address.name,
        "street1": address.line1,
        "city": address.city,
        "country": address.country,
    }
    optional = {
        "street2": address.line2,
        "state": address.region,
        "zip": address.postal_code,
        "company": address.company,
        "phone": address.phone,
        "email": address.email,
    }
    out.update({k: v for k, v in optional.items() if v})
    return out


def _parcel(parcel: Parcel) -> dict[str, Any]:
    out: dict[str, Any] = {"weight": str(units.kg_to_oz(parcel.weight_kg))}
    for ours, theirs in (("length_cm", "length"), ("width_cm", "width"), ("height_cm", "height")):
        value: Decimal | None = getattr(parcel, ours)
        if value is not None:
            out[theirs] = str(units.cm_to_in(value))
    return out


def _customs(customs: CustomsInfo) -> dict[str, Any]:
    items = []
    for item in customs.items:
        entry: dict[str, Any] = {
            "description": item.description,
            "quantity": item.quantity,
            "value": format(item.value.amount, "f"),
            "currency": item.value.currency.code,
            "weight": str(units.kg_to_oz(item.weight_kg)),
        }
        optional = {"hs_tariff_number": item.hs_code, "origin_country": item.origin_country, "code": item.sku}
        entry.update({k: v for k, v in optional.items() if v})
        items.append(entry)
    out: dict[str, Any] = {
        "customs_certify": True,
        "customs_signer": customs.signer,
        "contents_type": customs.contents_type,
        "non_delivery_option": customs.non_delivery,
        "restriction_type": "none",
        "customs_items": items,
    }
    if customs.contents_explanation:
        out["contents_explanation"] = customs.contents_explanation
    if customs.eel_pfc:
        out["eel_pfc"] = customs.eel_pfc
    return out


def build_shipment_payload(
    *,
    shipper: Address,
    recipient: Address,
    parcels: Sequence[Parcel],
    customs: CustomsInfo | None,
    reference: str | None,
    settings: EasyPostSettings,
) -> tuple[dict[str, Any] | None, list[Message]]:
    """The ``POST /shipments`` body (``{"shipment": {...}}``), or messages saying why not.

    An EasyPost Shipment carries one parcel; several parcels need EasyPost Orders (not built).
    """
    if len(parcels) != 1:
        return None, [
            Message(
                CARRIER, "multi_parcel_unsupported", "an EasyPost shipment carries exactly one parcel", field="parcels"
            )
        ]
    shipment: dict[str, Any] = {
        "to_address": _address(recipient),
        "from_address": _address(shipper),
        "parcel": _parcel(parcels[0]),
        "options": {"label_format": settings.label_format},
    }
    if customs is not None:
        shipment["customs_info"] = _customs(customs)
        if customs.invoice_number:
            shipment["options"]["invoice_number"] = customs.invoice_number
        if customs.incoterm:
            shipment["options"]["incoterm"] = customs.incoterm
    if reference:
        shipment["reference"] = reference
    if settings.carrier_accounts:
        shipment["carrier_accounts"] = list(settings.carrier_accounts)
    return {"shipment": shipment}, []


def build_buy_payload(rate_id: str) -> dict[str, Any]:
    """The ``POST /shipments/{id}/buy`` body."""
    return {"rate": {"id": rate_id}}


# --- responses ---------------------------------------------------------------------------------

_shipment_decoder = msgspec.json.Decoder(EPShipment)
_tracker_list_decoder = msgspec.json.Decoder(EPTrackerList)
_event_decoder = msgspec.json.Decoder(EPEvent)
_tracker_decoder = msgspec.json.Decoder(EPTracker)


def _unreadable(what: str) -> Message:
    return Message(CARRIER, "unreadable_response", f"EasyPost {what} response could not be read")


def _decode_shipment(body: bytes) -> EPShipment | None:
    try:
        return _shipment_decoder.decode(body)
    except msgspec.DecodeError:
        return None


def _money(amount: str, currency: str) -> Money | None:
    try:
        value = Decimal(amount)
    except InvalidOperation:
        return None
    if not value.is_finite() or not is_known_currency(currency):
        return None
    return Money(value, currency)


def _rate(ep: EPRate) -> Rate | None:
    total = _money(ep.rate, ep.currency)
    if total is None:
        return None
    return Rate(
        carrier=CARRIER,
        service=ep.service,
        total=total,
        currency=ep.currency,
        transit_days=ep.delivery_days if ep.delivery_days is not None else ep.est_delivery_days,
        provider=ep.carrier,
        rate_ref=ep.id,
        carrier_shipment_id=ep.shipment_id,
    )


def _carrier_messages(messages: Sequence[EPMessage]) -> list[Message]:
    out = []
    for m in messages:
        text = m.message if isinstance(m.message, str) else ", ".join(m.message or [])
        prefix = f"{m.carrier}: " if m.carrier else ""
        out.append(Message(CARRIER, m.type or "carrier_message", prefix + (text or "no details"), "warning"))
    return out


def parse_rates(body: bytes, services: Sequence[str] | None = None) -> RatesResult:
    """Rates of a created Shipment; carriers that failed to rate come back as warnings."""
    shipment = _decode_shipment(body)
    if shipment is None:
        return RatesResult(messages=[_unreadable("shipment")])
    messages = _carrier_messages(shipment.messages)
    rates: list[Rate] = []
    for ep in shipment.rates:
        if services and ep.service not in services:
            continue
        rate = _rate(ep)
        if rate is None:
            messages.append(Message(CARRIER, "unreadable_rate", f"rate {ep.id} has no usable amount", "warning"))
            continue
        if rate.carrier_shipment_id is None:
            rate = msgspec.structs.replace(rate, carrier_shipment_id=shipment.id)
        rates.append(rate)
    return RatesResult(rates=rates, messages=messages)


def select_rate(rates: Sequence[Rate], service: str, provider: str | None = None) -> Rate | None:
    """The cheapest rate for ``service`` (and ``provider`` when given); names compare case-blind."""
    matching = [
        r
        for r in rates
        if r.service.casefold() == service.casefold()
        and (provider is None or (r.provider or "").casefold() == provider.casefold())
    ]
    return min(matching, key=lambda r: r.total.amount, default=None)


def parse_bought_shipment(body: bytes, idempotency_key: str) -> BookingResult:
    """A bought Shipment: tracking code, label URL (PDF when asked for), price paid."""
    shipment = _decode_shipment(body)
    if shipment is None:
        return BookingResult(messages=[_unreadable("buy")])
    if not shipment.tracking_code or shipment.selected_rate is None:
        return BookingResult(
            messages=[
                *_carrier_messages(shipment.messages),
                Message(CARRIER, "not_purchased", "EasyPost returned the shipment without a purchased label"),
            ]
        )
    label = shipment.postage_label
    label_url = (label.label_pdf_url or label.label_url) if label else None
    is_pdf = bool(label and (label.label_pdf_url or label.label_file_type == "application/pdf"))
    rate = shipment.selected_rate
    booked = BookedShipment(
        carrier=CARRIER,
        carrier_shipment_id=shipment.id,
        tracking_number=shipment.tracking_code,
        service=rate.service,
        idempotency_key=idempotency_key,
        label_url=label_url,
        label_format="PDF" if is_pdf else "PNG",
        total=_money(rate.rate, rate.currency),
        provider=rate.carrier,
        tracking_url=shipment.tracker.public_url if shipment.tracker else None,
    )
    return BookingResult(shipment=booked, messages=_carrier_messages(shipment.messages))


def parse_refund(body: bytes, shipment_ref: str) -> CancelResult:
    """``refund_status`` ``submitted`` or ``refunded`` counts as cancelled; ``rejected`` does not."""
    shipment = _decode_shipment(body)
    if shipment is None:
        return CancelResult(
            carrier=CARRIER, shipment_ref=shipment_ref, cancelled=False, messages=[_unreadable("refund")]
        )
    status = shipment.refund_status
    accepted = status in {"submitted", "refunded"}
    messages = (
        [] if accepted else [Message(CARRIER, f"refund_{status or 'unknown'}", "EasyPost did not accept the refund")]
    )
    return CancelResult(
        carrier=CARRIER, shipment_ref=shipment_ref, cancelled=accepted, refund_status=status, messages=messages
    )


def map_status(
    status: str | None, detail: str | None, text: str | None
) -> tuple[ShipmentStatus, TrackingReason | None]:
    """EasyPost ``status``/``status_detail`` (plus the carrier's message) to our status and reason."""
    detail = detail or ""
    mapped = units.DETAIL_STATUS.get(detail) or units.STATUS.get(status or "", ShipmentStatus.PENDING)
    reason = units.DETAIL_REASON.get(detail)
    if mapped not in TERMINAL_STATUSES and detail in units.DETAIL_EXCEPTION:
        mapped = ShipmentStatus.EXCEPTION
    if mapped in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.EXCEPTION) and guess_customs_reason(text):
        mapped, reason = ShipmentStatus.EXCEPTION, TrackingReason.CUSTOMS_HOLD
    if mapped is ShipmentStatus.EXCEPTION and reason is None:
        reason = TrackingReason.OTHER
    return mapped, reason


def _detail_event(tracker: EPTracker, detail: EPTrackingDetail) -> TrackingEvent | None:
    occurred_at = parse_carrier_datetime(detail.datetime)
    if occurred_at is None:
        return None
    text = detail.message or detail.description or ""
    status, reason = map_status(detail.status, detail.status_detail, text)
    loc = detail.tracking_location
    location = format_location(loc.city, loc.state, loc.zip, loc.country) if loc else None
    return TrackingEvent(
        carrier=CARRIER,
        tracking_number=tracker.tracking_code,
        status=status,
        reason=reason,
        occurred_at=occurred_at,
        description=text,
        location=location,
        raw_code=f"{detail.status or 'unknown'}/{detail.status_detail or 'unknown'}",
        carrier_code=detail.carrier_code or None,
        provider=detail.source or tracker.carrier,
    )


def tracker_to_update(tracker: EPTracker) -> TrackingUpdate:
    """A Tracker as a :class:`TrackingUpdate`; details without a timestamp are reported, not guessed."""
    events: list[TrackingEvent] = []
    messages: list[Message] = []
    for i, detail in enumerate(tracker.tracking_details):
        event = _detail_event(tracker, detail)
        if event is None:
            messages.append(
                Message(CARRIER, "undated_event", f"tracking_details[{i}] has no readable datetime", "warning")
            )
        else:
            events.append(event)
    last_text = tracker.tracking_details[-1].message if tracker.tracking_details else None
    status, reason = map_status(tracker.status, tracker.status_detail, last_text)
    return TrackingUpdate(
        carrier=CARRIER,
        tracking_number=tracker.tracking_code,
        status=status,
        reason=reason,
        events=events,
        estimated_delivery=parse_carrier_datetime(tracker.est_delivery_date),
        messages=messages,
    )


def parse_tracker_list(body: bytes, tracking_number: str) -> TrackingUpdate:
    """The newest Tracker for ``tracking_number`` in a ``GET /trackers`` answer."""
    try:
        listing = _tracker_list_decoder.decode(body)
    except msgspec.DecodeError:
        return TrackingUpdate(carrier=CARRIER, tracking_number=tracking_number, messages=[_unreadable("trackers")])
    for tracker in listing.trackers:
        if tracker.tracking_code == tracking_number:
            return tracker_to_update(tracker)
    return TrackingUpdate(
        carrier=CARRIER,
        tracking_number=tracking_number,
        messages=[Message(CARRIER, "tracker_not_found", "EasyPost has no tracker for this number", "warning")],
    )


def parse_event_body(raw_body: bytes) -> list[TrackingEvent]:
    """Tracking events in an EasyPost webhook ``Event``; events about other objects give ``[]``.

    Raises:
        MalformedWebhook: not JSON, not an Event, or a ``tracker.*`` event whose result is not a Tracker.
    """
    try:
        event = _event_decoder.decode(raw_body)
    except msgspec.DecodeError as exc:
        raise MalformedWebhook(CARRIER, str(exc)) from None
    if event.object != "Event":
        raise MalformedWebhook(CARRIER, "object is not an Event")
    if not event.description.startswith("tracker."):
        return []
    try:
        tracker = _tracker_decoder.decode(event.result)
    except msgspec.DecodeError as exc:
        raise MalformedWebhook(CARRIER, f"result: {exc}") from None
    if tracker.object != "Tracker":
        raise MalformedWebhook(CARRIER, "result is not a Tracker")
    return tracker_to_update(tracker).events
