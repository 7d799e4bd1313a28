"""Exchange rates with date and source: ECB reference-rate XML, manual rates, per-quote overrides.

A rate ``BASE/QUOTE`` is the units of QUOTE for one BASE (``"AUD/USD": "0.91"``: one Australian
dollar buys 0.91 US dollars), the ECB's and API.md's convention. Conversions are exact fractions:
``amount x numerator / denominator`` is evaluated with 50 significant digits and rounded **once**,
half-up, to the target currency's minor unit. An inverse rate is never materialised as a rounded
``1 / rate``; crossing through EUR multiplies the two legs' fractions before the single rounding.
"""

from __future__ import annotations

import bisect
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

import msgspec

__all__ = [
    "ECB_SOURCE",
    "Conversion",
    "FxRate",
    "FxTable",
    "manual_rate",
    "parse_ecb_xml",
    "parse_override_rates",
    "resolve_conversion",
]

ECB_SOURCE = "ECB euro foreign exchange reference rates"
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
_PRECISION = 50
# One fixed context instead of ``localcontext()`` per amount (a context copy and a ContextVar set
# each time, the costliest part of a conversion). It is what localcontext gave: the default context
# (nobody here changes it) with 50 digits.
_EXACT = Context(prec=_PRECISION)
_UNITS = {exponent: Decimal(1).scaleb(-exponent) for exponent in range(5)}
_MIN_RATE, _MAX_RATE = Decimal("1e-9"), Decimal("1e9")


class FxRate(msgspec.Struct, frozen=True, kw_only=True):
    """``rate`` units of ``quote`` for one ``base``, published ``as_of`` by ``source``."""

    base: str
    quote: str
    rate: Decimal
    as_of: dt.date
    source: str

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"


@dataclass(frozen=True, slots=True)
class _Leg:
    rate: FxRate
    inverted: bool  # True: we go quote -> base, i.e. divide by the rate


@dataclass(frozen=True, slots=True)
class Conversion:
    """How ``source`` currency becomes ``target``: ``amount x numerator / denominator``."""

    source: str
    target: str
    numerator: Decimal
    denominator: Decimal
    legs: tuple[_Leg, ...]

    def exact(self, amount: Decimal) -> Decimal:
        return _EXACT.divide(_EXACT.multiply(amount, self.numerator), self.denominator)

    def apply(self, amount: Decimal, exponent: int, rounding: str = ROUND_HALF_UP) -> Decimal:
        """Convert and round once to ``exponent`` digits with ``rounding`` (half-up by default)."""
        unit = _UNITS.get(exponent) or Decimal(1).scaleb(-exponent)
        exact = _EXACT.divide(_EXACT.multiply(amount, self.numerator), self.denominator)
        return exact.quantize(unit, rounding)  # in the caller's context, as before

    def describe(self) -> str:
        if not self.legs:
            return f"{self.source} = {self.target}"
        steps = []
        for leg in self.legs:
            op = "÷" if leg.inverted else "x"
            steps.append(f"{op} {leg.rate.rate} ({leg.rate.pair}, {leg.rate.source}, {leg.rate.as_of.isoformat()})")
        return f"{self.source} -> {self.target}: amount " + " ".join(steps)

    def rates_used(self) -> list[FxRate]:
        return [leg.rate for leg in self.legs]


class FxTable:
    """Rates indexed by pair, sorted by date; immutable once built."""

    __slots__ = ("_by_pair", "_dates")

    def __init__(self, rates: Iterable[FxRate] = ()) -> None:
        by_pair: dict[tuple[str, str], list[FxRate]] = {}
        for rate in rates:
            by_pair.setdefault((rate.base, rate.quote), []).append(rate)
        for rows in by_pair.values():
            rows.sort(key=lambda r: r.as_of)
        self._by_pair = by_pair
        self._dates = {pair: [r.as_of for r in rows] for pair, rows in by_pair.items()}

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_pair.values())

    def with_rates(self, rates: Iterable[FxRate]) -> FxTable:
        """A new table with ``rates`` added (a manual rate for the same pair and date wins)."""
        merged = {(r.base, r.quote, r.as_of): r for rows in self._by_pair.values() for r in rows}
        merged.update({(r.base, r.quote, r.as_of): r for r in rates})
        return FxTable(merged.values())

    def latest(self, base: str, quote: str, on: dt.date, max_age_days: int) -> FxRate | None:
        """The newest rate for ``base/quote`` published on or before ``on`` and not older than ``max_age_days``."""
        dates = self._dates.get((base, quote))
        if not dates:
            return None
        i = bisect.bisect_right(dates, on)
        if i == 0:
            return None
        rate = self._by_pair[(base, quote)][i - 1]
        return rate if (on - rate.as_of).days <= max_age_days else None


def _decimal_rate(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"{raw!r} is not a decimal rate") from None
    if not value.is_finite() or value <= 0:
        raise ValueError("a rate must be a positive decimal")
    if not _MIN_RATE <= value <= _MAX_RATE:
        # Real pairs of ISO currencies stay within a few million either way; beyond this a rate is
        # a typo, and one like 1e400 made amounts too long to round (a 500 instead of a 422).
        raise ValueError(f"a rate must be from {_MIN_RATE:f} to {_MAX_RATE:f}")
    return value


def manual_rate(base: str, quote: str, rate: str, as_of: dt.date, source: str = "manual entry") -> FxRate:
    """A rate typed in by a clerk (``rate`` as a decimal string)."""
    return FxRate(base=base.upper(), quote=quote.upper(), rate=_decimal_rate(rate), as_of=as_of, source=source)


def parse_override_rates(raw: Mapping[str, str], as_of: dt.date) -> list[FxRate]:
    """Per-quote ``fx_rates``: keys ``"BASE/QUOTE"``, values decimal strings.

    Raises:
        ValueError: ``(key, message)`` in ``args`` for the first bad entry.
    """
    out = []
    for key, value in raw.items():
        parts = key.split("/")
        if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() and p.isupper() for p in parts):
            raise ValueError(key, "key must be 'BASE/QUOTE' with ISO 4217 codes, e.g. 'AUD/USD'")
        if parts[0] == parts[1]:
            raise ValueError(key, "base and quote currency are the same")
        if not isinstance(value, str):
            raise ValueError(key, "rate must be a decimal string")
        try:
            rate = _decimal_rate(value)
        except ValueError as exc:
            raise ValueError(key, str(exc)) from None
        out.append(FxRate(base=parts[0], quote=parts[1], rate=rate, as_of=as_of, source="per-quote override"))
    return out


def parse_ecb_xml(data: bytes | str, source: str = ECB_SOURCE) -> list[FxRate]:
    """Parse the ECB ``eurofxref-daily.xml`` (or ``-hist``/``-hist-90d``) format into EUR/XXX rates.

    Raises:
        ValueError: a DOCTYPE/ENTITY declaration, malformed XML, or a rate that is not a positive decimal.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("ECB XML must not carry a DOCTYPE or ENTITY declaration")
    try:
        root = ET.fromstring(text)  # noqa: S314 - DOCTYPE/ENTITY refused above; expat resolves no external entities
    except ET.ParseError as exc:
        raise ValueError(f"malformed ECB XML: {exc}") from None
    rates: list[FxRate] = []
    for day_cube in root.iter(f"{_ECB_NS}Cube"):
        time = day_cube.get("time")
        if time is None:
            continue
        try:
            as_of = dt.date.fromisoformat(time)
        except ValueError:
            raise ValueError(f"bad ECB date {time!r}") from None
        for cube in day_cube.findall(f"{_ECB_NS}Cube"):
            currency, rate = cube.get("currency"), cube.get("rate")
            if currency is None or rate is None:
                raise ValueError(f"ECB cube on {time} lacks currency or rate")
            rates.append(FxRate(base="EUR", quote=currency, rate=_decimal_rate(rate), as_of=as_of, source=source))
    if not rates:
        raise ValueError("no rates found in the ECB XML")
    return rates


def _find_leg(
    source: str,
    target: str,
    *,
    overrides: Mapping[tuple[str, str], FxRate],
    table: FxTable,
    on: dt.date,
    max_age_days: int,
) -> _Leg | None:
    if (hit := overrides.get((source, target))) is not None:
        return _Leg(hit, inverted=False)
    if (hit := overrides.get((target, source))) is not None:
        return _Leg(hit, inverted=True)
    if (found := table.latest(source, target, on, max_age_days)) is not None:
        return _Leg(found, inverted=False)
    if (found := table.latest(target, source, on, max_age_days)) is not None:
        return _Leg(found, inverted=True)
    return None


def resolve_conversion(
    source: str,
    target: str,
    *,
    overrides: Iterable[FxRate] = (),
    table: FxTable | None = None,
    on: dt.date,
    max_age_days: int = 7,
) -> Conversion | None:
    """Find how to convert ``source`` into ``target``: per-quote overrides first (either direction),
    then the table's latest rate on or before ``on`` (either direction), then a cross through EUR.
    ``None`` when no path exists."""
    if source == target:
        return Conversion(source, target, Decimal(1), Decimal(1), ())
    by_pair = {(r.base, r.quote): r for r in overrides}
    tbl = table if table is not None else FxTable()
    legs: list[_Leg] = []
    direct = _find_leg(source, target, overrides=by_pair, table=tbl, on=on, max_age_days=max_age_days)
    if direct is not None:
        legs = [direct]
    elif "EUR" not in (source, target):
        first = _find_leg(source, "EUR", overrides=by_pair, table=tbl, on=on, max_age_days=max_age_days)
        second = _find_leg("EUR", target, overrides=by_pair, table=tbl, on=on, max_age_days=max_age_days)
        if first is None or second is None:
            return None
        legs = [first, second]
    else:
        return None
    numerator, denominator = Decimal(1), Decimal(1)
    for leg in legs:
        if leg.inverted:
            denominator = _EXACT.multiply(denominator, leg.rate.rate)
        else:
            numerator = _EXACT.multiply(numerator, leg.rate.rate)
    return Conversion(source, target, numerator, denominator, tuple(legs))
