"""Customers: upserted by code at intake, and managed directly here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from hub.core.database import fetch, tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound
from hub.core.ids import new_id
from hub.core.pagination import Page, check_limit, decode_cursor, page_of
from hub.core.validation import raise_if
from hub.orders.contact import e164_phone, is_email


class CustomerCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    email: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    country: Annotated[str, msgspec.Meta(max_length=2)] | None = None
    """Only to read a national phone number; not stored."""


class CustomerUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | msgspec.UnsetType = msgspec.UNSET
    email: Annotated[str, msgspec.Meta(max_length=300)] | msgspec.UnsetType | None = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType | None = msgspec.UNSET


class CustomerRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    code: str
    name: str
    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime


def _contact(email: str | None, phone: str | None, region: str | None, errors: list[FieldError]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if email is not None:
        email = email.strip() or None
        if email and not is_email(email):
            errors.append(FieldError("email", f"{email!r} is not an e-mail address"))
        values["email"] = email
    if phone is not None:
        values["phone"] = e164_phone("phone", phone, region, errors)
    return values


def _read(row: dict[str, Any]) -> CustomerRead:
    return msgspec.convert({k: v for k, v in row.items() if k != "tenant_id"}, CustomerRead)


async def create(tenant_id: uuid.UUID, data: CustomerCreate) -> CustomerRead:
    errors: list[FieldError] = []
    contact = _contact(data.email, data.phone, data.country, errors)
    raise_if(errors)
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "INSERT INTO customers (tenant_id, id, code, name, email, phone) VALUES ({}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (tenant_id, code) DO NOTHING RETURNING *",
            tenant_id,
            new_id(),
            data.code.strip(),
            data.name.strip(),
            contact.get("email"),
            contact.get("phone"),
        )
    if not rows:
        raise Conflict(f"a customer with code {data.code!r} exists", extra={"field": "code"})
    return _read(rows[0])


async def get(tenant_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerRead:
    async with tenant_tx(tenant_id):
        rows = await fetch("SELECT * FROM customers WHERE tenant_id = {} AND id = {}", tenant_id, customer_id)
    if not rows:
        raise NotFound("no such customer")
    return _read(rows[0])


async def update(tenant_id: uuid.UUID, customer_id: uuid.UUID, data: CustomerUpdate) -> CustomerRead:
    errors: list[FieldError] = []
    values = _contact(
        None if data.email is msgspec.UNSET else (data.email or ""),
        None if data.phone is msgspec.UNSET else (data.phone or ""),
        None,
        errors,
    )
    raise_if(errors)
    if data.name is not msgspec.UNSET:
        values["name"] = data.name.strip()
    async with tenant_tx(tenant_id):
        current = await fetch(
            "SELECT * FROM customers WHERE tenant_id = {} AND id = {} FOR UPDATE", tenant_id, customer_id
        )
        if not current:
            raise NotFound("no such customer")
        merged = {**current[0], **values}
        rows = await fetch(
            "UPDATE customers SET name = {}, email = {}, phone = {}, updated_at = now() "
            "WHERE tenant_id = {} AND id = {} RETURNING *",
            merged["name"],
            merged["email"],
            merged["phone"],
            tenant_id,
            customer_id,
        )
    return _read(rows[0])


async def list_customers(tenant_id: uuid.UUID, *, limit: int, cursor: str | None, q: str | None) -> Page[CustomerRead]:
    check_limit(limit)
    before = decode_cursor(cursor)
    conditions = ["tenant_id = {}"]
    values: list[Any] = [tenant_id]
    if before is not None:
        conditions.append("id < {}")
        values.append(before)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append("(code ILIKE {} OR name ILIKE {} OR email ILIKE {})")
        values.extend([pattern, pattern, pattern])
    values.append(limit + 1)
    async with tenant_tx(tenant_id):
        rows = await fetch(
            f"SELECT * FROM customers WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT {{}}",  # noqa: S608
            *values,
        )
    return page_of([_read(row) for row in rows], limit)
