"""Typed rows of the orders domain: what the services hand the repository to write.

Structs rather than dicts, so a missing or misspelt column is a type error where the row is built,
not a ``KeyError`` (or a NULL) when it is written.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from hub.orders.pricing import Discount
from hub.orders.schemas import Channel, Finding, Incoterm, ManualVia
from hub.orders.status import OrderStatus


class OrderCustomer(msgspec.Struct, frozen=True, kw_only=True):
    """The customer as an order stores it (a copy: the customer record may change later)."""

    code: str
    name: str
    email: str | None
    phone: str | None


class OrderDraft(msgspec.Struct, frozen=True, kw_only=True):
    """A new order as intake has checked, priced and reviewed it, before it has its number.

    ``customer``, ``ship_to`` and ``bill_to`` are stored as JSON objects with these keys (see
    :func:`hub.orders.contact.clean_address`); the money columns are in ``currency``.
    """

    id: uuid.UUID
    channel: Channel
    channel_detail: ManualVia | None
    external_ref: str | None
    customer: OrderCustomer
    """Upserted into the customer records by its code when the order is inserted."""
    ship_to: dict[str, str]
    bill_to: dict[str, str] | None
    currency: str
    incoterm: Incoterm
    requested_delivery_date: date | None
    rush: bool
    customization: bool
    special_terms: str
    discounts: list[Discount]
    subtotal: Decimal
    discount_total: Decimal
    shipping: Decimal
    total: Decimal
    entered_by: str
    status: OrderStatus = "received"
    """Until the review has routed it."""
    findings: list[Finding] = msgspec.field(default_factory=list)
    backorder_eta: date | None = None

    def as_inserted(self, number: int, at: datetime) -> dict[str, Any]:
        """The order's row as inserted under ``number`` at ``at`` (as ``reading.order_read`` reads rows)."""
        row = msgspec.structs.asdict(self)
        row.update(
            customer=msgspec.to_builtins(self.customer),
            discounts=msgspec.to_builtins(self.discounts),
            findings=msgspec.to_builtins(self.findings),
            number=number,
            version=1,
            created_at=at,
            updated_at=at,
        )
        return row
