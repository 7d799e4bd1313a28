"""Reading shipments: one by id, its tracking events, its label, and the typed reads other packages
need (an order's outbound shipment, its shipments, those in exception).

This module is the seam between ``shipments`` and the rest of the hub: the orders domain and the
console call these instead of writing SQL against the carriers' table. Each function opens its own
``tenant_tx``, or runs inside the caller's (a nested ``tenant_tx`` re-scopes the same transaction),
so the orders domain can read here under the lock it holds on the order. Row-level security is in
force and every query names the tenant too.

Return labels (``purpose = 'return'``, booked by the orders domain's returns) are never an order's
*outbound* shipment.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime

from carriers import repository
from carriers.repository import Row
from carriers.schemas import ShipmentRead, TrackingEventRead
from carriers.units import ShipmentPurpose
from hub.core.database import tenant_tx
from hub.core.errors import NotFound

DEAD_STATUSES = ("cancelled", "failed")
"""Shipment statuses with no live label: voided, or refused by the carrier."""


@dataclass(frozen=True, slots=True)
class ShipmentSummary:
    """What another package needs to know of a shipment, without its request, label or parcels."""

    id: uuid.UUID
    order_id: uuid.UUID
    carrier_account_id: uuid.UUID
    carrier: str
    service: str
    provider: str | None
    purpose: ShipmentPurpose
    status: str
    status_reason: str | None
    tracking_number: str | None
    booked_at: datetime | None
    last_event_at: datetime | None
    created_at: datetime

    @property
    def is_return(self) -> bool:
        return self.purpose == "return"


_SUMMARY_FIELDS = tuple(field.name for field in fields(ShipmentSummary))


def _summary(row: Row) -> ShipmentSummary:
    # the summary's fields are named as the repository's summary columns
    return ShipmentSummary(**{name: row[name] for name in _SUMMARY_FIELDS})


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


async def get_summary(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> ShipmentSummary | None:
    """The shipment, or None when the tenant has no such shipment."""
    async with tenant_tx(tenant_id):
        row = await repository.get_summary_row(tenant_id, shipment_id)
    return _summary(row) if row else None


async def latest_outbound(
    tenant_id: uuid.UUID, order_id: uuid.UUID, *, statuses: Collection[str]
) -> ShipmentSummary | None:
    """The order's newest outbound shipment whose status is one of ``statuses`` (never a return label)."""
    async with tenant_tx(tenant_id):
        row = await repository.outbound_of_order(tenant_id, order_id, statuses=sorted(statuses), newest=True)
    return _summary(row) if row else None


async def live_outbound(tenant_id: uuid.UUID, order_id: uuid.UUID) -> ShipmentSummary | None:
    """The order's first outbound shipment that is booked or being booked (neither cancelled nor
    failed; never a return label), if any: while there is one, the order has a label to void."""
    async with tenant_tx(tenant_id):
        row = await repository.outbound_of_order(tenant_id, order_id, excluding=DEAD_STATUSES, newest=False)
    return _summary(row) if row else None


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID, *, limit: int) -> list[ShipmentRead]:
    """The order's shipments, outbound and return labels alike, oldest first (at most ``limit``)."""
    async with tenant_tx(tenant_id):
        rows = await repository.list_order_shipments(tenant_id, order_id, limit=limit)
    return [repository.shipment_read(row) for row in rows]


async def list_exceptions(tenant_id: uuid.UUID, *, limit: int) -> list[ShipmentSummary]:
    """The tenant's shipments in ``exception``, the longest-waiting first (at most ``limit``)."""
    async with tenant_tx(tenant_id):
        rows = await repository.list_exceptions(tenant_id, limit=limit)
    return [_summary(row) for row in rows]
