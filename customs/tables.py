"""Piccolo tables of the customs package. Keys and policies live in migrations/customs (SQL)."""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import JSONB, UUID, BigInt, Date, Numeric, Text, Timestamptz, Varchar
from piccolo.table import Table

from hub.core.database import DB


class LandedCostQuote(Table, tablename="landed_cost_quotes", db=DB):
    """A computed quote, stored once (the app role may only SELECT and INSERT)."""

    tenant_id = UUID()
    id = UUID(primary_key=True)
    order_id = UUID(null=True, default=None)
    request = JSONB()
    response = JSONB()
    rules_version = Text()
    destination_country = Varchar(length=2)
    currency = Varchar(length=3)
    landed_cost_total = Numeric(default=Decimal(0))
    created_at = Timestamptz()
    created_by = Text()


class TariffRowRecord(Table, tablename="tariff_rows", db=DB):
    """One of a tenant's own tariff rows (``row`` is the tagged JSON row, ``row_id`` its ``id``)."""

    tenant_id = UUID()
    id = UUID(primary_key=True)
    row_id = Text()
    kind = Text()
    row = JSONB()
    created_at = Timestamptz()
    updated_at = Timestamptz()


class FxRateRecord(Table, tablename="fx_rates", db=DB):
    """A tenant's FX rate: ``rate`` units of ``quote`` for one ``base`` on ``rate_date``."""

    tenant_id = UUID()
    id = UUID(primary_key=True)
    base = Varchar(length=3)
    quote = Varchar(length=3)
    rate = Numeric(default=Decimal(0))
    rate_date = Date()
    source = Text()
    created_at = Timestamptz()


class CustomsDataRevision(Table, tablename="customs_data_revisions", db=DB):
    """Bumped whenever a tenant's tariff rows or FX rates change (the in-process cache checks it)."""

    tenant_id = UUID(primary_key=True)
    revision = BigInt(default=0)


TABLES: list[type[Table]] = [LandedCostQuote, TariffRowRecord, FxRateRecord, CustomsDataRevision]
