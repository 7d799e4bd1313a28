"""Pure sandbox logic: quotes, tracking numbers, the PDF label, the event timeline, webhook bodies."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

import msgspec
from reportlab.graphics.barcode.code128 import Code128  # type: ignore[import-untyped]
from reportlab.lib.units import inch  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from carriers.base import Address, BookedShipment, BookingRequest, Message, Parcel, Rate, RatesRequest, TrackingEvent
from carriers.errors import MalformedWebhook
from carriers.sandbox import units
from carriers.sandbox.schemas import SandboxEvent, SandboxTrackingData, SandboxWebhook
from carriers.sandbox.settings import SandboxSettings
from carriers.sandbox.units import Service, Zone
from hub.core.money import ROUND_HALF_UP, Money, is_known_currency, round_money

__all__ = [
    "CARRIER",
    "SCENARIOS",
    "booking",
    "build_webhook_body",
    "chargeable_weight",
    "event_timeline",
    "is_valid_tracking_number",
    "label_pdf",
    "parse_webhook_body",
    "quote",
    "shipment_id",
    "tracking_number",
    "validate_shipment",
    "zone_for",
]

CARRIER = "sandbox"
SCENARIOS = ("delivered", "customs_hold", "returned")


def zone_for(origin: str, destination: str) -> Zone:
    if origin == destination:
        return Zone.DOMESTIC
    if origin in units.EU_COUNTRIES and destination in units.EU_COUNTRIES:
        return Zone.EU
    return Zone.INTERNATIONAL


def needs_customs(origin: str, destination: str) -> bool:
    return zone_for(origin, destination) is Zone.INTERNATIONAL


def chargeable_weight(parcels: Sequence[Parcel]) -> Decimal:
    """Sum of max(actual, volumetric) per parcel, rounded up to the next 0.5 kg."""
    total = Decimal(0)
    for parcel in parcels:
        weight = parcel.weight_kg
        if parcel.length_cm and parcel.width_cm and parcel.height_cm:
            volumetric = parcel.length_cm * parcel.width_cm * parcel.height_cm / units.VOLUMETRIC_DIVISOR
            weight = max(weight, volumetric)
        total += weight
    steps = (total / units.WEIGHT_STEP_KG).to_integral_value(rounding=ROUND_CEILING)
    return max(steps, Decimal(1)) * units.WEIGHT_STEP_KG


def validate_shipment(shipper: Address, recipient: Address, parcels: Sequence[Parcel]) -> list[Message]:
    """What the sandbox refuses, as messages (empty when the shipment is acceptable)."""
    problems: list[Message] = []
    for field, address in (("shipper", shipper), ("recipient", recipient)):
        if len(address.country) != 2 or not address.country.isalpha() or not address.country.isupper():
            problems.append(
                Message(
                    CARRIER, "invalid_country", "country must be an ISO 3166-1 alpha-2 code", field=f"{field}.country"
                )
            )
    if not parcels:
        problems.append(Message(CARRIER, "no_parcels", "at least one parcel is required", field="parcels"))
    if len(parcels) > units.MAX_PARCELS:
        problems.append(
            Message(CARRIER, "too_many_parcels", f"at most {units.MAX_PARCELS} parcels per shipment", field="parcels")
        )
    for i, parcel in enumerate(parcels):
        if not parcel.weight_kg.is_finite() or parcel.weight_kg <= 0:
            problems.append(
                Message(CARRIER, "invalid_weight", "weight must be positive", field=f"parcels[{i}].weight_kg")
            )
        elif parcel.weight_kg > units.MAX_PARCEL_KG:
            problems.append(
                Message(
                    CARRIER,
                    "weight_limit",
                    f"a parcel may weigh at most {units.MAX_PARCEL_KG} kg",
                    field=f"parcels[{i}].weight_kg",
                )
            )
        for dim in ("length_cm", "width_cm", "height_cm"):
            value: Decimal | None = getattr(parcel, dim)
            if value is not None and (not value.is_finite() or value <= 0 or value > units.MAX_SIDE_CM):
                problems.append(
                    Message(
                        CARRIER,
                        "invalid_dimension",
                        f"each side must be above 0 and at most {units.MAX_SIDE_CM} cm",
                        field=f"parcels[{i}].{dim}",
                    )
                )
    return problems


def quote(request: RatesRequest, settings: SandboxSettings) -> tuple[list[Rate], list[Message]]:
    """Deterministic quotes for ``standard`` and ``express`` (or the ``services`` asked for)."""
    problems = validate_shipment(request.shipper, request.recipient, request.parcels)
    if problems:
        return [], problems
    messages: list[Message] = []
    wanted = set(request.services) if request.services else {s.value for s in Service}
    unknown = sorted(wanted - {s.value for s in Service})
    if unknown:
        messages.append(
            Message(
                CARRIER,
                "unknown_service",
                f"the sandbox offers standard and express, not {', '.join(unknown)}",
                "warning",
            )
        )
    zone = zone_for(request.shipper.country, request.recipient.country)
    if zone is Zone.INTERNATIONAL and request.customs is None:
        messages.append(
            Message(CARRIER, "customs_required", "customs data will be needed to book this lane", "warning", "customs")
        )
    weight = chargeable_weight(request.parcels)
    rates: list[Rate] = []
    for service in Service:
        if service.value not in wanted:
            continue
        base, per_kg = units.PRICES[service][zone]
        total = round_money(Money(base + per_kg * weight, settings.currency), ROUND_HALF_UP)
        rates.append(
            Rate(
                carrier=CARRIER,
                service=service.value,
                total=total,
                currency=settings.currency,
                transit_days=units.TRANSIT_DAYS[service][zone],
                rate_ref=f"{service.value}:{zone.value}:{weight}",
            )
        )
    return rates, messages


def _luhn_check_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def tracking_number(idempotency_key: str) -> str:
    """``SBX`` + 9 digits derived from the key + a Luhn check digit; the same key, the same number."""
    digest = hashlib.sha256(b"sandbox-tracking\x00" + idempotency_key.encode()).digest()
    body = f"{int.from_bytes(digest[:8], 'big') % 10**9:09d}"
    return f"SBX{body}{_luhn_check_digit(body)}"


def is_valid_tracking_number(value: str) -> bool:
    if len(value) != 13 or not value.startswith("SBX") or not value[3:].isdigit():
        return False
    return _luhn_check_digit(value[3:12]) == int(value[12])


def shipment_id(idempotency_key: str) -> str:
    return "sbx_" + hashlib.sha256(b"sandbox-shipment\x00" + idempotency_key.encode()).hexdigest()[:24]


def _address_lines(address: Address) -> list[str]:
    lines = [address.name]
    if address.company:
        lines.append(address.company)
    lines.append(address.line1)
    if address.line2:
        lines.append(address.line2)
    city = " ".join(p for p in (address.postal_code, address.city) if p)
    if address.region:
        city = f"{city} {address.region}"
    lines.append(city)
    lines.append(address.country)
    return lines


def label_pdf(
    *,
    tracking: str,
    service: str,
    shipper: Address,
    recipient: Address,
    parcels: Sequence[Parcel],
    reference: str | None = None,
) -> bytes:
    """A 4x6 inch PDF label; its text (tracking number, addresses) is extractable.

    Built with ``invariant=1`` so the same input gives the same bytes. Uses the standard Helvetica
    font, which covers Latin scripts only.
    """
    buffer = io.BytesIO()
    width, height = 4 * inch, 6 * inch
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1)
    canvas.setTitle(f"Label {tracking}")
    canvas.setAuthor("orderhub sandbox carrier")
    margin = 0.2 * inch
    y = height - margin - 14
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(margin, y, "ORDERHUB SANDBOX")
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawRightString(width - margin, y, service.upper())
    y -= 22
    canvas.setFont("Helvetica", 7)
    canvas.drawString(margin, y, "FROM:")
    y -= 9
    for line in _address_lines(shipper):
        canvas.drawString(margin, y, line)
        y -= 9
    y -= 8
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(margin, y, "SHIP TO:")
    y -= 13
    canvas.setFont("Helvetica-Bold", 12)
    for line in _address_lines(recipient):
        canvas.drawString(margin + 6, y, line)
        y -= 14
    y -= 6
    canvas.setFont("Helvetica", 8)
    weight = sum((p.weight_kg for p in parcels), Decimal(0))
    canvas.drawString(margin, y, f"Parcels: {len(parcels)}   Weight: {weight} kg")
    if reference:
        y -= 10
        canvas.drawString(margin, y, f"Ref: {reference}")
    barcode = Code128(tracking, barHeight=0.8 * inch, barWidth=1.1)
    barcode.drawOn(canvas, (width - barcode.width) / 2, margin + 30)
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawCentredString(width / 2, margin + 12, tracking)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def booking(request: BookingRequest, settings: SandboxSettings) -> tuple[BookedShipment | None, list[Message]]:
    """Book a sandbox shipment: same idempotency key, same shipment id, number and label."""
    problems = validate_shipment(request.shipper, request.recipient, request.parcels)
    if request.service not in {s.value for s in Service}:
        problems.append(
            Message(CARRIER, "service_unavailable", "the sandbox offers standard and express", field="service")
        )
    if needs_customs(request.shipper.country, request.recipient.country) and request.customs is None:
        problems.append(
            Message(CARRIER, "customs_required", "customs data is required for this cross-border lane", field="customs")
        )
    if request.customs is not None:
        for i, item in enumerate(request.customs.items):
            if not is_known_currency(item.value.currency.code):
                problems.append(
                    Message(CARRIER, "invalid_currency", "unknown currency", field=f"customs.items[{i}].value")
                )
    if problems:
        return None, problems
    zone = zone_for(request.shipper.country, request.recipient.country)
    service = Service(request.service)
    base, per_kg = units.PRICES[service][zone]
    total = round_money(Money(base + per_kg * chargeable_weight(request.parcels), settings.currency), ROUND_HALF_UP)
    tracking = tracking_number(request.idempotency_key)
    pdf = label_pdf(
        tracking=tracking,
        service=service.value,
        shipper=request.shipper,
        recipient=request.recipient,
        parcels=request.parcels,
        reference=request.reference,
    )
    return (
        BookedShipment(
            carrier=CARRIER,
            carrier_shipment_id=shipment_id(request.idempotency_key),
            tracking_number=tracking,
            service=service.value,
            idempotency_key=request.idempotency_key,
            label_pdf=pdf,
            total=total,
        ),
        [],
    )


# (code, description, hours after booking for standard; express takes half) per leg.
_ORIGIN_LEG = [
    ("LABEL_CREATED", "Shipment information received", 0),
    ("PICKED_UP", "Picked up by courier (origin scan)", 4),
    ("DEPARTED_ORIGIN", "Departed origin facility", 12),
]
_CUSTOMS_LEG = [
    ("ARRIVED_DESTINATION_COUNTRY", "Arrived in destination country", 40),
    ("CUSTOMS_CLEARED", "Customs clearance completed", 46),
]
_CUSTOMS_HOLD_LEG = [
    ("ARRIVED_DESTINATION_COUNTRY", "Arrived in destination country", 40),
    ("CUSTOMS_HELD", "Held by customs: import duties must be paid before release", 46),
    ("CUSTOMS_RELEASED", "Released by customs after payment of duties", 94),
]
_DOMESTIC_LEG = [("ARRIVED_DELIVERY_DEPOT", "Arrived at delivery depot", 24)]
_LAST_MILE = [
    ("OUT_FOR_DELIVERY", "Out for delivery", 8),
    ("DELIVERED", "Delivered", 14),
]
_FAILED_LAST_MILE = [
    ("OUT_FOR_DELIVERY", "Out for delivery", 8),
    ("DELIVERY_FAILED_ADDRESS", "Delivery failed: address could not be found", 12),
    ("RETURNED_TO_SENDER", "Returned to sender", 72),
]


def event_timeline(
    tracking: str,
    booked_at: datetime,
    *,
    shipper: Address,
    recipient: Address,
    service: str = "standard",
    scenario: str = "delivered",
) -> list[TrackingEvent]:
    """The realistic event sequence of one sandbox shipment, oldest first.

    ``booked`` -> ``in_transit`` (origin scan, departure) -> customs (when the lane crosses a
    customs border) -> ``out_for_delivery`` -> ``delivered``. Scenarios: ``delivered`` (the happy
    path), ``customs_hold`` (held for duties, then released: an exception that later progress
    clears) and ``returned`` (failed delivery for a bad address, back to sender). Event ids are
    ``<tracking>-<nn>``, so reposting the same timeline is de-duplicated by the hub.

    Raises:
        ValueError: ``booked_at`` is naive, or the scenario or service is unknown.
    """
    if booked_at.tzinfo is None:
        raise ValueError("booked_at must be timezone-aware")
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
    divisor = 2 if Service(service) is Service.EXPRESS else 1
    origin_loc = f"{shipper.city}, {shipper.country}"
    dest_loc = f"{recipient.city}, {recipient.country}"
    cross_border = needs_customs(shipper.country, recipient.country)
    legs: list[tuple[str, str, int, str]] = [(c, d, h, origin_loc) for c, d, h in _ORIGIN_LEG]
    if cross_border:
        middle = _CUSTOMS_HOLD_LEG if scenario == "customs_hold" else _CUSTOMS_LEG
        legs += [(c, d, h, recipient.country) for c, d, h in middle]
    else:
        legs += [(c, d, h, dest_loc) for c, d, h in _DOMESTIC_LEG]
    last_hour = legs[-1][2]
    tail = _FAILED_LAST_MILE if scenario == "returned" else _LAST_MILE
    legs += [(c, d, last_hour + h, dest_loc) for c, d, h in tail]
    events: list[TrackingEvent] = []
    for seq, (code, description, hours, location) in enumerate(legs, start=1):
        status, reason = units.EVENT_CODES[code]
        events.append(
            TrackingEvent(
                carrier=CARRIER,
                tracking_number=tracking,
                status=status,
                reason=reason,
                occurred_at=(booked_at + timedelta(minutes=hours * 60 // divisor)).astimezone(UTC),
                description=description,
                location=location,
                carrier_event_id=f"{tracking}-{seq:02d}",
                raw_code=code,
            )
        )
    return events


def build_webhook_body(events: Sequence[TrackingEvent], *, created_at: datetime | None = None) -> bytes:
    """The JSON body a scheduler posts for ``events`` of one tracking number (sign it separately)."""
    if not events:
        raise ValueError("no events to post")
    numbers = {e.tracking_number for e in events}
    if len(numbers) != 1:
        raise ValueError("one webhook body carries events of one tracking number")
    payload_events = [
        SandboxEvent(
            id=e.carrier_event_id or f"{e.tracking_number}-{i:02d}",
            code=e.raw_code or e.status.value.upper(),
            occurred_at=e.occurred_at,
            description=e.description,
            location=e.location,
        )
        for i, e in enumerate(events, start=1)
    ]
    ids = ",".join(ev.id for ev in payload_events)
    body = SandboxWebhook(
        id="sbxevt_" + hashlib.sha256(ids.encode()).hexdigest()[:24],
        type="tracking.updated",
        created_at=created_at or datetime.now(UTC),
        data=SandboxTrackingData(tracking_number=numbers.pop(), events=payload_events),
    )
    return msgspec.json.encode(body)


_webhook_decoder = msgspec.json.Decoder(SandboxWebhook)


def parse_webhook_body(raw_body: bytes) -> list[TrackingEvent]:
    """Events in a sandbox webhook body.

    Raises:
        MalformedWebhook: not JSON, not the documented shape, a naive timestamp or an unknown code.
    """
    try:
        payload = _webhook_decoder.decode(raw_body)
    except msgspec.DecodeError as exc:
        raise MalformedWebhook(CARRIER, str(exc)) from None
    events: list[TrackingEvent] = []
    for i, ev in enumerate(payload.data.events):
        if ev.occurred_at.tzinfo is None:
            raise MalformedWebhook(CARRIER, f"data.events[{i}].occurred_at has no timezone")
        mapped = units.EVENT_CODES.get(ev.code)
        if mapped is None:
            raise MalformedWebhook(CARRIER, f"data.events[{i}].code is not a sandbox event code")
        status, reason = mapped
        events.append(
            TrackingEvent(
                carrier=CARRIER,
                tracking_number=payload.data.tracking_number,
                status=status,
                reason=reason,
                occurred_at=ev.occurred_at,
                description=ev.description,
                location=ev.location,
                carrier_event_id=ev.id,
                raw_code=ev.code,
            )
        )
    return events
