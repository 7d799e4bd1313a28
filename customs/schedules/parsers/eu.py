"""EU TARIC importer: DG TAXUD's monthly "Duties Import" extraction, as XLSX or a CSV export of its sheet.

The Commission publishes the TARIC database as monthly spreadsheets in the CIRCABC "taric_data"
distribution ("Duties Import 01-99.xlsx" and siblings), with a projection date on the first day of
the following month. The duties sheet has one row per measure and these columns (as published, and
as read by third-party importers of the same file, e.g. CargoWise's EU tariff producer)::

    Goods code, Add code, Order No., Start date, End date, RED_IND, Origin, Measure type,
    Legal base, Duty, Origin code, Meas. type code

Header cells are matched without surrounding spaces and case (one variant prints " Measure type");
the ones in :data:`REQUIRED_COLUMNS` must be there. The header is the sheet's first non-empty row.
XLSX: the first sheet, read in openpyxl's read-only mode after the archive's declared sizes are
checked (a zip bomb is refused before anything is inflated). CSV: UTF-8, comma, semicolon or tab
separated (whichever splits the header into the columns).

**Goods codes** are 10 digits, often spaced ("6109 10 00 10"), sometimes with the product line
suffix ("0101210000 80") or, from a spreadsheet cell, as a number that lost its leading zero; all
are read. Trailing "00" pairs are dropped (see :func:`~customs.schedules.parsers._common.goods_code`):
a measure on ``6109000000`` applies to every code under heading 6109 and is stored as ``6109``.

**Dates** are ``dd-mm-yyyy`` text as the extraction writes them (also ``dd/mm/yyyy``, ``dd.mm.yyyy``,
``yyyy-mm-dd`` and real date cells); a bare number is refused rather than guessed as an Excel serial.
End dates are inclusive, ``valid_to`` is the day after.

**Measures.** The sheet has no measure id: a row repeating another's goods code, additional code,
order number, origin, type and start date is refused as a duplicate. Exclusions from a group are
published in a separate extraction ("Measure exclusions"), not read here: ``excluded_origins`` is
always empty. Group members are not in the sheet either: they come from the EU's geographical areas
imported first (``orderhub tariff import FILE --source eu-geographical-areas``, a TARIC3 XML
extraction, :func:`~customs.schedules.parsers.areas.parse_eu_taric3_areas`); without them a measure
on a group other than ``1011`` ERGA OMNES has ``origins=()`` and a note.

**revision / valid_from.** The sheet carries no edition: the revision is the file name (if given)
and the latest measure start in the file; valid_from is the earliest measure start, each measure
carrying its own dates.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Generator, Iterator, Mapping, Sequence
from typing import Final

from customs.schedules.model import ParsedSchedule, ScheduleFileError
from customs.schedules.parsers._common import (
    Collector,
    Fields,
    KnownGroups,
    RawMeasure,
    decode_text,
    exclusive_end,
    first_character,
    goods_code,
    lines,
)

__all__ = ["MAX_XLSX_INFLATED_BYTES", "PUBLISHER", "REQUIRED_COLUMNS", "parse_eu"]

PUBLISHER: Final = "European Commission, DG TAXUD (TARIC)"
# The real sheet inflates to a few hundred MB; past this the archive is refused unread.
MAX_XLSX_INFLATED_BYTES: Final = 1024 * 1024 * 1024

REQUIRED_COLUMNS: Final = ("Goods code", "Start date", "End date", "Duty", "Origin code", "Meas. type code")
_OPTIONAL_COLUMNS: Final = ("Add code", "Order No.", "Origin", "Measure type", "Legal base", "RED_IND")
_FIELDS: Final = Fields("Meas. type code", "Order No.", "Add code")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ][0-9:.]+)?")
_UK_HEADER: Final = frozenset({"commodity__code", "measure__sid", "measure__type__id"})

Cell = object
Rows = Iterator[tuple[int, Sequence[Cell]]]
Sheet = Generator[tuple[int, Sequence[Cell]], None, None]


def parse_eu(data: bytes, *, file_name: str = "", groups: KnownGroups | None = None) -> ParsedSchedule:
    """Read a TARIC "Duties Import" extraction: the XLSX workbook, or a CSV export of its sheet.
    ``groups``: the EU origin groups imported from a TARIC3 extraction (``eu-geographical-areas``)."""
    with _quiet_openpyxl():
        if data.startswith(b"PK\x03\x04") or file_name.lower().endswith(".xlsx"):
            with contextlib.closing(_xlsx_rows(data)) as sheet:  # closes the workbook on an error too
                return _read(sheet, file_name, groups)
        text = decode_text(data)
        head = first_character(text)
        if not head:
            raise ScheduleFileError(None, "file", "the file is empty")
        if head in "{[":
            raise ScheduleFileError(
                None, "file", "this is JSON (a UK Trade Tariff API document?), not a TARIC Duties export"
            )
        return _read(_csv_rows(text), file_name, groups)


@contextlib.contextmanager
def _quiet_openpyxl() -> Iterator[None]:
    """openpyxl warns about styles and extensions it does not read; they say nothing about the data."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        yield


def _xlsx_rows(data: bytes) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise ScheduleFileError(
            None, "file", "not a readable XLSX workbook: the ZIP archive is truncated or corrupt"
        ) from None
    # The sizes the archive declares (zipfile enforces them while inflating): a zip bomb is refused unread.
    if inflated > MAX_XLSX_INFLATED_BYTES:
        raise ScheduleFileError(
            None, "file", f"the workbook would inflate to more than {MAX_XLSX_INFLATED_BYTES // 2**20} MB"
        )
    import openpyxl  # noqa: PLC0415  (only for XLSX files)

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ScheduleFileError(None, "file", f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        if not workbook.worksheets:
            raise ScheduleFileError(None, "file", "the workbook has no sheet")
        rows = workbook.worksheets[0].iter_rows(min_row=1, values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                raise ScheduleFileError(
                    number + 1, "file", f"the sheet cannot be read past row {number} ({type(exc).__name__}): truncated?"
                ) from None
            number += 1
            yield number, values
    finally:
        workbook.close()


def _csv_rows(text: str) -> Rows:
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = ","
    for candidate in (",", ";", "\t"):
        cells = next(csv.reader([first_line], delimiter=candidate), [])
        if "goods code" in {" ".join(cell.split()).lower() for cell in cells}:
            delimiter = candidate
            break
    reader = csv.reader(lines(text), delimiter=delimiter, strict=True)
    line = 0
    try:
        for record in reader:
            start_line, line = line + 1, reader.line_num
            yield start_line, record
    except csv.Error as exc:
        raise ScheduleFileError(reader.line_num, "row", f"not readable as CSV: {exc}") from None


def _text(value: Cell) -> str:
    """A cell as text: a number cell (a code or a type that lost its text format) without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _blank(values: Sequence[Cell]) -> bool:
    return all(_text(value) == "" for value in values)


def _header(rows: Rows) -> tuple[int, dict[str, int], list[str]]:
    """The header row: its number, the column of each field (by its canonical name), the names as written."""
    for number, values in rows:
        if _blank(values):
            continue
        written = [_text(value) for value in values]
        folded = {" ".join(name.split()).lower(): i for i, name in enumerate(written) if name}
        if _UK_HEADER & set(folded):
            message = "this is the UK Trade Tariff measures CSV, not a TARIC Duties export: use the UK importer"
            raise ScheduleFileError(number, "header", message)
        names = (*REQUIRED_COLUMNS, *_OPTIONAL_COLUMNS)
        column = {name: folded[name.lower()] for name in names if name.lower() in folded}
        missing = [name for name in REQUIRED_COLUMNS if name not in column]
        if missing:
            raise ScheduleFileError(
                number, "header", f"not a TARIC Duties export: missing column(s) {', '.join(missing)}"
            )
        return number, column, written
    raise ScheduleFileError(None, "header", "the sheet is empty")


def _read(rows: Rows, file_name: str, groups: KnownGroups | None) -> ParsedSchedule:
    out = Collector("EU", _FIELDS, groups)
    _, column, written = _header(rows)
    width = len(written)
    for number, values in rows:
        if _blank(values):
            continue
        if isinstance(values, list) and len(values) != width:  # a CSV line; a sheet's rows vary in length
            raise ScheduleFileError(
                number, "row", f"{len(values)} fields where the header has {width}: a cut or misquoted line"
            )
        _row(out, number, values, column)
    first, last = out.span("no measure rows after the header")
    name = re.split(r"[\\/]", file_name)[-1].rsplit(".", 1)[0].strip() or "TARIC Duties Import"
    return ParsedSchedule(
        source="eu-taric",
        destination="EU",
        revision=f"{name}, latest measure start {last.isoformat()}",
        valid_from=first,
        measures=out.measures,
        skipped=out.skipped,
        rows_read=out.rows_read,
        publisher=PUBLISHER,
    )


def _row(out: Collector, number: int, values: Sequence[Cell], column: Mapping[str, int]) -> None:
    def cell(name: str) -> Cell:
        i = column.get(name)
        return values[i] if i is not None and i < len(values) else None

    def text(name: str) -> str:
        return _text(cell(name))

    full, code = goods_code(text("Goods code"), row=number, field="Goods code", suffix=True)
    type_id = text("Meas. type code").upper()
    if not type_id:
        raise ScheduleFileError(number, "Meas. type code", "the measure type is empty")
    origin = text("Origin code").upper()
    if not origin:
        raise ScheduleFileError(number, "Origin code", "the origin is empty")
    start = _date(cell("Start date"), row=number, field="Start date")
    if start is None:
        raise ScheduleFileError(number, "Start date", "the start date is empty")
    end = _date(cell("End date"), row=number, field="End date")
    additional = text("Add code").replace(" ", "")
    order = text("Order No.")
    out.once(
        (full, additional, order, origin, type_id, start),
        row=number,
        field="Goods code",
        what=f"measure type {type_id} for {origin} on {full} from {start.isoformat()}",
    )
    out.take(
        RawMeasure(
            row=number,
            full_code=full,
            code=code,
            type_id=type_id,
            type_description=text("Measure type"),
            expression=text("Duty"),
            start=start,
            valid_to=exclusive_end(end, start, row=number, field="End date"),
            area=origin,
            area_description=text("Origin"),
            additional_code=additional,
            order_number=order,
        )
    )


def _date(value: Cell, *, row: int, field: str) -> dt.date | None:
    """A published date: ``dd-mm-yyyy`` text (also ``/`` or ``.``, or ISO), or a date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ScheduleFileError(
            row, field, f"{value!r} is a number, not a date (an Excel serial? format the cells as dd-mm-yyyy dates)"
        )
    text = _text(value)
    if not text:
        return None
    day_first, iso = _DAY_FIRST.fullmatch(text), _ISO.fullmatch(text)
    try:
        if day_first is not None:
            day, month, year = (int(part) for part in day_first.groups())
            return dt.date(year, month, day)
        if iso is not None:
            year, month, day = (int(part) for part in iso.groups())
            return dt.date(year, month, day)
    except ValueError:
        raise ScheduleFileError(row, field, f"{text!r} is not a date (no such day)") from None
    raise ScheduleFileError(row, field, f"{text!r} is not a date (dd-mm-yyyy)")
