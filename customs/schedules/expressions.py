"""Duty expressions as official schedules publish them: parsed into terms a quote can compute, and computed.

Three dialects (``Dialect``):

* ``uk``: the UK Trade Tariff API's ``duty_expression.base`` (``"9.60 % + 24.20 GBP / 100 kg MAX 18.90 %"``,
  ``"0.50 GBP / % vol/hl"``, ``"1.20 GBP / 1,000 p/st"``);
* ``eu``: TARIC as the consultation writes it (``"8.3 % + 23.5 EUR / 100 kg MAX 12 % + 2.8 EUR / 100 kg"``) and
  as the Duties files write it, with measurement-unit codes and a qualifier letter (``"10.200 % + 93.100 EUR DTN"``,
  ``"10.400 % MIN 1.300 EUR DTN G"``), ``NIHIL`` (nil);
* ``us``: the USITC HTS rate columns (``"Free"``, ``"2.8¢/kg + 6.5%"``, ``"$1.06/doz. pr."``). The Special column's
  program lists (``"Free (A+,AU,...)"``) are split off first with :func:`split_us_special`.

UK and EU share one grammar (both are TARIC measure components written out); the US has its own. Every dialect
also reads the canonical text :func:`describe` writes (``"6.5 % + 0.028 USD/kg, max 12 %"``), so a stored or
shown expression reads back to the same terms::

    expression := sum [MIN sum] [MAX sum]          (either order, each at most once; "," may precede)
    sum        := term {"+" term}
    term       := rate "%" | amount currency unit | "Free" | "NIHIL"     (the dialect decides the spellings)
    unit       := "/" unit-phrase | unit-code [qualifier] (EU files) | "each" (US)

A unit phrase runs to the next ``+``, ``MIN``/``MAX`` or the end and is looked up whole (``"100 kg/net eda"``,
``"doz. pr."``), a leading count becoming ``per_quantity`` (``/ 100 kg`` is per 100 kg). Units a quote can
measure map to a canonical unit: ``kg``, ``kg_gross``, ``kg_net_drained``, ``item``, ``pair``, ``litre``,
``l_alc_100`` (litres of pure alcohol), ``m``, ``m2``; conversions that are identities become ``per_quantity``
(hl = 100 litre, m³ = 1000 litre, g = 0.001 kg, tonne = 1000 kg, metric carat = 0.0002 kg, dozen = 12 items,
gross = 144 items, proof litre = 0.5 litre of pure alcohol: a proof litre is a litre at 50 % alcohol by volume).

Two kinds of refusal:

* :class:`NotComputable`: the text is a duty, but not one a quote can compute from its own figures: agricultural
  components (EA, ADSZ, ADFM: they depend on the goods' composition), entry-price and other conditional duties
  (``Cond: ...``), references (``See 9903.88.15``, ``The rate applicable to the article of which it is a part``),
  sliding scales (``less ... for each degree``), rates on part of the article, reductions (``- ...``), two MAX
  clauses, and units that count a constituent (``1000 kg/biodiesel``, ``100 kg/net/%sacchar.``): the unit is named.
* :class:`MissingQuantity` (from :func:`evaluate`): the expression is computable but needs a quantity the line did
  not give. Alcohol duties (``% vol/hl``, ``l alc. 100%``, ``pf. liter``) parse to ``l_alc_100`` and end here:
  the duty is a plain rate per litre of pure alcohol, so it is computable as soon as a caller knows volume x
  strength, but :class:`Quantities` carries no strength; refusing at parse time would hide a duty that is there.

Everything is exact ``Decimal``: nothing is rounded here (the caller rounds where its jurisdiction rounds).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

import msgspec

from customs.numbers import fmt, pct
from hub.core.money import is_known_currency

__all__ = [
    "CANONICAL_UNITS",
    "DIALECTS",
    "Dialect",
    "Expression",
    "MissingQuantity",
    "NotComputable",
    "Quantities",
    "Term",
    "describe",
    "evaluate",
    "parse_expression",
    "split_us_special",
]

Dialect = Literal["uk", "eu", "us"]
DIALECTS: tuple[Dialect, ...] = ("uk", "eu", "us")
CANONICAL_UNITS: tuple[str, ...] = ("kg", "kg_gross", "kg_net_drained", "item", "pair", "litre", "l_alc_100", "m", "m2")

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


class NotComputable(ValueError):
    """The text is a duty a quote cannot compute from its own figures; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class MissingQuantity(ValueError):
    """The expression needs a quantity in ``unit`` (``"kg"``, ``"litre"``, ``"l_alc_100"``) the line did not give."""

    def __init__(self, unit: str, message: str) -> None:
        self.unit = unit
        super().__init__(message)


class Term(msgspec.Struct, frozen=True, kw_only=True):
    """One part of a duty: a percent of the customs value, or ``amount`` ``currency`` per ``per_quantity`` ``unit``."""

    kind: Literal["ad_valorem", "specific"]
    rate: Decimal | None = None  # percent, ad_valorem only ("6.5" = 6.5 %)
    amount: Decimal | None = None  # specific: in currency units (2.8¢ -> 0.028 USD)
    currency: str | None = None  # ISO 4217
    unit: str | None = None  # one of CANONICAL_UNITS
    per_quantity: Decimal = Decimal(1)  # 100 for "/ 100 kg", 1000 for "/ 1000 p/st", 12 for "/doz."

    def __post_init__(self) -> None:
        if self.kind == "ad_valorem":
            if self.rate is None or (self.amount, self.currency, self.unit) != (None, None, None):
                raise ValueError("an ad valorem term has a rate and no amount, currency or unit")
            _check_decimal("rate", self.rate)
            return
        if self.amount is None or not self.currency or not self.unit or self.rate is not None:
            raise ValueError("a specific term has an amount, a currency and a unit, and no rate")
        _check_decimal("amount", self.amount)
        _check_decimal("per_quantity", self.per_quantity)
        if self.per_quantity == 0:
            raise ValueError("per_quantity must be positive")


class Expression(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed duty expression: ``terms`` are summed, then clamped by ``minimum`` and ``maximum`` (each a sum)."""

    text: str  # as published
    terms: tuple[Term, ...]  # () means free
    minimum: tuple[Term, ...] | None = None  # "MIN ..." clause
    maximum: tuple[Term, ...] | None = None  # "MAX ..." clause

    def __post_init__(self) -> None:
        for name, clause in (("minimum", self.minimum), ("maximum", self.maximum)):
            if clause is not None and (not clause or not self.terms):
                raise ValueError(f"the {name} clause must hold terms, and a free expression has none")

    @property
    def kind(self) -> Literal["free", "ad_valorem", "specific", "compound"]:
        kinds = {t.kind for t in (*self.terms, *(self.minimum or ()), *(self.maximum or ()))}
        if not kinds:
            return "free"
        if kinds == {"ad_valorem"}:
            return "ad_valorem"
        if kinds == {"specific"}:
            return "specific"
        return "compound"

    def ad_valorem_rate(self) -> Decimal | None:
        """The percent when the whole expression is one ad valorem term (free: 0), else ``None``."""
        if self.minimum is not None or self.maximum is not None:
            return None
        if not self.terms:
            return ZERO
        if len(self.terms) == 1 and self.terms[0].kind == "ad_valorem":
            return self.terms[0].rate
        return None


class Quantities(msgspec.Struct, frozen=True, kw_only=True):
    """What a line says about its quantity: items (pieces, or pairs for pair-counted goods), net kg, litres."""

    items: Decimal
    kg: Decimal | None = None
    litres: Decimal | None = None


def _check_decimal(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative Decimal, not {value!r}")


# --- units ------------------------------------------------------------------------------------------------------
# A table maps a unit key (see _unit_key) to (canonical unit, per_quantity), or to a str: the reason a quote has no
# such quantity (the unit counts a constituent of the goods, or is not a quantity at all).

_UnitEntry = tuple[str, Decimal] | str


def _u(unit: str, per: str | int = 1) -> tuple[str, Decimal]:
    return unit, Decimal(per)


_CANONICAL: dict[str, _UnitEntry] = {unit: _u(unit) for unit in CANONICAL_UNITS}

# Abbreviations of the TARIC measurement units and qualifiers as the UK Trade Tariff and the EU consultation write
# them (the UK backend's measurement-unit list: "100 kg/net eda", "% vol/hl", "1,000 p/st", "m²", ...).
_TARIC_UNITS: dict[str, _UnitEntry] = {
    "kg": _u("kg"),
    "kg/net": _u("kg"),
    "g": _u("kg", "0.001"),
    "tonne": _u("kg", 1000),
    "kg/net eda": _u("kg_net_drained"),
    "kg/br": _u("kg_gross"),
    "gkg": _u("kg_gross"),
    "p/st": _u("item"),
    "item": _u("item"),
    "items": _u("item"),
    "pa": _u("pair"),
    "l": _u("litre"),
    "hl": _u("litre", 100),
    "m3": _u("litre", 1000),
    "% vol/hl": _u("l_alc_100"),  # 1 % vol x 1 hl = 1 litre of pure alcohol
    "l alc. 100%": _u("l_alc_100"),
    "m": _u("m"),
    "km": _u("m", 1000),
    "m2": _u("m2"),
    "c/k": _u("kg", "0.0002"),  # metric carat: 200 mg
    "% vol": "alcoholic strength by volume, not a quantity",
    "ct/l": "carrying capacity in tonnes",
    "kg/polar": "weight corrected for sugar polarisation",
    "kg dhs": "dihydrostreptomycin content",
    "kg common wheat": "common-wheat equivalent weight",
    "kg live weight": "live weight",
    "kg/net mas": "net weight of dry matter",
    "kg std qual": "weight of the standard quality",
    "kg raw sugar": "raw-sugar equivalent weight",
    "kg/raw sugar": "raw-sugar equivalent weight",
    "kg/net/%sacchar.": "sucrose content",
    "kg/net/%saccha.": "sucrose content",
    "gi f/s": "fissile isotope content",
    "gt": "gross tonnage",
    "kg c5h14clno": "choline chloride content",
    "tonne kcl": "potassium chloride content",
    "kg/tot/alc": "weight of total alcohol",
    "l total alc.": "volume of total alcohol",
    "kg/lactic matter": "lactic matter content",
    "kg/dry lactic matter": "dry lactic matter content",
    "kg methylamines": "methylamine content",
    "kg met.am.": "methylamine content",
    "kg n": "nitrogen content",
    "kg h2o2": "hydrogen peroxide content",
    "kg koh": "potassium hydroxide content",
    "kg k2o": "potassium oxide content",
    "kg p2o5": "diphosphorus pentaoxide content",
    "kg 90% sdt": "weight of 90 % dry substance",
    "kg naoh": "sodium hydroxide content",
    "kg u": "uranium content",
    "b/f": "a count the tariff qualifies 'b/f'",
    "ce/el": "number of cells",
    "tj": "gross calorific value",
    "kwh": "electrical energy",
    "kg/biodiesel": "biodiesel content",
    "kg/fuel content": "fuel content",
    "kg/bioethanol": "bioethanol content",
    "watt": "power",
}

# TARIC measurement-unit codes and qualifier letters as the EU Duties files write them ("93.100 EUR DTN G").
_TARIC_CODES: dict[str, _UnitEntry] = {
    "kgm": _u("kg"),
    "dtn": _u("kg", 100),
    "tne": _u("kg", 1000),
    "grm": _u("kg", "0.001"),
    "ctm": _u("kg", "0.0002"),
    "ltr": _u("litre"),
    "hlt": _u("litre", 100),
    "klt": _u("litre", 1000),
    "mtq": _u("litre", 1000),
    "lpa": _u("l_alc_100"),
    "nar": _u("item"),
    "cen": _u("item", 100),
    "mil": _u("item", 1000),
    "npr": _u("pair"),
    "mpr": _u("pair", 1000),
    "mtr": _u("m"),
    "hmt": _u("m", 100),
    "kmt": _u("m", 1000),
    "mtk": _u("m2"),
    "asv": "alcoholic strength by volume, not a quantity",
    "cct": "carrying capacity in tonnes",
    "dap": "weight corrected for sugar polarisation",
    "dhs": "dihydrostreptomycin content",
    "gfi": "fissile isotope content",
    "grt": "gross tonnage",
    "kcc": "choline chloride content",
    "kcl": "potassium chloride content",
    "kma": "methylamine content",
    "kni": "nitrogen content",
    "kns": "hydrogen peroxide content",
    "kph": "potassium hydroxide content",
    "kpo": "potassium oxide content",
    "kpp": "diphosphorus pentaoxide content",
    "ksd": "weight of 90 % dry substance",
    "ksh": "sodium hydroxide content",
    "kur": "uranium content",
    "ncl": "number of cells",
    "tjo": "gross calorific value",
    "mwh": "electrical energy",
    "wat": "power",
}
_WEIGHT_CODES = frozenset({"kgm", "dtn", "tne"})
_TARIC_QUALIFIERS: dict[str, str] = {
    "a": "total alcohol",
    "b": "a count qualified 'b/f'",
    "f": "common-wheat equivalent",
    "i": "biodiesel content",
    "j": "fuel content",
    "k": "bioethanol content",
    "l": "live weight",
    "m": "net weight of dry matter",
    "p": "lactic matter content",
    "r": "standard quality",
    "s": "raw-sugar equivalent",
    "t": "dry lactic matter content",
    "z": "sucrose content",
}

# The units of the HTS rate columns.
_US_UNITS: dict[str, _UnitEntry] = {
    "kg": _u("kg"),
    "t": _u("kg", 1000),
    "liter": _u("litre"),
    "litre": _u("litre"),
    "l": _u("litre"),
    "pf. liter": _u("l_alc_100", "0.5"),
    "pf. litre": _u("l_alc_100", "0.5"),
    "pf.liter": _u("l_alc_100", "0.5"),  # also written without the space
    "pf.litre": _u("l_alc_100", "0.5"),
    "proof liter": _u("l_alc_100", "0.5"),
    "no.": _u("item"),
    "each": _u("item"),
    "head": _u("item"),
    "doz.": _u("item", 12),
    "dozen": _u("item", 12),
    "gross": _u("item", 144),
    "1000": _u("item", 1000),
    "pr.": _u("pair"),
    "prs.": _u("pair"),
    "pair": _u("pair"),
    "doz. pr.": _u("pair", 12),
    "doz. prs.": _u("pair", 12),
    "m": _u("m"),
    "m2": _u("m2"),
    "m3": _u("litre", 1000),
    "kg on drained weight": _u("kg_net_drained"),
    "clean kg": "clean yield of the wool",
    "kg on contents and container": "weight of contents and container together",
    "bbl.": "barrels",
}

_UNITS: dict[Dialect, dict[str, _UnitEntry]] = {
    "uk": {**_TARIC_UNITS, **_CANONICAL},
    "eu": {**_TARIC_UNITS, **_CANONICAL},
    "us": {**_US_UNITS, **_CANONICAL},
}
_DIALECT_NAMES: dict[Dialect, str] = {"uk": "UK Trade Tariff", "eu": "EU TARIC", "us": "US HTS"}
_SYMBOLS: dict[Dialect, dict[str, str]] = {"uk": {"£": "GBP", "€": "EUR"}, "eu": {"€": "EUR"}, "us": {"$": "USD"}}
_FREE_WORDS: dict[Dialect, frozenset[str]] = {
    "uk": frozenset({"free", "nihil"}),
    "eu": frozenset({"free", "nihil"}),
    "us": frozenset({"free"}),
}
# TARIC duty-expression components that stand for an amount computed from the goods' composition (Meursing code):
# agricultural component, additional duties on sugar and flour, and their reduced forms.
_AGRICULTURAL = frozenset({"EA", "EAR", "ADSZ", "ADSZR", "ADFM", "ADFMR", "AC", "SD", "FD"})
# Monetary units TARIC uses that are not currencies a quote converts: the euro at the agricultural conversion
# rate and the old ECU.
_NOT_CURRENCIES = {"EUC": "euro at the agricultural conversion rate", "XEM": "ECU, replaced by the euro"}

_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉²³", "012345678923")
_LEADING_COUNT = re.compile(r"(?P<count>\d{1,3}(?:[ ,]\d{3})+|\d+(?:\.\d+)?)\s*(?P<rest>\D.*)")
_TARIC_CODED = re.compile(r"(?P<code>[a-z]{3})(?: (?P<qualifier>[a-z]))?")


def _unit_key(phrase: str) -> str:
    """``"100 kg / net eda"`` -> ``"100 kg/net eda"``; ``"m²"`` -> ``"m2"``; ``"l alc. 100 %"`` -> ``"l alc. 100%"``."""
    key = phrase.translate(_SUBSCRIPTS).casefold()
    key = re.sub(r"\s*/\s*", "/", key)
    key = re.sub(r"\s+%", "%", key)
    return re.sub(r"\s+", " ", key).strip()


def _taric_coded(key: str) -> _UnitEntry | None:
    match = _TARIC_CODED.fullmatch(key)
    if match is None or match["code"] not in _TARIC_CODES:
        return None
    code, qualifier = match["code"], match["qualifier"]
    base = _TARIC_CODES[code]
    if qualifier is None:
        return base
    if code == "asv" and qualifier == "x":
        return _u("l_alc_100")  # % vol per hl: litres of pure alcohol
    if code == "mtq" and qualifier == "c":
        return _u("litre", 1_000_000)  # 1000 m3
    if code in _WEIGHT_CODES and qualifier in ("e", "g") and not isinstance(base, str):
        return ("kg_net_drained" if qualifier == "e" else "kg_gross"), base[1]
    return _TARIC_QUALIFIERS.get(qualifier)


# --- tokens -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num pct plus minus slash comma sym word other
    text: str
    start: int
    end: int


_TOKEN = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<pct>%)|(?P<plus>\+)|(?P<minus>[-\u2013\u2212])|(?P<slash>/)|(?P<comma>,)"
    r"|(?P<sym>[$¢£€])"
    r"|(?P<word>[^\W\d_][\w.]*)"
    r"|(?P<other>\S)"
)


def _normalise(text: str) -> str:
    # Non-breaking and thin spaces are whitespace to \s; zero-width characters are not, so they go first.
    return re.sub(r"\s+", " ", re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)).strip()


def _tokens(src: str) -> list[_Token]:
    out = []
    for match in _TOKEN.finditer(src):
        kind = match.lastgroup
        if kind is not None:
            out.append(_Token(kind, match.group(), match.start(), match.end()))
    return out


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # the token pattern only lets digits through; kept for a clear message
        raise ValueError(f"'{text}' is not a number") from exc


# --- grammar ----------------------------------------------------------------------------------------------------

_US_PROGRAMS = re.compile(r"\(\s*[A-Z][A-Z0-9]{0,3}[+*]?(?:\s*,\s*[A-Z][A-Z0-9]{0,3}[+*]?)*\s*\)")
_US_REFERENCE = re.compile(r"see\b\D*(?P<ref>\d{4}\.\d{2}(?:\.\d{2}){0,2})", re.IGNORECASE)
_US_SLIDING = re.compile(r"\bless\b|\bnot (?:less|more) than\b|\bfor each\b", re.IGNORECASE)
_US_PART = re.compile(r"\bon the\b", re.IGNORECASE)


class _Parser:
    """Recursive descent over the tokens of one expression, in one dialect."""

    def __init__(self, published: str, dialect: Dialect) -> None:
        self.published = published
        self.dialect = dialect
        self.taric = dialect in ("uk", "eu")
        self.src = _normalise(published)
        self.toks = _tokens(self.src)
        self.i = 0

    # errors, raised where they are found: ``raise self.error(...)``
    def error(self, what: str) -> ValueError:
        return ValueError(f"duty expression {self.published!r} ({_DIALECT_NAMES[self.dialect]}): {what}")

    def error_at(self, tok: _Token, what: str) -> ValueError:
        before = self.src[: tok.start].strip()
        where = f" after '{before}'" if before else ""
        return self.error(f"'{self.src[tok.start :]}'{where} {what}")

    def refusal(self, reason: str) -> NotComputable:
        return NotComputable(f"duty expression {self.published!r}: {reason}")

    # cursor
    def peek(self) -> _Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at_boundary(self) -> bool:
        """At the end of a term: the end, '+', '-', ',' or MIN/MAX."""
        tok = self.peek()
        return tok is None or tok.kind in ("plus", "minus", "comma") or self.clause_word(tok) is not None

    @staticmethod
    def clause_word(tok: _Token | None) -> str | None:
        if tok is not None and tok.kind == "word" and tok.text.casefold() in ("min", "max"):
            return tok.text.casefold()
        return None

    # expression := sum [MIN sum] [MAX sum]
    def expression(self) -> Expression:
        if not self.src:
            raise self.error("is empty")
        self.refuse_whole_text()
        terms = self.sum()
        clauses: dict[str, tuple[Term, ...]] = {}
        while (tok := self.peek()) is not None:
            if tok.kind == "comma":
                self.take()
                tok = self.peek()
                if tok is None:
                    raise self.error("ends with a comma")
            word = self.clause_word(tok)
            if word is None:
                raise self.error_at(tok, "is not understood (expected '+', MIN, MAX or the end)")
            if not terms:
                raise self.error(f"a free duty cannot have a {word.upper()} clause")
            if word in clauses:
                raise self.refusal(f"more than one {word.upper()} clause; a quote computes one of each")
            self.take()
            clause = self.sum()
            if not clause:
                raise self.error(f"the {word.upper()} clause is empty")
            clauses[word] = clause
        return Expression(text=self.published, terms=terms, minimum=clauses.get("min"), maximum=clauses.get("max"))

    def refuse_whole_text(self) -> None:
        """Published texts that name no computable duty, recognised as a whole before the grammar runs."""
        src = self.src
        if self.taric:
            if src.casefold().startswith("cond"):
                raise self.refusal(
                    "a conditional duty (entry price, certificate or threshold): which duty applies depends on "
                    "the declared price or documents"
                )
            return
        if src.casefold().startswith("the rate applicable") or src.casefold().startswith("the duty provided"):
            raise self.refusal("the rate is that of another article or subheading, not given here")
        if (ref := _US_REFERENCE.match(src)) is not None:
            raise self.refusal(f"the rate is given at {ref['ref']} (see that heading)")
        if _US_PROGRAMS.search(src):
            raise self.error("holds a Special-column program list; split it with split_us_special() first")
        if _US_SLIDING.search(src):
            raise self.refusal("a sliding scale or a floor ('less', 'not less than', 'for each'), not modelled")
        if _US_PART.search(src):
            raise self.refusal("the rate applies to part of the article or a value other than the customs value")

    # sum := term {"+" term}
    def sum(self) -> tuple[Term, ...]:
        first = self.term()
        terms = [] if first is None else [first]
        while (tok := self.peek()) is not None and tok.kind in ("plus", "minus"):
            if tok.kind == "minus":
                raise self.refusal(
                    f"'{self.src[tok.start :]}' subtracts from the duty (a relief or reduction), which depends on "
                    "facts the text does not give"
                )
            self.take()
            nxt = self.term()
            if first is None or nxt is None:
                raise self.error("a free duty cannot be added to other terms")
            terms.append(nxt)
        return tuple(terms)

    def term(self) -> Term | None:
        tok = self.peek()
        if tok is None:
            raise self.error("ends where a duty term should follow")
        if tok.kind == "num":
            self.take()
            return self.after_number(tok)
        if tok.kind == "sym":
            return self.symbol_term(tok)
        if tok.kind == "word":
            return self.word_term(tok)
        raise self.error_at(tok, "is not a duty term (expected a percentage, an amount with its currency, or Free)")

    def word_term(self, tok: _Token) -> Term | None:
        word = tok.text
        if word.casefold() in _FREE_WORDS[self.dialect]:
            self.take()
            return None
        if self.taric and word.upper() in _AGRICULTURAL:
            raise self.refusal(
                f"{word} is an agricultural component (EA, ADSZ, ADFM...): its amount depends on the goods' "
                "composition (milk fat, milk protein, starch and sugar content)"
            )
        currency = self.currency(word)
        if currency is not None and self.taric:  # "EUR 2.30 / 100 kg/net"
            self.take()
            return self.specific(self.amount_after(word), currency)
        raise self.error_at(tok, "is not a duty term (expected a percentage, an amount with its currency, or Free)")

    def symbol_term(self, tok: _Token) -> Term:
        currency = _SYMBOLS[self.dialect].get(tok.text)
        if currency is None:
            raise self.error(f"'{tok.text}' is not a currency sign written before an amount here")
        self.take()
        return self.specific(self.amount_after(tok.text), currency)

    def amount_after(self, currency: str) -> Decimal:
        number = self.peek()
        if number is None or number.kind != "num":
            raise self.error(f"'{currency}' must be followed by an amount")
        self.take()
        return _number(number.text)

    def after_number(self, tok: _Token) -> Term:
        value = _number(tok.text)
        nxt = self.peek()
        if nxt is not None and nxt.kind == "pct":
            self.take()
            self.skip_ad_val()
            return Term(kind="ad_valorem", rate=value)
        if nxt is not None and nxt.kind == "sym" and nxt.text == "¢" and self.dialect == "us":
            self.take()
            return self.specific(value.scaleb(-2), "USD")  # cents to dollars, exact
        if nxt is not None and nxt.kind == "word" and (currency := self.currency(nxt.text)) is not None:
            self.take()
            return self.specific(value, currency)
        if nxt is None:
            raise self.error(f"'{tok.text}' is a number without '%' or a currency")
        raise self.error_at(nxt, f"does not follow '{tok.text}' as a duty (expected '%' or a currency)")

    def skip_ad_val(self) -> None:
        # HTS texts sometimes write "5% ad val."
        if self.dialect != "us" or self.i + 1 >= len(self.toks):
            return
        first, second = self.toks[self.i], self.toks[self.i + 1]
        if first.text.casefold() == "ad" and second.text.casefold() in ("val.", "val", "valorem"):
            self.i += 2

    def currency(self, word: str) -> str | None:
        if word in _NOT_CURRENCIES:
            raise self.refusal(f"{word} ({_NOT_CURRENCIES[word]}) is not a currency a quote can convert")
        return word if word.isupper() and is_known_currency(word) else None

    def specific(self, amount: Decimal, currency: str) -> Term:
        nxt = self.peek()
        if nxt is None or self.at_boundary():
            raise self.refusal(f"{fmt(amount)} {currency} names no unit to count it by")
        if nxt.kind == "slash":
            self.take()
            phrase = self.phrase()
        elif nxt.kind == "word" and (self.taric or nxt.text.casefold() == "each"):
            phrase = self.phrase()  # EU file codes ("EUR DTN G"), US "$0.45 each"
        else:
            raise self.error_at(nxt, f"does not follow '{fmt(amount)} {currency}' (expected '/' and a unit)")
        unit, per = self.unit(phrase)
        return Term(kind="specific", amount=amount, currency=currency, unit=unit, per_quantity=per)

    def phrase(self) -> str:
        first = self.peek()
        last = None
        while not self.at_boundary():
            last = self.take()
        if first is None or last is None:
            raise self.error("a unit is missing after '/'")
        return self.src[first.start : last.end]

    def unit(self, phrase: str) -> tuple[str, Decimal]:
        key = _unit_key(phrase)
        entry = self.lookup(key)
        if entry is None and (match := _LEADING_COUNT.fullmatch(key)) is not None:
            inner = self.lookup(match["rest"])
            count = Decimal(re.sub("[ ,]", "", match["count"]))
            if isinstance(inner, tuple):
                entry = inner[0], inner[1] * count
            elif inner is not None:
                entry = inner
        if entry is None:
            raise self.error(f"'{phrase}' is not a unit of the {_DIALECT_NAMES[self.dialect]}")
        if isinstance(entry, str):
            raise self.refusal(f"the duty is per '{phrase}' ({entry}): a quote has no such quantity")
        return entry

    def lookup(self, key: str) -> _UnitEntry | None:
        entry = _UNITS[self.dialect].get(key)
        if entry is None and self.taric:
            entry = _taric_coded(key)
        return entry


def parse_expression(text: str, *, dialect: Dialect) -> Expression:
    """Parse a published duty expression.

    Raises:
        NotComputable: the text is a duty a quote cannot compute (``reason`` says why, naming the unit or
            reference).
        ValueError: the text is not a duty expression of ``dialect``; the message names what was not understood.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    if not isinstance(text, str):
        raise ValueError(f"a duty expression is text, not {type(text).__name__}")
    return _Parser(text, dialect).expression()


def split_us_special(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Split an HTS Special-column text into ``(rate text, program codes)`` groups.

    ``"Free (A,AU,BH) 3.2% (JP)"`` -> ``[("Free", ("A", "AU", "BH")), ("3.2%", ("JP",))]``; a blank cell -> ``[]``.

    Raises:
        ValueError: a rate without its parenthesised program list, or a list without a rate.
    """
    src = _normalise(text)
    groups: list[tuple[str, tuple[str, ...]]] = []
    pos = 0
    for match in _US_PROGRAMS.finditer(src):
        rate = src[pos : match.start()].strip()
        programs = tuple(code.strip() for code in match.group()[1:-1].split(","))
        if not rate:
            raise ValueError(f"special-column text {text!r}: the programs {match.group()} have no rate before them")
        groups.append((rate, programs))
        pos = match.end()
    rest = src[pos:].strip()
    if rest:
        raise ValueError(
            f"special-column text {text!r}: '{rest}' is not followed by the programs it applies to, in parentheses"
        )
    return groups


# --- evaluation -------------------------------------------------------------------------------------------------

_NEEDS: dict[str, str] = {
    "kg": "the net weight in kg",
    "kg_gross": "the gross weight in kg",
    "kg_net_drained": "the net drained weight in kg",
    "litre": "the volume in litres",
    "l_alc_100": "the litres of pure alcohol (volume x alcoholic strength)",
    "m": "the length in metres",
    "m2": "the area in square metres",
}


def _need(value: Decimal | None, what: str) -> Decimal:
    # Term.__post_init__ guarantees these; a Term built with msgspec.structs.replace() may not.
    if value is None:
        raise ValueError(f"the term has no {what}")
    return value


def _term_text(term: Term) -> str:
    if term.kind == "ad_valorem":
        return f"{pct(_need(term.rate, 'rate'))} %"
    per = "" if term.per_quantity == 1 else f"{pct(term.per_quantity)} "
    return f"{pct(_need(term.amount, 'amount'))} {term.currency}/{per}{term.unit}"


def _figure(value: Decimal) -> str:
    """A computed figure for the explanation without trailing zeros (the value returned keeps them)."""
    return fmt(value.normalize()) if value else "0"


def _sum_text(terms: tuple[Term, ...]) -> str:
    return " + ".join(_term_text(t) for t in terms)


def describe(expr: Expression) -> str:
    """The canonical short text: ``"12 %"``, ``"6.5 % + 0.028 USD/kg"``, ``"8.3 % + 23.5 EUR/100 kg, max 12 %"``.

    Every dialect parses it back to the same terms.
    """
    if not expr.terms:
        return "free"
    text = _sum_text(expr.terms)
    if expr.minimum is not None:
        text += ", min " + _sum_text(expr.minimum)
    if expr.maximum is not None:
        text += ", max " + _sum_text(expr.maximum)
    return text


@dataclass(frozen=True, slots=True)
class _Calculator:
    customs_value: Decimal
    quantities: Quantities
    convert: Callable[[Decimal, str], Decimal]
    currency: str

    def quantity(self, term: Term, unit: str) -> Decimal:
        q = self.quantities
        value = {"item": q.items, "pair": q.items, "kg": q.kg, "litre": q.litres}.get(unit)
        if value is None:
            raise MissingQuantity(
                unit,
                f"the duty {_term_text(term)} needs {_NEEDS.get(unit, 'a quantity in ' + unit)}, "
                "which the line does not give",
            )
        return value

    def term(self, term: Term) -> tuple[Decimal, str]:
        if term.kind == "ad_valorem":
            rate = _need(term.rate, "rate")
            return rate * self.customs_value / HUNDRED, f"{pct(rate)} % x {fmt(self.customs_value)}"
        amount = _need(term.amount, "amount")
        currency, unit = term.currency or "", term.unit or ""
        qty = self.quantity(term, unit)
        unit_amount = amount if currency == self.currency else self.convert(amount, currency)
        converted = "" if currency == self.currency else f" ({fmt(unit_amount)} {self.currency})"
        pairs = " (items counted as pairs)" if unit == "pair" else ""
        # Multiply before dividing: exact unless per_quantity does not divide (a dozen), then 28 digits.
        value = unit_amount * qty / term.per_quantity
        return value, f"{_term_text(term)}{converted} x {fmt(qty)} {unit}{pairs}"

    def sum(self, terms: tuple[Term, ...]) -> tuple[Decimal, str]:
        parts = [self.term(t) for t in terms]
        return sum((v for v, _ in parts), ZERO), " + ".join(text for _, text in parts)


def evaluate_ad_valorem(rate: Decimal, customs_value: Decimal) -> tuple[Decimal, str]:
    """:func:`evaluate` of one ad valorem term (most of a schedule, on every line of every quote): the
    same duty and the text ``_Calculator.term`` would write, for a ``customs_value`` already checked."""
    total = rate * customs_value / HUNDRED
    return total, f"{pct(rate)} % x {fmt(customs_value)} = {_figure(total)}"


def evaluate(
    expr: Expression,
    *,
    customs_value: Decimal,
    quantities: Quantities,
    convert: Callable[[Decimal, str], Decimal],
    currency: str,
) -> tuple[Decimal, str]:
    """The exact (unrounded) duty in ``currency`` and a one-line text naming each term and its figures.

    Terms are summed, then clamped: ``max(minimum, min(sum, maximum))`` with whichever clauses exist. A specific
    amount in another currency goes through ``convert(amount, its_currency)``; one in ``currency`` does not.

    Raises:
        MissingQuantity: a term needs a quantity ``quantities`` does not give (``unit`` names it).
        ValueError: a negative or non-finite customs value or quantity.
    """
    _check_decimal("customs_value", customs_value)
    _check_decimal("quantities.items", quantities.items)
    for name, value in (("quantities.kg", quantities.kg), ("quantities.litres", quantities.litres)):
        if value is not None:
            _check_decimal(name, value)
    if not expr.terms:
        return ZERO, "free = 0"
    if len(expr.terms) == 1 and expr.maximum is None and expr.minimum is None and expr.terms[0].kind == "ad_valorem":
        return evaluate_ad_valorem(_need(expr.terms[0].rate, "rate"), customs_value)
    calc = _Calculator(customs_value, quantities, convert, currency)
    total, text = calc.sum(expr.terms)
    line = f"{text} = {_figure(total)}"
    if expr.maximum is None and expr.minimum is None:
        return total, line
    duty, applies = total, ""
    if expr.maximum is not None:
        cap, cap_text = calc.sum(expr.maximum)
        line += f"; max {cap_text} = {_figure(cap)}"
        if duty > cap:
            duty, applies = cap, " (the maximum)"
    if expr.minimum is not None:
        floor, floor_text = calc.sum(expr.minimum)
        line += f"; min {floor_text} = {_figure(floor)}"
        if duty < floor:
            duty, applies = floor, " (the minimum)"
    return duty, f"{line}; duty {_figure(duty)}{applies}"
