"""Origin groups and their member countries: the UK Online Trade Tariff's geographical areas (JSON)
and the EU TARIC's (TARIC3 XML, see :func:`parse_eu_taric3_areas`).

A measure names its origins by a geographical area: a country, ``1011`` ERGA OMNES or a group
(``1013`` European Union, ``1060`` the DCTS comprehensive preferences, ...). The UK bulk CSV and the
EU Duties sheet name a group by its code only, so a preference on a group whose members the hub
does not know is never applied (see :mod:`customs.schedules.parsers.origins`). The UK publishes
every group with its members at ``GET /api/v2/geographical_areas``; this module reads that
document so the groups are known when a schedule is imported.

Accepted shapes, both as published or as the tariff's own client libraries save them:

* the JSON:API document: ``{"data": [{"id", "type": "geographical_area", "attributes":
  {"geographical_area_id", "description"}, "relationships": {"children_geographical_areas":
  {"data": [{"id", "type"}]}}}], "included": [...]}``;
* the same areas flattened into a list: ``[{"id", "description", "geographical_area_id",
  "children_geographical_areas": [{"id", ...}]}]`` (how HMRC's duty calculator stores them in its
  test fixtures).

Pure: no I/O, no clock. Only groups (four-digit numeric areas, and ``EU``) are kept; a country's
own entry has no members. A group that lists no member is kept as known-empty, so a preference on it
is refused with that reason rather than "members unknown".
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import msgspec
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from customs.schedules.model import ScheduleFileError

__all__ = ["AREA_SOURCES", "AREA_TITLES", "OriginGroup", "ParsedGroups", "parse_eu_taric3_areas", "parse_uk_areas"]

AREA_SOURCES = ("uk-geographical-areas", "eu-geographical-areas")
AREA_TITLES = {
    "uk-geographical-areas": "UK Trade Tariff geographical areas",
    "eu-geographical-areas": "EU TARIC geographical areas",
}
_GROUP = re.compile(r"^(?:\d{4}|EU)$")
_AREA = re.compile(r"^[A-Z0-9]{2,4}$")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class OriginGroup(msgspec.Struct, frozen=True, kw_only=True):
    group_id: str
    description: str
    members: tuple[str, ...]  # area codes as published (countries, and XI/XK and the like)


class ParsedGroups(msgspec.Struct, frozen=True, kw_only=True):
    source: str
    destination: str  # the tariff whose groups these are: "GB"
    revision: str
    publisher: str
    groups: tuple[OriginGroup, ...]


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _area_id(entry: Mapping[str, Any]) -> object:
    return (
        _obj(entry.get("attributes")).get("geographical_area_id")
        or entry.get("geographical_area_id")
        or entry.get("id")
    )


def _member_ids(entry: Mapping[str, Any], item: int) -> list[str] | None:
    relation = _obj(entry.get("relationships")).get("children_geographical_areas")
    if relation is not None:
        linked = _obj(relation).get("data")
        if not isinstance(linked, list):
            raise ScheduleFileError(item, "relationships.children_geographical_areas.data", "expected a list")
        return [str(_obj(ref).get("id", "")) for ref in linked]
    children = entry.get("children_geographical_areas")
    if children is None:
        return None
    if not isinstance(children, list):
        raise ScheduleFileError(item, "children_geographical_areas", "expected a list of areas")
    return [str(_area_id(_obj(child)) or "") for child in children]


def _revision(file_name: str, sha256: str) -> str:
    """The day in the file's name (``geographical_areas-2026-12-01.json``), else the file's hash."""
    found = _DATE_IN_NAME.search(file_name)
    if found is not None:
        try:
            return dt.date.fromisoformat(found.group(1)).isoformat()
        except ValueError:
            pass
    return f"sha256 {sha256[:12]}"


def parse_uk_areas(data: bytes, *, file_name: str = "", sha256: str = "") -> ParsedGroups:
    """The groups of the UK tariff and their members.

    Raises:
        ScheduleFileError: not one of the accepted shapes, or an area whose id is not a tariff area code
            (the item, counted from 1, and the field are named).
    """
    try:
        document = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ScheduleFileError(None, "file", f"not JSON: {exc}") from None
    entries = document.get("data") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise ScheduleFileError(None, "data", "expected a list of geographical areas (GET /api/v2/geographical_areas)")
    groups: dict[str, OriginGroup] = {}
    for item, raw in enumerate(entries, start=1):
        entry = _obj(raw)
        kind = entry.get("type")
        if kind is not None and kind != "geographical_area":
            raise ScheduleFileError(item, "type", f"expected geographical_area, got {kind!r}")
        area = str(_area_id(entry) or "").strip().upper()
        if not _AREA.match(area):
            raise ScheduleFileError(item, "geographical_area_id", f"{area!r} is not a tariff area code")
        if not _GROUP.match(area):
            continue  # a country: it is its own origin
        members = _member_ids(entry, item)
        if members is None:
            raise ScheduleFileError(item, "children_geographical_areas", f"group {area} does not list its members")
        cleaned = sorted({m.strip().upper() for m in members if m.strip()})
        for member in cleaned:
            if not _AREA.match(member):
                raise ScheduleFileError(item, "children_geographical_areas", f"{member!r} is not a tariff area code")
        if area in groups:
            raise ScheduleFileError(item, "geographical_area_id", f"group {area} appears twice in the file")
        description = str(_obj(entry.get("attributes")).get("description") or entry.get("description") or "")
        groups[area] = OriginGroup(group_id=area, description=description.strip(), members=tuple(cleaned))
    if not groups:
        raise ScheduleFileError(None, "data", "the file holds no origin group (four-digit area with members)")
    return ParsedGroups(
        source="uk-geographical-areas",
        destination="GB",
        revision=_revision(file_name, sha256),
        publisher="HM Revenue & Customs, UK Online Trade Tariff (geographical areas)",
        groups=tuple(groups[k] for k in sorted(groups)),
    )


# -- EU: TARIC3 XML --------------------------------------------------------------------------------

_TARIC = "{urn:publicid:-:DGTAXUD:TARIC:MESSAGE:1.0}"
_DELETE = "2"  # a TARIC3 update type: 1 updates in place, 3 inserts, 2 deletes
# A geographical area's ``geographical.code``: 0 a country, 1 a group of countries, 2 a region.
_GROUP_CODE = "1"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Membership(msgspec.Struct, frozen=True):
    member_sid: str
    group_sid: str
    start: dt.date
    end: dt.date | None
    item: int


def _text(element: Element, name: str) -> str:
    found = element.find(_TARIC + name)
    return (found.text or "").strip() if found is not None else ""


def _taric_date(element: Element, name: str, item: int) -> dt.date | None:
    raw = _text(element, name)
    if not raw:
        return None
    try:
        if not _DAY.match(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ScheduleFileError(item, name, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _records(data: bytes) -> Iterator[tuple[int, str, Element]]:
    """``(item, update type, record body)`` per ``oub:record``, counted from 1 and streamed (a full
    extraction is read without holding its tree); first ``(0, envelope id, envelope)``."""
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise ScheduleFileError(None, "file", "not XML (a TARIC3 envelope starts with '<?xml' or '<env:envelope')")
    item = 0
    try:
        # defusedxml: an operator's file; a TARIC3 envelope has no entities or external DTDs to resolve.
        for event, element in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if item == 0:
                    if not element.tag.endswith("}envelope"):
                        raise ScheduleFileError(
                            None, "envelope", f"expected a TARIC3 env:envelope, got {element.tag!r}"
                        )
                    yield 0, element.get("id", ""), element
                    item = 1
                continue
            if element.tag != _TARIC + "record":
                continue
            body = next((child for child in element if child.tag.startswith(_TARIC) and len(child)), None)
            if body is not None:
                yield item, _text(element, "update.type"), body
            item += 1
            element.clear()
    except DefusedXmlException as exc:
        raise ScheduleFileError(None, "file", f"refused: {exc}") from None
    except ParseError as exc:
        line, column = exc.position
        raise ScheduleFileError(None, "file", f"not well-formed XML at line {line}, column {column}") from None


class _Taric3Areas:
    """The areas, English descriptions and memberships an envelope defines, keyed by sid."""

    def __init__(self) -> None:
        self.envelope_id = ""
        self.areas: dict[str, tuple[str, str]] = {}  # sid -> (area id, geographical code)
        self.descriptions: dict[str, str] = {}
        self.memberships: dict[tuple[str, str, dt.date], _Membership] = {}

    def read(self, data: bytes) -> None:
        handlers = {
            "geographical.area": self._area,
            "geographical.area.description": self._description,
            "geographical.area.membership": self._membership,
        }
        for item, update, body in _records(data):
            if item == 0:
                self.envelope_id = update
                continue
            handler = handlers.get(body.tag.removeprefix(_TARIC))
            if handler is not None:
                handler(item, update == _DELETE, body)

    def _area(self, item: int, delete: bool, body: Element) -> None:
        sid, area = _text(body, "geographical.area.sid"), _text(body, "geographical.area.id").upper()
        if not sid:
            raise ScheduleFileError(item, "geographical.area.sid", "the area has no sid")
        if not _AREA.match(area):
            raise ScheduleFileError(item, "geographical.area.id", f"{area!r} is not a tariff area code")
        if delete:
            self.areas.pop(sid, None)
        else:
            self.areas[sid] = (area, _text(body, "geographical.code"))

    def _description(self, item: int, delete: bool, body: Element) -> None:
        if not delete and _text(body, "language.id").upper() in {"EN", ""}:
            self.descriptions[_text(body, "geographical.area.sid")] = _text(body, "description")

    def _membership(self, item: int, delete: bool, body: Element) -> None:
        member, group = _text(body, "geographical.area.sid"), _text(body, "geographical.area.group.sid")
        for sid, field in ((member, "geographical.area.sid"), (group, "geographical.area.group.sid")):
            if not sid:
                raise ScheduleFileError(item, field, "the membership does not name both the member and the group")
        start = _taric_date(body, "validity.start.date", item)
        if start is None:
            raise ScheduleFileError(item, "validity.start.date", "the date is missing")
        end = _taric_date(body, "validity.end.date", item)
        if end is not None and end < start:
            raise ScheduleFileError(item, "validity.end.date", f"{end} is before the start {start}")
        if delete:
            self.memberships.pop((member, group, start), None)
        else:
            self.memberships[member, group, start] = _Membership(member, group, start, end, item)

    def groups_on(self, day: dt.date) -> dict[str, OriginGroup]:
        members: dict[str, set[str]] = {sid: set() for sid, (_, code) in self.areas.items() if code == _GROUP_CODE}
        for m in self.memberships.values():
            for sid, field in ((m.member_sid, "geographical.area.sid"), (m.group_sid, "geographical.area.group.sid")):
                if sid not in self.areas:
                    raise ScheduleFileError(m.item, field, f"area sid {sid} is not defined in the file (record 250/00)")
            if m.group_sid not in members:
                group = self.areas[m.group_sid][0]
                raise ScheduleFileError(m.item, "geographical.area.group.sid", f"area {group} is not a group")
            if m.start <= day and (m.end is None or m.end >= day):
                members[m.group_sid].add(self.areas[m.member_sid][0])
        found = {}
        for sid, listed in members.items():
            area = self.areas[sid][0]
            if _GROUP.match(area):
                found[area] = OriginGroup(
                    group_id=area, description=self.descriptions.get(sid, ""), members=tuple(sorted(listed))
                )
        return found


def parse_eu_taric3_areas(data: bytes, *, as_of: dt.date, file_name: str = "", sha256: str = "") -> ParsedGroups:
    """The EU tariff's origin groups and their members on ``as_of``, from a TARIC3 XML extraction.

    DG TAXUD publishes the TARIC database as TARIC3 XML envelopes (``env:envelope`` of
    ``oub:record``\\ s, namespace ``urn:publicid:-:DGTAXUD:TARIC:MESSAGE:1.0``). Three records make
    the groups: ``geographical.area`` (250/00: sid, id, ``geographical.code`` 1 for a group),
    ``geographical.area.description`` (250/10) and ``geographical.area.membership`` (250/15: member
    sid, group sid, validity dates). A membership counts when it has started on ``as_of`` and not
    ended before it; a record of update type 2 deletes what it names. Other records are passed over.
    The file must be a full extraction of the groups: the groups it holds replace the tariff's.

    Raises:
        ScheduleFileError: not a TARIC3 envelope, a date or an id that is not one, or a membership of an
            area the file does not define (the record, counted from 1, and the field are named).
    """
    envelope = _Taric3Areas()
    envelope.read(data)
    groups = envelope.groups_on(as_of)
    if not groups:
        raise ScheduleFileError(None, "file", "the envelope holds no origin group (record 250/00, geographical code 1)")
    named = _DATE_IN_NAME.search(file_name) is not None or not envelope.envelope_id
    return ParsedGroups(
        source="eu-geographical-areas",
        destination="EU",
        revision=(_revision(file_name, sha256) if named else f"envelope {envelope.envelope_id}")
        + f", members on {as_of.isoformat()}",
        publisher="European Commission, DG TAXUD, TARIC3 extraction (geographical areas)",
        groups=tuple(groups[k] for k in sorted(groups)),
    )
