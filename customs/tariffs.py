"""Tariff data as data: row types, the starter set loader and tenant overrides.

Every row carries ``valid_from`` (inclusive), ``valid_to`` (exclusive, ``None`` = open), ``source``
and ``status`` (``official``, ``secondary``, ``unverified``, ``tenant``). A change of rate or
threshold is an edit of ``customs/data/*.json`` (or a tenant row), never of code.

:class:`TariffTables` is an immutable in-memory index built once: duty measures are indexed by
destination then HS prefix so a lookup walks at most 11 dictionary probes (longest prefix first).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Literal

import msgspec

__all__ = [
    "Destination",
    "DutyMeasure",
    "Fee",
    "Notice",
    "TariffRow",
    "TariffTables",
    "TaxRate",
    "Threshold",
    "as_override",
    "load_starter_tables",
    "merge_overrides",
    "normalize_hs",
    "rank_ties",
]

Status = Literal["official", "secondary", "unverified", "tenant"]
MeasureKind = Literal["ad_valorem", "specific", "compound", "free", "flat_per_item_category", "not_covered"]


class _Row(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    id: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    source: str
    status: Status = "unverified"
    note: str | None = None
    priority: int = 0

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def caveat(self) -> str:
        """The words a clerk must read next to a figure from this row ("" for official rows)."""
        parts = []
        if self.status != "official":
            parts.append(f"{self.status}: {self.source}")
        if self.note:
            parts.append(self.note)
        return f" [{'; '.join(parts)}]" if parts else ""


class Destination(_Row, tag="destination", kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A destination country: its rule module and its currency over time."""

    country: str
    rules: str
    currency: str
    union: str | None = None


class DutyMeasure(_Row, tag="duty", kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A duty measure on an HS prefix. ``rate`` is percent; ``amount`` a specific duty per ``per``.

    ``compound`` combines the ad valorem and specific parts with ``combine`` (sum, max, min).
    ``layer="additional"`` rows (surcharges) add to whichever base measure applies.
    """

    destination: str
    hs_prefix: str
    kind: MeasureKind
    layer: Literal["base", "additional"] = "base"
    rate: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    per: Literal["item", "kg", "100kg_gross"] | None = None
    combine: Literal["sum", "max", "min"] = "sum"
    origin_in: tuple[str, ...] | None = None
    origin_not_in: tuple[str, ...] | None = None
    hs_prefixes: tuple[str, ...] | None = None
    # A tenant's catch-all rate for codes its schedule lacks: quotes say loudly that it was used.
    is_fallback: bool = False

    def origin_ok(self, origin: str | None) -> bool:
        if self.origin_in is not None and origin not in self.origin_in:
            return False
        return not (self.origin_not_in is not None and origin in self.origin_not_in)


class TaxRate(_Row, tag="tax", kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A VAT/GST/consumption-tax rate for a country (and region), by category or HS prefix."""

    destination: str
    code: str
    rate: Decimal
    category: str = "standard"
    region: str | None = None
    hs_prefix: str | None = None
    min_unit_value: Decimal | None = None


class Threshold(_Row, tag="threshold", kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A de minimis, low-value regime or limit. ``kind`` is read by the destination's rule module."""

    destination: str
    kind: str
    amount: Decimal
    currency: str
    basis: Literal["intrinsic", "customs_value", "duty_paid_price", "tax_amount", "item_value", "rate"]
    per: Literal["consignment", "item", "declaration", "transaction", "year"] = "consignment"
    transport_modes: tuple[str, ...] | None = None
    ship_from_in: tuple[str, ...] | None = None
    origin_in: tuple[str, ...] | None = None
    origin_not_in: tuple[str, ...] | None = None
    excluded_hs_prefixes: tuple[str, ...] = ()

    def specificity(self) -> int:
        return sum(x is not None for x in (self.transport_modes, self.ship_from_in, self.origin_in, self.origin_not_in))


class Fee(_Row, tag="fee", kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A government fee: ``ad_valorem`` (percent of customs value, clamped to min/max) or ``flat``."""

    destination: str
    code: str
    kind: Literal["ad_valorem", "flat"]
    currency: str
    rate: Decimal | None = None
    amount: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    transport_modes: tuple[str, ...] | None = None
    entry: Literal["formal", "informal"] | None = None
    # "dutiable": only where duty is due (US dutiable-mail MPF); "dutiable_or_taxable": where duty or
    # import tax is collected (the Canada Post handling fee, charged per mail item of either kind).
    when: Literal["always", "dutiable", "dutiable_or_taxable"] = "always"


class Notice(_Row, tag="notice", kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A sentence the explanation must carry on matching quotes (what the data leaves out)."""

    destination: str
    text: str
    origin_in: tuple[str, ...] | None = None
    transport_modes: tuple[str, ...] | None = None


TariffRow = Destination | DutyMeasure | TaxRate | Threshold | Fee | Notice

_ROWS_DECODER = msgspec.json.Decoder(list[TariffRow])

DATA_FILES = (
    "destinations.json",
    "duty_measures.json",
    "tax_rates.json",
    "thresholds.json",
    "fees.json",
    "notices.json",
)
STARTER_VERSION = "starter-2026-11-27"
_MEMO_LIMIT = 50_000


def normalize_hs(raw: str) -> str:
    """Digits only: ``"8518.40.20"`` -> ``"85184020"``. Separators ``.``, space and ``-`` are dropped."""
    return raw.replace(".", "").replace(" ", "").replace("-", "")


@dataclass(frozen=True, slots=True)
class TariffTables:
    """Immutable indexes over all rows. Build with :func:`load_starter_tables` / :func:`merge_overrides`."""

    rows: tuple[TariffRow, ...]
    version: str
    destinations: dict[str, tuple[Destination, ...]] = field(default_factory=dict)
    duties: dict[str, dict[str, tuple[DutyMeasure, ...]]] = field(default_factory=dict)
    taxes: dict[str, tuple[TaxRate, ...]] = field(default_factory=dict)
    thresholds: dict[tuple[str, str], tuple[Threshold, ...]] = field(default_factory=dict)
    fees: dict[str, tuple[Fee, ...]] = field(default_factory=dict)
    notices: dict[str, tuple[Notice, ...]] = field(default_factory=dict)
    nomenclature: frozenset[str] | None = None
    # Lookups already answered (the tables are immutable, so an answer never goes stale).
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)

    def remember(self, key: tuple[object, ...], value: object) -> None:
        if len(self.memo) >= _MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = value

    @classmethod
    def build(cls, rows: Iterable[TariffRow], version: str, nomenclature: frozenset[str] | None = None) -> TariffTables:
        all_rows = tuple(rows)
        dest: dict[str, list[Destination]] = {}
        duties: dict[str, dict[str, list[DutyMeasure]]] = {}
        taxes: dict[str, list[TaxRate]] = {}
        thresholds: dict[tuple[str, str], list[Threshold]] = {}
        fees: dict[str, list[Fee]] = {}
        notices: dict[str, list[Notice]] = {}
        for row in all_rows:
            if isinstance(row, Destination):
                dest.setdefault(row.country, []).append(row)
            elif isinstance(row, DutyMeasure):
                by_prefix = duties.setdefault(row.destination, {})
                for prefix in row.hs_prefixes or (row.hs_prefix,):
                    by_prefix.setdefault(normalize_hs(prefix), []).append(row)
            elif isinstance(row, TaxRate):
                taxes.setdefault(row.destination, []).append(row)
            elif isinstance(row, Threshold):
                thresholds.setdefault((row.destination, row.kind), []).append(row)
            elif isinstance(row, Fee):
                fees.setdefault(row.destination, []).append(row)
            else:
                notices.setdefault(row.destination, []).append(row)

        return cls(
            rows=all_rows,
            version=version,
            destinations={k: tuple(v) for k, v in dest.items()},
            duties={d: {k: tuple(v) for k, v in p.items()} for d, p in duties.items()},
            taxes={k: tuple(v) for k, v in taxes.items()},
            thresholds={k: tuple(v) for k, v in thresholds.items()},
            fees={k: tuple(v) for k, v in fees.items()},
            notices={k: tuple(v) for k, v in notices.items()},
            nomenclature=nomenclature,
        )

    # -- lookups ---------------------------------------------------------------------------------

    def destination(self, country: str, day: dt.date) -> Destination | None:
        rows = [r for r in self.destinations.get(country, ()) if r.valid_on(day)]
        return max(rows, key=lambda r: r.priority) if rows else None

    def coverage(self, country: str) -> tuple[dt.date, dt.date | None] | None:
        rows = self.destinations.get(country, ())
        if not rows:
            return None
        ends = [r.valid_to for r in rows]
        return min(r.valid_from for r in rows), None if None in ends else max(e for e in ends if e is not None)

    def duty_measures(self, destination: str, hs: str, day: dt.date, origin: str | None) -> list[DutyMeasure]:
        """Base measure (longest prefix, then origin-specific, then priority) followed by additional layers."""
        key = ("duty", destination, hs, day, origin)
        hit = self.memo.get(key)
        if not isinstance(hit, list):
            hit = self._duty_measures(destination, hs, day, origin)
            self.remember(key, hit)
        return list(hit)

    def _duty_measures(self, destination: str, hs: str, day: dt.date, origin: str | None) -> list[DutyMeasure]:
        by_prefix = self.duties.get(destination)
        if not by_prefix:
            return []
        base_length = -1
        base: DutyMeasure | None = None
        additional: list[DutyMeasure] = []
        for length in range(len(hs), -1, -1):
            for row in by_prefix.get(hs[:length], ()):
                if row.kind == "flat_per_item_category" or not row.valid_on(day) or not row.origin_ok(origin):
                    continue
                if row.layer == "additional":
                    if row not in additional:
                        additional.append(row)
                elif base is None or (base_length == length and _measure_rank(row) > _measure_rank(base)):
                    # Only rows at the longest matching prefix compete; a shorter prefix never wins.
                    base, base_length = row, length
        return ([base] if base else []) + additional

    def flat_measure(self, destination: str, day: dt.date) -> DutyMeasure | None:
        """The flat-per-item-category measure (the EU interim EUR 3) valid on ``day``, if any."""
        rows = [
            r
            for r in self.duties.get(destination, {}).get("", ())
            if r.kind == "flat_per_item_category" and r.valid_on(day)
        ]
        return max(rows, key=_measure_rank) if rows else None

    def tax_rates(self, country: str, day: dt.date) -> list[TaxRate]:
        return [r for r in self.taxes.get(country, ()) if r.valid_on(day)]

    def threshold(
        self,
        destination: str,
        kind: str,
        day: dt.date,
        *,
        transport_mode: str | None = None,
        ship_from: str | None = None,
        origin: str | None = None,
    ) -> Threshold | None:
        """The most specific matching row of ``kind`` valid on ``day`` (highest priority first)."""
        best: Threshold | None = None
        for row in self.thresholds.get((destination, kind), ()):
            if not row.valid_on(day):
                continue
            if row.transport_modes is not None and transport_mode not in row.transport_modes:
                continue
            if row.ship_from_in is not None and ship_from not in row.ship_from_in:
                continue
            if row.origin_in is not None and origin not in row.origin_in:
                continue
            if row.origin_not_in is not None and origin in row.origin_not_in:
                continue
            if best is None or (row.priority, row.specificity()) > (best.priority, best.specificity()):
                best = row
        return best

    def fee_rows(self, destination: str, day: dt.date) -> list[Fee]:
        return [r for r in self.fees.get(destination, ()) if r.valid_on(day)]

    def notices_for(self, destination: str, day: dt.date, origins: set[str | None], mode: str) -> list[Notice]:
        out = []
        for row in self.notices.get(destination, ()):
            if not row.valid_on(day):
                continue
            if row.origin_in is not None and not origins.intersection(row.origin_in):
                continue
            if row.transport_modes is not None and mode not in row.transport_modes:
                continue
            out.append(row)
        return out


def _measure_rank(row: DutyMeasure) -> tuple[int, int, dt.date]:
    return (row.priority, row.origin_in is not None, row.valid_from)


def _origins_meet(a: DutyMeasure, b: DutyMeasure) -> bool:
    """Whether some origin (or none given) passes both rows' :meth:`DutyMeasure.origin_ok`."""
    ins = [set(r.origin_in) for r in (a, b) if r.origin_in is not None]
    if not ins:
        return True  # an origin neither row excludes (or no origin at all) passes both
    excluded = set(a.origin_not_in or ()) | set(b.origin_not_in or ())
    return bool(set.intersection(*ins) - excluded)


def rank_ties(rows: Iterable[TariffRow]) -> list[tuple[DutyMeasure, DutyMeasure]]:
    """Pairs of duty rows the lookups cannot tell apart, so load order alone picks one.

    Base measures compete at one HS prefix by :func:`_measure_rank` when both are valid on a day
    (an equal ``valid_from`` makes that day) and both pass the origin check for some origin; the
    flat-per-item-category measure is picked by the same rank, whatever the origin. Additional
    layers all apply, so they never tie. ``rows`` must carry the priorities the tables will hold
    (see :func:`as_override`).
    """
    groups: dict[tuple[str, str, bool, tuple[int, int, dt.date]], list[DutyMeasure]] = {}
    for row in rows:
        if not isinstance(row, DutyMeasure) or row.layer != "base":
            continue
        flat = row.kind == "flat_per_item_category"
        for prefix in dict.fromkeys(normalize_hs(p) for p in row.hs_prefixes or (row.hs_prefix,)):
            groups.setdefault((row.destination, prefix, flat, _measure_rank(row)), []).append(row)
    ties: list[tuple[DutyMeasure, DutyMeasure]] = []
    seen: set[tuple[str, str]] = set()
    for (_, _, flat, _), members in groups.items():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                if (first.id, second.id) not in seen and (flat or _origins_meet(first, second)):
                    seen.add((first.id, second.id))
                    ties.append((first, second))
    return ties


def _digest(chunks: Sequence[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()[:12]


def decode_rows(raw: bytes | str) -> list[TariffRow]:
    """Decode a JSON list of tagged rows (``{"type": "duty", ...}``); raises ``msgspec.ValidationError``."""
    return _ROWS_DECODER.decode(raw)


_STARTER: TariffTables | None = None


def load_starter_tables() -> TariffTables:
    """The curated starter set shipped in ``customs/data`` (cached; the tables are immutable)."""
    global _STARTER  # noqa: PLW0603 - a read-only cache of package data
    if _STARTER is None:
        package = resources.files("customs") / "data"
        chunks = [(package / name).read_bytes() for name in DATA_FILES]
        rows: list[TariffRow] = []
        for chunk in chunks:
            rows.extend(decode_rows(chunk))
        _STARTER = TariffTables.build(rows, f"{STARTER_VERSION}+{_digest(chunks)}")
    return _STARTER


def as_override(row: TariffRow) -> TariffRow:
    """``row`` as :func:`merge_overrides` lays it over the starter set: priority at least 100."""
    return msgspec.structs.replace(row, priority=max(row.priority, 100))


def merge_overrides(
    tables: TariffTables,
    rows: Iterable[TariffRow],
    *,
    label: str = "tenant",
    nomenclature: frozenset[str] | None = None,
) -> TariffTables:
    """Tables with ``rows`` layered on top: a row whose ``id`` exists replaces it; new rows are added.

    Override rows outrank starter rows at the same HS prefix because their ``priority`` is raised
    by 100 (unless they set a higher one). ``rules_version`` gains a digest of the override rows.
    """
    extra = [as_override(r) for r in rows]
    ids = {r.id for r in extra}
    merged = [r for r in tables.rows if r.id not in ids] + extra
    digest = _digest([msgspec.json.encode(extra)])
    return TariffTables.build(
        merged,
        f"{tables.version}+{label}-{digest}",
        nomenclature if nomenclature is not None else tables.nomenclature,
    )
