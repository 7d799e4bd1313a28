"""Customers: upserted by code at intake, and managed directly here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound
from hub.core.ids import new_id
from hub.core.pagination import Page, check_limit, decode_cursor, page_of
from hub.core.validation import raise_if
from hub.orders.contact import e164_phone, is_email
from hub.orders.repository import customers as customers_repo
from hub.orders.repository.customers import CustomerRow


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


def _read(row: CustomerRow) -> CustomerRead:
    return CustomerRead(
        id=row.id,
        code=row.code,
        name=row.name,
        email=row.email,
        phone=row.phone,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def create(tenant_id: uuid.UUID, data: CustomerCreate) -> CustomerRead:
    errors: list[FieldError] = []
    contact = _contact(data.email, data.phone, data.country, errors)
    raise_if(errors)
    async with tenant_tx(tenant_id):
        created = await customers_repo.insert_if_new(
            tenant_id, new_id(), data.code.strip(), data.name.strip(), contact.get("email"), contact.get("phone")
        )
    if created is None:
        raise Conflict(f"a customer with code {data.code!r} exists", extra={"field": "code"})
    return _read(created)


async def get(tenant_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerRead:
    async with tenant_tx(tenant_id):
        row = await customers_repo.get(tenant_id, customer_id)
    if row is None:
        raise NotFound("no such customer")
    return _read(row)


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
        current = await customers_repo.lock(tenant_id, customer_id)
        if current is None:
            raise NotFound("no such customer")
        # A field the request leaves out keeps its stored value; one sent as null clears it.
        updated = await customers_repo.update_contact(
            tenant_id,
            customer_id,
            values.get("name", current.name),
            values.get("email", current.email),
            values.get("phone", current.phone),
        )
    return _read(updated)


async def list_customers(tenant_id: uuid.UUID, *, limit: int, cursor: str | None, q: str | None) -> Page[CustomerRead]:
    check_limit(limit)
    before = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await customers_repo.list_page(tenant_id, before=before, q=q, limit=limit + 1)
    return page_of([_read(row) for row in rows], limit)
