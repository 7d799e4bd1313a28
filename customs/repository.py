"""Data access of the customs package; the only importer of ``customs.tables``.

Every function runs inside the caller's tenant transaction and takes the tenant explicitly. The hot
path (storing quotes, batched by group commit) and bulk loads insert with ``unnest`` in one round trip.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from customs.tables import FxRateRecord, TariffRowRecord
from hub.core.database import Statement, fetch


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """A computed quote to store; ``expected_revision`` is the tenant data revision it was computed
    with (None: computed inside the storing transaction from freshly read data, store as is)."""

    id: uuid.UUID
    order_id: uuid.UUID | None
    request_json: str
    response_json: str
    rules_version: str
    destination_country: str
    currency: str
    landed_cost_total: Decimal
    created_by: str
    expected_revision: int | None


def quotes_statement(tenant_id: uuid.UUID, rows: Sequence[QuoteRow]) -> Statement:
    """The statement of :func:`insert_quotes`; :func:`quotes_stored` reads its rows."""
    return Statement(
        """
        INSERT INTO landed_cost_quotes (tenant_id, id, order_id, request, response, rules_version,
                                        destination_country, currency, landed_cost_total, created_by)
        SELECT {}::uuid, q.id, q.order_id, q.request::jsonb, q.response::jsonb, q.rules_version,
               q.destination_country, q.currency, q.total, q.created_by
        FROM unnest({}::uuid[], {}::uuid[], {}::text[], {}::text[], {}::text[], {}::text[], {}::text[],
                    {}::numeric[], {}::text[], {}::bigint[])
            AS q (id, order_id, request, response, rules_version, destination_country, currency, total,
                  created_by, expected),
             (SELECT coalesce((SELECT revision FROM customs_data_revisions WHERE tenant_id = {}::uuid), 0)
                     + coalesce((SELECT revision FROM customs_reference_revision), 0)
                 AS revision) AS current
        WHERE q.expected IS NULL OR q.expected = current.revision
        RETURNING id, created_at
        """,
        (
            tenant_id,
            [row.id for row in rows],
            [row.order_id for row in rows],
            [row.request_json for row in rows],
            [row.response_json for row in rows],
            [row.rules_version for row in rows],
            [row.destination_country for row in rows],
            [row.currency for row in rows],
            [row.landed_cost_total for row in rows],
            [row.created_by for row in rows],
            [row.expected_revision for row in rows],
            tenant_id,
        ),
    )


def quotes_stored(stored: list[dict[str, Any]], rows: Sequence[QuoteRow]) -> list[dt.datetime | None]:
    """Per row of :func:`quotes_statement`, its ``created_at``, or None if it was not stored."""
    created = {record["id"]: record["created_at"] for record in stored}
    return [created.get(row.id) for row in rows]


async def insert_quotes(tenant_id: uuid.UUID, rows: Sequence[QuoteRow]) -> list[dt.datetime | None]:
    """Store quotes in one statement; per row ``created_at``, or None when the tenant's data revision
    is no longer the row's ``expected_revision`` (its tables are stale: that row is not stored)."""
    statement = quotes_statement(tenant_id, rows)
    return quotes_stored(await fetch(statement.sql, *statement.args), rows)


_QUOTE_SELECT = "SELECT id, order_id, response, created_at, created_by FROM landed_cost_quotes WHERE tenant_id = {}"


async def get_quote(tenant_id: uuid.UUID, quote_id: uuid.UUID) -> dict[str, Any] | None:
    # Raw SQL: Piccolo's query building cost more than this one-row read (profiled on GET quotes).
    rows = await fetch(_QUOTE_SELECT + " AND id = {}", tenant_id, quote_id)
    return rows[0] if rows else None


async def list_quotes_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(_QUOTE_SELECT + " AND order_id = {} ORDER BY id", tenant_id, order_id)


# -- tenant data: revision, tariff rows, FX rates ------------------------------------------------


async def get_revision(tenant_id: uuid.UUID) -> int:
    """The revision cached data is checked against: the tenant's own counter plus the reference
    schedules' counter (both only grow, so the sum changes whenever either does)."""
    rows = await fetch(
        "SELECT coalesce((SELECT revision FROM customs_data_revisions WHERE tenant_id = {}), 0)"
        " + coalesce((SELECT revision FROM customs_reference_revision), 0) AS revision",
        tenant_id,
    )
    return int(rows[0]["revision"])


async def active_schedules() -> list[dict[str, Any]]:
    """The active official schedules the current tenant transaction sees (reference and its own)."""
    return await fetch(
        "SELECT id, tenant_id, destination, source, revision, valid_from, publisher, file_name, file_sha256, "
        "imported_at FROM tariff_schedules WHERE active ORDER BY tenant_id NULLS FIRST"
    )


async def bump_revision(tenant_id: uuid.UUID) -> int:
    """Increment the tenant's data revision (the row lock orders concurrent loads)."""
    rows = await fetch(
        """
        INSERT INTO customs_data_revisions (tenant_id, revision) VALUES ({}, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET revision = customs_data_revisions.revision + 1
        RETURNING revision
        """,
        tenant_id,
    )
    return int(rows[0]["revision"])


async def upsert_tariff_rows(tenant_id: uuid.UUID, rows: list[tuple[uuid.UUID, str, str, str]]) -> list[dict[str, Any]]:
    """Insert or replace (by ``row_id``) rows given as ``(id, row_id, kind, row_json)``."""
    if not rows:
        return []
    ids, row_ids, kinds, bodies = (list(column) for column in zip(*rows, strict=True))
    result: list[dict[str, Any]] = await fetch(
        """
        INSERT INTO tariff_rows (tenant_id, id, row_id, kind, row)
        SELECT {}::uuid, r.id, r.row_id, r.kind, r.body::jsonb
        FROM unnest({}::uuid[], {}::text[], {}::text[], {}::text[]) AS r (id, row_id, kind, body)
        ON CONFLICT (tenant_id, row_id) DO UPDATE
            SET kind = excluded.kind, row = excluded.row, updated_at = now()
        RETURNING id, row_id, kind, row, created_at, updated_at
        """,
        tenant_id,
        ids,
        row_ids,
        kinds,
        bodies,
    )
    return result


async def tariff_row_bodies(tenant_id: uuid.UUID) -> list[str]:
    """Every stored row's JSON, oldest first (a later row with the same id never exists: upsert)."""
    rows = (
        await TariffRowRecord.select(TariffRowRecord.row)
        .where(TariffRowRecord.tenant_id == tenant_id)
        .order_by(TariffRowRecord.id)
    )
    return [row["row"] for row in rows]


async def list_tariff_rows(tenant_id: uuid.UUID, *, limit: int, before: uuid.UUID | None) -> list[dict[str, Any]]:
    query = TariffRowRecord.select(
        TariffRowRecord.id,
        TariffRowRecord.row_id,
        TariffRowRecord.kind,
        TariffRowRecord.row,
        TariffRowRecord.created_at,
        TariffRowRecord.updated_at,
    ).where(TariffRowRecord.tenant_id == tenant_id)
    if before is not None:
        query = query.where(TariffRowRecord.id < before)
    rows: list[dict[str, Any]] = await query.order_by(TariffRowRecord.id, ascending=False).limit(limit + 1)
    return rows


async def upsert_fx_rates(
    tenant_id: uuid.UUID, rates: list[tuple[uuid.UUID, str, str, Decimal, dt.date, str]]
) -> list[dict[str, Any]]:
    """Insert rates ``(id, base, quote, rate, date, source)``; the same pair, date and source replaces."""
    if not rates:
        return []
    ids, bases, quotes, values, dates, sources = (list(column) for column in zip(*rates, strict=True))
    result: list[dict[str, Any]] = await fetch(
        """
        INSERT INTO fx_rates (tenant_id, id, base, quote, rate, rate_date, source)
        SELECT {}::uuid, r.id, r.base, r.quote, r.rate, r.rate_date, r.source
        FROM unnest({}::uuid[], {}::text[], {}::text[], {}::numeric[], {}::date[], {}::text[])
            AS r (id, base, quote, rate, rate_date, source)
        ON CONFLICT (tenant_id, base, quote, rate_date, source) DO UPDATE
            -- created_at is when the figure was keyed in: of two sources the latest one is used.
            SET rate = excluded.rate, created_at = now()
        RETURNING id, base, quote, rate, rate_date, source, created_at
        """,
        tenant_id,
        ids,
        bases,
        quotes,
        values,
        dates,
        sources,
    )
    return result


async def all_fx_rates(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await FxRateRecord.select(
        FxRateRecord.base,
        FxRateRecord.quote,
        FxRateRecord.rate,
        FxRateRecord.rate_date,
        FxRateRecord.source,
        FxRateRecord.created_at,
    ).where(FxRateRecord.tenant_id == tenant_id)
    return rows


async def list_fx_rates(
    tenant_id: uuid.UUID, *, limit: int, before: uuid.UUID | None, base: str | None, quote: str | None
) -> list[dict[str, Any]]:
    query = FxRateRecord.select(
        FxRateRecord.id,
        FxRateRecord.base,
        FxRateRecord.quote,
        FxRateRecord.rate,
        FxRateRecord.rate_date,
        FxRateRecord.source,
        FxRateRecord.created_at,
    ).where(FxRateRecord.tenant_id == tenant_id)
    if before is not None:
        query = query.where(FxRateRecord.id < before)
    if base is not None:
        query = query.where(FxRateRecord.base == base)
    if quote is not None:
        query = query.where(FxRateRecord.quote == quote)
    rows: list[dict[str, Any]] = await query.order_by(FxRateRecord.id, ascending=False).limit(limit + 1)
    return rows
