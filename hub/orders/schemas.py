"""msgspec Structs at the edge of the orders domain (catalog first)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from hub.core.money import MoneyWire

Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^\S+$", description="no spaces")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]


class ProductCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    name: Name
    unit_price: MoneyWire
    spec: Text = ""
    customs_description: Text = ""
    hs_code: str | None = None
    origin_country: str | None = None
    weight_kg: Decimal | None = None


class ProductUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """PATCH body: a field left out stays as it is (``UNSET``); ``null`` clears an optional field."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    unit_price: MoneyWire | msgspec.UnsetType = msgspec.UNSET
    spec: Text | msgspec.UnsetType = msgspec.UNSET
    customs_description: Text | msgspec.UnsetType = msgspec.UNSET
    hs_code: str | msgspec.UnsetType | None = msgspec.UNSET
    origin_country: str | msgspec.UnsetType | None = msgspec.UNSET
    weight_kg: Decimal | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class ProductRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    sku: str
    name: str
    spec: str
    customs_description: str
    hs_code: str | None
    origin_country: str | None
    unit_price: MoneyWire
    weight_kg: Decimal | None
    active: bool
    created_at: datetime
    updated_at: datetime
