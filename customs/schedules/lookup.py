"""The schedule measures a quote needs, read once per process and code, then served from memory.

A stored schedule never changes (a new file is a new schedule), so what was read for
``(schedule id, code)`` stays true: the cache below is bounded, never invalidated. Which schedule is
active for a tenant and destination is part of the tenant's cached data
(:class:`customs.tenant_data.TenantData`), checked against the database revision by the quote's own
INSERT. A quote whose codes are all cached makes no round trip for them; one with new codes makes
one, for all of them together.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import asyncpg
import msgspec

from customs.schedules import store
from customs.schedules.expressions import Expression
from customs.schedules.matching import CodeEntry, Measure, ScheduleInfo, ScheduleView
from customs.tariffs import normalize_hs
from hub.core.database import DB, tenant_tx

__all__ = ["MAX_CACHED_CODES", "entries_for", "info_from_row", "line_codes", "view_for"]

MAX_CACHED_CODES = 200_000
_ENTRIES: OrderedDict[tuple[uuid.UUID, str], CodeEntry] = OrderedDict()
_EXPRESSION = msgspec.json.Decoder(Expression)
MAX_CACHED_VIEWS = 4096
_VIEWS: dict[tuple[uuid.UUID, tuple[str, ...], bool], ScheduleView] = {}


def info_from_row(row: Mapping[str, Any]) -> ScheduleInfo:
    return ScheduleInfo(
        id=row["id"],
        tenant_id=row["tenant_id"],
        source=row["source"],
        destination=row["destination"],
        revision=row["revision"],
        valid_from=row["valid_from"],
        publisher=row["publisher"],
        file_name=row["file_name"],
        file_sha256=row["file_sha256"],
        imported_at=row["imported_at"],
    )


def _measure(row: Mapping[str, Any]) -> Measure:
    parsed = row["parsed"]
    measure = Measure(
        code=row["code"],
        seq=row["seq"],
        measure_type=row["measure_type"],
        origin_group=row["origin_group"],
        origins=None if row["origins"] is None else tuple(row["origins"]),
        excluded_origins=tuple(row["excluded_origins"]),
        program=row["program"],
        expression=row["expression"],
        parsed=None if parsed is None else _EXPRESSION.decode(parsed),
        uncomputable=row["uncomputable"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        file_row=row["file_row"],
        note=row["note"],
    )
    return dataclasses.replace(measure, caption=measure.describe())


async def _read(conn: asyncpg.Connection, schedule_id: uuid.UUID, codes: list[str]) -> dict[str, CodeEntry]:
    grouped: dict[str, list[Measure]] = {code: [] for code in codes}
    for row in await store.code_rows(conn, schedule_id, codes):
        grouped[row["wanted"]].append(_measure(row))
    return {code: CodeEntry(code, tuple(measures)) for code, measures in grouped.items()}


async def entries_for(tenant_id: uuid.UUID, info: ScheduleInfo, codes: set[str]) -> dict[str, CodeEntry]:
    """The entries for ``codes``: cached ones from memory, the rest in one query."""
    found: dict[str, CodeEntry] = {}
    missing: list[str] = []
    for code in codes:
        hit = _ENTRIES.get((info.id, code))
        if hit is None:
            missing.append(code)
        else:
            found[code] = hit
    if missing:
        missing.sort()
        transaction = DB.current_transaction.get()
        if transaction is not None:
            read = await _read(transaction.connection, info.id, missing)
        else:
            async with tenant_tx(tenant_id):
                current = DB.current_transaction.get()
                assert current is not None  # tenant_tx opened it
                read = await _read(current.connection, info.id, missing)
        for code, entry in read.items():
            _ENTRIES[(info.id, code)] = entry
            found[code] = entry
        while len(_ENTRIES) > MAX_CACHED_CODES:
            _ENTRIES.popitem(last=False)
    return found


def line_codes(hs_codes: list[str]) -> set[str]:
    """The well-formed codes (6 to 10 digits once separators are dropped) a quote's lines send."""
    out = set()
    for raw in hs_codes:
        digits = normalize_hs(raw)
        if digits.isdigit() and digits.isascii() and 6 <= len(digits) <= 10:
            out.add(digits)
    return out


async def view_for(
    tenant_id: uuid.UUID,
    schedules: Mapping[str, ScheduleInfo],
    duty_key: str | None,
    hs_codes: list[str],
    *,
    claim_preference: bool,
) -> ScheduleView | None:
    """The view of the schedule active for ``duty_key`` (``GB``, ``US``, ``EU``) over these codes."""
    if duty_key is None:
        return None
    info = schedules.get(duty_key)
    if info is None:
        return None
    # A schedule never changes, so the view over the same codes is the same one: a storefront quotes
    # the same few baskets again and again (and the tenant's own schedule has an id of its own).
    key = (info.id, tuple(hs_codes), claim_preference)
    view = _VIEWS.get(key)
    if view is None:
        entries = await entries_for(tenant_id, info, line_codes(hs_codes))
        view = ScheduleView(info=info, entries=entries, claim_preference=claim_preference)
        if len(_VIEWS) >= MAX_CACHED_VIEWS:
            _VIEWS.clear()
        _VIEWS[key] = view
    return view
