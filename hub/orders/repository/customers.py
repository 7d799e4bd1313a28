"""Data access for customers managed directly (intake upserts them in :mod:`.orders`).

Every statement names ``tenant_id``; the service holds the transaction and checks the input.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from hub.core.database import fetch


class CustomerRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    code: str
    name: str
    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime


def _row(row: dict[str, Any]) -> CustomerRow:
    # Converted (not built field by field) so a column the table grows is ignored, as before.
    return msgspec.convert({k: v for k, v in row.items() if k != "tenant_id"}, CustomerRow)


async def insert_if_new(
    tenant_id: uuid.UUID, customer_id: uuid.UUID, code: str, name: str, email: str | None, phone: str | None
) -> CustomerRow | None:
    """The new customer, or None when one with ``code`` exists (left as it is)."""
    rows = await fetch(
        "INSERT INTO customers (tenant_id, id, code, name, email, phone) VALUES ({}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (tenant_id, code) DO NOTHING RETURNING *",
        tenant_id,
        customer_id,
        code,
        name,
        email,
        phone,
    )
    return _row(rows[0]) if rows else None


async def get(tenant_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerRow | None:
    rows = await fetch("SELECT * FROM customers WHERE tenant_id = {} AND id = {}", tenant_id, customer_id)
    return _row(rows[0]) if rows else None


async def lock(tenant_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerRow | None:
    """The customer, locked until the transaction ends, so concurrent partial updates do not lose fields."""
    rows = await fetch("SELECT * FROM customers WHERE tenant_id = {} AND id = {} FOR UPDATE", tenant_id, customer_id)
    return _row(rows[0]) if rows else None


async def update_contact(
    tenant_id: uuid.UUID, customer_id: uuid.UUID, name: str, email: str | None, phone: str | None
) -> CustomerRow:
    """Write the (merged) contact of a customer locked by :func:`lock` in this transaction."""
    rows = await fetch(
        "UPDATE customers SET name = {}, email = {}, phone = {}, updated_at = now() "
        "WHERE tenant_id = {} AND id = {} RETURNING *",
        name,
        email,
        phone,
        tenant_id,
        customer_id,
    )
    return _row(rows[0])


async def list_page(tenant_id: uuid.UUID, *, before: uuid.UUID | None, q: str | None, limit: int) -> list[CustomerRow]:
    """Up to ``limit`` customers with an id below ``before``, newest id first, matching ``q`` (a
    substring of code, name or e-mail, case-insensitive, taken literally) when it is given."""
    conditions = ["tenant_id = {}"]
    values: list[Any] = [tenant_id]
    if before is not None:
        conditions.append("id < {}")
        values.append(before)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append("(code ILIKE {} OR name ILIKE {} OR email ILIKE {})")
        values.extend([pattern, pattern, pattern])
    values.append(limit)
    rows = await fetch(
        f"SELECT * FROM customers WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT {{}}",  # noqa: S608
        *values,
    )
    return [_row(row) for row in rows]
