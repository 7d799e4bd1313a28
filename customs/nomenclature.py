"""HS nomenclature importers: pure parsers that turn published files into :class:`HsRow` rows.

* the UN/WCO-style CSV (``datasets/harmonized-system``: ``section,hscode,description,parent,level``);
* the UK Online Trade Tariff API commodity document (JSON:API ``data`` + ``included``);
* the US HTS JSON export (a list of ``{htsno, indent, description, general, special, ...}``).

None of them does I/O: pass text or decoded JSON in. Rows are validated on the way (digits only,
levels that match the code length) and suspicious input raises ``ValueError`` naming the row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

__all__ = ["HsRow", "hs6_set", "parse_uk_commodity", "parse_us_hts", "parse_wco_csv"]


class HsRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    description: str
    level: int
    parent: str | None = None
    section: str | None = None
    source: str = ""
    # National rate text as published (US "general"/"special", UK duty expression), never parsed into numbers.
    rates: dict[str, str] = msgspec.field(default_factory=dict)
    indent: int | None = None
    declarable: bool | None = None


def parse_wco_csv(
    text: str, source: str = "datasets/harmonized-system (UN Comtrade, HS 2022, ODC-PDDL-1.0)"
) -> list[HsRow]:
    """Parse the HS CSV. Skips blank lines, the ``TOTAL`` row and the non-HS Comtrade ``99``/``9999``/``999999``
    artefacts; refuses codes whose length disagrees with their level."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    expected = {"section", "hscode", "description", "parent", "level"}
    if reader.fieldnames is None or not expected.issubset(reader.fieldnames):
        raise ValueError(f"HS CSV header must contain {sorted(expected)}, got {reader.fieldnames}")
    rows: list[HsRow] = []
    seen: dict[str, int] = {}
    for lineno, rec in enumerate(reader, start=2):
        code = (rec.get("hscode") or "").strip()
        if not code or code == "TOTAL" or set(code) == {"9"}:
            continue
        # Said here, with both lines: the import's primary key would refuse it with a traceback.
        if code in seen:
            raise ValueError(f"line {lineno}: code {code!r} already on line {seen[code]}")
        seen[code] = lineno
        level_text = (rec.get("level") or "").strip()
        if not code.isdigit() or not level_text.isdigit():
            raise ValueError(f"line {lineno}: bad hscode {code!r} or level {level_text!r}")
        level = int(level_text)
        if level != len(code) or level not in (2, 4, 6):
            raise ValueError(f"line {lineno}: code {code!r} does not match level {level}")
        parent = (rec.get("parent") or "").strip()
        rows.append(
            HsRow(
                code=code,
                description=(rec.get("description") or "").strip(),
                level=level,
                parent=None if parent in ("", "TOTAL") else parent,
                section=(rec.get("section") or "").strip() or None,
                source=source,
            )
        )
    return rows


def hs6_set(rows: Iterable[HsRow]) -> frozenset[str]:
    """The 6-digit subheadings, for :attr:`customs.tariffs.TariffTables.nomenclature`."""
    return frozenset(r.code for r in rows if r.level == 6)


def parse_uk_commodity(doc: Mapping[str, Any], source: str = "UK Online Trade Tariff API v2") -> list[HsRow]:
    """Parse ``GET /api/v2/commodities/{id}``: the commodity itself plus its third-country duty.

    The third-country duty (measure type 103, ``geographical_area`` 1011 "ERGA OMNES") and VAT
    (305) duty expressions are kept as text under ``rates``; preferential measures (142) under
    ``rates["pref:<area>"]``.
    """
    if not isinstance(doc, Mapping):
        raise ValueError("not a commodity document: expected a JSON object with data.type 'commodity'")
    data = doc.get("data")
    if not isinstance(data, Mapping) or data.get("type") != "commodity":
        raise ValueError("not a commodity document: data.type must be 'commodity'")
    attrs = data.get("attributes") or {}
    code = str(attrs.get("goods_nomenclature_item_id", ""))
    if len(code) != 10 or not code.isdigit():
        raise ValueError(f"goods_nomenclature_item_id must be 10 digits, got {code!r}")
    included = {(i.get("type"), i.get("id")): i for i in doc.get("included") or [] if isinstance(i, Mapping)}
    rates: dict[str, str] = {}
    for item in doc.get("included") or []:
        if not isinstance(item, Mapping) or item.get("type") != "measure":
            continue
        rel = item.get("relationships") or {}
        mtype = _rel_id(rel, "measure_type")
        area = _rel_id(rel, "geographical_area")
        expr_ref = (rel.get("duty_expression") or {}).get("data") or {}
        expr = included.get((expr_ref.get("type"), expr_ref.get("id")), {})
        text = str((expr.get("attributes") or {}).get("base", "")).strip()
        if mtype == "103":
            rates["third_country"] = text
        elif mtype == "305":
            rates["vat"] = text
        elif mtype in ("142", "145") and area:
            rates[f"pref:{area}"] = text
    return [
        HsRow(
            code=code,
            description=str(attrs.get("formatted_description") or attrs.get("description") or ""),
            level=10,
            parent=code[:6],
            source=source,
            rates=rates,
            indent=_int_or_none(attrs.get("number_indents")),
            declarable=bool(attrs["declarable"]) if "declarable" in attrs else None,
        )
    ]


def _rel_id(rel: Mapping[str, Any], name: str) -> str | None:
    data = (rel.get(name) or {}).get("data")
    return str(data["id"]) if isinstance(data, Mapping) and "id" in data else None


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def parse_us_hts(items: Iterable[Mapping[str, Any]], source: str = "USITC HTS JSON export") -> list[HsRow]:
    """Parse the HTS export: rows with an ``htsno`` become rows (dots dropped); heading-less text rows
    (``htsno`` empty, e.g. "Other:") are skipped. Level is the digit count (4, 6, 8 or 10)."""
    # Another file (the UK document is an object) used to fail on its keys with an AttributeError.
    if isinstance(items, Mapping | str | bytes):
        raise ValueError("not an HTS export: expected a JSON list of objects with htsno")
    rows: list[HsRow] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValueError(f"item {n}: expected an object with htsno, got {type(item).__name__}")
        raw = str(item.get("htsno") or "").strip()
        if not raw:
            continue
        code = raw.replace(".", "")
        if not code.isdigit() or len(code) not in (4, 6, 8, 10):
            raise ValueError(f"item {n}: bad htsno {raw!r}")
        if code in seen:
            raise ValueError(f"item {n}: htsno {raw!r} already at item {seen[code]}")
        seen[code] = n
        rates = {k: str(item[k]).strip() for k in ("general", "special", "other") if item.get(k)}
        rows.append(
            HsRow(
                code=code,
                description=str(item.get("description") or "").strip(),
                level=len(code),
                parent=code[:-2] if len(code) > 4 else code[:2],
                source=source,
                rates=rates,
                indent=_int_or_none(item.get("indent")),
            )
        )
    return rows
