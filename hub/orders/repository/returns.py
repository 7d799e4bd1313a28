"""Data access for returns (``returns``) and the invoice a return's relief names.

Every statement names ``tenant_id``; the service holds the transaction, the refund rules and the
timeline. Rows come back as the driver gives them; the service builds the wire struct.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from hub.core.database import fetch

# A return with its order's number (the wire shows it).
_SELECT = (
    "SELECT r.*, o.number AS order_number FROM returns r "
    "JOIN orders o ON o.tenant_id = r.tenant_id AND o.id = r.order_id "
)


async def get_return(tenant_id: uuid.UUID, return_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    rows = await fetch(
        _SELECT + "WHERE r.tenant_id = {} AND r.id = {}" + (" FOR UPDATE OF r" if lock else ""),
        tenant_id,
        return_id,
    )
    return rows[0] if rows else None


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(_SELECT + "WHERE r.tenant_id = {} AND r.order_id = {} ORDER BY r.id", tenant_id, order_id)


async def standing_lines(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[dict[str, Any]]:
    """Id, status and lines of the order's returns that are not rejected."""
    return await fetch(
        "SELECT id, status, lines FROM returns WHERE tenant_id = {} AND order_id = {} AND status <> 'rejected'",
        tenant_id,
        order_id,
    )


async def shipping_refund_taken(tenant_id: uuid.UUID, order_id: uuid.UUID, exclude: uuid.UUID | None) -> bool:
    rows = await fetch(
        "SELECT 1 FROM returns WHERE tenant_id = {} AND order_id = {} AND status <> 'rejected' "
        "AND refund_shipping > 0 AND id IS DISTINCT FROM {} LIMIT 1",
        tenant_id,
        order_id,
        exclude,
    )
    return bool(rows)


async def invoice_id(tenant_id: uuid.UUID, order_id: uuid.UUID) -> uuid.UUID | None:
    """The order's commercial invoice a return's relief names: ready first, then current, then newest."""
    rows = await fetch(
        "SELECT id FROM order_documents WHERE tenant_id = {} AND order_id = {} AND type = 'commercial_invoice' "
        "AND status <> 'failed' ORDER BY (status = 'ready') DESC, superseded_at IS NULL DESC, version DESC LIMIT 1",
        tenant_id,
        order_id,
    )
    return rows[0]["id"] if rows else None


async def first_open_status_before(tenant_id: uuid.UUID, order_id: uuid.UUID, active: Collection[str]) -> str | None:
    """The order status the first open return found, if it was not 'return_requested' already."""
    rows = await fetch(
        "SELECT order_status_before FROM returns WHERE tenant_id = {} AND order_id = {} "
        "AND status = ANY({}) AND order_status_before <> 'return_requested' ORDER BY id LIMIT 1",
        tenant_id,
        order_id,
        list(active),
    )
    return rows[0]["order_status_before"] if rows else None


async def insert_return(
    tenant_id: uuid.UUID,
    return_id: uuid.UUID,
    *,
    order_id: uuid.UUID,
    shipment_id: uuid.UUID,
    reason: str,
    lines_json: str,
    currency: str,
    refund_amount: Decimal,
    refund_shipping: Decimal,
    relief_json: str,
    order_status_before: str,
    requested_by: str,
) -> None:
    await fetch(
        "INSERT INTO returns (tenant_id, id, order_id, shipment_id, reason, lines, currency, refund_amount, "
        "refund_shipping, relief, order_status_before, requested_by) "
        "VALUES ({}, {}, {}, {}, {}, {}::jsonb, {}, {}, {}, {}::jsonb, {}, {})",
        tenant_id,
        return_id,
        order_id,
        shipment_id,
        reason,
        lines_json,
        currency,
        refund_amount,
        refund_shipping,
        relief_json,
        order_status_before,
        requested_by,
    )


async def decide(tenant_id: uuid.UUID, return_id: uuid.UUID, status: str, decided_by: str, reason: str) -> None:
    await fetch(
        "UPDATE returns SET status = {}, decided_by = {}, decided_at = now(), decision_reason = {}, "
        "updated_at = now() WHERE tenant_id = {} AND id = {}",
        status,
        decided_by,
        reason,
        tenant_id,
        return_id,
    )


async def others_open(tenant_id: uuid.UUID, order_id: uuid.UUID, exclude: uuid.UUID, active: Collection[str]) -> bool:
    rows = await fetch(
        "SELECT 1 FROM returns WHERE tenant_id = {} AND order_id = {} AND id <> {} AND status = ANY({})",
        tenant_id,
        order_id,
        exclude,
        list(active),
    )
    return bool(rows)


async def label_issued(
    tenant_id: uuid.UUID, return_id: uuid.UUID, shipment_id: uuid.UUID, tracking_number: str | None, relief_json: str
) -> None:
    await fetch(
        "UPDATE returns SET status = 'label_issued', label_shipment_id = {}, label_tracking_number = {}, "
        "label_issued_at = now(), relief = {}::jsonb, updated_at = now() WHERE tenant_id = {} AND id = {}",
        shipment_id,
        tracking_number,
        relief_json,
        tenant_id,
        return_id,
    )


async def received(
    tenant_id: uuid.UUID,
    return_id: uuid.UUID,
    *,
    lines_json: str,
    refund_amount: Decimal,
    refund_shipping: Decimal,
    received_by: str,
) -> None:
    await fetch(
        "UPDATE returns SET status = 'received', lines = {}::jsonb, refund_amount = {}, refund_shipping = {}, "
        "received_by = {}, received_at = now(), updated_at = now() WHERE tenant_id = {} AND id = {}",
        lines_json,
        refund_amount,
        refund_shipping,
        received_by,
        tenant_id,
        return_id,
    )


async def close(tenant_id: uuid.UUID, return_id: uuid.UUID) -> None:
    await fetch(
        "UPDATE returns SET status = 'closed', closed_at = now(), updated_at = now() WHERE tenant_id = {} AND id = {}",
        tenant_id,
        return_id,
    )
