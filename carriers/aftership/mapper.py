"""Pure AfterShip parsing and webhook signature checking (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence

import msgspec

from carriers.aftership.errors import CARRIER
from carriers.aftership.schemas import ASCheckpoint, ASListResponse, ASTracking, ASWebhook
from carriers.aftership.units import map_tag
from carriers.base import Message, TrackingEvent, TrackingUpdate, header_value
from carriers.errors import MalformedWebhook
from carriers.units import format_location, parse_carrier_datetime

__all__ = [
    "SIGNATURE_HEADER",
    "checkpoint_event",
    "parse_trackings",
    "parse_webhook_body",
    "sign_body",
    "tracking_to_update",
    "verify_signature",
]

SIGNATURE_HEADER = "aftership-hmac-sha256"

_webhook_decoder = msgspec.json.Decoder(ASWebhook)
_list_decoder = msgspec.json.Decoder(ASListResponse)


def sign_body(raw_body: bytes, secret: str) -> str:
    """AfterShip's header value: base64 of HMAC-SHA256(secret, raw body)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()).decode("ascii")


def verify_signature(headers: Mapping[str, str], raw_body: bytes, secret: str) -> bool:
    """Constant-time check of ``aftership-hmac-sha256``; false when missing or forged."""
    if not secret:
        return False
    received = header_value(headers, SIGNATURE_HEADER)
    if not received:
        return False
    return hmac.compare_digest(sign_body(raw_body, secret).encode(), received.strip().encode())


def checkpoint_event(tracking: ASTracking, checkpoint: ASCheckpoint) -> TrackingEvent | None:
    """One checkpoint as an event; ``None`` when it has no usable time.

    ``checkpoint_time`` is the carrier's local time and may lack an offset or be a bare date; then
    it is read as UTC (see :func:`carriers.units.parse_carrier_datetime`). The 2026-07 API's
    per-checkpoint ``hash`` becomes the carrier event id; older versions fall back to the content hash.
    """
    occurred_at = parse_carrier_datetime(checkpoint.checkpoint_time) or parse_carrier_datetime(checkpoint.created_at)
    if occurred_at is None:
        return None
    status, reason = map_tag(checkpoint.tag, checkpoint.subtag)
    location = checkpoint.location or format_location(
        checkpoint.city,
        checkpoint.state,
        checkpoint.postal_code or checkpoint.zip,
        checkpoint.country_region or checkpoint.country_iso3,
    )
    return TrackingEvent(
        carrier=CARRIER,
        tracking_number=tracking.tracking_number,
        status=status,
        reason=reason,
        occurred_at=occurred_at,
        description=checkpoint.message or checkpoint.subtag_message or "",
        location=location,
        carrier_event_id=checkpoint.hash or None,
        raw_code=checkpoint.subtag or checkpoint.tag,
        carrier_code=checkpoint.raw_tag or None,
        provider=checkpoint.slug or tracking.slug,
    )


def tracking_to_update(tracking: ASTracking) -> TrackingUpdate:
    """A Tracking as an update: one event per checkpoint, plus a tracking-level event when the
    tracking's own tag is newer than its last checkpoint (``Expired`` has no checkpoint of its own)."""
    events: list[TrackingEvent] = []
    messages: list[Message] = []
    for i, checkpoint in enumerate(tracking.checkpoints):
        event = checkpoint_event(tracking, checkpoint)
        if event is None:
            messages.append(Message(CARRIER, "undated_event", f"checkpoints[{i}] has no readable time", "warning"))
        else:
            events.append(event)
    status, reason = map_tag(tracking.tag, tracking.subtag)
    last = tracking.checkpoints[-1] if tracking.checkpoints else None
    updated_at = parse_carrier_datetime(tracking.updated_at)
    tag_is_new = last is None or (last.tag, last.subtag) != (tracking.tag, tracking.subtag)
    if tracking.tag and tracking.tag != "Pending" and tag_is_new and updated_at is not None:
        events.append(
            TrackingEvent(
                carrier=CARRIER,
                tracking_number=tracking.tracking_number,
                status=status,
                reason=reason,
                occurred_at=updated_at,
                description=tracking.subtag_message or tracking.tag,
                raw_code=tracking.subtag or tracking.tag,
                provider=tracking.slug,
            )
        )
    return TrackingUpdate(
        carrier=CARRIER,
        tracking_number=tracking.tracking_number,
        status=status,
        reason=reason,
        events=events,
        estimated_delivery=parse_carrier_datetime(tracking.expected_delivery),
        messages=messages,
    )


def parse_webhook_body(raw_body: bytes) -> list[TrackingEvent]:
    """Events in an AfterShip webhook (``{"event", "event_id", "msg": <Tracking>, "ts"}``).

    ``tracking_update`` and other events that carry the tracking (``edd_revise``,
    ``tracking_pending_time``) all yield its checkpoints; repeats are removed by the de-dup key.

    Raises:
        MalformedWebhook: not JSON or not the documented shape.
    """
    try:
        payload = _webhook_decoder.decode(raw_body)
    except msgspec.DecodeError as exc:
        raise MalformedWebhook(CARRIER, str(exc)) from None
    return tracking_to_update(payload.msg).events


def parse_trackings(body: bytes, tracking_numbers: Sequence[str]) -> list[TrackingUpdate]:
    """A ``GET /trackings`` answer as one update per asked number, in the order asked."""
    try:
        listing = _list_decoder.decode(body)
    except msgspec.DecodeError:
        unreadable = Message(CARRIER, "unreadable_response", "AfterShip trackings response could not be read")
        return [TrackingUpdate(carrier=CARRIER, tracking_number=n, messages=[unreadable]) for n in tracking_numbers]
    found: dict[str, ASTracking] = {}
    for tracking in listing.data.trackings if listing.data else []:
        found.setdefault(tracking.tracking_number, tracking)
    updates = []
    for number in tracking_numbers:
        hit = found.get(number)
        if hit is None:
            missing = Message(CARRIER, "tracking_not_found", "AfterShip has no tracking for this number", "warning")
            updates.append(TrackingUpdate(carrier=CARRIER, tracking_number=number, messages=[missing]))
        else:
            updates.append(tracking_to_update(hit))
    return updates
