"""Reading shipments: one by id, its tracking events, its label (each in its own ``tenant_tx``)."""

from __future__ import annotations

import uuid

from carriers import repository
from carriers.schemas import ShipmentRead, TrackingEventRead
from hub.core.database import tenant_tx
from hub.core.errors import NotFound


async def get_shipment(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> ShipmentRead:
    async with tenant_tx(tenant_id):
        row = await repository.get_shipment(tenant_id, shipment_id)
    if row is None:
        raise NotFound("no such shipment")
    return repository.shipment_read(row)


async def list_shipment_events(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> list[TrackingEventRead]:
    """The shipment's tracking events, oldest first."""
    async with tenant_tx(tenant_id):
        if await repository.get_shipment(tenant_id, shipment_id) is None:
            raise NotFound("no such shipment")
        rows = await repository.list_events(tenant_id, shipment_id)
    return [repository.tracking_event_read(r) for r in rows]


async def get_label(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> bytes:
    async with tenant_tx(tenant_id):
        label = await repository.get_label(tenant_id, shipment_id)
    if label is None:
        raise NotFound("no label stored for this shipment")
    return label
