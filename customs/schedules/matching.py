"""Which measures of an official schedule apply to one line: pure, in memory, no I/O.

A line's code (6 to 10 digits) is matched the way a broker reads a tariff:

* the longest code of the schedule that is a prefix of the line's code carries the base duty
  (a measure on a heading applies to every code under it), so a full 8/10-digit national code is
  matched before its 6-digit subheading, and the selection says which level matched;
* when the schedule has longer national codes under the line's code (a 6-digit code sent to a
  10-digit tariff), each of them is resolved the same way; if they all carry the same duties the
  line quotes with them and says so, otherwise the line is refused with the candidates named,
  because picking one would be a guess;
* preferential measures apply only when the origin is claimed, and only for the origins their
  group covers; the US Column 2 rate replaces the General rate for the countries it names;
  additional measures (US Section 301) add to whichever base applies.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from customs.schedules.expressions import Expression

__all__ = [
    "SOURCE_TITLES",
    "Ambiguous",
    "CodeEntry",
    "Measure",
    "ScheduleInfo",
    "ScheduleView",
    "Selection",
    "select",
]

SOURCE_TITLES = {
    "uk-trade-tariff": "UK Trade Tariff",
    "us-hts": "Harmonized Tariff Schedule of the United States",
    "eu-taric": "EU TARIC",
}


_LABELS: dict[uuid.UUID, str] = {}


@dataclass(frozen=True, slots=True)
class ScheduleInfo:
    """An imported schedule, as quotes name it."""

    id: uuid.UUID
    tenant_id: uuid.UUID | None
    source: str
    destination: str
    revision: str
    valid_from: dt.date
    publisher: str
    file_name: str
    file_sha256: str
    imported_at: dt.datetime

    @property
    def label(self) -> str:
        text = _LABELS.get(self.id)
        if text is None:
            if len(_LABELS) >= 1024:
                _LABELS.clear()
            text = _LABELS[self.id] = self._label()
        return text

    @property
    def short(self) -> str:
        return f"{SOURCE_TITLES.get(self.source, self.source)} {self.revision}"

    @property
    def title(self) -> str:
        """The publisher's name of the source (each line names it; revision and dates are in its duty_match)."""
        return SOURCE_TITLES.get(self.source, self.source)

    @property
    def named(self) -> str:
        """How a quote's explanation names it once (the file, its hash and the import are in its ``schedules``)."""
        scope = "" if self.tenant_id is None else ", uploaded by this tenant"
        return f"{self.title} revision {self.revision} (valid from {self.valid_from.isoformat()}{scope})"

    def _label(self) -> str:
        scope = "" if self.tenant_id is None else ", uploaded by this tenant"
        return (
            f"{SOURCE_TITLES.get(self.source, self.source)} revision {self.revision} (valid from "
            f"{self.valid_from.isoformat()}, file {self.file_name or 'unnamed'} sha256 {self.file_sha256[:12]}, "
            f"imported {self.imported_at.date().isoformat()}{scope})"
        )


@dataclass(frozen=True, slots=True)
class Measure:
    """A stored schedule measure, as the matcher reads it."""

    code: str
    seq: int
    measure_type: str
    origin_group: str
    origins: tuple[str, ...] | None
    excluded_origins: tuple[str, ...]
    program: str | None
    expression: str
    parsed: Expression | None
    uncomputable: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    file_row: int
    note: str | None = None
    # What explanations call it; built once when read from storage (see ``title``).
    caption: str = ""
    # ``parsed.ad_valorem_rate()`` (one ad valorem term, most of a schedule; free is 0), else None:
    # read on every priced line, so worked out once when the measure is read from storage.
    ad_valorem: Decimal | None = field(init=False, default=None)
    # ``<code>#<seq>``: how quotes and the API name the measure within its schedule.
    ref: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "ad_valorem", None if self.parsed is None else self.parsed.ad_valorem_rate())
        object.__setattr__(self, "ref", f"{self.code}#{self.seq}")

    def valid_on(self, day: dt.date, schedule_from: dt.date) -> bool:
        start = self.valid_from or schedule_from
        return start <= day and (self.valid_to is None or day < self.valid_to)

    def covers(self, origin: str | None) -> bool:
        if origin is not None and origin in self.excluded_origins:
            return False
        if self.origins is None:
            return True
        return origin is not None and origin in self.origins

    def title(self) -> str:
        return self.caption or self.describe()

    def describe(self) -> str:
        kind = {
            "third_country": "third-country duty",
            "preferential": "preferential duty",
            "column2": "Column 2 duty",
            "additional": "additional duty",
        }.get(self.measure_type, self.measure_type)
        group = f" {self.origin_group}" if self.origin_group else ""
        program = f" {self.program}" if self.program else ""
        return f'{kind}{program}{group} "{self.expression}" (code {self.code}, file row {self.file_row})'


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """Every measure of a schedule on a wanted code's prefixes and on the codes under it."""

    wanted: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """One schedule and the entries for one quote's codes (what :mod:`customs.rules.base` reads)."""

    info: ScheduleInfo
    entries: Mapping[str, CodeEntry]
    claim_preference: bool

    def entry(self, code: str) -> CodeEntry:
        return self.entries.get(code) or CodeEntry(code, ())


@dataclass(slots=True)
class Selection:
    """What applies to one line: the base measure, the claimable preferences, the additions."""

    level: int  # digits of the code whose measure is the base
    matched_code: str
    base: Measure
    preferences: list[Measure] = field(default_factory=list)
    additional: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What pricing built from this selection, by the refs of the measures applied (see rules.base).
    made: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def signature(self) -> tuple[object, ...]:
        return (
            self.base.measure_type,
            self.base.expression,
            tuple(sorted(m.expression for m in self.preferences)),
            tuple(sorted(m.expression for m in self.additional)),
        )


class Ambiguous(ValueError):
    """The line's code is shorter than the schedule's national codes, and those carry different duties."""

    def __init__(self, wanted: str, candidates: Sequence[tuple[str, str]], total: int) -> None:
        self.wanted = wanted
        self.candidates = list(candidates)
        self.total = total
        shown = "; ".join(f"{code}: {text}" for code, text in self.candidates)
        more = f" and {total - len(self.candidates)} more" if total > len(self.candidates) else ""
        super().__init__(
            f"HS {wanted} is not specific enough for this tariff: the national codes under it carry different "
            f"duties ({shown}{more}); send the full code"
        )


def _resolve(
    code: str, measures: Iterable[Measure], day: dt.date, origin: str | None, start: dt.date
) -> Selection | None:
    """The selection for ``code`` from the measures on its prefixes (``measures`` may hold others)."""
    on_path = [m for m in measures if code.startswith(m.code) and m.valid_on(day, start)]
    third = [m for m in on_path if m.measure_type == "third_country" and m.covers(origin)]
    if not third:
        return None
    longest = max(len(m.code) for m in third)
    # Several third-country measures on one code: one on named origins (RU/BY, the Channel Islands)
    # replaces the ERGA OMNES duty for them, and an autonomous suspension (TARIC type 112) replaces
    # the third-country duty; then the first published row. The others are named in the notes.
    at_level = sorted(
        (m for m in third if len(m.code) == longest),
        key=lambda m: (m.origins is None, not _is_suspension(m), m.file_row, m.seq),
    )
    base = at_level[0]
    selection = Selection(level=longest, matched_code=base.code, base=base)
    for other in at_level[1:]:
        if other.expression != base.expression:
            selection.notes.append(f"another third-country measure on {other.code} is not used: {other.title()}")
    column2 = [m for m in on_path if m.measure_type == "column2" and m.origins is not None and m.covers(origin)]
    if column2:
        best = max(column2, key=lambda m: (len(m.code), -m.file_row))
        selection.base = best
        selection.level, selection.matched_code = len(best.code), best.code
        selection.notes.append(
            f"origin {origin} is a Column 2 country: {best.title()} replaces the general rate {base.expression!r}"
        )
        return selection  # no preference for Column 2 origins
    selection.preferences = [m for m in on_path if m.measure_type == "preferential" and m.covers(origin)]
    # Origin groups whose members the file does not list are kept (origins == ()) but never applied.
    unknown = [m for m in on_path if m.measure_type == "preferential" and m.origins == () and m.note]
    for m in unknown:
        selection.notes.append(f"preference not applied: {m.title()}: {m.note}")
    selection.additional = [m for m in on_path if m.measure_type == "additional" and m.covers(origin)]
    return selection


def _is_suspension(measure: Measure) -> bool:
    # The importers name a suspension in the note (ScheduleMeasure has no field for the type code).
    return bool(measure.note) and "suspension" in (measure.note or "")


def select(
    entry: CodeEntry, *, day: dt.date, origin: str | None, schedule_from: dt.date, memo_key: object = None
) -> Selection | None:
    """The measures that apply to ``entry.wanted`` for ``origin`` on ``day``; None when none does.

    ``memo_key`` (the schedule's id: its measures never change) lets the answer be remembered; the
    returned selection must then be read, not changed.

    Raises:
        Ambiguous: the schedule's longer codes under ``entry.wanted`` resolve to different duties.
    """
    if memo_key is None:
        return _select(entry, day=day, origin=origin, schedule_from=schedule_from)
    key = (memo_key, entry.wanted, day, origin)
    hit = _SELECTED.get(key, _MISSING)
    if hit is _MISSING:
        try:
            hit = _select(entry, day=day, origin=origin, schedule_from=schedule_from)
        except Ambiguous as exc:
            hit = exc
        if len(_SELECTED) >= _SELECTED_LIMIT:
            _SELECTED.clear()
        _SELECTED[key] = hit
    if isinstance(hit, Ambiguous):
        raise hit
    return hit  # type: ignore[return-value]


_MISSING = object()
_SELECTED: dict[tuple[object, ...], object] = {}
_SELECTED_LIMIT = 100_000


def _select(entry: CodeEntry, *, day: dt.date, origin: str | None, schedule_from: dt.date) -> Selection | None:
    wanted = entry.wanted
    own = _resolve(wanted, entry.measures, day, origin, schedule_from)
    below = sorted({m.code for m in entry.measures if len(m.code) > len(wanted) and m.code.startswith(wanted)})
    if not below:
        return own
    resolved: dict[str, Selection] = {}
    for code in below:
        found = _resolve(code, entry.measures, day, origin, schedule_from)
        if found is not None:
            resolved[code] = found
    # Codes under ``wanted`` with no measure of their own inherit ``own``: it is one of the outcomes.
    outcomes = list(resolved.values()) + ([own] if own is not None else [])
    if not outcomes:
        return None
    signatures = {s.signature() for s in outcomes}
    if len(signatures) > 1:
        distinct: dict[tuple[object, ...], tuple[str, str]] = {}
        for code, s in resolved.items():
            distinct.setdefault(s.signature(), (code, _summary(s)))
        if own is not None:
            distinct.setdefault(own.signature(), (own.matched_code, _summary(own)))
        raise Ambiguous(wanted, list(distinct.values())[:6], len(distinct))
    chosen = own if own is not None else next(iter(resolved.values()))
    if resolved:
        codes = list(resolved)
        shown = ", ".join(codes[:4]) + (f" and {len(codes) - 4} more" if len(codes) > 4 else "")
        chosen.notes.append(
            f"HS {wanted} has {len(codes)} national code(s) under it in this tariff ({shown}); all carry the same "
            "duties, so the quote holds for each"
        )
    return chosen


def _summary(selection: Selection) -> str:
    parts = [selection.base.expression]
    parts += [f"+ {m.expression} ({m.program or m.origin_group})" for m in selection.additional]
    return " ".join(parts)
