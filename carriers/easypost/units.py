"""EasyPost units (oz, inches) and its tracker vocabulary mapped to ours.

Tracker ``status`` values are the documented ten (docs.easypost.com/docs/trackers). The
``status_detail`` list on that page was only partly readable; the values below beyond the first
few (``address_correction``, ``arrived_at_destination``, ``arrived_at_facility``, ...) and those
seen in the documentation's examples (``label_created``, ``departed_facility``, ``status_update``,
``unknown``) are from EasyPost's published list as we remember it and are marked *unverified*.
An unknown detail never breaks parsing: the status alone decides, and the carrier's message is
checked for a customs hold (:func:`carriers.units.guess_customs_reason`).

Mapping decisions:

* ``pre_transit`` -> ``booked`` (a label exists, the carrier has no parcel yet); ``unknown`` ->
  ``pending``, which never moves a shipment (lowest rank).
* ``available_for_pickup`` -> ``out_for_delivery``: the last-mile stage, the parcel waits at a
  pickup point; we have no separate "ready for pickup" status.
* ``return_to_sender`` -> ``returned`` (terminal for the outbound shipment).
* ``failure`` and ``error`` -> ``exception`` (reason from the detail, else ``other``).
* Details that mean a physical problem (``lost``, ``damaged``, ``refused``, ``held``,
  ``delivery_exception``, ``transit_exception``) turn the event into an ``exception`` whatever
  the status says; a customs hold is always an ``exception`` with reason ``customs_hold``.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from carriers.units import ShipmentStatus, TrackingReason

__all__ = [
    "DETAIL_EXCEPTION",
    "DETAIL_REASON",
    "DETAIL_STATUS",
    "STATUS",
    "cm_to_in",
    "kg_to_oz",
]

OZ_PER_KG = Decimal("35.27396195")
CM_PER_IN = Decimal("2.54")
_TENTH = Decimal("0.1")


def kg_to_oz(kg: Decimal) -> Decimal:
    """Kilograms to ounces, rounded *up* to 0.1 oz (never under-declare a weight)."""
    return (kg * OZ_PER_KG).quantize(_TENTH, rounding=ROUND_CEILING)


def cm_to_in(cm: Decimal) -> Decimal:
    """Centimetres to inches, rounded up to 0.1 in."""
    return (cm / CM_PER_IN).quantize(_TENTH, rounding=ROUND_CEILING)


STATUS: dict[str, ShipmentStatus] = {
    "unknown": ShipmentStatus.PENDING,
    "pre_transit": ShipmentStatus.BOOKED,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivered": ShipmentStatus.DELIVERED,
    "available_for_pickup": ShipmentStatus.OUT_FOR_DELIVERY,
    "return_to_sender": ShipmentStatus.RETURNED,
    "failure": ShipmentStatus.EXCEPTION,
    "cancelled": ShipmentStatus.CANCELLED,
    "error": ShipmentStatus.EXCEPTION,
}

DETAIL_REASON: dict[str, TrackingReason] = {
    "address_correction": TrackingReason.ADDRESS_PROBLEM,
    "delayed": TrackingReason.DELAY,  # unverified
    "weather_delay": TrackingReason.DELAY,  # unverified
    "missorted": TrackingReason.DELAY,  # unverified
    "damaged": TrackingReason.DAMAGE,  # unverified
    "lost": TrackingReason.LOST,  # unverified
    "refused": TrackingReason.REFUSED,  # unverified
    "held": TrackingReason.OTHER,  # unverified; the message decides when it is customs
    "delivery_exception": TrackingReason.OTHER,  # unverified
    "transit_exception": TrackingReason.OTHER,  # unverified
    "awaiting_information": TrackingReason.OTHER,  # unverified
}

DETAIL_EXCEPTION = frozenset({"lost", "damaged", "refused", "held", "delivery_exception", "transit_exception"})
"""Details that make the event an exception whatever ``status`` says."""

DETAIL_STATUS: dict[str, ShipmentStatus] = {
    "return": ShipmentStatus.RETURNED,  # unverified
    "cancelled": ShipmentStatus.CANCELLED,
}
"""Details that decide the status on their own."""
