"""Piccolo tables of the orders domain. Keys and policies live in ``migrations/hub`` (SQL)."""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import UUID, Boolean, Numeric, Text, Timestamptz, Varchar
from piccolo.table import Table

from hub.core.database import DB


class Product(Table, tablename="products", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    sku = Text()
    name = Text()
    spec = Text(default="")
    customs_description = Text(default="")
    hs_code = Varchar(length=10, null=True, default=None)
    origin_country = Varchar(length=2, null=True, default=None)
    unit_price_amount = Numeric(digits=(19, 4), default=Decimal(0))
    unit_price_currency = Varchar(length=3)
    weight_kg = Numeric(digits=(12, 3), null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
