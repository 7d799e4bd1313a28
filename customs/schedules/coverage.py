"""Which of a seller's HS codes an official schedule prices, and how: the catalog-wide check.

A quote refuses a line whose code the schedule cannot price (no third-country duty on it, national
codes under it that disagree, an expression the engine cannot compute). A seller with a catalog
wants to know that before a buyer's checkout does: :func:`check_codes` runs the quote's own matching
(:func:`customs.schedules.matching.select`) over many codes at once, with one read for the codes
not yet cached, and says per code what a quote would do.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Literal

import msgspec

from customs import tenant_data
from customs.schedules import lookup
from customs.schedules.matching import Ambiguous, ScheduleInfo, select
from customs.service import known_duty_key
from customs.tariffs import normalize_hs
from hub.core.database import tenant_tx

__all__ = ["CodeCoverage", "CoverageStatus", "check_codes"]

CoverageStatus = Literal["schedule", "preference", "ambiguous", "no_duty", "not_computable", "not_a_code"]


class CodeCoverage(msgspec.Struct, kw_only=True):
    """What a quote of this code would do with the destination's schedule."""

    hs_code: str
    status: CoverageStatus
    matched_code: str | None = None
    level: int | None = None
    expression: str | None = None  # the duty a quote applies, as published
    measure: str | None = None  # its title: type, origins, code and file row
    detail: str = ""


def _code_of(raw: str) -> str | None:
    digits = normalize_hs(raw)
    return digits if digits.isdigit() and digits.isascii() and 6 <= len(digits) <= 10 else None


async def check_codes(
    tenant_id: uuid.UUID,
    destination: str,
    hs_codes: Iterable[str],
    *,
    origin: str | None,
    day: dt.date,
    claim_preference: bool,
) -> tuple[ScheduleInfo | None, list[CodeCoverage]]:
    """Each code's coverage by the schedule active for ``destination`` (its duty key: DE is EU).

    Returns ``(None, [])`` when no official schedule is loaded for that destination: quotes then use
    the hub's own tables.
    """
    codes = list(dict.fromkeys(hs_codes))
    data = tenant_data.cached_data(tenant_id)
    if data is None:
        async with tenant_tx(tenant_id):
            data = await tenant_data.load_data(tenant_id)
    key = known_duty_key(destination, day, data.tables)
    info = data.schedules.get(key) if key is not None else None
    if info is None:
        return None, []
    entries = await lookup.entries_for(tenant_id, info, {c for c in map(_code_of, codes) if c is not None})
    out: list[CodeCoverage] = []
    for raw in codes:
        code = _code_of(raw)
        if code is None:
            out.append(CodeCoverage(hs_code=raw, status="not_a_code", detail="6 to 10 digits, e.g. 6109100010"))
            continue
        entry = entries.get(code)
        if entry is None:
            out.append(CodeCoverage(hs_code=raw, status="no_duty", detail=f"no measure on {code} in {info.short}"))
            continue
        try:
            selection = select(entry, day=day, origin=origin, schedule_from=info.valid_from, memo_key=info.id)
        except Ambiguous as exc:
            out.append(CodeCoverage(hs_code=raw, status="ambiguous", detail=str(exc)))
            continue
        if selection is None:
            out.append(
                CodeCoverage(
                    hs_code=raw,
                    status="no_duty",
                    detail=f"no third-country duty on {code} for origin {origin or 'unstated'} on {day.isoformat()}",
                )
            )
            continue
        chosen = selection.base
        status: CoverageStatus = "schedule"
        base_rate = selection.base.ad_valorem
        if claim_preference and base_rate is not None:
            # Without a value only ad valorem rates compare; a quote prices the others and takes the lowest.
            lower = [m for m in selection.preferences if m.ad_valorem is not None and m.ad_valorem < base_rate]
            if lower:
                chosen = min(lower, key=lambda m: (m.ad_valorem or base_rate, m.file_row))
                status = "preference"
        if chosen.parsed is None:
            out.append(
                CodeCoverage(
                    hs_code=raw,
                    status="not_computable",
                    matched_code=selection.matched_code,
                    level=selection.level,
                    expression=chosen.expression,
                    measure=chosen.title(),
                    detail=chosen.uncomputable or "the expression cannot be computed",
                )
            )
            continue
        out.append(
            CodeCoverage(
                hs_code=raw,
                status=status,
                matched_code=selection.matched_code,
                level=selection.level,
                expression=chosen.expression,
                measure=chosen.title(),
                detail="; ".join(selection.notes),
            )
        )
    return info, out
