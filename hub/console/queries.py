"""Read-only look-ups the console needs and no service offers yet.

``carriers.shipments`` reads one shipment by id but lists none by order or by status, so the console
finds the ids here (one small query inside the tenant's transaction, row-level security in force)
and reads each shipment through :func:`carriers.shipments.get_shipment`, the same read the API uses.
When the carriers package grows list functions, these become one-line calls to them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from carriers import shipments as carrier_shipments
from carriers.schemas import ShipmentRead
from hub.core.database import fetch, tenant_tx
from hub.orders.codec import format_number

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
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT id FROM shipments WHERE tenant_id = {} AND order_id = {} ORDER BY created_at, id LIMIT {}",
            tenant_id,
            order_id,
            MAX_SHIPMENTS_PER_ORDER,
        )
    return [await carrier_shipments.get_shipment(tenant_id, row["id"]) for row in rows]


async def exception_shipments(tenant_id: uuid.UUID) -> list[ExceptionShipment]:
    """Shipments in ``exception``, the longest-waiting first."""
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT s.id, s.order_id, o.number AS order_number, s.carrier, s.tracking_number, s.status_reason, "
            "s.last_event_at, s.created_at FROM shipments s "
            "JOIN orders o ON o.tenant_id = s.tenant_id AND o.id = s.order_id "
            "WHERE s.tenant_id = {} AND s.status = 'exception' "
            "ORDER BY coalesce(s.last_event_at, s.created_at), s.id LIMIT {}",
            tenant_id,
            MAX_EXCEPTIONS,
        )
    return [
        msgspec.convert({**row, "order_number": format_number(row["order_number"])}, ExceptionShipment) for row in rows
    ]
