"""Origin groups and their member countries, from the UK Online Trade Tariff's geographical areas.

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
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from customs.schedules.model import ScheduleFileError

__all__ = ["AREA_SOURCES", "AREA_TITLES", "OriginGroup", "ParsedGroups", "parse_uk_areas"]

AREA_SOURCES = ("uk-geographical-areas",)
AREA_TITLES = {"uk-geographical-areas": "UK Trade Tariff geographical areas"}
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
