"""Origin groups to ISO countries, for the UK Trade Tariff and EU TARIC importers.

A measure names its origins by a geographical area: a country ("JP"), ``1011`` ERGA OMNES (every
origin) or a group ("1013" European Union, "1033" CARIFORUM). The UK API documents list a group's
members (``children_geographical_areas``); the UK bulk CSV and the EU Duties sheet do not. For those,
:data:`UK_GROUPS` holds the groups whose membership is confirmed from official data (cited below).

A group that is neither listed by the file nor in the table does **not** mean every origin: it gets
``origins=()`` and a note saying its members are unknown, so no origin is given a preference it may
not have. Only ERGA OMNES means every origin (``None``).

Area codes are the tariff's own, which are ISO 3166-1 alpha-2 with a few exceptions: ``XS`` is
Serbia (ISO ``RS``) and is mapped; ``XK`` (Kosovo), ``XC``/``XL`` (Ceuta/Melilla), ``XI`` (Northern
Ireland) and the ``Q*`` pseudo-areas have no ISO code and are kept as published. ``EU`` is the Union
as a whole: as a group member it is dropped (its member states are listed beside it), as an
exclusion it stands for the members of ``1013``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, Literal, NamedTuple

__all__ = [
    "ERGA_OMNES",
    "EU_GROUPS",
    "UK_GROUPS",
    "Destination",
    "Excluded",
    "Origins",
    "country",
    "excluded_origins",
    "group_members",
    "origins_for",
]

Destination = Literal["GB", "EU"]
ERGA_OMNES: Final = "1011"

# The tariff's codes that are not the ISO 3166-1 code of the same country.
_TO_ISO: Final[dict[str, str]] = {"XS": "RS"}


def _members(*codes: str) -> tuple[str, ...]:
    return tuple(sorted(codes))


_EU27: Final = _members(
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip

# Groups of the UK Trade Tariff whose members are confirmed, as the UK Online Trade Tariff API
# publishes them (GET /api/v2/geographical_areas, captured in trade-tariff/trade-tariff-duty-calculator
# spec/fixtures/uk/geographical_areas.json, commit da7b746, 2021-08-12), limited to groups whose
# membership is fixed by treaty rather than by a yearly list:
UK_GROUPS: Final[Mapping[str, tuple[str, ...]]] = {
    # European Union: the 27 member states since 1 February 2020 (the API lists them plus "EU").
    "1013": _EU27,
    # EFTA: Switzerland, Iceland, Liechtenstein, Norway (the group's own name: "EFTA (CH; IS; NO; LI)").
    "1021": _members("CH", "IS", "LI", "NO"),
    # Channel Islands: Guernsey and Jersey (the API guide's example: 103 on 1080 is the UK-CD customs
    # union rate for "the Channel Islands ... Jersey or Guernsey").
    "1080": _members("GG", "JE"),
    # CARIFORUM (UK-CARIFORUM EPA): the 13 countries the API lists (Suriname and Haiti are not listed).
    "1033": _members("AG", "BB", "BS", "BZ", "DM", "DO", "GD", "GY", "JM", "KN", "LC", "TT", "VC"),
    # Central America (UK-Central America Association Agreement): the six parties.
    "2200": _members("CR", "GT", "HN", "NI", "PA", "SV"),
}
# Not tabled, so "members unknown" unless the file lists them: the GSP groups 2005/2020/2027 (replaced
# by the DCTS groups 1060/1061/1062 in June 2023, whose members change with each review), the EPA
# groups 1032/1034/1035 (countries join as they ratify), 1006/1007 (re-imported goods), and the rest.

# EU TARIC: the Duties sheet names groups by code only, and TARIC publishes their members in a
# separate extraction ("Geographical areas composition"), which this importer does not read; no
# group is tabled from memory, so every EU group but ERGA OMNES is reported as members unknown.
EU_GROUPS: Final[Mapping[str, tuple[str, ...]]] = {}

_TABLES: Final[Mapping[Destination, Mapping[str, tuple[str, ...]]]] = {"GB": UK_GROUPS, "EU": EU_GROUPS}


class Origins(NamedTuple):
    """A measure's origins (``None`` = every origin) and, when they are incomplete, why."""

    origins: tuple[str, ...] | None
    note: str | None = None


class Excluded(NamedTuple):
    """The countries left out of a measure and, when a group could not be expanded, why."""

    origins: tuple[str, ...]
    note: str | None = None


def country(area_id: str) -> str | None:
    """The country an area code stands for (ISO where the tariff's code differs), ``None`` for a group."""
    area = area_id.strip().upper()
    if len(area) == 2 and area.isascii() and area.isalpha():
        return _TO_ISO.get(area, area)
    return None


def group_members(area_id: str, destination: Destination) -> tuple[str, ...] | None:
    """The tabled members of a group (``EU`` stands for 1013 on the UK tariff), ``None`` if not tabled."""
    area = area_id.strip().upper()
    if destination == "GB" and area == "EU":
        area = "1013"
    return _TABLES[destination].get(area)


def _countries(members: Iterable[str]) -> tuple[str, ...]:
    found = {c for c in (country(m) for m in members) if c is not None and c != "EU"}
    return tuple(sorted(found))


def origins_for(
    area_id: str, destination: Destination, *, members: Sequence[str] | None = None, description: str = ""
) -> Origins:
    """The origins of a measure on ``area_id``; ``members`` are the group's members if the file lists them."""
    area = area_id.strip().upper()
    if area == ERGA_OMNES:
        return Origins(None)
    single = country(area)
    if single is not None and single != "EU":
        return Origins((single,))
    if members is not None:
        listed = _countries(members)
        if listed:
            return Origins(listed)
        return Origins((), f"origin group {area} lists no member countries: no origin is given this rate")
    tabled = group_members(area, destination)
    if tabled:
        return Origins(tabled)
    named = f" ({description.strip()})" if description.strip() else ""
    return Origins(
        (),
        f"the member countries of origin group {area}{named} are not in the file: "
        "no origin is given this rate until they are known",
    )


def excluded_origins(
    area_ids: Iterable[str],
    destination: Destination,
    members_of: Callable[[str], Sequence[str] | None] | None = None,
) -> Excluded:
    """The countries left out of a measure; a group is expanded (``members_of`` from the file, else the table).

    An excluded group whose members are unknown is kept by its code (it matches no country) with a
    note: its countries may be given a rate they are excluded from.
    """
    found: set[str] = set()
    unknown: list[str] = []
    for raw in area_ids:
        area = raw.strip().upper()
        if not area:
            continue
        single = country(area)
        if single is not None and single != "EU":
            found.add(single)
            continue
        listed = members_of(area) if members_of is not None else None
        expanded = _countries(listed) if listed else group_members(area, destination)
        if expanded:
            found.update(expanded)
        else:
            found.add(area)
            unknown.append(area)
    note = None
    if unknown:
        note = (
            f"excluded group(s) {', '.join(unknown)} have unknown members: "
            "their countries are not left out of this rate"
        )
    return Excluded(tuple(sorted(found)), note)
