"""The console's shipment look-ups, through the carriers' read seam (:mod:`carriers.shipments`).

No SQL here: the shipments of an order and those in exception come from ``carriers.shipments``
(one query each, inside the tenant's transaction, row-level security in force); the orders'
numbers for the exceptions list from :func:`hub.orders.reading.order_numbers`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from carriers import shipments as carrier_shipments
from carriers.schemas import ShipmentRead
from hub.orders.reading import order_numbers

MAX_SHIPMENTS_PER_ORDER = 50
MAX_EXCEPTIONS = 200


class ExceptionShipment(msgspec.Struct, kw_only=True):
    """A shipment whose status is ``exception``, with its order's number."""

    id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    carrier: str
    tracking_number: str | None
    status_reason: str | None
    last_event_at: datetime | None
    created_at: datetime


async def shipments_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[ShipmentRead]:
    """The order's shipments, oldest first."""
    return await carrier_shipments.list_for_order(tenant_id, order_id, limit=MAX_SHIPMENTS_PER_ORDER)


async def exception_shipments(tenant_id: uuid.UUID) -> list[ExceptionShipment]:
    """Shipments in ``exception``, the longest-waiting first (each with its order's number)."""
    shipments = await carrier_shipments.list_exceptions(tenant_id, limit=MAX_EXCEPTIONS)
    numbers = await order_numbers(tenant_id, sorted({s.order_id for s in shipments}))
    return [
        ExceptionShipment(
            id=s.id,
            order_id=s.order_id,
            order_number=numbers[s.order_id],
            carrier=s.carrier,
            tracking_number=s.tracking_number,
            status_reason=s.status_reason,
            last_event_at=s.last_event_at,
            created_at=s.created_at,
        )
        for s in shipments
        if s.order_id in numbers  # a shipment names its order; one without it was never listed
    ]
