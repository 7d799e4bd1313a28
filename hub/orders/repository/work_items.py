"""Data access for work items (``work_items``) and what opening one reads (the order's invoice).

Every statement names ``tenant_id``; the service holds the transaction, the rules and the timeline.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from hub.core.database import fetch

# An item with its order's number (the wire shows it); the service builds the wire struct.
_SELECT = (
    "SELECT w.*, o.number AS order_number FROM work_items w "
    "JOIN orders o ON o.tenant_id = w.tenant_id AND o.id = w.order_id "
)


async def get_item(tenant_id: uuid.UUID, item_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    rows = await fetch(
        _SELECT + "WHERE w.tenant_id = {} AND w.id = {}" + (" FOR UPDATE OF w" if lock else ""),
        tenant_id,
        item_id,
    )
    return rows[0] if rows else None


async def insert_item(
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    *,
    kind: str,
    order_id: uuid.UUID,
    shipment_id: uuid.UUID | None,
    carrier_reason: str | None,
    auto_key: str | None,
    status: str,
    description: str,
    details_json: str,
    opened_by: str,
    opened_at: datetime,
    due_at: datetime,
    assignee: str | None,
) -> bool:
    """Insert the item; False when an automatic item with the same ``auto_key`` exists already."""
    rows = await fetch(
        "INSERT INTO work_items (tenant_id, id, kind, order_id, shipment_id, carrier_reason, auto_key, status, "
        "description, details, opened_by, opened_at, due_at, assignee) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}, {}, {}, {}) "
        "ON CONFLICT (tenant_id, auto_key) DO NOTHING RETURNING id",
        tenant_id,
        item_id,
        kind,
        order_id,
        shipment_id,
        carrier_reason,
        auto_key,
        status,
        description,
        details_json,
        opened_by,
        opened_at,
        due_at,
        assignee,
    )
    return bool(rows)


async def auto_key_taken(tenant_id: uuid.UUID, auto_key: str) -> bool:
    return bool(await fetch("SELECT 1 FROM work_items WHERE tenant_id = {} AND auto_key = {}", tenant_id, auto_key))


async def latest_invoice(tenant_id: uuid.UUID, order_id: uuid.UUID) -> dict[str, Any] | None:
    """The newest commercial invoice still describing the order: ready first, else one being rendered."""
    rows = await fetch(
        "SELECT id, status, version, snapshot FROM order_documents WHERE tenant_id = {} AND order_id = {} "
        "AND type = 'commercial_invoice' AND superseded_at IS NULL AND status IN ('ready', 'pending') "
        "ORDER BY (status = 'ready') DESC, version DESC LIMIT 1",
        tenant_id,
        order_id,
    )
    return rows[0] if rows else None


async def list_page(
    tenant_id: uuid.UUID,
    *,
    statuses: list[str] | None,
    kinds: list[str] | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` items, oldest due first (then by id), after the item ``after``."""
    conditions = ["w.tenant_id = {}"]
    values: list[Any] = [tenant_id]
    if statuses:
        conditions.append("w.status = ANY({})")
        values.append(statuses)
    if kinds:
        conditions.append("w.kind = ANY({})")
        values.append(kinds)
    if after is not None:
        conditions.append(
            "(w.due_at, w.id) > (SELECT c.due_at, c.id FROM work_items c WHERE c.tenant_id = {} AND c.id = {})"
        )
        values.extend([tenant_id, after])
    values.append(limit)
    return await fetch(_SELECT + f"WHERE {' AND '.join(conditions)} ORDER BY w.due_at, w.id LIMIT {{}}", *values)


async def assign(tenant_id: uuid.UUID, item_id: uuid.UUID, assignee: str) -> None:
    await fetch(
        "UPDATE work_items SET assignee = {}, status = 'in_progress' WHERE tenant_id = {} AND id = {}",
        assignee,
        tenant_id,
        item_id,
    )


async def resolve(tenant_id: uuid.UUID, item_id: uuid.UUID, resolution: str, resolved_by: str) -> None:
    await fetch(
        "UPDATE work_items SET status = 'resolved', resolution = {}, resolved_by = {}, resolved_at = now() "
        "WHERE tenant_id = {} AND id = {}",
        resolution,
        resolved_by,
        tenant_id,
        item_id,
    )
