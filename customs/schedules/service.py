"""A tenant's view of official schedules: upload its own, list what it sees, read one, look a code up.

Reference schedules (``tenant_id`` NULL) are loaded by the operator with the CLI and read by every
tenant; a tenant's upload is its own and wins over the reference schedule for its destination. Rows
are walled by row-level security: a tenant transaction sees reference rows and its own only.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from customs import repository, tenant_data
from customs.schedules import importer, store
from customs.schedules.importer import ImportReport
from customs.schedules.model import ScheduleFileError, SkippedRow
from hub.core.database import DB, tenant_tx
from hub.core.errors import FieldError, NotFound, ValidationFailed
from hub.core.pagination import Page, check_limit, decode_cursor, page_of

__all__ = [
    "ScheduleMeasureRead",
    "ScheduleRead",
    "file_error",
    "get_schedule",
    "list_schedules",
    "measures_on",
    "upload",
]

_SKIPPED = msgspec.json.Decoder(list[SkippedRow])


class ScheduleRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    scope: str  # "reference" or "tenant"
    source: str
    destination: str
    revision: str
    valid_from: str
    publisher: str
    file_name: str
    file_sha256: str
    rows_read: int
    measures_loaded: int
    uncomputable_count: int
    skipped_count: int
    imported_at: str
    active: bool
    skipped: list[SkippedRow] | None = None


class ScheduleMeasureRead(msgspec.Struct, kw_only=True):
    code: str
    measure_type: str
    expression: str
    origin_group: str
    origins: list[str] | None
    excluded_origins: list[str]
    program: str | None
    valid_from: str | None
    valid_to: str | None
    file_row: int
    computable: bool
    uncomputable: str | None
    note: str | None


def file_error(exc: ScheduleFileError) -> ValidationFailed:
    """A 422 naming the file's row and field: ``rows[12].measure__duty_expression``."""
    field = f"rows[{exc.row}].{exc.field}" if exc.row is not None else f"file.{exc.field}"
    return ValidationFailed(f"{field}: {exc.message}", errors=[FieldError(field, exc.message)])


def _read(row: dict[str, Any], *, with_skipped: bool = False) -> ScheduleRead:
    skipped = _SKIPPED.decode(row["skipped"]) if isinstance(row["skipped"], str | bytes) else []
    return ScheduleRead(
        id=row["id"],
        scope="reference" if row["tenant_id"] is None else "tenant",
        source=row["source"],
        destination=row["destination"],
        revision=row["revision"],
        valid_from=row["valid_from"].isoformat(),
        publisher=row["publisher"],
        file_name=row["file_name"],
        file_sha256=row["file_sha256"],
        rows_read=row["rows_read"],
        measures_loaded=row["measure_count"],
        uncomputable_count=row["uncomputable_count"],
        skipped_count=len(skipped),
        imported_at=row["imported_at"].isoformat(),
        active=row["active"],
        skipped=skipped[: importer.REPORT_ROWS] if with_skipped else None,
    )


def _connection() -> Any:
    transaction = DB.current_transaction.get()
    assert transaction is not None  # called inside tenant_tx
    return transaction.connection


async def upload(tenant_id: uuid.UUID, source: str, data: bytes, *, file_name: str, actor: str) -> ImportReport:
    """Parse, check and load a tenant's own copy of a schedule (one transaction).

    Raises:
        ValidationFailed: an unknown source, or a file that is not that source's format (row and field named).
    """
    started = time.perf_counter()
    async with tenant_tx(tenant_id):  # the tariff's imported origin groups, read before the parse
        groups = await importer.origin_groups_for(_connection(), source)
    try:
        prepared = importer.prepare(source, data, file_name=file_name, groups=groups)
    except ScheduleFileError as exc:
        raise file_error(exc) from None
    except ValueError as exc:
        raise ValidationFailed.single("source", str(exc)) from None
    async with tenant_tx(tenant_id):
        report = await importer.load(_connection(), prepared, tenant_id=tenant_id, actor=actor)
        await repository.bump_revision(tenant_id)
    tenant_data.invalidate(tenant_id)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


async def list_schedules(tenant_id: uuid.UUID, *, limit: int, cursor: str | None) -> Page[ScheduleRead]:
    check_limit(limit)
    before = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await store.list_schedules(_connection(), limit=limit, before=before)
    return page_of([_read(r) for r in rows], limit)


async def get_schedule(tenant_id: uuid.UUID, schedule_id: uuid.UUID) -> ScheduleRead:
    async with tenant_tx(tenant_id):
        row = await store.get_schedule(_connection(), schedule_id)
    if row is None:
        raise NotFound("no such tariff schedule")
    return _read(row, with_skipped=True)


async def measures_on(tenant_id: uuid.UUID, schedule_id: uuid.UUID, code: str) -> list[ScheduleMeasureRead]:
    """The schedule's measures on ``code``, on its headings and on the national codes under it."""
    digits = code.replace(".", "").replace(" ", "")
    if not (digits.isdigit() and digits.isascii() and 2 <= len(digits) <= 10):
        raise ValidationFailed.single("code", "2 to 10 digits, e.g. 6109100010")
    async with tenant_tx(tenant_id):
        if await store.get_schedule(_connection(), schedule_id) is None:
            raise NotFound("no such tariff schedule")
        rows = await store.code_rows(_connection(), schedule_id, [digits])
    return [
        ScheduleMeasureRead(
            code=r["code"],
            measure_type=r["measure_type"],
            expression=r["expression"],
            origin_group=r["origin_group"],
            origins=None if r["origins"] is None else list(r["origins"]),
            excluded_origins=list(r["excluded_origins"]),
            program=r["program"],
            valid_from=None if r["valid_from"] is None else r["valid_from"].isoformat(),
            valid_to=None if r["valid_to"] is None else r["valid_to"].isoformat(),
            file_row=r["file_row"],
            computable=r["parsed"] is not None,
            uncomputable=r["uncomputable"],
            note=r["note"],
        )
        for r in rows
    ]
