"""Data access for an order's attachments (``attachments``): the row, never the file.

Every statement names ``tenant_id``; the service holds the transaction and the storage.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from hub.core.database import fetch
from hub.orders.schemas import AttachmentRead


def _row(row: dict[str, Any]) -> AttachmentRead:
    # Converted (not built field by field) so a column the table grows is ignored, as before.
    return msgspec.convert({k: v for k, v in row.items() if k != "tenant_id"}, AttachmentRead)


async def insert(
    tenant_id: uuid.UUID,
    attachment_id: uuid.UUID,
    order_id: uuid.UUID,
    kind: str,
    filename: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    uploaded_by: str,
) -> AttachmentRead:
    rows = await fetch(
        "INSERT INTO attachments (tenant_id, id, order_id, kind, filename, content_type, size_bytes, sha256, "
        "uploaded_by) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING *",
        tenant_id,
        attachment_id,
        order_id,
        kind,
        filename,
        content_type,
        size_bytes,
        sha256,
        uploaded_by,
    )
    return _row(rows[0])


async def get(tenant_id: uuid.UUID, attachment_id: uuid.UUID) -> AttachmentRead | None:
    rows = await fetch("SELECT * FROM attachments WHERE tenant_id = {} AND id = {}", tenant_id, attachment_id)
    return _row(rows[0]) if rows else None


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[AttachmentRead]:
    rows = await fetch(
        "SELECT * FROM attachments WHERE tenant_id = {} AND order_id = {} ORDER BY id", tenant_id, order_id
    )
    return [_row(row) for row in rows]
