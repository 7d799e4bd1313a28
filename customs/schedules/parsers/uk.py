"""UK Trade Tariff importer: the bulk CSV, and the Online Trade Tariff API v2 commodity documents.

**CSV.** The Department for Business and Trade's dataset ``uk-tariff-2021-01-01`` on
data.api.trade.gov.uk, table ``measures-on-declarable-commodities`` (every measure repeated on each
declarable 10-digit code it applies to, inherited ones included) or ``measures-as-defined`` (each
measure once, on the code it is defined on, with ``commodity__indent``). Columns as the dataset's
generator writes them (``id, commodity__sid, commodity__code, commodity__indent,
commodity__description, measure__sid, measure__type__id, measure__type__description,
measure__additional_code__code, measure__additional_code__description, measure__duty_expression,
measure__effective_start_date, measure__effective_end_date, measure__reduction_indicator,
measure__footnotes, measure__conditions, measure__geographical_area__sid,
measure__geographical_area__id, measure__geographical_area__description,
measure__excluded_geographical_areas__ids, measure__excluded_geographical_areas__descriptions,
measure__quota__order_number, measure__regulation__id, measure__regulation__url``); only the ones in
:data:`REQUIRED_COLUMNS` must be there. Dates are ``YYYY-MM-DD``, ``#NA`` means no value, lists
(excluded areas) are ``|``-separated. The same measure (``measure__sid``) is on many codes; the same
measure twice on one code is an error.

**JSON.** ``GET /api/v2/commodities/{code}`` (or ``/headings/{code}`` for a declarable heading):
one JSON:API document (``data`` + ``included``), a JSON array of them, or JSON Lines (one document a
line) for a whole catalog. Each of ``data.relationships.import_measures`` is read from ``included``
with its ``measure_type``, ``duty_expression`` (``base``, kept as published), ``geographical_area``
(whose ``children_geographical_areas`` are the group's members), ``excluded_countries``,
``additional_code`` and ``order_number``. Export measures are not read.

**Codes** are stored at the level they denote (see :func:`~customs.schedules.parsers._common.goods_code`):
a measure on ``6109000000`` (measures-as-defined) is stored on ``6109``; declarable codes are kept.

**Rows.** CSV: the 1-based line the record starts on. JSON: the document's item number (its line in
JSON Lines, its 1-based index in an array, 1 for a single document); ``rows_read`` counts the import
measures read.

**revision / valid_from.** A CSV named as the dataset's download ("uk-tariff-2021-01-01--v4.0.1527--
measures-on-declarable-commodities.csv") has revision "uk-tariff-2021-01-01 v4.0.1527
measures-on-declarable-commodities" and valid_from the dataset's date (2021-01-01). Otherwise (and
for JSON) the revision is "latest measure start YYYY-MM-DD" after the format's name, and valid_from
the earliest measure start in the file: the file says nothing else about its date, and each
measure carries its own dates.

**Origins.** ``1011`` ERGA OMNES is every origin; a country is itself; a group is its members as
the API document lists them, else as :data:`~customs.schedules.parsers.origins.UK_GROUPS` has
them, else ``()`` with a note (members unknown).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import msgspec

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
    iso_date,
    lines,
)

__all__ = ["PUBLISHER", "REQUIRED_COLUMNS", "parse_uk"]

PUBLISHER: Final = "HM Revenue & Customs / Department for Business and Trade (UK Trade Tariff)"

REQUIRED_COLUMNS: Final = (
    "commodity__code",
    "measure__sid",
    "measure__type__id",
    "measure__duty_expression",
    "measure__effective_start_date",
    "measure__effective_end_date",
    "measure__geographical_area__id",
    "measure__excluded_geographical_areas__ids",
)
_OPTIONAL_COLUMNS: Final = (
    "commodity__description",
    "measure__type__description",
    "measure__additional_code__code",
    "measure__additional_code__description",
    "measure__geographical_area__description",
    "measure__quota__order_number",
)
_NA: Final = frozenset({"", "#NA", "#N/A"})
_CSV_FIELDS: Final = Fields("measure__type__id", "measure__quota__order_number", "measure__additional_code__code")
_API_FIELDS: Final = Fields("measure_type", "order_number", "additional_code")
_DATASET_FILE = re.compile(r"(uk-tariff-(\d{4}-\d{2}-\d{2}))--(v\d+(?:\.\d+)*)--([a-z0-9-]+?)(?:\.csv)?", re.IGNORECASE)
_INTEGER = re.compile(r"-?[0-9]+")
_DOCUMENT_TYPES: Final = frozenset({"commodity", "heading"})
_TARIC_HEADER: Final = frozenset({"goods code", "meas. type code", "origin code"})


def parse_uk(data: bytes, *, file_name: str = "", groups: KnownGroups | None = None) -> ParsedSchedule:
    """Read a UK Trade Tariff file: the bulk measures CSV, or API v2 documents (one, an array, or JSON Lines).

    ``groups`` are origin groups imported from the tariff's geographical areas (see parsers.areas): a
    measure on such a group covers its members; a group the file lists itself keeps the file's list.
    """
    if data.startswith(b"PK\x03\x04"):
        raise ScheduleFileError(
            None, "file", "this is an XLSX/ZIP file; the UK importer reads the bulk measures CSV or API v2 JSON"
        )
    text = decode_text(data)
    head = first_character(text)
    if not head:
        raise ScheduleFileError(None, "file", "the file is empty")
    if head in "{[":
        return _parse_api(text, file_name, groups)
    return _parse_csv(text, file_name, groups)


# CSV -----------------------------------------------------------------------------------------------


def _parse_csv(text: str, file_name: str, groups: KnownGroups | None) -> ParsedSchedule:
    reader = csv.reader(lines(text), strict=True)
    out = Collector("GB", _CSV_FIELDS, groups)
    try:
        header = [cell.strip() for cell in next(reader)]
        column = _columns(header)
        width = len(header)
        line = reader.line_num
        for record in reader:
            start_line, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # a blank line is no row
            if len(record) != width:
                raise ScheduleFileError(
                    start_line, "row", f"{len(record)} fields where the header has {width}: a cut or misquoted line"
                )
            _csv_row(out, start_line, record, column)
    except csv.Error as exc:
        raise ScheduleFileError(reader.line_num, "row", f"not readable as CSV: {exc}") from None
    first, last = out.span("no measure rows after the header")
    return _schedule(out, *_csv_revision(file_name, first, last))


def _columns(header: list[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            raise ScheduleFileError(1, "header", f"column {name!r} appears twice")
        seen[name] = i
    if _TARIC_HEADER & {name.lower() for name in header}:
        message = "this is an EU TARIC Duties export, not the UK measures CSV: use the EU importer"
        raise ScheduleFileError(1, "header", message)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ScheduleFileError(
            1, "header", f"not the UK Trade Tariff measures CSV: missing column(s) {', '.join(missing)}"
        )
    return {name: seen[name] for name in (*REQUIRED_COLUMNS, *_OPTIONAL_COLUMNS) if name in seen}


def _csv_row(out: Collector, line: int, record: list[str], column: Mapping[str, int]) -> None:
    def get(name: str) -> str:
        i = column.get(name)
        value = record[i].strip() if i is not None else ""
        return "" if value in _NA else value

    full, code = goods_code(get("commodity__code"), row=line, field="commodity__code")
    sid = get("measure__sid")
    if not _INTEGER.fullmatch(sid):
        raise ScheduleFileError(line, "measure__sid", f"{sid!r} is not a measure id (an integer)")
    type_id = get("measure__type__id")
    if not type_id:
        raise ScheduleFileError(line, "measure__type__id", "the measure type is empty")
    area = get("measure__geographical_area__id")
    if not area:
        raise ScheduleFileError(line, "measure__geographical_area__id", "the geographical area is empty")
    start = iso_date(get("measure__effective_start_date"), row=line, field="measure__effective_start_date")
    end_text = get("measure__effective_end_date")
    end = iso_date(end_text, row=line, field="measure__effective_end_date") if end_text else None
    # One packed integer per (measure, code): the check costs little even on a million rows.
    out.once(int(sid) * 10**10 + int(full), row=line, field="measure__sid", what=f"measure {sid} on {full}")
    description = get("commodity__description")
    if description:
        out.descriptions.setdefault(code, description)
    out.take(
        RawMeasure(
            row=line,
            full_code=full,
            code=code,
            ref=f"measure {sid}",
            type_id=type_id,
            type_description=get("measure__type__description"),
            expression=get("measure__duty_expression"),
            start=start,
            valid_to=exclusive_end(end, start, row=line, field="measure__effective_end_date"),
            area=area,
            area_description=get("measure__geographical_area__description"),
            excluded=[a for a in get("measure__excluded_geographical_areas__ids").split("|") if a.strip() not in _NA],
            additional_code=get("measure__additional_code__code").replace(" ", ""),
            additional_description=get("measure__additional_code__description"),
            order_number=get("measure__quota__order_number"),
        )
    )


def _csv_revision(file_name: str, first: dt.date, last: dt.date) -> tuple[str, dt.date]:
    base = re.split(r"[\\/]", file_name)[-1]
    match = _DATASET_FILE.fullmatch(base)
    if match is not None:
        dataset, day, version, table = match.groups()
        try:
            return f"{dataset} {version} {table}", dt.date.fromisoformat(day)
        except ValueError:
            pass  # a name that only looks like the dataset's: fall back on the file's own dates
    return f"UK Trade Tariff measures CSV, latest measure start {last.isoformat()}", first


def _schedule(out: Collector, revision: str, valid_from: dt.date) -> ParsedSchedule:
    return ParsedSchedule(
        source="uk-trade-tariff",
        destination="GB",
        revision=revision,
        valid_from=valid_from,
        measures=out.measures,
        descriptions=out.descriptions,
        skipped=out.skipped,
        rows_read=out.rows_read,
        publisher=PUBLISHER,
    )


# API v2 JSON ---------------------------------------------------------------------------------------


def _parse_api(text: str, file_name: str, groups: KnownGroups | None) -> ParsedSchedule:
    del file_name  # the documents carry no edition; the revision comes from their dates
    out = Collector("GB", _API_FIELDS, groups)
    documents = 0
    for item, document in _documents(text):
        _ApiDocument(document, item, out).read()
        documents += 1
    first, last = out.span(f"no import measures in {documents} document(s)")
    return _schedule(out, f"UK Online Trade Tariff API v2, latest measure start {last.isoformat()}", first)


def _documents(text: str) -> Iterator[tuple[int, Any]]:
    """``(item, document)``: one document, an array of them, or JSON Lines (numbered by line)."""
    try:
        whole = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        if first_character(text) != "{":
            raise ScheduleFileError(None, "file", f"not valid JSON: {exc}") from None
        yield from _json_lines(text, exc)
        return
    if isinstance(whole, list):
        yield from enumerate(whole, start=1)
    else:
        yield 1, whole


def _json_lines(text: str, whole_error: msgspec.DecodeError) -> Iterator[tuple[int, Any]]:
    for line, raw in enumerate(lines(text), start=1):
        chunk = raw.strip()
        if not chunk:
            continue
        try:
            document = msgspec.json.decode(chunk)
        except msgspec.DecodeError as exc:
            if line == 1:  # not JSON Lines after all: a single document that is broken
                raise ScheduleFileError(None, "file", f"not valid JSON: {whole_error}") from None
            raise ScheduleFileError(line, "line", f"not valid JSON: {exc}") from None
        yield line, document


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _ApiDocument:
    """One commodity (or declarable heading) document: its code, description and import measures."""

    def __init__(self, document: object, item: int, out: Collector) -> None:
        self.document = document
        self.item = item
        self.out = out
        self.index: dict[tuple[str, str], dict[str, Any]] = {}

    def fail(self, field: str, message: str) -> ScheduleFileError:
        return ScheduleFileError(self.item, field, message)

    def read(self) -> None:
        if not isinstance(self.document, dict):
            raise self.fail("document", "expected a JSON:API document (an object with data and included)")
        data = self.document.get("data")
        kind = data.get("type") if isinstance(data, dict) else None
        if not isinstance(data, dict) or kind not in _DOCUMENT_TYPES:
            raise self.fail("data.type", f"expected a commodity or heading document, got {kind!r}")
        attributes = _obj(data.get("attributes"))
        field = "data.attributes.goods_nomenclature_item_id"
        raw_code = attributes.get("goods_nomenclature_item_id")
        if not isinstance(raw_code, str):
            raise self.fail(field, "the commodity code is missing")
        full, code = goods_code(raw_code, row=self.item, field=field)
        description = attributes.get("description_plain") or attributes.get("description")
        if isinstance(description, str) and description.strip():
            self.out.descriptions.setdefault(code, description.strip())
        included = self.document.get("included", [])
        if not isinstance(included, list):
            raise self.fail("included", "expected a list of resources")
        for position, resource in enumerate(included):
            if not isinstance(resource, dict) or not isinstance(resource.get("type"), str):
                raise self.fail(f"included[{position}]", "expected a resource with a type and an id")
            self.index[(resource["type"], str(resource.get("id")))] = resource
        listed: set[str] = set()
        for position, (ref_type, measure_id) in enumerate(self.refs(data, "import_measures", "data")):
            where = f"data.relationships.import_measures[{position}]"
            if ref_type != "measure" or not _INTEGER.fullmatch(measure_id):
                raise self.fail(where, f"expected a measure reference, got {ref_type} {measure_id!r}")
            if measure_id in listed:
                raise self.fail(where, f"measure {measure_id} is listed twice")
            listed.add(measure_id)
            measure = self.index.get(("measure", measure_id))
            if measure is None:
                raise self.fail(where, f"measure {measure_id} is not in included")
            self.measure(measure_id, measure, full, code)

    def refs(self, resource: Mapping[str, Any], name: str, where: str) -> list[tuple[str, str]]:
        """The ``(type, id)`` references of a to-many relationship (none when it is absent)."""
        relation = _obj(resource.get("relationships")).get(name)
        if relation is None:
            return []
        linked = relation.get("data") if isinstance(relation, dict) else None
        if linked is None:
            return []
        if not isinstance(linked, list) or not all(isinstance(r, dict) for r in linked):
            raise self.fail(f"{where}.relationships.{name}", "expected a list of references")
        return [(str(r.get("type")), str(r.get("id"))) for r in linked]

    def ref(self, resource: Mapping[str, Any], name: str, where: str) -> dict[str, Any] | None:
        """The included resource a to-one relationship points at (``None`` when there is none)."""
        relation = _obj(resource.get("relationships")).get(name)
        linked = relation.get("data") if isinstance(relation, dict) else None
        if linked is None:
            return None
        if not isinstance(linked, dict):
            raise self.fail(f"{where}.relationships.{name}", "expected a reference")
        key = (str(linked.get("type")), str(linked.get("id")))
        found = self.index.get(key)
        if found is None:
            raise self.fail(f"{where}.relationships.{name}", f"{key[0]} {key[1]} is not in included")
        return found

    def members(self, area: Mapping[str, Any], where: str) -> list[str] | None:
        """A group's member ids as the document lists them; ``None`` when it does not say."""
        relations = _obj(area.get("relationships"))
        for name in ("children_geographical_areas", "contained_geographical_areas"):
            if name in relations:
                return [area_id for _, area_id in self.refs(area, name, where)]
        return None

    def measure(self, measure_id: str, measure: Mapping[str, Any], full: str, code: str) -> None:
        where = f"included measure {measure_id}"
        attributes = _obj(measure.get("attributes"))
        start_text = attributes.get("effective_start_date")
        if not isinstance(start_text, str):
            raise self.fail(f"{where}.attributes.effective_start_date", "the start date is missing")
        start = iso_date(start_text, row=self.item, field=f"{where}.attributes.effective_start_date")
        end_text = attributes.get("effective_end_date")
        if end_text is not None and not isinstance(end_text, str):
            raise self.fail(f"{where}.attributes.effective_end_date", "expected a date or null")
        end_field = f"{where}.attributes.effective_end_date"
        end = iso_date(end_text, row=self.item, field=end_field) if end_text else None
        measure_type = self.ref(measure, "measure_type", where)
        if measure_type is None:
            raise self.fail(f"{where}.relationships.measure_type", "the measure type is missing")
        area = self.ref(measure, "geographical_area", where)
        if area is None:
            raise self.fail(f"{where}.relationships.geographical_area", "the geographical area is missing")
        area_id = str(_obj(area.get("attributes")).get("geographical_area_id") or area.get("id"))
        duty = self.ref(measure, "duty_expression", where)
        expression = _obj(duty.get("attributes")).get("base") if duty is not None else ""
        excluded = [area_id for _, area_id in self.refs(measure, "excluded_countries", where)]
        additional = _obj((self.ref(measure, "additional_code", where) or {}).get("attributes"))
        order = self.ref(measure, "order_number", where)
        what = f"measure {measure_id} on {full}"
        self.out.once(int(measure_id) * 10**10 + int(full), row=self.item, field=where, what=what)
        self.out.take(
            RawMeasure(
                row=self.item,
                full_code=full,
                code=code,
                ref=f"measure {measure_id}",
                type_id=str(measure_type.get("id")),
                type_description=str(_obj(measure_type.get("attributes")).get("description") or ""),
                expression=expression.strip() if isinstance(expression, str) else "",
                start=start,
                valid_to=exclusive_end(end, start, row=self.item, field=end_field),
                area=area_id,
                area_description=str(_obj(area.get("attributes")).get("description") or ""),
                members=self.members(area, f"included geographical_area {area_id}"),
                excluded=excluded,
                additional_code=str(additional.get("code") or "").replace(" ", ""),
                additional_description=str(additional.get("description") or ""),
                order_number=str(order.get("id")) if order is not None else "",
            ),
            excluded_members=self._excluded_members,
        )

    def _excluded_members(self, area_id: str) -> Sequence[str] | None:
        area = self.index.get(("geographical_area", area_id))
        return self.members(area, f"included geographical_area {area_id}") if area is not None else None
