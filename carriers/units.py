"""The hub's carrier-neutral tracking vocabulary, the forward-only status rule and event de-dup keys.

Three layers are kept for every tracking event (see PEERS.md, "Notes for our stack"):

* a normalised :class:`ShipmentStatus` (Karrio/EasyPost-like, the API's shipment statuses),
* an optional :class:`TrackingReason` saying *why* a parcel is in trouble (Karrio incident reasons,
  collapsed to what a clerk acts on), and
* the raw carrier code and text, kept verbatim on the event.

Derived status moves forward only
=================================

The progress statuses are ranked::

    pending (0) < booked (1) < in_transit (2) < out_for_delivery (3) < delivered (4)

``returned`` and ``cancelled`` are terminal, like ``delivered``. ``exception`` is *sideways*: it
is entered from any non-terminal status and left only by progress at least as far as the
shipment had already got before the exception (its high-water mark, ``reached``; ``in_transit``
when unknown). :func:`next_status` applies these rules:

1. a terminal current status never changes (late events are recorded, nothing moves);
2. ``exception`` is entered from any non-terminal status, unless the event is *stale* (older
   than the newest event already applied), so a resolved old exception cannot come back;
3. ``cancelled`` applies only before the parcel moved (``pending``, ``booked``, or an exception
   raised before pickup); a cancellation scan after pickup is recorded but ignored;
4. ``returned`` (back to sender) applies from any non-terminal status;
5. a progress status moves the shipment only to a higher rank; from ``exception`` it moves back
   to progress when its rank reaches ``reached`` and the event is not stale.

:class:`TrackingState` with :func:`advance` carries ``reached`` and the newest event time for
callers that want staleness handled for them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from carriers.base import TrackingEvent

__all__ = [
    "PROGRESS_RANK",
    "TERMINAL_STATUSES",
    "ShipmentPurpose",
    "ShipmentStatus",
    "TrackingReason",
    "TrackingState",
    "advance",
    "event_dedup_key",
    "format_location",
    "guess_customs_reason",
    "next_status",
    "parse_carrier_datetime",
]

ShipmentPurpose = Literal["outbound", "return"]
"""What a shipment is for: the order leaving (``outbound``) or a return label (``return``, booked by
the orders domain's returns); stored in ``shipments.purpose``."""


class ShipmentStatus(StrEnum):
    """Normalised shipment status, identical to the API's shipment statuses."""

    PENDING = "pending"
    BOOKED = "booked"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class TrackingReason(StrEnum):
    """Why a parcel needs attention; set on exceptions and on warning-worthy progress events."""

    CUSTOMS_HOLD = "customs_hold"
    ADDRESS_PROBLEM = "address_problem"
    DELAY = "delay"
    DAMAGE = "damage"
    LOST = "lost"
    REFUSED = "refused"
    OTHER = "other"


PROGRESS_RANK: dict[ShipmentStatus, int] = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.BOOKED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.OUT_FOR_DELIVERY: 3,
    ShipmentStatus.DELIVERED: 4,
}
"""Rank of the progress statuses; ``exception``, ``returned`` and ``cancelled`` are not ranked."""

TERMINAL_STATUSES = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED, ShipmentStatus.CANCELLED})


def next_status(
    current: ShipmentStatus,
    event_status: ShipmentStatus,
    *,
    reached: ShipmentStatus | None = None,
    stale: bool = False,
) -> ShipmentStatus:
    """The shipment's derived status after an event, moving forward only (rules in the module doc).

    Args:
        current: the shipment's status now.
        event_status: the normalised status the event reports.
        reached: the furthest progress status reached before the current exception; only used
            when ``current`` is ``exception`` (defaults to ``in_transit``).
        stale: the event is older than the newest event already applied to the shipment.
    """
    if current in TERMINAL_STATUSES:
        return current
    if event_status is ShipmentStatus.EXCEPTION:
        return current if stale else ShipmentStatus.EXCEPTION
    if event_status is ShipmentStatus.RETURNED:
        return ShipmentStatus.RETURNED
    if event_status is ShipmentStatus.CANCELLED:
        before_pickup = current if current is not ShipmentStatus.EXCEPTION else (reached or ShipmentStatus.IN_TRANSIT)
        if PROGRESS_RANK[before_pickup] <= PROGRESS_RANK[ShipmentStatus.BOOKED]:
            return ShipmentStatus.CANCELLED
        return current
    if current is ShipmentStatus.EXCEPTION:
        floor = reached if reached is not None and reached in PROGRESS_RANK else ShipmentStatus.IN_TRANSIT
        if not stale and PROGRESS_RANK[event_status] >= PROGRESS_RANK[floor]:
            return event_status
        return current
    if PROGRESS_RANK[event_status] > PROGRESS_RANK[current]:
        return event_status
    return current


class TrackingState(msgspec.Struct, frozen=True):
    """What :func:`advance` needs to remember between events of one shipment."""

    status: ShipmentStatus = ShipmentStatus.PENDING
    reached: ShipmentStatus = ShipmentStatus.PENDING
    """Furthest progress status ever reached (never ``exception``)."""
    last_event_at: datetime | None = None
    """``occurred_at`` of the newest event applied so far."""


def advance(state: TrackingState, event_status: ShipmentStatus, occurred_at: datetime) -> TrackingState:
    """Apply one event to a :class:`TrackingState`; an event older than the newest is *stale*."""
    stale = state.last_event_at is not None and occurred_at < state.last_event_at
    status = next_status(state.status, event_status, reached=state.reached, stale=stale)
    reached = state.reached
    if status in PROGRESS_RANK and PROGRESS_RANK[status] > PROGRESS_RANK[reached]:
        reached = status
    last = occurred_at if state.last_event_at is None or occurred_at > state.last_event_at else state.last_event_at
    return TrackingState(status=status, reached=reached, last_event_at=last)


def _norm_text(value: str | None) -> str:
    if not value:
        return ""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def event_dedup_key(event: TrackingEvent) -> str:
    """A stable key that is the same each time a carrier reports the same event.

    The carrier's own event id when it has one (``<carrier>:id:<id>``); otherwise a SHA-256 over
    the *raw* content (tracking number, instant in UTC, raw code, description, location), never
    over our normalised status, so a change to a mapping table cannot turn old events into new ones.
    Polling and webhooks give the same key for the same event.
    """
    if event.carrier_event_id:
        return f"{event.carrier}:id:{event.carrier_event_id}"
    instant = event.occurred_at.astimezone(UTC).replace(microsecond=0).isoformat()
    parts = [
        event.carrier,
        event.tracking_number.strip().upper(),
        instant,
        _norm_text(event.raw_code),
        _norm_text(event.description),
        _norm_text(event.location),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{event.carrier}:sha256:{digest}"


def parse_carrier_datetime(value: str | None) -> datetime | None:
    """Parse a carrier timestamp into an aware datetime.

    Accepts ISO 8601 with ``Z`` or an offset, a naive date-time (taken as UTC: carriers that omit
    the offset give no better information) and a bare date (midnight UTC). Returns ``None`` for
    empty or unreadable values.
    """
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), time(0, 0))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_location(*parts: str | None) -> str | None:
    """Join the non-empty location parts (``"ORLANDO, FL, 32809, US"``); ``None`` when all are empty."""
    kept = [p.strip() for p in parts if p and p.strip()]
    return ", ".join(kept) if kept else None


_CUSTOMS_WORDS = ("customs", "clearance", "douane", "zoll", "aduana")
_HOLD_WORDS = (
    "held",
    "hold",
    "delay",
    "pending",
    "awaiting",
    "duties",
    "duty",
    "payment",
    "document",
    "inspection",
    "required",
)


def guess_customs_reason(text: str | None) -> TrackingReason | None:
    """``customs_hold`` when a carrier's free text says a parcel is held in customs, else ``None``.

    Description-aware fallback for carriers whose codes do not distinguish a customs hold from
    other holds (Karrio needed the same for Purolator, PEERS.md section 4 item 9).
    """
    words = _norm_text(text)
    if any(w in words for w in _CUSTOMS_WORDS) and any(w in words for w in _HOLD_WORDS):
        return TrackingReason.CUSTOMS_HOLD
    return None
