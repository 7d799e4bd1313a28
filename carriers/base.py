"""The carrier adapter protocol and the plain data that crosses it.

Every adapter (``carriers/<carrier>/proxy.py``) implements :class:`CarrierGateway`. Callers pass
plain Structs in and get Structs back; the carrier layer never touches the database and never
imports the orders domain.

Carrier failures are *data*: each result carries a ``messages`` list of :class:`Message`
(karrio style) and the adapter methods do not raise for a carrier-side problem (HTTP 4xx/5xx,
timeouts, unreadable responses, unsupported operations). The service that called decides whether
to raise. The one exception is :meth:`CarrierGateway.parse_webhook`, which raises
:class:`carriers.errors.MalformedWebhook` for a body that cannot be read, so the webhook route can
answer 400.

Money is py-moneyed ``Money`` over ``Decimal``; weights are ``Decimal`` kilograms, dimensions
``Decimal`` centimetres. Nothing here is a float. Use :func:`enc_hook` to encode these Structs
with msgspec (``Money`` becomes ``{"amount": "12.34", "currency": "EUR"}``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

from carriers.units import ShipmentStatus, TrackingReason, event_dedup_key
from hub.core.errors import FieldError
from hub.core.money import Money, money_to_wire

__all__ = [
    "Address",
    "BookedShipment",
    "BookingRequest",
    "BookingResult",
    "CancelResult",
    "CarrierGateway",
    "CustomsInfo",
    "CustomsItem",
    "Message",
    "MessageLevel",
    "Parcel",
    "Rate",
    "RatesRequest",
    "RatesResult",
    "SecretStr",
    "ShipmentStatus",
    "TrackingEvent",
    "TrackingReason",
    "TrackingUpdate",
    "enc_hook",
    "header_value",
]

MessageLevel = Literal["error", "warning", "info"]


class SecretStr:
    """A credential that never shows itself in ``repr``, ``str``, logs or exception messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The clear value; call it only where the secret is sent or used as a key."""
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Message(msgspec.Struct, frozen=True):
    """A carrier-side problem or notice, returned as data (karrio's ``Message``)."""

    carrier: str
    code: str
    """Stable slug: ``http_401``, ``timeout``, ``service_unavailable``, or the carrier's own code."""
    message: str
    level: MessageLevel = "error"
    field: str | None = None
    """The request field the carrier complained about, when it said."""


class Address(msgspec.Struct, frozen=True):
    """A postal address; ``country`` is ISO 3166-1 alpha-2."""

    name: str
    line1: str
    city: str
    country: str
    postal_code: str | None = None
    line2: str | None = None
    region: str | None = None
    """State, province or other subdivision code (``CA``, ``ON``)."""
    company: str | None = None
    phone: str | None = None
    email: str | None = None


class Parcel(msgspec.Struct, frozen=True):
    """One package: weight in kilograms, dimensions in centimetres, all ``Decimal``."""

    weight_kg: Decimal
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None


# The smallest parcel that is one: "more than 0" let 1e-30 kg (and a side of 0 or -20 cm) buy a label.
MIN_WEIGHT_KG = Decimal("0.001")
MAX_WEIGHT_KG = Decimal(1000)
MIN_SIDE_CM = Decimal("0.1")


def parcel_errors(parcels: Sequence[Parcel]) -> list[FieldError]:
    """What is wrong with parcels a client sent, each under ``parcels[i].<field>``, before any carrier sees them.

    msgspec decodes "NaN" and "Infinity" as Decimals: they are refused before any comparison (a NaN
    raises there). The upper range of a side is the carrier's to judge. Outgoing and return labels
    both check here.
    """
    errors = []
    for i, p in enumerate(parcels):
        if not (p.weight_kg.is_finite() and MIN_WEIGHT_KG <= p.weight_kg <= MAX_WEIGHT_KG):
            errors.append(
                FieldError(f"parcels[{i}].weight_kg", f"must be at least {MIN_WEIGHT_KG} and at most {MAX_WEIGHT_KG}")
            )
        for name in ("length_cm", "width_cm", "height_cm"):
            side: Decimal | None = getattr(p, name)
            if side is not None and not (side.is_finite() and side >= MIN_SIDE_CM):
                errors.append(
                    FieldError(f"parcels[{i}].{name}", f"must be a number of centimetres, at least {MIN_SIDE_CM}")
                )
    return errors


class CustomsItem(msgspec.Struct, frozen=True):
    """One customs line: ``value`` and ``weight_kg`` are totals for the line, not per unit."""

    description: str
    quantity: int
    value: Money
    weight_kg: Decimal
    hs_code: str | None = None
    origin_country: str | None = None
    sku: str | None = None


class CustomsInfo(msgspec.Struct, frozen=True):
    """Customs declaration data a carrier needs at booking time (a snapshot built by the caller)."""

    contents_type: Literal["merchandise", "gift", "documents", "sample", "returned_goods", "other"]
    items: list[CustomsItem]
    signer: str
    contents_explanation: str | None = None
    incoterm: str | None = None
    non_delivery: Literal["return", "abandon"] = "return"
    eel_pfc: str | None = None
    """US export filing exemption or ITN (``NOEEI 30.37(a)``), when the lane needs it."""
    invoice_number: str | None = None


class RatesRequest(msgspec.Struct, frozen=True):
    """Ask for quotes; ``services`` narrows the answer to those service names."""

    shipper: Address
    recipient: Address
    parcels: list[Parcel]
    customs: CustomsInfo | None = None
    services: list[str] | None = None
    reference: str | None = None


class Rate(msgspec.Struct, frozen=True):
    """One quote. ``rate_ref`` and ``carrier_shipment_id`` let :meth:`CarrierGateway.book` buy it."""

    carrier: str
    service: str
    total: Money
    currency: str
    transit_days: int | None = None
    provider: str | None = None
    """The underlying carrier behind an aggregator (EasyPost ``USPS``); ``None`` for direct carriers."""
    rate_ref: str | None = None
    carrier_shipment_id: str | None = None


class RatesResult(msgspec.Struct, frozen=True):
    rates: list[Rate] = []
    messages: list[Message] = []


class BookingRequest(msgspec.Struct, frozen=True):
    """Buy a label.

    ``idempotency_key`` is the caller's stable reference for this booking (e.g. the shipment id):
    the adapter passes it on to the carrier as the shipment reference where the carrier has one,
    and the sandbox derives its shipment id and tracking number from it, so a retried booking job
    gets the same answer. Set ``rate_ref`` and ``carrier_shipment_id`` from a :class:`Rate` to buy a
    quote already obtained; otherwise the adapter quotes and buys ``service`` in one go.
    """

    idempotency_key: str
    shipper: Address
    recipient: Address
    parcels: list[Parcel]
    service: str
    provider: str | None = None
    customs: CustomsInfo | None = None
    reference: str | None = None
    rate_ref: str | None = None
    carrier_shipment_id: str | None = None


class BookedShipment(msgspec.Struct, frozen=True):
    carrier: str
    carrier_shipment_id: str
    tracking_number: str
    service: str
    idempotency_key: str
    label_pdf: bytes | None = None
    label_url: str | None = None
    label_format: str = "PDF"
    total: Money | None = None
    provider: str | None = None
    tracking_url: str | None = None


class BookingResult(msgspec.Struct, frozen=True):
    shipment: BookedShipment | None = None
    messages: list[Message] = []

    @property
    def ok(self) -> bool:
        return self.shipment is not None


class CancelResult(msgspec.Struct, frozen=True):
    """``cancelled`` is true once the carrier accepted the void or refund request."""

    carrier: str
    shipment_ref: str
    cancelled: bool
    refund_status: str | None = None
    """The carrier's own refund state, e.g. EasyPost ``submitted`` / ``refunded`` / ``rejected``."""
    messages: list[Message] = []


class TrackingEvent(msgspec.Struct, frozen=True):
    """One tracking event, normalised, with the carrier's raw code kept."""

    carrier: str
    """Our adapter name (``easypost``, ``aftership``, ``sandbox``)."""
    tracking_number: str
    status: ShipmentStatus
    occurred_at: datetime
    """Always timezone-aware."""
    description: str = ""
    reason: TrackingReason | None = None
    location: str | None = None
    carrier_event_id: str | None = None
    raw_code: str | None = None
    """The code as the adapter's source sent it: EasyPost ``in_transit/arrived_at_facility``,
    AfterShip ``Exception_004``, sandbox ``CUSTOMS_CLEARED``."""
    carrier_code: str | None = None
    """The underlying carrier's own code when an aggregator passes it on (FedEx ``AR``)."""
    provider: str | None = None

    def dedup_key(self) -> str:
        """See :func:`carriers.units.event_dedup_key`."""
        return event_dedup_key(self)


class TrackingUpdate(msgspec.Struct, frozen=True):
    """What polling found for one tracking number; ``status`` is ``None`` when nothing is known."""

    carrier: str
    tracking_number: str
    status: ShipmentStatus | None = None
    reason: TrackingReason | None = None
    events: list[TrackingEvent] = []
    estimated_delivery: datetime | None = None
    messages: list[Message] = []


@runtime_checkable
class CarrierGateway(Protocol):
    """What every carrier adapter offers. Async methods do I/O; the webhook methods are pure."""

    name: str

    async def rates(self, request: RatesRequest) -> RatesResult:
        """Quotes for the request; carrier problems come back in ``messages``."""
        ...

    async def book(self, request: BookingRequest) -> BookingResult:
        """Buy a label; ``shipment`` is ``None`` and ``messages`` say why when it failed."""
        ...

    async def cancel(self, shipment_ref: str) -> CancelResult:
        """Void the label / ask for a refund of ``carrier_shipment_id``."""
        ...

    async def retrieve_booking(self, carrier_shipment_id: str, idempotency_key: str) -> BookingResult | None:
        """The carrier's own record of a shipment created earlier, for a retry that never learnt
        whether its purchase went through: ``shipment`` set when the label was bought, unset (with
        messages) when it was not or the carrier could not be asked; ``None`` when the adapter has
        no such lookup (its ``book`` must then be safe to repeat).
        """
        ...

    async def track(self, tracking_numbers: Sequence[str]) -> list[TrackingUpdate]:
        """One update per requested number, in the same order; failures as messages on each."""
        ...

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes, secret: str) -> bool:
        """True only when the carrier's signature over ``raw_body`` checks out with ``secret``."""
        ...

    def parse_webhook(self, raw_body: bytes) -> list[TrackingEvent]:
        """Events in a verified webhook body.

        Raises:
            carriers.errors.MalformedWebhook: the body is not what the carrier documents.
        """
        ...


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that also works on plain dicts."""
    direct = headers.get(name)
    if direct is not None:
        return direct
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def enc_hook(obj: Any) -> Any:
    """msgspec ``enc_hook`` for these Structs: ``Money`` goes out in the API's wire shape."""
    if isinstance(obj, Money):
        wire = money_to_wire(obj)
        return {"amount": wire.amount, "currency": wire.currency}
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")
