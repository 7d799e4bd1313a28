"""Data access for official tariff schedules (tables in migrations/customs, 2026-12-04).

Functions take the asyncpg connection of the caller's transaction: the CLI's owner connection for
reference data, the tenant transaction's for a tenant's own upload. Measures go in with ``unnest``
in chunks (``COPY`` is not allowed on tables under row-level security).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from customs.schedules.parsers._common import KnownGroups
from customs.schedules.parsers.areas import AREA_TITLES, ParsedGroups

__all__ = [
    "INSERT_CHUNK",
    "MeasureRecord",
    "ScheduleRecord",
    "activate",
    "bump_reference_revision",
    "code_rows",
    "get_schedule",
    "insert_measures",
    "insert_schedule",
    "list_schedules",
]

INSERT_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    destination: str
    source: str
    revision: str
    valid_from: dt.date
    publisher: str
    file_name: str
    file_sha256: str
    rows_read: int
    measure_count: int
    uncomputable_count: int
    skipped_json: str
    imported_by: str


@dataclass(frozen=True, slots=True)
class MeasureRecord:
    code: str
    seq: int
    measure_type: str
    origin_group: str
    origins: list[str] | None
    excluded_origins: list[str]
    program: str | None
    expression: str
    parsed_json: str | None
    uncomputable: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    file_row: int
    note: str | None
    description: str | None


_SCHEDULE_COLUMNS = (
    "id, tenant_id, destination, source, revision, valid_from, publisher, file_name, file_sha256, rows_read, "
    "measure_count, uncomputable_count, skipped, imported_at, imported_by, active"
)


async def insert_schedule(conn: asyncpg.Connection, record: ScheduleRecord) -> None:
    await conn.execute(
        "INSERT INTO tariff_schedules (id, tenant_id, destination, source, revision, valid_from, publisher, "
        "file_name, file_sha256, rows_read, measure_count, uncomputable_count, skipped, imported_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14)",
        record.id,
        record.tenant_id,
        record.destination,
        record.source,
        record.revision,
        record.valid_from,
        record.publisher,
        record.file_name,
        record.file_sha256,
        record.rows_read,
        record.measure_count,
        record.uncomputable_count,
        record.skipped_json,
        record.imported_by,
    )


async def insert_measures(
    conn: asyncpg.Connection,
    schedule_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    measures: Sequence[MeasureRecord],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert ``measures`` in chunks of :data:`INSERT_CHUNK`; ``progress(n)`` after each chunk."""
    sql = """
        INSERT INTO tariff_schedule_measures (schedule_id, tenant_id, code, seq, measure_type, origin_group,
            origins, excluded_origins, program, expression, parsed, uncomputable, valid_from, valid_to,
            file_row, note, description)
        SELECT $1, $2, m.code, m.seq, m.measure_type, m.origin_group,
               CASE WHEN m.origins IS NULL THEN NULL ELSE string_to_array(m.origins, ',') END,
               string_to_array(m.excluded, ','), m.program, m.expression, m.parsed::jsonb, m.uncomputable,
               m.valid_from, m.valid_to, m.file_row, m.note, m.description
        FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                    $10::text[], $11::text[], $12::text[], $13::date[], $14::date[], $15::int[], $16::text[],
                    $17::text[])
            AS m (code, seq, measure_type, origin_group, origins, excluded, program, expression, parsed,
                  uncomputable, valid_from, valid_to, file_row, note, description)
    """
    for start in range(0, len(measures), INSERT_CHUNK):
        chunk = measures[start : start + INSERT_CHUNK]
        await conn.execute(
            sql,
            schedule_id,
            tenant_id,
            [m.code for m in chunk],
            [m.seq for m in chunk],
            [m.measure_type for m in chunk],
            [m.origin_group for m in chunk],
            # Arrays of arrays must be rectangular in PostgreSQL: origins travel as comma lists.
            [None if m.origins is None else ",".join(m.origins) for m in chunk],
            [",".join(m.excluded_origins) for m in chunk],
            [m.program for m in chunk],
            [m.expression for m in chunk],
            [m.parsed_json for m in chunk],
            [m.uncomputable for m in chunk],
            [m.valid_from for m in chunk],
            [m.valid_to for m in chunk],
            [m.file_row for m in chunk],
            [m.note for m in chunk],
            [m.description for m in chunk],
        )
        if progress is not None:
            progress(len(chunk))


async def activate(
    conn: asyncpg.Connection, schedule_id: uuid.UUID, tenant_id: uuid.UUID | None, destination: str
) -> uuid.UUID | None:
    """Make ``schedule_id`` the active schedule of its scope and destination; returns the one it replaces."""
    previous = await conn.fetchval(
        "UPDATE tariff_schedules SET active = false WHERE active AND destination = $1 "
        "AND tenant_id IS NOT DISTINCT FROM $2 RETURNING id",
        destination,
        tenant_id,
    )
    await conn.execute("UPDATE tariff_schedules SET active = true WHERE id = $1", schedule_id)
    return previous  # type: ignore[no-any-return]


async def bump_reference_revision(conn: asyncpg.Connection) -> int:
    value = await conn.fetchval("UPDATE customs_reference_revision SET revision = revision + 1 RETURNING revision")
    return int(value)


async def get_schedule(conn: asyncpg.Connection, schedule_id: uuid.UUID) -> dict[str, Any] | None:
    sql = f"SELECT {_SCHEDULE_COLUMNS} FROM tariff_schedules WHERE id = $1"  # noqa: S608 - constant columns
    row = await conn.fetchrow(sql, schedule_id)
    return None if row is None else dict(row)


async def list_schedules(conn: asyncpg.Connection, *, limit: int, before: uuid.UUID | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {_SCHEDULE_COLUMNS} FROM tariff_schedules WHERE ($1::uuid IS NULL OR id < $1) "  # noqa: S608
        "ORDER BY id DESC LIMIT $2",
        before,
        limit + 1,
    )
    return [dict(r) for r in rows]


_CODE_ROWS_SQL = """
    SELECT w.code AS wanted, m.code, m.seq, m.measure_type, m.origin_group, m.origins, m.excluded_origins,
           m.program, m.expression, m.parsed, m.uncomputable, m.valid_from, m.valid_to, m.file_row, m.note
    FROM unnest($2::text[]) AS w (code)
    JOIN tariff_schedule_measures m ON m.schedule_id = $1
     AND (m.code = ANY (ARRAY(SELECT left(w.code, n) COLLATE "C" FROM generate_series(2, length(w.code)) AS n))
          OR (m.code > (w.code COLLATE "C") AND m.code < ((w.code || ':') COLLATE "C")))
    ORDER BY w.code, m.code, m.seq
"""


async def code_rows(conn: asyncpg.Connection, schedule_id: uuid.UUID, codes: list[str]) -> list[dict[str, Any]]:
    """Every measure of the schedule on each wanted code, on its ancestors (shorter prefixes) and on
    its descendants (longer codes under it), labelled with the wanted code. ``':'`` sorts right after
    ``'9'`` in the C collation, so ``code < wanted || ':'`` bounds the descendants' range."""
    rows = await conn.fetch(_CODE_ROWS_SQL, schedule_id, codes)
    return [dict(r) for r in rows]


async def replace_origin_groups(
    conn: asyncpg.Connection, parsed: ParsedGroups, *, file_name: str, file_sha256: str, actor: str
) -> int:
    """Replace the destination's origin groups with ``parsed`` (inside the caller's transaction)."""
    replaced = await conn.execute("DELETE FROM tariff_origin_groups WHERE destination = $1", parsed.destination)
    await conn.execute(
        """
        INSERT INTO tariff_origin_groups (destination, group_id, description, members, source, revision,
                                          file_name, file_sha256, imported_by)
        SELECT $1, g.group_id, g.description, string_to_array(g.members, ' '), $2, $3, $4, $5, $6
        FROM unnest($7::text[], $8::text[], $9::text[]) AS g (group_id, description, members)
        """,
        parsed.destination,
        parsed.source,
        parsed.revision,
        file_name,
        file_sha256,
        actor,
        [g.group_id for g in parsed.groups],
        [g.description for g in parsed.groups],
        [" ".join(g.members) for g in parsed.groups],
    )
    return int(replaced.split()[-1])


async def origin_groups(conn: asyncpg.Connection, destination: str) -> KnownGroups | None:
    """The imported origin groups of ``destination``'s tariff, ``None`` when none were imported."""
    rows = await conn.fetch(
        "SELECT group_id, members, source, revision FROM tariff_origin_groups WHERE destination = $1", destination
    )
    if not rows:
        return None
    first = rows[0]
    label = f"{AREA_TITLES.get(first['source'], first['source'])} revision {first['revision']}"
    return KnownGroups(members={r["group_id"]: tuple(r["members"]) for r in rows}, label=label)
