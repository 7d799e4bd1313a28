"""Importer for the Harmonized Tariff Schedule of the United States (USITC): export in, measures out.

Two forms of the same USITC export are read (their shape was checked against public copies; see
``tests/fixtures/customs/schedules/us/README.md``):

* **JSON** (hts.usitc.gov "Export", ``reststop/exportList``, the per-edition files such as
  ``hts_2026_revision_3_json.json``): a list of objects ``{htsno, indent, description, superior,
  units, general, special, other, footnotes: [{columns, marker, value, type}], quotaQuantity,
  additionalDuties}``. A 10-digit line carries its statistical suffix in ``htsno``
  ("6109.10.00.04"); an indented text line ("Other:") has an empty ``htsno``.
* **CSV**: ``HTS Number,Indent,Description,Unit of Quantity,General Rate of Duty,Special Rate of
  Duty,Column 2 Rate of Duty,Quota Quantity,Additional Duties``. It has no footnotes, so Section 301
  cannot be linked from it; that is reported once (row 0, field ``footnotes``).

What becomes a measure, at the code where the rate is written (the lead matches codes by longest
prefix, so a 10-digit code finds its 8-digit line):

* General -> ``third_country`` (every origin); Column 2 -> ``column2`` for the general note 3(b)
  countries; Special -> one ``preferential`` measure per (rate, program) with the program's
  countries from :data:`PROGRAMS` (``()`` where the file cannot say which countries, with a note).
* A line without a rate inherits from the nearest line above it by indent. Where that line's code
  is not a prefix of the inheriting code (a text-only line such as "Other:" carries no code), the
  rate is repeated at the inheriting code so a prefix match still finds it. Nothing is inherited
  across a coded line above whose code is not a prefix (a slice, or a break in the hierarchy).
* Chapter 99 rows are not codes of their own: they act only through the lines that refer to them.
* Section 301 (origin China): a footnote "See 9903.88.15." on a line plus the 9903.88.15 row of
  the same file whose General text reads "The duty provided in the applicable subheading + 7.5%"
  give an ``additional`` "7.5%" measure on that line. A referenced heading missing from the file,
  an exclusion heading (no "+ N%") and every other chapter 99 reference are reported in
  ``skipped``; nothing is guessed.

Edition and date come from the file name (``hts_2026_revision_3_json.json`` -> "2026 Revision 3",
``hts_2026_basic_edition_json.json`` -> "2026 Basic Edition"); the export has no field for them.
A Basic Edition takes effect on 1 January of its year. A revision's own date is not in the file:
``valid_from`` is then 1 January of the edition year and a ``SkippedRow(row=0, field="valid_from")``
says so, so the report shows the assumption. A name that gives no edition is refused.

Pure: no I/O, no clock. Rows are 1-based item indexes (JSON) or line numbers (CSV); row 0 means
the file as a whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from customs.schedules.model import ParsedSchedule, ScheduleFileError, ScheduleMeasure, SkippedRow

__all__ = ["COLUMN2_COUNTRIES", "PROGRAMS", "Program", "parse_us"]

PUBLISHER = "U.S. International Trade Commission (USITC)"


@dataclass(frozen=True, slots=True)
class Program:
    """A special tariff program of HTS general note 3(c)(i): its symbol, name and countries."""

    symbol: str
    name: str
    origins: tuple[str, ...]  # () where the file cannot say which countries qualify
    note: str | None = None


_GSP = (
    "GSP lapsed on 31 December 2020 and has not been renewed (CBP CSMS guidance, December 2020); its "
    "beneficiary countries are not in this file, so the rate is not applied to any origin"
)
_NOT_IN_FILE = "the beneficiary countries are designated outside this file, so the rate is not applied to any origin"
_END_USE = "eligibility depends on the goods' use or listing, not on origin, so the rate is not applied by origin"
_NAFTA = "NAFTA (general note 12) was replaced by USMCA (symbols S, S+) on 1 July 2020; not applied to any origin"
_CAFTA_DR = ("CR", "DO", "GT", "HN", "NI", "SV")

# Symbols of HTS general note 3(c)(i), with the general note (GN) that sets each program out. Names
# and symbols: the USITC Tariff Database code key; GN numbers 4-28 from the USITC table of contents
# of the general notes; USMCA = GN 11 and symbols S/S+ (Proclamation 10053, 1 July 2020); Japan =
# GN 36 (from 1 January 2020). GN 29-35 follow the FTAs' order of entry into force (not re-checked).
PROGRAMS: dict[str, Program] = {
    p.symbol: p
    for p in (
        Program("A", "GSP (GN 4)", (), _GSP),
        Program("A*", "GSP, some beneficiaries excluded here (GN 4)", (), _GSP),
        Program("A+", "GSP, least-developed beneficiaries only (GN 4)", (), _GSP),
        Program("AU", "US-Australia FTA (GN 28)", ("AU",)),
        Program("B", "Automotive Products Trade Act (GN 5)", (), _END_USE),
        Program("BH", "US-Bahrain FTA (GN 30)", ("BH",)),
        Program("C", "Agreement on Trade in Civil Aircraft (GN 6)", (), _END_USE),
        Program("CA", "NAFTA, Canada (GN 12)", (), _NAFTA),
        Program("CL", "US-Chile FTA (GN 26)", ("CL",)),
        Program("CO", "US-Colombia TPA (GN 34)", ("CO",)),
        Program("D", "AGOA (GN 16)", (), _NOT_IN_FILE),
        Program("E", "CBERA (GN 7)", (), _NOT_IN_FILE),
        Program("E*", "CBERA, some beneficiaries or goods excluded (GN 7)", (), _NOT_IN_FILE),
        Program("IL", "US-Israel FTA (GN 8)", ("IL",)),
        Program("J", "ATPA (expired 2013)", (), "ATPA/ATPDEA lapsed on 31 July 2013"),
        Program("J*", "ATPA, some goods excluded (expired 2013)", (), "ATPA/ATPDEA lapsed on 31 July 2013"),
        Program("J+", "ATPDEA (expired 2013)", (), "ATPA/ATPDEA lapsed on 31 July 2013"),
        Program("JO", "US-Jordan FTA (GN 18)", ("JO",)),
        Program("JP", "US-Japan Trade Agreement (GN 36)", ("JP",)),
        Program("K", "Agreement on Trade in Pharmaceutical Products (GN 13)", (), _END_USE),
        Program("KR", "US-Korea FTA (GN 33)", ("KR",)),
        Program("L", "Uruguay Round concessions on intermediate chemicals for dyes (GN 14)", (), _END_USE),
        Program("MA", "US-Morocco FTA (GN 27)", ("MA",)),
        Program("MX", "NAFTA, Mexico (GN 12)", (), _NAFTA),
        Program(
            "NP", "Nepal Trade Preference Act", ("NP",), "proclaimed through 31 December 2025; check it still applies"
        ),
        Program("OM", "US-Oman FTA (GN 31)", ("OM",)),
        Program("P", "CAFTA-DR (GN 29)", _CAFTA_DR),
        Program("P+", "CAFTA-DR Plus (GN 29)", _CAFTA_DR, "P+: the rate may differ between CAFTA-DR countries"),
        Program("PA", "US-Panama TPA (GN 35)", ("PA",)),
        Program("PE", "US-Peru TPA (GN 32)", ("PE",)),
        Program("R", "CBTPA (GN 17)", (), _NOT_IN_FILE),
        Program("S", "USMCA (GN 11)", ("CA", "MX")),
        Program("S+", "USMCA Plus (GN 11)", ("CA", "MX"), "S+: the rate may differ between Canada and Mexico"),
        Program("SG", "US-Singapore FTA (GN 25)", ("SG",)),
    )
}

# General note 3(b): Cuba and North Korea, and since 9 April 2022 Russia and Belarus (Suspending
# Normal Trade Relations with Russia and Belarus Act, Pub. L. 117-110: "the rates of duty set forth
# in column 2 ... shall apply to all products of the Russian Federation and of the Republic of Belarus").
COLUMN2_COUNTRIES: tuple[str, ...] = ("BY", "CU", "KP", "RU")

_HTSNO = re.compile(r"[0-9]{4}(?:\.?[0-9]{2}){0,3}")
_CH99_REF = re.compile(r"(?<![0-9.])(99[0-9]{2})\.([0-9]{2})\.([0-9]{2})(?![0-9])")
_PROGRAM_LIST = re.compile(r"\(\s*([A-Z]{1,2}[*+]?(?:\s*,\s*[A-Z]{1,2}[*+]?)*)\s*\)")
# "The duty provided in the applicable subheading + 25%" (also "plus 25%"; the file's spacing varies).
_PLUS_PERCENT = re.compile(r"thedutyprovidedintheapplicablesubheading(?:\+|plus)([0-9]+(?:\.[0-9]+)?)%")
_NO_CHANGE = "thedutyprovidedintheapplicablesubheading"
_DATE = r"([A-Za-z]+)\s+([0-9]{1,2}),\s*([0-9]{4})"
_FROM = re.compile(r"on or after\s+" + _DATE, re.IGNORECASE)
_TO = re.compile(r"\b(before|through)\s+" + _DATE, re.IGNORECASE)
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_EDITION_BASIC = re.compile(r"(?<![0-9])(20[0-9]{2})[^0-9]{0,12}?basic", re.IGNORECASE)
_EDITION_REVISION = re.compile(
    r"(?<![0-9])(20[0-9]{2})[^0-9]{0,12}?rev(?:ision)?[^0-9]{0,3}([0-9]{1,2})", re.IGNORECASE
)

# CSV header -> field (matched ignoring case and spaces around); the first six must be there.
_CSV_COLUMNS = {
    "HTS Number": "htsno",
    "Indent": "indent",
    "Description": "description",
    "General Rate of Duty": "general",
    "Special Rate of Duty": "special",
    "Column 2 Rate of Duty": "other",
    "Unit of Quantity": "units",
    "Quota Quantity": "quotaQuantity",
    "Additional Duties": "additionalDuties",
}
_CSV_FIELDS = {name.lower(): field for name, field in _CSV_COLUMNS.items()}
_CSV_REQUIRED = tuple(_CSV_COLUMNS)[:6]
_MAX_INDENT = 30


@dataclass(frozen=True, slots=True)
class _Line:
    """One row of the export, checked: ``code`` is digits only, ``None`` for a text-only line."""

    row: int
    htsno: str
    code: str | None
    indent: int
    description: str
    general: str
    special: str
    other: str
    footnotes: tuple[str, ...]
    quota: str
    additional: str

    @property
    def has_rate(self) -> bool:
        return bool(self.general or self.special or self.other)


@dataclass(slots=True)
class _Node:
    line: _Line
    rate_row: int | None  # set when this line publishes a rate


def parse_us(data: bytes, *, file_name: str = "") -> ParsedSchedule:
    """Read a USITC HTS export (JSON or CSV, UTF-8, BOM accepted) into a :class:`ParsedSchedule`.

    Raises :class:`ScheduleFileError` naming the row and field when the bytes are not such an
    export (not UTF-8, neither format, wrong CSV header, a bad or repeated ``htsno``, an object
    where a list is expected) or when ``file_name`` does not give the HTS edition.
    """
    revision, valid_from, assumed_date = _edition(file_name)
    text = _decode(data)
    body = text.lstrip()
    if not body:
        raise ScheduleFileError(None, "file", "the file is empty")
    fmt: Literal["json", "csv"]
    if body[0] in "[{":
        fmt, lines = "json", _read_json(text)
    elif "," in body.split("\n", 1)[0]:
        fmt, lines = "csv", _read_csv(text)
    else:
        raise ScheduleFileError(
            1, "file", "neither the HTS JSON export (a list of objects) nor its CSV export ('HTS Number,Indent,...')"
        )
    if not lines:
        raise ScheduleFileError(None, "file", "the export has no rows")
    builder = _Builder()
    for line in lines:
        builder.add(line)
    measures, skipped = builder.finish()
    notes: list[SkippedRow] = []
    if assumed_date:
        notes.append(
            SkippedRow(
                row=0,
                code=None,
                field="valid_from",
                reason=f"the file does not say when {revision} took effect: assumed {valid_from.isoformat()}, "
                "the start of the edition year (a revision takes effect later)",
            )
        )
    if fmt == "csv":
        notes.append(
            SkippedRow(
                row=0,
                code=None,
                field="footnotes",
                reason="the CSV export has no footnotes, so Section 301 and other chapter 99 additional duties "
                "cannot be linked to its lines and none are loaded; import the JSON export for them",
            )
        )
    return ParsedSchedule(
        source="us-hts",
        destination="US",
        revision=revision,
        valid_from=valid_from,
        measures=measures,
        descriptions=builder.descriptions,
        skipped=notes + skipped,
        rows_read=len(lines),
        publisher=PUBLISHER,
    )


# --- edition, bytes, formats ------------------------------------------------------------------------------------


def _edition(file_name: str) -> tuple[str, dt.date, bool]:
    """(revision label, valid_from, whether the date is assumed) from a USITC file name."""
    name = re.split(r"[/\\]", file_name)[-1]
    if m := _EDITION_REVISION.search(name):
        year, number = int(m.group(1)), int(m.group(2))
        return f"{year} Revision {number}", dt.date(year, 1, 1), True
    if m := _EDITION_BASIC.search(name):
        year = int(m.group(1))
        return f"{year} Basic Edition", dt.date(year, 1, 1), False
    raise ScheduleFileError(
        None,
        "file_name",
        f"cannot tell the HTS edition from {name!r}: name the file as USITC does, e.g. "
        "hts_2026_basic_edition_json.json or hts_2026_revision_3_json.json (or .csv)",
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScheduleFileError(
            line, "encoding", f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); export it as UTF-8"
        ) from None


def _read_json(text: str) -> list[_Line]:
    try:
        items = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        at = re.search(r"byte ([0-9]+)", str(exc))
        # msgspec gives a byte offset, or none when the text stops short (then: the last line).
        head = text.encode()[: int(at.group(1))] if at else text.encode()
        line = head.count(b"\n") + 1
        raise ScheduleFileError(line, "file", f"not valid JSON: {exc}") from None
    if not isinstance(items, list):
        keys = ", ".join(sorted(items)[:5]) if isinstance(items, dict) else type(items).__name__
        raise ScheduleFileError(None, "file", f"expected a JSON list of HTS rows, got an object ({keys})")
    return [_json_line(n, item) for n, item in enumerate(items, start=1)]


def _json_line(row: int, item: object) -> _Line:
    if not isinstance(item, dict):
        raise ScheduleFileError(row, "item", f"expected an object with htsno and indent, got {type(item).__name__}")
    if "htsno" not in item or "indent" not in item:
        raise ScheduleFileError(row, "htsno" if "htsno" not in item else "indent", "missing: not an HTS export row")
    htsno = _text(item, "htsno", row)
    return _Line(
        row=row,
        htsno=htsno,
        code=_code_of(row, htsno, _text(item, "statisticalSuffix", row)),
        indent=_indent(item["indent"], row),
        description=_text(item, "description", row),
        general=_text(item, "general", row),
        special=_text(item, "special", row),
        other=_text(item, "other", row),
        footnotes=_footnotes(item.get("footnotes"), row),
        quota=_scalar(item, "quotaQuantity", row),
        additional=_scalar(item, "additionalDuties", row),
    )


def _text(item: dict[str, Any], key: str, row: int) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScheduleFileError(row, key, f"expected text or null, got {type(value).__name__}")
    return " ".join(value.split())


def _scalar(item: dict[str, Any], key: str, row: int) -> str:
    value = item.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _text(item, key, row)


def _footnotes(value: object, row: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ScheduleFileError(row, "footnotes", f"expected a list of footnote objects, got {type(value).__name__}")
    texts: list[str] = []
    for note in value:
        if not isinstance(note, dict):
            raise ScheduleFileError(row, "footnotes", f"expected footnote objects, got {type(note).__name__}")
        columns = note.get("columns")
        if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
            raise ScheduleFileError(row, "footnotes", "footnote 'columns' must be a list of column names")
        texts.append(_text(note, "value", row))
    return tuple(t for t in texts if t)


def _indent(value: object, row: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value)
    else:
        raise ScheduleFileError(row, "indent", f"expected a whole number, got {value!r}")
    if not 0 <= number <= _MAX_INDENT:
        raise ScheduleFileError(row, "indent", f"{number} is outside 0..{_MAX_INDENT}")
    return number


def _code_of(row: int, htsno: str, suffix: str) -> str | None:
    if not htsno:
        if suffix:
            raise ScheduleFileError(row, "statisticalSuffix", "a statistical suffix without an htsno")
        return None
    if not _HTSNO.fullmatch(htsno):
        raise ScheduleFileError(
            row, "htsno", f"{htsno!r} is not an HTS number (4, 6, 8 or 10 digits, as in 6109.10.00.04)"
        )
    code = htsno.replace(".", "")
    if suffix:
        if len(code) == 8 and len(suffix) == 2 and suffix.isascii() and suffix.isdigit():
            return code + suffix
        if len(code) != 10 or code[8:] != suffix:
            raise ScheduleFileError(row, "statisticalSuffix", f"{suffix!r} does not fit htsno {htsno!r}")
    return code


def _read_csv(text: str) -> list[_Line]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ScheduleFileError(1, "header", f"no CSV header: {exc}") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in _CSV_REQUIRED if c.lower() not in names]
    if missing or len(set(names)) != len(names):
        problem = f"missing {', '.join(repr(m) for m in missing)}" if missing else "a column is named twice"
        raise ScheduleFileError(
            1, "header", f"not the HTS CSV export header ({problem}); it starts 'HTS Number,Indent,Description,'"
        )
    fields = [_CSV_FIELDS.get(n) for n in names]
    return [_csv_line(row, fields, record) for row, record in _csv_records(reader, len(header))]


def _csv_records(reader: Any, width: int) -> Iterator[tuple[int, list[str]]]:
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record: list[str] | None = next(reader, None)
        except csv.Error as exc:
            raise ScheduleFileError(start, "file", f"not readable as CSV: {exc}") from None
        if record is None:
            return
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != width:
            raise ScheduleFileError(start, "columns", f"{len(record)} fields, but the header has {width}")
        yield start, record


def _csv_line(row: int, fields: list[str | None], record: list[str]) -> _Line:
    item = {f: cell for f, cell in zip(fields, record, strict=True) if f is not None}
    htsno = _text(item, "htsno", row)
    return _Line(
        row=row,
        htsno=htsno,
        code=_code_of(row, htsno, ""),
        indent=_indent(item["indent"], row),
        description=_text(item, "description", row),
        general=_text(item, "general", row),
        special=_text(item, "special", row),
        other=_text(item, "other", row),
        footnotes=(),
        quota=_text(item, "quotaQuantity", row),
        additional=_text(item, "additionalDuties", row),
    )


# --- measures ---------------------------------------------------------------------------------------------------


class _Builder:
    """Walks the lines in file order; the hierarchy is the indent stack."""

    def __init__(self) -> None:
        self.descriptions: dict[str, str] = {}
        self._measures: list[ScheduleMeasure] = []
        self._skipped: list[SkippedRow] = []
        self._seen: dict[str, int] = {}
        self._stack: list[_Node] = []
        self._rate_lines: dict[int, _Line] = {}  # row -> line that publishes a rate
        self._at_code: dict[str, int] = {}  # code -> row of the rate line whose measures sit on that code
        self._inheriting: list[tuple[_Line, int]] = []  # coded lines without a rate, and their rate line
        self._reported: set[int] = set()  # rate lines whose unreadable parts were already reported
        self._chapter99: dict[str, _Line] = {}
        self._referenced99: set[str] = set()
        self._references: dict[int, tuple[_Line, list[str]]] = {}

    def add(self, line: _Line) -> None:
        if line.code is not None:
            if line.code in self._seen:
                raise ScheduleFileError(line.row, "htsno", f"{line.htsno} is already at row {self._seen[line.code]}")
            self._seen[line.code] = line.row
        while self._stack and self._stack[-1].line.indent >= line.indent:
            self._stack.pop()
        if line.code is not None and line.code.startswith("99"):
            self._chapter99[line.code] = line  # applies through other lines' footnotes, see _resolve_references
            self._stack.append(_Node(line, None))
            return
        carrier = self._carrier(line)
        if line.code is not None:
            self.descriptions[line.code] = _path(n.line.description for n in [*self._stack, _Node(line, None)])
        if line.has_rate:
            self._rate_lines[line.row] = line
            if line.code is not None:
                self._emit_rates(line, line.code, copied_to=None)
                self._at_code[line.code] = line.row
        elif line.code is not None and carrier is not None:
            self._inheriting.append((line, carrier))
        elif line.code is not None and len(line.code) == 10:
            self._skip(line, line.code, "general", "no rate on this line or on any line above it")
        self._extras(line)
        self._stack.append(_Node(line, line.row if line.has_rate else None))

    def _carrier(self, line: _Line) -> int | None:
        """Row of the nearest line above by indent that publishes a rate, within ``line``'s own branch.

        A coded line above whose code is not a prefix of ``line``'s marks a break in the hierarchy
        (or a slice of the schedule): nothing above it is inherited.
        """
        for node in reversed(self._stack):
            above = node.line.code
            if above is not None and line.code is not None and not line.code.startswith(above):
                return None
            if node.rate_row is not None:
                return node.rate_row
        return None

    def finish(self) -> tuple[list[ScheduleMeasure], list[SkippedRow]]:
        self._resolve_inheritance()
        self._resolve_references()
        for code, line in self._chapter99.items():
            if code not in self._referenced99:
                self._skip(
                    line,
                    code,
                    "htsno",
                    "chapter 99 provision: it changes the duty of the lines that refer to it and is not a code "
                    "of its own; no line in this file refers to it",
                )
        self._measures.sort(key=lambda m: m.row)
        self._skipped.sort(key=lambda s: s.row)
        return self._measures, self._skipped

    # rates of one line ---------------------------------------------------------------------------------------------

    def _emit_rates(self, rates: _Line, code: str, copied_to: _Line | None) -> None:
        notes = []
        if copied_to is not None:
            notes.append(
                f"rate of row {rates.row}, the line above row {copied_to.row} by indent; repeated on {code} "
                "because no code above it carries the rate"
            )
        if rates.quota:
            notes.append(f"quota quantity: {rates.quota}")
        note = "; ".join(notes) or None
        if rates.general:
            self._add("third_country", code, rates.general, rates.row, "General", None, None, note)
        if rates.special:
            self._emit_special(rates, code, note)
        if rates.other:
            self._add("column2", code, rates.other, rates.row, "Column 2", COLUMN2_COUNTRIES, None, note)
        self._reported.add(rates.row)

    def _emit_special(self, rates: _Line, code: str, note: str | None) -> None:
        groups, problems = _special_groups(rates.special)
        for rate, symbols in groups:
            for symbol in symbols:
                program = PROGRAMS.get(symbol)
                if program is None:
                    problems.append(f"unknown special program symbol {symbol!r} (rate {rate}): not loaded")
                    continue
                joined = "; ".join(n for n in (note, program.note) if n) or None
                self._add(
                    "preferential", code, rate, rates.row, symbol, program.origins, f"{symbol}: {program.name}", joined
                )
        if rates.row not in self._reported:
            for problem in problems:
                self._skipped.append(SkippedRow(row=rates.row, code=code, field="special", reason=problem))

    def _add(
        self,
        measure_type: Literal["third_country", "preferential", "column2"],
        code: str,
        expression: str,
        row: int,
        origin_group: str,
        origins: tuple[str, ...] | None,
        program: str | None,
        note: str | None,
    ) -> None:
        self._measures.append(
            ScheduleMeasure(
                code=code,
                measure_type=measure_type,
                expression=expression,
                origin_group=origin_group,
                origins=origins,
                program=program,
                row=row,
                note=note,
            )
        )

    def _extras(self, line: _Line) -> None:
        for text in line.footnotes:
            for match in _CH99_REF.finditer(text):
                heading = "".join(match.groups())
                if line.code is None:
                    self._skip(line, None, "footnotes", f"{_dotted(heading)} referenced from a line without an htsno")
                    continue
                refs = self._references.setdefault(line.row, (line, []))[1]
                if heading not in refs:
                    refs.append(heading)
        if line.quota and not line.has_rate:
            self._skip(line, line.code, "quotaQuantity", f"quota quantity {line.quota!r} on a line without a rate")
        if line.additional:
            self._skip(
                line,
                line.code,
                "additionalDuties",
                f"{line.additional!r}: an additional duty whose conditions (e.g. a safeguard trigger) are not in "
                "this file; not loaded",
            )

    def _skip(self, line: _Line, code: str | None, field: str, reason: str) -> None:
        self._skipped.append(SkippedRow(row=line.row, code=code, field=field, reason=reason))

    # inheritance by indent -----------------------------------------------------------------------------------------

    def _resolve_inheritance(self) -> None:
        """Repeat a rate on an inheriting code when a longest-prefix match would not find that rate."""
        for line, carrier in self._inheriting:
            if line.code is None:  # only coded lines are queued
                continue
            prefix = next(
                (line.code[:n] for n in range(len(line.code) - 1, 1, -1) if line.code[:n] in self._at_code), None
            )
            if prefix is not None and self._at_code[prefix] == carrier:
                continue
            self._emit_rates(self._rate_lines[carrier], line.code, copied_to=line)
            self._at_code[line.code] = carrier

    # chapter 99: Section 301 and the rest --------------------------------------------------------------------------

    def _resolve_references(self) -> None:
        for line, headings in self._references.values():
            if line.code is None:  # references from text lines were reported in _extras
                continue
            added = [m for h in headings if (m := self._chapter99_measure(line, line.code, h)) is not None]
            for measure in added:
                others = ", ".join(m.program or "" for m in added if m is not measure)
                note = f"{measure.note}; the line also refers to {others}: check whether both apply"
                self._measures.append(msgspec.structs.replace(measure, note=note) if others else measure)

    def _chapter99_measure(self, line: _Line, code: str, heading: str) -> ScheduleMeasure | None:
        dotted = _dotted(heading)
        kind = _chapter99_kind(heading)
        if kind != "section301":
            self._skip(line, code, "footnotes", kind)
            return None
        target = self._chapter99.get(heading)
        if target is None:
            self._skip(
                line, code, "footnotes", f"Section 301 heading {dotted} is referenced but not in this file: not loaded"
            )
            return None
        self._referenced99.add(heading)
        reason, percent = _section301_rate(target)
        if percent is None:
            self._skip(line, code, "footnotes", f"Section 301 heading {dotted} (row {target.row}) {reason}")
            return None
        valid_from, valid_to = _entry_dates(target.description)
        return ScheduleMeasure(
            code=code,
            measure_type="additional",
            expression=f"{percent}%",
            origin_group="CN",
            origins=("CN",),
            program=f"Section 301 ({dotted})",
            valid_from=valid_from,
            valid_to=valid_to,
            row=line.row,
            note=f"{dotted} (row {target.row}): {target.general}",
        )


def _section301_rate(target: _Line) -> tuple[str, str | None]:
    """The "+ N%" of a Section 301 heading, or why there is none to load."""
    description = target.description.lower()
    if "product of china" not in description:
        return "does not say 'the product of China': not loaded", None
    if "suspended" in description:
        return "is marked suspended: not loaded", None
    squeezed = "".join(target.general.lower().split())
    if squeezed == _NO_CHANGE:
        return "adds no duty (an exclusion): nothing to load", None
    match = _PLUS_PERCENT.fullmatch(squeezed)
    if match is None:
        return f"has General text {target.general!r}, not '... + N%': not loaded", None
    if float(match.group(1)) == 0:
        return "adds 0%: nothing to load", None
    return "", match.group(1)


def _chapter99_kind(heading: str) -> str:
    """``"section301"`` for the China headings this importer loads, otherwise the reason it does not."""
    dotted = _dotted(heading)
    group = int(heading[4:6]) if heading.startswith("9903") else None
    if group in (88, 91):  # U.S. notes 20 and 31 to subchapter III of chapter 99: products of China
        return "section301"
    if group is not None and 80 <= group <= 85:
        return (
            f"Section 232 heading {dotted} (steel, aluminium, copper) is referenced: not loaded; its product "
            "scope, metal content and origins are set by U.S. notes to chapter 99, not by this line"
        )
    return f"chapter 99 heading {dotted} is referenced: not loaded (only Section 301 headings 9903.88 and 9903.91 are)"


def _entry_dates(description: str) -> tuple[dt.date | None, dt.date | None]:
    """Entry dates of a chapter 99 heading ("on or after June 15, 2024 and through November 9, 2026")."""
    start = _FROM.search(description)
    if start is None:
        return None, None
    valid_from = _date(*start.groups())
    end = _TO.search(description, start.end())
    if end is None:
        return valid_from, None
    valid_to = _date(*end.groups()[1:])
    if valid_to is not None and end.group(1).lower() == "through":
        valid_to += dt.timedelta(days=1)  # valid_to is exclusive
    return valid_from, valid_to


def _date(month: str, day: str, year: str) -> dt.date | None:
    number = _MONTHS.get(month.lower())
    try:
        return dt.date(int(year), number, int(day)) if number else None
    except ValueError:
        return None


def _special_groups(text: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """ "Free (A+,AU,BH) 2.8¢/liter (JO)" -> [("Free", ["A+", "AU", "BH"]), ("2.8¢/liter", ["JO"])]."""
    groups: list[tuple[str, list[str]]] = []
    problems: list[str] = []
    position = 0
    for match in _PROGRAM_LIST.finditer(text):
        rate = text[position : match.start()].strip()
        symbols = [s.strip() for s in match.group(1).split(",")]
        position = match.end()
        if not rate:
            problems.append(f"no rate before ({match.group(1)}): not loaded")
        elif rate.lower().startswith("see "):
            problems.append(f"{', '.join(symbols)}: {rate}, a provision elsewhere in the schedule: not loaded")
        else:
            groups.append((rate, symbols))
    if rest := text[position:].strip():
        problems.append(f"special rate text {rest!r} not understood: not loaded")
    return groups, problems


def _path(descriptions: Iterator[str]) -> str:
    return ": ".join(d.rstrip(": ") for d in descriptions if d.rstrip(": "))


def _dotted(code: str) -> str:
    return ".".join([code[:4], *(code[i : i + 2] for i in range(4, len(code), 2))])
