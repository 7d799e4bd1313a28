"""Sandbox services, zones, price table, limits and its tracking-code vocabulary."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from carriers.units import ShipmentStatus, TrackingReason

__all__ = [
    "EU_COUNTRIES",
    "EVENT_CODES",
    "MAX_PARCELS",
    "MAX_PARCEL_KG",
    "MAX_SIDE_CM",
    "PRICES",
    "TRANSIT_DAYS",
    "VOLUMETRIC_DIVISOR",
    "WEIGHT_STEP_KG",
    "Service",
    "Zone",
]


class Service(StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"


class Zone(StrEnum):
    DOMESTIC = "domestic"
    EU = "eu"
    """Between two EU member states: cross-border but inside the customs union."""
    INTERNATIONAL = "international"


EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)

# (base, per chargeable kg) in the account currency.
PRICES: dict[Service, dict[Zone, tuple[Decimal, Decimal]]] = {
    Service.STANDARD: {
        Zone.DOMESTIC: (Decimal("4.90"), Decimal("1.20")),
        Zone.EU: (Decimal("8.90"), Decimal("2.40")),
        Zone.INTERNATIONAL: (Decimal("14.90"), Decimal("4.80")),
    },
    Service.EXPRESS: {
        Zone.DOMESTIC: (Decimal("9.90"), Decimal("2.50")),
        Zone.EU: (Decimal("18.90"), Decimal("4.50")),
        Zone.INTERNATIONAL: (Decimal("29.90"), Decimal("8.50")),
    },
}

TRANSIT_DAYS: dict[Service, dict[Zone, int]] = {
    Service.STANDARD: {Zone.DOMESTIC: 2, Zone.EU: 4, Zone.INTERNATIONAL: 7},
    Service.EXPRESS: {Zone.DOMESTIC: 1, Zone.EU: 2, Zone.INTERNATIONAL: 3},
}

VOLUMETRIC_DIVISOR = Decimal(5000)
"""cm³ per chargeable kg, the common courier divisor."""
WEIGHT_STEP_KG = Decimal("0.5")
MAX_PARCEL_KG = Decimal(30)
MAX_SIDE_CM = Decimal(150)
MAX_PARCELS = 10

# Sandbox event code -> (status, reason).
EVENT_CODES: dict[str, tuple[ShipmentStatus, TrackingReason | None]] = {
    "LABEL_CREATED": (ShipmentStatus.BOOKED, None),
    "PICKED_UP": (ShipmentStatus.IN_TRANSIT, None),
    "DEPARTED_ORIGIN": (ShipmentStatus.IN_TRANSIT, None),
    "ARRIVED_DESTINATION_COUNTRY": (ShipmentStatus.IN_TRANSIT, None),
    "CUSTOMS_CLEARED": (ShipmentStatus.IN_TRANSIT, None),
    "CUSTOMS_HELD": (ShipmentStatus.EXCEPTION, TrackingReason.CUSTOMS_HOLD),
    "CUSTOMS_RELEASED": (ShipmentStatus.IN_TRANSIT, None),
    "ARRIVED_DELIVERY_DEPOT": (ShipmentStatus.IN_TRANSIT, None),
    "OUT_FOR_DELIVERY": (ShipmentStatus.OUT_FOR_DELIVERY, None),
    "DELIVERY_FAILED_ADDRESS": (ShipmentStatus.EXCEPTION, TrackingReason.ADDRESS_PROBLEM),
    "RETURNED_TO_SENDER": (ShipmentStatus.RETURNED, TrackingReason.ADDRESS_PROBLEM),
    "DELIVERED": (ShipmentStatus.DELIVERED, None),
    "CANCELLED": (ShipmentStatus.CANCELLED, None),
}
