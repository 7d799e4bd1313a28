"""Tenant settings the orders domain reads: price policy, auto-approval, the exporter on documents."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import msgspec

from customs.documents.snapshot import Party
from hub.core.errors import FieldError
from hub.core.validation import raise_if
from tenants import service as tenant_service
from tenants.schemas import TenantRead


class SettingsUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    max_discount_percent: str | msgspec.UnsetType | None = msgspec.UNSET
    """How far under list price a line may go before an approver must agree (percent, default "10")."""
    auto_approve_clean_orders: bool | msgspec.UnsetType | None = msgspec.UNSET
    exporter: Party | msgspec.UnsetType | None = msgspec.UNSET
    """Exporter of record printed on customs documents (name, address, EORI / VAT / IOSS)."""


async def update(tenant_id: uuid.UUID, data: SettingsUpdate) -> TenantRead:
    errors: list[FieldError] = []
    changes: dict[str, Any] = {}
    if data.max_discount_percent is not msgspec.UNSET:
        if data.max_discount_percent is not None:
            try:
                value = Decimal(data.max_discount_percent)
            except ArithmeticError:
                value = Decimal(-1)
            if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
                errors.append(FieldError("max_discount_percent", 'a percent string from 0 to 100, e.g. "10"'))
        changes["max_discount_percent"] = data.max_discount_percent
    if data.auto_approve_clean_orders is not msgspec.UNSET:
        changes["auto_approve_clean_orders"] = data.auto_approve_clean_orders
    if data.exporter is not msgspec.UNSET:
        changes["exporter"] = None if data.exporter is None else msgspec.to_builtins(data.exporter)
    raise_if(errors)
    return await tenant_service.update_settings(tenant_id, changes)
