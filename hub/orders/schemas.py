"""msgspec Structs at the edge of the orders domain (catalog first)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from hub.core.money import MoneyWire
from hub.core.validation import check_date_window
from hub.orders.status import OrderStatus

Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^\S+$", description="no spaces")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]


class ProductCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    name: Name
    unit_price: MoneyWire
    spec: Text = ""
    customs_description: Text = ""
    hs_code: str | None = None
    origin_country: str | None = None
    weight_kg: Decimal | None = None


class ProductUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """PATCH body: a field left out stays as it is (``UNSET``); ``null`` clears an optional field."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    unit_price: MoneyWire | msgspec.UnsetType = msgspec.UNSET
    spec: Text | msgspec.UnsetType = msgspec.UNSET
    customs_description: Text | msgspec.UnsetType = msgspec.UNSET
    hs_code: str | msgspec.UnsetType | None = msgspec.UNSET
    origin_country: str | msgspec.UnsetType | None = msgspec.UNSET
    weight_kg: Decimal | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class ProductRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    sku: str
    name: str
    spec: str
    customs_description: str
    hs_code: str | None
    origin_country: str | None
    unit_price: MoneyWire
    weight_kg: Decimal | None
    active: bool
    created_at: datetime
    updated_at: datetime


# --- orders -------------------------------------------------------------------------------------

Channel = Literal["api", "csv", "xlsx", "shopify", "manual"]
ManualVia = Literal["phone", "email", "in_person"]
Incoterm = Literal["EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"]
Short = Annotated[str, msgspec.Meta(max_length=300)]


class CustomerIn(msgspec.Struct, kw_only=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    email: Short | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class AddressIn(msgspec.Struct, kw_only=True):
    name: Short = ""
    line1: Short = ""
    line2: Short = ""
    city: Short = ""
    region: Short = ""
    postal_code: Annotated[str, msgspec.Meta(max_length=20)] = ""
    country: Annotated[str, msgspec.Meta(max_length=2)] = ""
    company: Short = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    email: Short = ""


class DiscountIn(msgspec.Struct, kw_only=True):
    """``percent`` takes ``value`` as a percent string ("10" = 10 %); ``fixed`` takes Money in ``amount``."""

    type: Literal["percent", "fixed"]
    value: str | None = None
    amount: MoneyWire | None = None
    code: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    """A coupon code, recorded with the discount."""


class LineIn(msgspec.Struct, kw_only=True):
    quantity: int
    unit_price: MoneyWire | None = None
    sku: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    name: Short | None = None
    spec: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    hs_code: str | None = None
    origin_country: str | None = None
    weight_kg: Decimal | None = None
    discount: DiscountIn | None = None


class OrderCreate(msgspec.Struct, kw_only=True):
    customer: CustomerIn
    ship_to: AddressIn
    currency: str
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=500)]
    channel: Channel = "api"
    channel_detail: ManualVia | None = None
    external_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None
    bill_to: AddressIn | None = None
    incoterm: Incoterm = "DAP"
    requested_delivery_date: date | None = None
    rush: bool = False
    customization: bool = False
    special_terms: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    shipping: MoneyWire | None = None
    discounts: Annotated[list[DiscountIn], msgspec.Meta(max_length=10)] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        # Here, not in the service: every channel decodes this Struct (API, CSV/XLSX rows, console form).
        check_date_window("requested_delivery_date", self.requested_delivery_date)


class Finding(msgspec.Struct, kw_only=True):
    code: str
    severity: Literal["blocking", "warning"]
    field: str
    message: str
    action: Literal["fix", "approve", "wait", "info"] = "info"
    params: dict[str, str] = msgspec.field(default_factory=dict)


class LineRead(msgspec.Struct, kw_only=True):
    line_no: int
    sku: str | None
    product_id: uuid.UUID | None
    name: str
    spec: str
    hs_code: str | None
    origin_country: str | None
    weight_kg: Decimal | None
    quantity: int
    unit_price: MoneyWire
    list_price: MoneyWire | None
    discount: MoneyWire
    line_total: MoneyWire
    reserved_quantity: int
    backordered_quantity: int


class OrderTotals(msgspec.Struct, kw_only=True):
    subtotal: MoneyWire
    discount_total: MoneyWire
    shipping: MoneyWire
    total: MoneyWire


class OrderRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: str
    status: OrderStatus
    channel: Channel
    channel_detail: str | None
    external_ref: str | None
    customer: dict[str, object]
    ship_to: dict[str, object]
    bill_to: dict[str, object] | None
    currency: str
    incoterm: str
    requested_delivery_date: date | None
    rush: bool
    customization: bool
    special_terms: str
    discounts: list[dict[str, object]]
    lines: list[LineRead]
    totals: OrderTotals
    findings: list[Finding]
    backorder_eta: date | None
    version: int
    entered_by: str
    created_at: datetime
    updated_at: datetime


class OrderSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: str
    status: str
    channel: str
    external_ref: str | None
    customer_code: str
    customer_name: str
    total: MoneyWire
    created_at: datetime


class Decision(msgspec.Struct, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class OrderEventRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    at: datetime
    actor: str
    kind: str
    payload: dict[str, object]


class StockSet(msgspec.Struct, kw_only=True):
    on_hand: int
    incoming: int = 0
    incoming_eta: date | None = None

    def __post_init__(self) -> None:
        check_date_window("incoming_eta", self.incoming_eta)


class StockRead(msgspec.Struct, kw_only=True):
    sku: str
    on_hand: int
    reserved: int
    available: int
    incoming: int
    incoming_eta: date | None


class ChangeRequestCreate(msgspec.Struct, kw_only=True):
    kind: Literal["address", "quantity", "lines", "delivery_date", "cancel"]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    ship_to: AddressIn | None = None
    lines: list[LineIn] | None = None
    quantities: dict[str, int] | None = None
    """For ``quantity``: line number (as a string) to the new quantity."""
    requested_delivery_date: date | None = None

    def __post_init__(self) -> None:
        check_date_window("requested_delivery_date", self.requested_delivery_date)


class ChangeRequestRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    kind: str
    reason: str
    payload: dict[str, object]
    status: str
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime


class AttachmentRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: datetime


class EndpointRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime


class DeliveryRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event: str
    attempts: int
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class AttemptRead(msgspec.Struct, kw_only=True):
    attempt: int
    started_at: datetime
    duration_ms: int
    status: int | None
    error: str | None
    response_excerpt: str | None
