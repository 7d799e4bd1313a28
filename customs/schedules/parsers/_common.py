"""What the UK and EU importers share: text decoding, goods codes, dates and the measure types.

Both schedules come from the same data model (the EU's TARIC, which the UK tariff was copied from
on 1 January 2021), so a measure type code means the same in both. The type list is TARIC's
(series letter, code, English name: e.g. the Belgian customs code list reproduced in CargoWise's EU
tariff producer, and the Trade Tariff duty calculator's factories) with the UK Trade Tariff
backend's groupings (``trade-tariff/trade-tariff-backend`` ``app/models/measure_type.rb``:
``TARIFF_PREFERENCE = 142 145``, ``PREFERENTIAL_QUOTA = 143 146``, ``QUOTA_TYPES = 046 122 123
143 146 147 653 654``, ``DEFENSE_MEASURES = 551..555 695 696``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Final

import msgspec

from customs.schedules.model import MeasureType, ScheduleFileError, ScheduleMeasure, SkippedRow
from customs.schedules.parsers.origins import Destination, Excluded, Origins, excluded_origins, origins_for

__all__ = [
    "Classified",
    "Collector",
    "Fields",
    "RawMeasure",
    "classify_measure_type",
    "decode_text",
    "exclusive_end",
    "first_character",
    "goods_code",
    "is_residual_additional_code",
    "iso_date",
    "lines",
]

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_DIGITS = re.compile(r"[0-9]+")
_NOT_SPACE = re.compile(r"\S")
# "2021-01-01", or the same with a time ("2021-01-01T00:00:00.000Z", the UK API's form).
_ISO_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")


def decode_text(data: bytes) -> str:
    """The file as text: UTF-8, with or without a byte-order mark, and nothing else.

    A file saved in another encoding is refused with the byte offset and the line it is on: guessing
    (Latin-1 always "works") would put mangled descriptions into the schedule.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScheduleFileError(1, "file", "the file is UTF-16 text; save it as UTF-8")
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        return str(memoryview(data)[start:], "utf-8")  # a view: a 300 MB file is not copied first
    except UnicodeDecodeError as exc:
        offset = exc.start + start
        line = data.count(b"\n", 0, offset) + 1
        raise ScheduleFileError(
            line, "file", f"not UTF-8 text: byte {offset} (0x{data[offset]:02x}) on line {line}; save the file as UTF-8"
        ) from None


def first_character(text: str) -> str:
    """The first character that is not white space ("" for none), without copying the text."""
    found = _NOT_SPACE.search(text)
    return found.group() if found is not None else ""


def lines(text: str) -> Iterator[str]:
    """The text's lines with their line ends, one at a time, for :func:`csv.reader`.

    Not :class:`io.StringIO`, which holds a second copy of the text at four bytes a character: a
    300 MB CSV would take 1.2 GB more before the first row is read.
    """
    position, size = 0, len(text)
    while position < size:
        end = text.find("\n", position)
        end = size if end == -1 else end + 1
        yield text[position:end]
        position = end


def goods_code(raw: str, *, row: int, field: str, suffix: bool = False) -> tuple[str, str]:
    """``(code as 10 digits, code at the level it denotes)`` for a published goods code.

    Spaces and dots are layout ("6109 10 00 10", "6109.10.00.10"). Nine digits are a 10-digit code
    whose leading zero a spreadsheet dropped (chapters 01-09): HS codes have an even length, so
    that is the only reading. With ``suffix`` a 12-digit value is the code and its 2-digit product
    line suffix ("0101210000 80"); the suffix is dropped.

    Trailing "00" pairs mean the measure sits higher in the nomenclature: "6109000000" is heading
    6109, "6109100000" subheading 610910, "0100000000" chapter 01. The level code is the 10 digits
    with those pairs removed (never below 2 digits), so that matching by longest prefix gives a
    heading's measure to every code under it: in the TARIC/CN numbering a "00" pair means "not
    subdivided at this level", so nothing under 6109 10 00 00 starts with anything but 610910.
    """
    text = raw.strip().replace(" ", "").replace(".", "").replace("\u00a0", "")
    if not text:
        raise ScheduleFileError(row, field, "the goods code is empty")
    if not _DIGITS.fullmatch(text):
        raise ScheduleFileError(row, field, f"{raw.strip()!r} is not a goods code (digits only)")
    if suffix and len(text) == 12:
        text = text[:10]
    if len(text) == 9:
        text = "0" + text
    if len(text) % 2 or not 2 <= len(text) <= 10:
        raise ScheduleFileError(row, field, f"{raw.strip()!r} is not a goods code of 2 to 10 digits")
    full = text.ljust(10, "0")
    level = full
    while len(level) > 2 and level.endswith("00"):
        level = level[:-2]
    if level == "00":
        raise ScheduleFileError(row, field, f"{raw.strip()!r} is not a goods code (chapter 00)")
    return full, level


def iso_date(raw: str, *, row: int, field: str) -> dt.date:
    """An ISO date (``2021-01-01``, with or without a time, whose date part is taken as published)."""
    day = _iso_day(raw.strip())
    if day is None:
        raise ScheduleFileError(row, field, f"{raw.strip()!r} is not a date (YYYY-MM-DD)")
    return day


@functools.lru_cache(maxsize=8192)
def _iso_day(text: str) -> dt.date | None:
    """Cached: a million rows carry a few thousand distinct dates, and each one is one shared object."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def exclusive_end(end: dt.date | None, start: dt.date, *, row: int, field: str) -> dt.date | None:
    """The model's exclusive ``valid_to`` for a published end date, which is the last day in force.

    A TARIC / UK tariff measure's end date is inclusive (a measure for October ends 31 October and
    the next starts 1 November), while :class:`ScheduleMeasure.valid_to` is exclusive.
    """
    if end is None:
        return None
    if end < start:
        message = f"the end date {end.isoformat()} is before the start date {start.isoformat()}"
        raise ScheduleFileError(row, field, message)
    return end + dt.timedelta(days=1)


class Classified(msgspec.Struct, frozen=True):
    """What a measure type means for a quote: loaded as ``measure_type``, or skipped with ``skip``."""

    measure_type: MeasureType | None
    note: str | None = None
    skip: str | None = None


# Loaded: the duties a quote adds up. 112/141/106 are named in the note, as the model has no field
# for the published type and a suspension is a lower rate that replaces the third-country duty.
_LOADED: Final[dict[str, Classified]] = {
    "103": Classified("third_country"),
    "112": Classified(
        "third_country", "autonomous tariff suspension (measure type 112): replaces the third-country duty"
    ),
    "106": Classified("preferential", "customs union duty (measure type 106)"),
    "141": Classified("preferential", "preferential suspension (measure type 141)"),
    "142": Classified("preferential"),
    "551": Classified("additional", "provisional anti-dumping duty (measure type 551)"),
    "552": Classified("additional", "definitive anti-dumping duty (measure type 552)"),
    "553": Classified("additional", "provisional countervailing duty (measure type 553)"),
    "554": Classified("additional", "definitive countervailing duty (measure type 554)"),
    "555": Classified("additional", "anti-dumping/countervailing duty pending collection (measure type 555)"),
    "695": Classified("additional", "additional duties (measure type 695)"),
    "696": Classified("additional", "additional duties, safeguard (measure type 696)"),
}

_END_USE = (
    "applies only under an end-use (authorised use) authorisation, which a quote cannot assume; "
    "the third-country duty or a preference applies otherwise"
)
_QUOTA = (
    "the quota rate applies only while the quota is open and is claimed on the declaration; "
    "the balance is not in this file, so the quote uses the non-quota rate"
)
_ORIGIN_THIRD_COUNTRY = (
    "a third-country duty for these origins only: for them it takes the place of the ERGA OMNES rate"
)
_MEURSING = "Meursing agricultural component: the amount depends on the Meursing additional code of the goods"
_ENTRY_PRICE = "entry price system: the amount depends on the import (CIF) price of the consignment"
_TRADE_REMEDY_PROCEDURE = "anti-dumping/countervailing procedure record (notice, suspension, registration), not a duty"

_SKIPPED: Final[dict[str, str]] = {
    "105": f"non-preferential duty under end-use: {_END_USE}",
    "115": f"autonomous suspension under end-use: {_END_USE}",
    "117": f"suspension for ships, boats and drilling platforms: {_END_USE}",
    "119": f"airworthiness tariff suspension: {_END_USE}",
    "140": "outward processing tariff preference: applies only under an outward processing authorisation",
    "145": f"preference under end-use: {_END_USE}",
    "046": f"tariff quota/ceiling: {_QUOTA}",
    "122": f"non-preferential tariff quota: {_QUOTA}",
    "123": f"non-preferential tariff quota under end-use: {_QUOTA}",
    "143": f"preferential tariff quota: {_QUOTA}",
    "144": "preferential ceiling: applies only while the ceiling is not reached, which is not in this file",
    "146": f"preferential tariff quota under end-use: {_QUOTA}",
    "147": f"customs union quota: {_QUOTA}",
    "653": f"security reduced under a tariff quota: {_QUOTA}",
    "654": f"additional duty reduced under a tariff quota: {_QUOTA}",
    "305": "value added tax: not a customs duty (import VAT is computed by the VAT rules)",
    "306": "excise: not a customs duty",
    "109": "supplementary unit: a unit to declare, not a duty",
    "110": "supplementary unit (import): a unit to declare, not a duty",
    "111": "supplementary unit (export): a unit to declare, not a duty",
    "672": _MEURSING,
    "673": _MEURSING,
    "674": _MEURSING,
    "651": _ENTRY_PRICE,
    "652": _ENTRY_PRICE,
    "655": _ENTRY_PRICE,
    "656": _ENTRY_PRICE,
    "657": _ENTRY_PRICE,
    "658": _ENTRY_PRICE,
    "561": _TRADE_REMEDY_PROCEDURE,
    "562": _TRADE_REMEDY_PROCEDURE,
    "563": _TRADE_REMEDY_PROCEDURE,
    "564": _TRADE_REMEDY_PROCEDURE,
    "565": _TRADE_REMEDY_PROCEDURE,
    "566": _TRADE_REMEDY_PROCEDURE,
    "570": _TRADE_REMEDY_PROCEDURE,
}


def classify_measure_type(type_id: str, description: str = "") -> Classified:
    """The quote's reading of a published measure type code (``103``; ``VTS`` on the UK tariff)."""
    code = type_id.strip().upper()
    if code.isdigit() and len(code) < 3:
        code = code.zfill(3)
    if code in _LOADED:
        return _LOADED[code]
    if code in _SKIPPED:
        return Classified(None, skip=f"measure type {code}: {_SKIPPED[code]}")
    named = f" ({description.strip()})" if description.strip() else ""
    if code.startswith("VT"):  # the UK's national VAT types: VTS standard, VTZ zero, VTA/VTE ...
        return Classified(None, skip=f"measure type {code}{named}: value added tax, not a customs duty")
    return Classified(None, skip=f"measure type {code}{named} is not a customs duty this importer loads")


def is_residual_additional_code(code: str) -> bool:
    """Whether a trade-remedy additional code is the "all other companies" one (``B999``, ``C999``).

    Anti-dumping and countervailing measures come in alternatives, one per exporting company, told
    apart by a TARIC additional code; the code ending in 999 is the rate for every other company,
    the one that applies when the producer is not known (as for a quote).
    """
    return len(code) == 4 and code.endswith("999")


class Fields(msgspec.Struct, frozen=True):
    """The format's own names for the fields a skip is blamed on, for the per-row report."""

    measure_type: str
    order_number: str
    additional_code: str


class RawMeasure(msgspec.Struct, frozen=True, kw_only=True):
    """One measure row as read, before the quote's reading of it."""

    row: int
    full_code: str  # the 10 digits, for duplicate checks
    code: str  # at the level it denotes (see goods_code)
    ref: str = ""  # "measure 20001033", for reasons
    type_id: str
    type_description: str = ""
    expression: str
    start: dt.date
    valid_to: dt.date | None
    area: str
    area_description: str = ""
    members: Sequence[str] | None = None  # the group's members, when the file lists them
    excluded: Sequence[str] = ()
    additional_code: str = ""
    additional_description: str = ""
    order_number: str = ""


class KnownGroups(msgspec.Struct, frozen=True, kw_only=True):
    """Origin groups whose members were imported from the tariff's own list (see parsers.areas)."""

    members: Mapping[str, Sequence[str]]
    label: str  # "UK Trade Tariff geographical areas 2026-12-01", for the measures' notes


class Collector:
    """The schedule being built: measures, skipped rows, descriptions and the span of start dates."""

    def __init__(self, destination: Destination, fields: Fields, groups: KnownGroups | None = None) -> None:
        self.destination: Destination = destination
        self.fields = fields
        self.groups = groups
        self.measures: list[ScheduleMeasure] = []
        self.skipped: list[SkippedRow] = []
        self.descriptions: dict[str, str] = {}
        self.rows_read = 0
        self.first_start: dt.date | None = None
        self.last_start: dt.date | None = None
        self._seen: set[Hashable] = set()
        self._origins: dict[tuple[str, str], Origins] = {}

    def span(self, empty: str) -> tuple[dt.date, dt.date]:
        """The earliest and the latest measure start read; a file without a measure row is refused."""
        if self.first_start is None or self.last_start is None:
            raise ScheduleFileError(None, "file", empty)
        return self.first_start, self.last_start

    def once(self, key: Hashable, *, row: int, field: str, what: str) -> None:
        """Refuse a measure met twice (``what`` names it); a set of small keys, not the rows, is kept."""
        if key in self._seen:
            raise ScheduleFileError(row, field, f"{what} appears twice in the file (a duplicate measure)")
        self._seen.add(key)

    def skip(self, raw: RawMeasure, field: str, reason: str) -> None:
        where = f"{raw.ref}: " if raw.ref else ""
        self.skipped.append(SkippedRow(row=raw.row, code=raw.code, field=field, reason=where + reason))

    def take(
        self, raw: RawMeasure, excluded_members: Callable[[str], Sequence[str] | None] | None = None
    ) -> ScheduleMeasure | None:
        """Load ``raw`` as a measure, or report it in ``skipped``; the loaded measure is returned."""
        self.rows_read += 1
        if self.first_start is None or raw.start < self.first_start:
            self.first_start = raw.start
        if self.last_start is None or raw.start > self.last_start:
            self.last_start = raw.start
        kind = classify_measure_type(raw.type_id, raw.type_description)
        if kind.measure_type is None:
            self.skip(raw, self.fields.measure_type, kind.skip or "not a duty")
            return None
        if raw.order_number:
            self.skip(raw, self.fields.order_number, f"tariff quota (order number {raw.order_number}): {_QUOTA}")
            return None
        skip, code_note = _additional_code(kind.measure_type, raw.additional_code, raw.additional_description)
        if skip is not None:
            self.skip(raw, self.fields.additional_code, skip)
            return None
        origins = self._origins_of(raw)
        excluded = (
            excluded_origins(raw.excluded, self.destination, self._members_of(excluded_members))
            if raw.excluded
            else _NONE
        )
        empty = None if raw.expression else _NO_EXPRESSION
        scoped = _ORIGIN_THIRD_COUNTRY if kind.measure_type == "third_country" and origins.origins is not None else None
        notes = [n for n in (kind.note, scoped, code_note, origins.note, excluded.note, empty) if n]
        program = _program(kind.measure_type, raw)
        # Interned: a million rows repeat a few thousand codes, expressions and groups.
        measure = ScheduleMeasure(
            code=sys.intern(raw.code),
            measure_type=kind.measure_type,
            expression=sys.intern(raw.expression),
            origin_group=sys.intern(raw.area),
            origins=origins.origins,
            excluded_origins=excluded.origins,
            program=sys.intern(program) if program is not None else None,
            valid_from=raw.start,
            valid_to=raw.valid_to,
            row=raw.row,
            note=sys.intern("; ".join(notes)) if notes else None,
        )
        self.measures.append(measure)
        return measure

    def _origins_of(self, raw: RawMeasure) -> Origins:
        if raw.members is not None:  # listed by this document: not shared with other rows
            return origins_for(raw.area, self.destination, members=raw.members, description=raw.area_description)
        key = (raw.area, raw.area_description)
        found = self._origins.get(key)
        if found is None:
            known = self.groups.members.get(raw.area.strip().upper()) if self.groups is not None else None
            found = origins_for(raw.area, self.destination, members=known, description=raw.area_description)
            if known is not None and self.groups is not None and found.note is None:
                found = Origins(found.origins, f"members of group {raw.area} from {self.groups.label}")
            self._origins[key] = found
        return found

    def _members_of(
        self, listed: Callable[[str], Sequence[str] | None] | None
    ) -> Callable[[str], Sequence[str] | None] | None:
        """An excluded group's members: as the document lists them, else as the imported groups say."""
        if self.groups is None:
            return listed
        known = self.groups.members

        def members(area: str) -> Sequence[str] | None:
            return (listed(area) if listed is not None else None) or known.get(area.strip().upper())

        return members


_NONE: Final = Excluded(())
_NO_EXPRESSION: Final = "no duty expression is published (the duty is set by the measure's conditions)"


def _program(kind: MeasureType, raw: RawMeasure) -> str | None:
    """The scheme a preference or an additional duty belongs to, in the tariff's words."""
    if kind == "preferential":
        return raw.area_description or raw.area
    if kind == "additional":
        return raw.type_description or f"measure type {raw.type_id}"
    return None


def _additional_code(kind: MeasureType, code: str, description: str) -> tuple[str | None, str | None]:
    """``(skip reason, note)`` for a measure that applies only with a TARIC additional code.

    A quote declares no additional code, so such a measure is one of several alternatives: for a
    trade remedy the all-other-companies code (``x999``) is the one that applies to an unknown
    producer and is loaded; the company-specific ones, and any other type's, are skipped.
    """
    if not code:
        return None, None
    label = f"additional code {code}" + (f" ({description})" if description else "")
    if kind == "additional":
        if is_residual_additional_code(code):
            return None, f"{label}: the rate for all other companies (company-specific rates are skipped)"
        return f"company-specific rate ({label}): applies only to goods of that producer", None
    return f"applies only to goods declared with {label}; a quote declares no additional code", None
