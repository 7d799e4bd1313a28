"""msgspec Structs at the edge of the carriers package: accounts, bookings, shipments, events.

Plain data only: the orders domain builds a :class:`ShipmentBookingInput` from its order and calls
:func:`carriers.booking.book_shipment`; the carriers package never sees an order object.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec

from carriers.base import Address, Message, Parcel
from hub.core.money import MoneyWire

__all__ = [
    "Address",
    "CarrierAccountCreate",
    "CarrierAccountRead",
    "CustomsLine",
    "InboundAccepted",
    "Parcel",
    "RateRead",
    "RatesRead",
    "ShipmentBookingInput",
    "ShipmentRatesInput",
    "ShipmentRead",
    "TrackingEventRead",
]


class CarrierAccountCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``credentials`` and ``webhook_secret`` are write-only: stored encrypted, never returned."""

    carrier: str
    name: str
    credentials: dict[str, str] = {}
    webhook_secret: str | None = None
    options: dict[str, Any] = {}

    def __repr__(self) -> str:  # never show secrets, even in a debugger or a traceback
        return f"CarrierAccountCreate(carrier={self.carrier!r}, name={self.name!r})"


class CarrierAccountRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    carrier: str
    name: str
    options: dict[str, Any]
    webhook_url: str
    webhook_secret_set: bool
    created_at: datetime
    disabled_at: datetime | None = None


class InboundAccepted(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    status: str


class CustomsLine(msgspec.Struct, kw_only=True, frozen=True):
    """One customs line; ``value`` and ``weight`` (kg) are totals for the line, not per unit."""

    description: str
    quantity: int
    value: Decimal
    currency: str
    weight: Decimal
    hs_code: str | None = None
    origin: str | None = None
    """ISO 3166-1 alpha-2 country of origin."""
    sku: str | None = None


class ShipmentBookingInput(msgspec.Struct, kw_only=True, frozen=True):
    """What a caller (the orders domain, through the composition layer) asks to book."""

    order_id: uuid.UUID
    carrier_account_id: uuid.UUID
    service: str
    parcels: list[Parcel]
    ship_from: Address
    ship_to: Address
    customs: list[CustomsLine] = []
    reference: str | None = None
    """The seller's reference printed on the label (e.g. the order number)."""
    provider: str | None = None
    """For aggregators (EasyPost): the underlying carrier to buy from (``USPS``)."""
    contents_type: Literal["merchandise", "gift", "documents", "sample", "returned_goods", "other"] = "merchandise"
    incoterm: str | None = None
    signer: str | None = None
    """Who certifies the customs declaration; defaults to the sender's name."""


class ShipmentRatesInput(msgspec.Struct, kw_only=True, frozen=True):
    carrier_account_id: uuid.UUID
    parcels: list[Parcel]
    ship_from: Address
    ship_to: Address
    customs: list[CustomsLine] = []
    services: list[str] | None = None
    contents_type: Literal["merchandise", "gift", "documents", "sample", "returned_goods", "other"] = "merchandise"


class RateRead(msgspec.Struct, kw_only=True):
    carrier: str
    service: str
    total: MoneyWire
    transit_days: int | None = None
    provider: str | None = None


class RatesRead(msgspec.Struct, kw_only=True):
    carrier_account_id: uuid.UUID
    rates: list[RateRead]
    messages: list[Message]


class ShipmentRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    carrier_account_id: uuid.UUID
    carrier: str
    service: str
    status: str
    status_reason: str | None
    tracking_number: str | None
    carrier_shipment_id: str | None
    provider: str | None
    parcels: list[Parcel]
    rate: MoneyWire | None
    label_available: bool
    label_url: str | None
    booked_at: datetime | None
    last_event_at: datetime | None
    created_at: datetime
    messages: list[Message] = []


class TrackingEventRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    status: str
    reason: str | None
    description: str
    occurred_at: datetime
    location: str | None
    carrier_code: str | None
    source: str
    tracking_number: str
