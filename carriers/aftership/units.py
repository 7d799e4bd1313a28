"""AfterShip delivery tags and sub-tags mapped to our statuses and reasons.

Tags (aftership.com/docs/tracking/enum/delivery-statuses) and sub-tags
(/enum/delivery-sub-statuses, including those added 2026-03-27) as listed in PEERS.md §3.3.

Decisions:

* ``InfoReceived`` -> ``booked`` (the carrier has the shipment data, not the parcel);
  ``Pending`` -> ``pending`` (never moves a shipment).
* ``AvailableForPickup`` -> ``out_for_delivery`` (last-mile stage; no separate pickup status).
* ``AttemptFail`` -> ``exception`` (reason ``other``: a failed attempt needs a look even when a
  retry follows; the next ``OutForDelivery`` clears it under the forward-only rule).
* ``Expired`` (no news for 30 days) -> ``exception`` with reason ``other``, not ``lost``: nobody
  has said the parcel is lost.
* Sub-tags refine the reason and, for ``Exception_010``/``_011`` (returning/returned to sender)
  and ``Exception_020`` (cancelled), the status. ``Exception_004`` (customs clearance),
  ``Exception_006`` (held for payment of duties) and ``Exception_018`` (missing documents) are
  ``customs_hold``.
"""

from __future__ import annotations

from carriers.units import ShipmentStatus, TrackingReason

__all__ = ["SUBTAG_REASON", "SUBTAG_STATUS", "TAG", "map_tag"]

TAG: dict[str, ShipmentStatus] = {
    "Pending": ShipmentStatus.PENDING,
    "InfoReceived": ShipmentStatus.BOOKED,
    "InTransit": ShipmentStatus.IN_TRANSIT,
    "OutForDelivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "AttemptFail": ShipmentStatus.EXCEPTION,
    "Delivered": ShipmentStatus.DELIVERED,
    "AvailableForPickup": ShipmentStatus.OUT_FOR_DELIVERY,
    "Exception": ShipmentStatus.EXCEPTION,
    "Expired": ShipmentStatus.EXCEPTION,
}

SUBTAG_REASON: dict[str, TrackingReason] = {
    "Exception_001": TrackingReason.OTHER,
    "Exception_002": TrackingReason.ADDRESS_PROBLEM,  # customer moved
    "Exception_003": TrackingReason.REFUSED,
    "Exception_004": TrackingReason.CUSTOMS_HOLD,  # delayed (customs clearance)
    "Exception_005": TrackingReason.DELAY,  # delayed (external factors)
    "Exception_006": TrackingReason.CUSTOMS_HOLD,  # held for payment (duties)
    "Exception_007": TrackingReason.ADDRESS_PROBLEM,  # incorrect address
    "Exception_008": TrackingReason.OTHER,  # pick-up missed
    "Exception_009": TrackingReason.OTHER,  # rejected by carrier
    "Exception_010": TrackingReason.OTHER,  # returning to sender
    "Exception_011": TrackingReason.OTHER,  # returned to sender
    "Exception_012": TrackingReason.DAMAGE,
    "Exception_013": TrackingReason.LOST,
    "Exception_016": TrackingReason.DELAY,  # processing delay
    "Exception_017": TrackingReason.DELAY,  # weather
    "Exception_018": TrackingReason.CUSTOMS_HOLD,  # incorrect or missing documents
    "Exception_019": TrackingReason.DELAY,  # late flight
    "Exception_020": TrackingReason.OTHER,  # cancelled
    "Exception_021": TrackingReason.OTHER,  # disposed
}

SUBTAG_STATUS: dict[str, ShipmentStatus] = {
    "Exception_010": ShipmentStatus.RETURNED,
    "Exception_011": ShipmentStatus.RETURNED,
    "Exception_020": ShipmentStatus.CANCELLED,
}


def map_tag(tag: str | None, subtag: str | None) -> tuple[ShipmentStatus, TrackingReason | None]:
    """Status and reason of an AfterShip tag/sub-tag pair; an unknown tag is ``pending``."""
    sub = subtag or ""
    status = SUBTAG_STATUS.get(sub) or TAG.get(tag or "", ShipmentStatus.PENDING)
    reason = SUBTAG_REASON.get(sub)
    if status is ShipmentStatus.EXCEPTION and reason is None:
        reason = TrackingReason.OTHER
    return status, reason
