"""Load an official tariff schedule file: parse, check every row, store in one transaction, report.

Two ways in, one path: ``orderhub tariff import FILE --source ...`` loads reference data for every
tenant (as the schema owner), ``POST /v1/tariff-schedules`` loads a tenant's own copy (seen by that
tenant alone, preferred over the reference schedule for its destination). Either way:

* the parser of the source reads the file (:mod:`customs.schedules.parsers`); a file that is not
  that format is refused with the row and field named (:class:`ScheduleFileError`);
* every measure's duty expression is parsed here (:mod:`customs.schedules.expressions`); one the
  engine cannot compute is still stored, with the reason, and listed in the report, so a quote
  that needs it says why instead of guessing;
* the schedule and its measures are inserted and switched in as the active schedule of their scope
  and destination in one transaction: a failed load leaves the previous schedule in force, untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import msgspec
import pycountry

from customs.schedules import store
from customs.schedules.expressions import Dialect, NotComputable, parse_expression
from customs.schedules.model import MEASURE_TYPES, SOURCES, ParsedSchedule, ScheduleFileError, SkippedRow, Source
from customs.schedules.parsers._common import KnownGroups
from customs.schedules.parsers.areas import AREA_SOURCES, ParsedGroups, parse_eu_taric3_areas, parse_uk_areas
from customs.schedules.parsers.eu import parse_eu
from customs.schedules.parsers.uk import parse_uk
from customs.schedules.parsers.us import parse_us
from hub.core.ids import new_id

__all__ = [
    "PARSERS",
    "ImportReport",
    "PreparedSchedule",
    "UncomputableRow",
    "load",
    "prepare",
]

PARSERS: dict[Source, Callable[..., ParsedSchedule]] = {
    "uk-trade-tariff": parse_uk,
    "us-hts": parse_us,
    "eu-taric": parse_eu,
}
DIALECTS: dict[Source, Dialect] = {"uk-trade-tariff": "uk", "us-hts": "us", "eu-taric": "eu"}
# The report lists this many skipped or uncomputable rows (all are counted; the stored schedule keeps
# every skipped row).
REPORT_ROWS = 200
_ENCODER = msgspec.json.Encoder()


class UncomputableRow(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    code: str
    expression: str
    reason: str


class ImportReport(msgspec.Struct, kw_only=True):
    """The per-row report of a load (also the API's answer)."""

    schedule_id: uuid.UUID
    source: str
    destination: str
    revision: str
    valid_from: dt.date
    publisher: str
    file_name: str
    file_sha256: str
    scope: str  # "reference" (every tenant) or "tenant"
    rows_read: int
    measures_loaded: int
    codes: int
    uncomputable_count: int
    uncomputable: list[UncomputableRow]
    skipped_count: int
    skipped: list[SkippedRow]
    replaced_schedule_id: uuid.UUID | None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class PreparedSchedule:
    parsed: ParsedSchedule
    records: list[store.MeasureRecord]
    uncomputable: list[UncomputableRow]
    file_name: str
    sha256: str


def _known_country(code: str) -> bool:
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def _check(parsed: ParsedSchedule) -> None:
    """What the parsers promise, checked once for all of them: a stored row is always usable."""
    if parsed.destination != "EU" and not _known_country(parsed.destination):
        raise ScheduleFileError(None, "destination", f"{parsed.destination!r} is not a destination")
    if not parsed.revision.strip():
        raise ScheduleFileError(None, "revision", "the file names no revision or edition")
    for m in parsed.measures:
        if not (m.code.isdigit() and m.code.isascii() and 2 <= len(m.code) <= 10):
            raise ScheduleFileError(m.row, "code", f"{m.code!r} is not a tariff code: 2 to 10 digits")
        if m.measure_type not in MEASURE_TYPES:
            raise ScheduleFileError(m.row, "measure_type", f"{m.measure_type!r} is not one of {MEASURE_TYPES}")
        # Two capitals: ISO 3166-1 alpha-2, or a tariff's own area code without one (XK Kosovo, XI
        # Northern Ireland), which a request's origin (always ISO) simply never matches.
        for country in (*(m.origins or ()), *m.excluded_origins):
            if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
                raise ScheduleFileError(m.row, "origin", f"{country!r} is not a two-letter country or area code")
        start = m.valid_from or parsed.valid_from
        if m.valid_to is not None and m.valid_to <= start:
            raise ScheduleFileError(m.row, "valid_to", f"{m.valid_to} is not after {start}")
        if not m.expression.strip():
            raise ScheduleFileError(m.row, "expression", "empty duty expression")


# The tariffs whose origin groups can be imported (parsers.areas), by schedule source.
GROUPS_OF: dict[Source, str] = {"uk-trade-tariff": "GB", "eu-taric": "EU"}


def prepare(
    source: str,
    data: bytes,
    *,
    file_name: str = "",
    progress: Callable[[int], None] | None = None,
    groups: KnownGroups | None = None,
) -> PreparedSchedule:
    """Parse and check a file; nothing is stored. ``groups``: the tariff's imported origin groups
    (:func:`origin_groups_for`), for a source in :data:`GROUPS_OF`.

    Raises:
        ScheduleFileError: the file is not ``source``'s format, or a row is unusable (row and field named).
        ValueError: an unknown ``source``.
    """
    if source not in PARSERS:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    typed: Source = source
    parsed = (
        PARSERS[typed](data, file_name=file_name, groups=groups)
        if typed in GROUPS_OF
        else PARSERS[typed](data, file_name=file_name)
    )
    _check(parsed)
    dialect = DIALECTS[typed]
    parsed_texts: dict[str, tuple[str | None, str | None]] = {}  # expression text -> (parsed json, reason)
    records: list[store.MeasureRecord] = []
    uncomputable: list[UncomputableRow] = []
    seq_by_code: dict[str, int] = {}
    for n, m in enumerate(parsed.measures, start=1):
        known = parsed_texts.get(m.expression)
        if known is None:
            try:
                known = (_ENCODER.encode(parse_expression(m.expression, dialect=dialect)).decode(), None)
            except NotComputable as exc:
                known = (None, exc.reason)
            except ValueError as exc:
                known = (None, f"not understood: {exc}")
            parsed_texts[m.expression] = known
        parsed_json, reason = known
        if reason is not None:
            uncomputable.append(UncomputableRow(row=m.row, code=m.code, expression=m.expression, reason=reason))
        seq = seq_by_code.get(m.code, 0)
        seq_by_code[m.code] = seq + 1
        records.append(
            store.MeasureRecord(
                code=m.code,
                seq=seq,
                measure_type=m.measure_type,
                origin_group=m.origin_group,
                origins=None if m.origins is None else list(m.origins),
                excluded_origins=list(m.excluded_origins),
                program=m.program,
                expression=m.expression,
                parsed_json=parsed_json,
                uncomputable=reason,
                valid_from=m.valid_from,
                valid_to=m.valid_to,
                file_row=m.row,
                note=m.note,
                description=parsed.descriptions.get(m.code),
            )
        )
        if progress is not None and n % 10_000 == 0:
            progress(10_000)
    if progress is not None:
        progress(len(parsed.measures) % 10_000)
    return PreparedSchedule(
        parsed=parsed,
        records=records,
        uncomputable=uncomputable,
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
    )


async def load(
    conn: asyncpg.Connection,
    prepared: PreparedSchedule,
    *,
    tenant_id: uuid.UUID | None,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store ``prepared`` and make it the active schedule of its scope (``tenant_id`` None: reference
    data) and destination. Run inside the caller's transaction: the load is all or nothing."""
    parsed = prepared.parsed
    schedule_id = new_id()
    record = store.ScheduleRecord(
        id=schedule_id,
        tenant_id=tenant_id,
        destination=parsed.destination,
        source=parsed.source,
        revision=parsed.revision,
        valid_from=parsed.valid_from,
        publisher=parsed.publisher,
        file_name=prepared.file_name,
        file_sha256=prepared.sha256,
        rows_read=parsed.rows_read,
        measure_count=len(prepared.records),
        uncomputable_count=len(prepared.uncomputable),
        skipped_json=_ENCODER.encode(parsed.skipped).decode(),
        imported_by=actor,
    )
    await store.insert_schedule(conn, record)
    await store.insert_measures(conn, schedule_id, tenant_id, prepared.records, progress)
    replaced = await store.activate(conn, schedule_id, tenant_id, parsed.destination)
    return ImportReport(
        schedule_id=schedule_id,
        source=parsed.source,
        destination=parsed.destination,
        revision=parsed.revision,
        valid_from=parsed.valid_from,
        publisher=parsed.publisher,
        file_name=prepared.file_name,
        file_sha256=prepared.sha256,
        scope="reference" if tenant_id is None else "tenant",
        rows_read=parsed.rows_read,
        measures_loaded=len(prepared.records),
        codes=len({r.code for r in prepared.records}),
        uncomputable_count=len(prepared.uncomputable),
        uncomputable=prepared.uncomputable[:REPORT_ROWS],
        skipped_count=len(parsed.skipped),
        skipped=parsed.skipped[:REPORT_ROWS],
        replaced_schedule_id=replaced,
    )


# -- the two ways in ---------------------------------------------------------------------------------


async def load_reference(
    owner_url: str, prepared: PreparedSchedule, *, actor: str, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Load reference data for every tenant, as the schema owner (the CLI), in one transaction.

    The reference revision is bumped in the same transaction: every API process's cached tenant data
    is then stale, and the next quote of each tenant rebuilds it (see :mod:`customs.tenant_data`).
    """
    connection = await asyncpg.connect(owner_url)
    try:
        async with connection.transaction():
            report = await load(connection, prepared, tenant_id=None, actor=actor, progress=progress)
            await store.bump_reference_revision(connection)
    finally:
        await connection.close()
    return report


# -- origin groups -----------------------------------------------------------------------------------


class GroupsReport(msgspec.Struct, kw_only=True):
    """What an import of a tariff's origin groups loaded."""

    source: str
    destination: str
    revision: str
    publisher: str
    file_name: str
    file_sha256: str
    groups: int
    members: int
    replaced_groups: int
    group_ids: list[str]


def prepare_groups(
    source: str, data: bytes, *, file_name: str = "", as_of: dt.date | None = None
) -> tuple[ParsedGroups, str]:
    """Parse a geographical-areas file; nothing is stored. Returns the groups and the file's SHA-256.
    ``as_of``: the day whose memberships an EU TARIC3 file gives (today when not given; the UK
    document lists today's members itself).

    Raises:
        ScheduleFileError: the file is not that format (item and field named).
        ValueError: an unknown ``source``.
    """
    if source not in AREA_SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(AREA_SOURCES)}")
    sha256 = hashlib.sha256(data).hexdigest()
    if source == "eu-geographical-areas":
        day = as_of or dt.datetime.now(dt.UTC).date()
        return parse_eu_taric3_areas(data, as_of=day, file_name=file_name, sha256=sha256), sha256
    return parse_uk_areas(data, file_name=file_name, sha256=sha256), sha256


async def load_groups_reference(
    owner_url: str, parsed: ParsedGroups, *, file_name: str, file_sha256: str, actor: str
) -> GroupsReport:
    """Replace the tariff's origin groups for every tenant, as the schema owner, in one transaction.

    Schedules imported before keep the origins they were loaded with (a schedule never changes):
    import the schedule again for its group preferences to follow the new groups.
    """
    connection = await asyncpg.connect(owner_url)
    try:
        async with connection.transaction():
            replaced = await store.replace_origin_groups(
                connection, parsed, file_name=file_name, file_sha256=file_sha256, actor=actor
            )
    finally:
        await connection.close()
    return GroupsReport(
        source=parsed.source,
        destination=parsed.destination,
        revision=parsed.revision,
        publisher=parsed.publisher,
        file_name=file_name,
        file_sha256=file_sha256,
        groups=len(parsed.groups),
        members=sum(len(g.members) for g in parsed.groups),
        replaced_groups=replaced,
        group_ids=[g.group_id for g in parsed.groups],
    )


async def origin_groups_for(conn: asyncpg.Connection, source: str) -> KnownGroups | None:
    """The imported origin groups a schedule of ``source`` is parsed with (None: none imported)."""
    destination = GROUPS_OF.get(source)  # type: ignore[call-overload]
    return None if destination is None else await store.origin_groups(conn, destination)
