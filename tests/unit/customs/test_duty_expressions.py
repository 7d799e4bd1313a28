"""Duty expressions: published text -> terms -> exact duty, in the UK, EU and US dialects.

Where the sample texts come from (public-sector information, reproduced as short strings):

* UK: Trade Tariff API ``duty_expression.base`` strings as the service shows them (quoted in the public
  trade-tariff frontend, duty-calculator and testing repositories: ``12.00 % + 147.00 GBP / 100 kg`` on 0201100021,
  ``0.50 GBP / % vol/hl + 2.60 GBP / hl``, ``9.00 % + EA MAX 24.20 % +ADSZ`` on 1905319100,
  ``1.30 EUR / % vol/hl MIN 7.20 EUR / hl`` on 2206001000, ``0.30 GBP / 100 kg/net/%sacchar.``), and the
  measurement-unit abbreviations of the UK tariff backend (``1,000 p/st``, ``1000 kg/biodiesel``).
* EU: TARIC duty expressions as the consultation writes them and as the monthly Duties files write them with unit
  codes and qualifier letters (``10.200 % + 93.100 EUR DTN``, ``10.400 % MIN 1.300 EUR DTN G``,
  ``0.075 EUR ASV X + 0.400 EUR HLT``, ``4.800 % + EA MAX 18.700 % +ADSZ``, ``Cond: V 52.600 EUR/DTN(01):...``).
* US: USITC HTS General / Special / Column 2 texts (``$1.803/kg`` and
  ``Free (BH,CL,JO,KR,MA,OM,P,PE,SG) See 9822.04.40 (AU)`` on 0406.90.18.00, ``2.8¢/kg + 6.5%``, ``$1.06/doz. pr.``,
  ``37.5¢/pf. liter``, ``The rate applicable to the article of which it is a part``).

Rates and amounts in the evaluation tables are worked by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customs.schedules.expressions import (
    CANONICAL_UNITS,
    DIALECTS,
    Dialect,
    Expression,
    MissingQuantity,
    NotComputable,
    Quantities,
    Term,
    describe,
    evaluate,
    parse_expression,
    split_us_special,
)

pytestmark = pytest.mark.unit

D = Decimal


def av(rate: str) -> Term:
    return Term(kind="ad_valorem", rate=D(rate))


def sp(amount: str, currency: str, unit: str, per: str | int = 1) -> Term:
    return Term(kind="specific", amount=D(amount), currency=currency, unit=unit, per_quantity=D(per))


def no_conversion(amount: Decimal, currency: str) -> Decimal:
    raise AssertionError(f"convert({amount}, {currency}) called for an amount already in the destination currency")


# --- parsing ----------------------------------------------------------------------------------------------------

Parsed = tuple[Dialect, str, tuple[Term, ...], tuple[Term, ...] | None, tuple[Term, ...] | None]

PARSED: list[Parsed] = [
    # UK Trade Tariff duty_expression.base
    ("uk", "12.00 %", (av("12"),), None, None),
    ("uk", "0.00 %", (av("0"),), None, None),
    ("uk", "12.00 % + 147.00 GBP / 100 kg", (av("12"), sp("147", "GBP", "kg", 100)), None, None),
    ("uk", "2.00 % + 37.80 GBP / 100 kg", (av("2"), sp("37.8", "GBP", "kg", 100)), None, None),
    ("uk", "8.00 % MIN 1.40 GBP / 100 kg", (av("8"),), (sp("1.4", "GBP", "kg", 100),), None),
    ("uk", "9.60 % + 24.20 GBP / 100 kg MAX 18.90 %", (av("9.6"), sp("24.2", "GBP", "kg", 100)), None, (av("18.9"),)),
    ("uk", "0.30 GBP / p/st", (sp("0.3", "GBP", "item"),), None, None),
    ("uk", "1.20 GBP / 1000 p/st", (sp("1.2", "GBP", "item", 1000),), None, None),
    ("uk", "1.20 GBP / 1,000 p/st", (sp("1.2", "GBP", "item", 1000),), None, None),
    ("uk", "10.50 GBP / hl", (sp("10.5", "GBP", "litre", 100),), None, None),
    ("uk", "0.50 GBP / % vol/hl", (sp("0.5", "GBP", "l_alc_100"),), None, None),
    (
        "uk",
        "0.50 GBP / % vol/hl + 2.60 GBP / hl",
        (sp("0.5", "GBP", "l_alc_100"), sp("2.6", "GBP", "litre", 100)),
        None,
        None,
    ),
    (
        "uk",
        "1.30 EUR / % vol/hl MIN 7.20 EUR / hl",
        (sp("1.3", "EUR", "l_alc_100"),),
        (sp("7.2", "EUR", "litre", 100),),
        None,
    ),
    (
        "uk",
        "1.30 EUR / % vol / hl MIN 7.20 EUR / hl",
        (sp("1.3", "EUR", "l_alc_100"),),
        (sp("7.2", "EUR", "litre", 100),),
        None,
    ),
    ("uk", "19.08 GBP / l alc. 100%", (sp("19.08", "GBP", "l_alc_100"),), None, None),
    ("uk", "£7.80 / 100 kg", (sp("7.8", "GBP", "kg", 100),), None, None),
    ("uk", "0.55 GBP / m²", (sp("0.55", "GBP", "m2"),), None, None),
    ("uk", "2.50 GBP / pa", (sp("2.5", "GBP", "pair"),), None, None),
    ("uk", "3.00 GBP / 100 kg/br", (sp("3", "GBP", "kg_gross", 100),), None, None),
    # whitespace: no-break spaces, no space before %, none anywhere
    ("uk", "12.00\u00a0%", (av("12"),), None, None),
    (
        "uk",
        "2.00\u202f%\u00a0+\u00a037.80 GBP\u00a0/\u00a0100\u00a0kg",
        (av("2"), sp("37.8", "GBP", "kg", 100)),
        None,
        None,
    ),
    ("uk", "  20%+10GBP/100kg  ", (av("20"), sp("10", "GBP", "kg", 100)), None, None),
    # EU TARIC: consultation wording
    ("eu", "12 %", (av("12"),), None, None),
    ("eu", "12.000 %", (av("12"),), None, None),
    (
        "eu",
        "8.3 % + 23.5 EUR / 100 kg MAX 12 % + 2.8 EUR / 100 kg",
        (av("8.3"), sp("23.5", "EUR", "kg", 100)),
        None,
        (av("12"), sp("2.8", "EUR", "kg", 100)),
    ),
    ("eu", "0.09 EUR / kg", (sp("0.09", "EUR", "kg"),), None, None),
    ("eu", "EUR 2.30 / 100 kg/net", (sp("2.3", "EUR", "kg", 100),), None, None),
    ("eu", "1.7 EUR / 100 kg/net eda", (sp("1.7", "EUR", "kg_net_drained", 100),), None, None),
    ("eu", "NIHIL", (), None, None),
    # EU TARIC: Duties-file wording (unit codes, qualifier letters, thousands separators)
    ("eu", "10.200 % + 93.100 EUR DTN", (av("10.2"), sp("93.1", "EUR", "kg", 100)), None, None),
    ("eu", "15.000 % + 1,554.300 EUR TNE", (av("15"), sp("1554.3", "EUR", "kg", 1000)), None, None),
    ("eu", "52.000 EUR MIL", (sp("52", "EUR", "item", 1000),), None, None),
    ("eu", "10.400 % MIN 1.300 EUR DTN G", (av("10.4"),), (sp("1.3", "EUR", "kg_gross", 100),), None),
    (
        "eu",
        "0.075 EUR ASV X + 0.400 EUR HLT",
        (sp("0.075", "EUR", "l_alc_100"), sp("0.4", "EUR", "litre", 100)),
        None,
        None,
    ),
    (
        "eu",
        "18.400 % MIN 22.000 EUR DTN MAX 24.000 EUR DTN",
        (av("18.4"),),
        (sp("22", "EUR", "kg", 100),),
        (sp("24", "EUR", "kg", 100),),
    ),
    ("eu", "0.000 % + 4.500 EUR DTN MAX 11.500 %", (av("0"), sp("4.5", "EUR", "kg", 100)), None, (av("11.5"),)),
    ("eu", "8.000 % MAX 2.800 EUR MTK", (av("8"),), None, (sp("2.8", "EUR", "m2"),)),
    (
        "eu",
        "0.000 % + 39.930 EUR HLT + 6.790 EUR DTN",
        (av("0"), sp("39.93", "EUR", "litre", 100), sp("6.79", "EUR", "kg", 100)),
        None,
        None,
    ),
    # US HTS
    ("us", "Free", (), None, None),
    ("us", "6.5%", (av("6.5"),), None, None),
    ("us", "25%", (av("25"),), None, None),
    ("us", "6.5 %", (av("6.5"),), None, None),
    ("us", "2.8¢/kg + 6.5%", (sp("0.028", "USD", "kg"), av("6.5")), None, None),
    ("us", "6.5% + 2.8¢/kg", (av("6.5"), sp("0.028", "USD", "kg")), None, None),
    ("us", "$1.035/kg", (sp("1.035", "USD", "kg"),), None, None),
    ("us", "$1.803/kg", (sp("1.803", "USD", "kg"),), None, None),
    ("us", "4.4¢/liter", (sp("0.044", "USD", "litre"),), None, None),
    ("us", "17.5¢/kg + 5%", (sp("0.175", "USD", "kg"), av("5")), None, None),
    ("us", "$5/doz.", (sp("5", "USD", "item", 12),), None, None),
    ("us", "$1.06/doz. pr.", (sp("1.06", "USD", "pair", 12),), None, None),
    ("us", "37.5¢/pf. liter", (sp("0.375", "USD", "l_alc_100", "0.5"),), None, None),
    ("us", "23.7¢/pf.liter", (sp("0.237", "USD", "l_alc_100", "0.5"),), None, None),
    ("us", "$0.45 each", (sp("0.45", "USD", "item"),), None, None),
    ("us", "21¢/gross", (sp("0.21", "USD", "item", 144),), None, None),
    ("us", "37.5¢/kg on drained weight", (sp("0.375", "USD", "kg_net_drained"),), None, None),
    ("us", "6.5\u00a0%\u00a0+\u00a02.8\u00a0¢/kg", (av("6.5"), sp("0.028", "USD", "kg")), None, None),
    ("us", "$1,035/t", (sp("1035", "USD", "kg", 1000),), None, None),
]


@pytest.mark.parametrize(("dialect", "text", "terms", "minimum", "maximum"), PARSED, ids=[p[1] for p in PARSED])
def test_published_text_parses_to_its_terms(
    dialect: Dialect,
    text: str,
    terms: tuple[Term, ...],
    minimum: tuple[Term, ...] | None,
    maximum: tuple[Term, ...] | None,
) -> None:
    expr = parse_expression(text, dialect=dialect)
    assert (expr.terms, expr.minimum, expr.maximum) == (terms, minimum, maximum)
    assert expr.text == text  # as published, not normalised


@pytest.mark.parametrize(("dialect", "text", "terms", "minimum", "maximum"), PARSED, ids=[p[1] for p in PARSED])
def test_describe_of_a_published_text_reads_back_in_every_dialect(
    dialect: Dialect,
    text: str,
    terms: tuple[Term, ...],
    minimum: tuple[Term, ...] | None,
    maximum: tuple[Term, ...] | None,
) -> None:
    canonical = describe(parse_expression(text, dialect=dialect))
    for other in DIALECTS:
        again = parse_expression(canonical, dialect=other)
        assert (again.terms, again.minimum, again.maximum) == (terms, minimum, maximum), (other, canonical)


@pytest.mark.parametrize(
    ("dialect", "text", "canonical"),
    [
        ("uk", "12.00 %", "12 %"),
        ("uk", "0.00 %", "0 %"),
        ("us", "Free", "free"),
        ("eu", "NIHIL", "free"),
        ("us", "6.5% + 2.8¢/kg", "6.5 % + 0.028 USD/kg"),
        (
            "eu",
            "8.3 % + 23.5 EUR / 100 kg MAX 12 % + 2.8 EUR / 100 kg",
            "8.3 % + 23.5 EUR/100 kg, max 12 % + 2.8 EUR/100 kg",
        ),
        ("uk", "8.00 % MIN 1.40 GBP / 100 kg", "8 %, min 1.4 GBP/100 kg"),
        ("eu", "18.400 % MIN 22.000 EUR DTN MAX 24.000 EUR DTN", "18.4 %, min 22 EUR/100 kg, max 24 EUR/100 kg"),
        ("uk", "1.20 GBP / 1000 p/st", "1.2 GBP/1000 item"),
        ("us", "37.5¢/pf. liter", "0.375 USD/0.5 l_alc_100"),
    ],
)
def test_describe_writes_the_canonical_short_text(dialect: Dialect, text: str, canonical: str) -> None:
    assert describe(parse_expression(text, dialect=dialect)) == canonical


@pytest.mark.parametrize(
    ("dialect", "text", "kind", "rate"),
    [
        ("us", "Free", "free", D(0)),
        ("eu", "NIHIL", "free", D(0)),
        ("uk", "12.00 %", "ad_valorem", D(12)),
        ("uk", "0.00 %", "ad_valorem", D(0)),
        ("us", "5% + 3%", "ad_valorem", None),  # two ad valorem terms: not one
        ("eu", "12 % MAX 24 %", "ad_valorem", None),  # a clause makes the rate no longer the whole duty
        ("us", "$1.035/kg", "specific", None),
        ("uk", "1.30 EUR / % vol/hl MIN 7.20 EUR / hl", "specific", None),
        ("us", "2.8¢/kg + 6.5%", "compound", None),
        ("uk", "8.00 % MIN 1.40 GBP / 100 kg", "compound", None),
    ],
)
def test_kind_and_ad_valorem_rate(dialect: Dialect, text: str, kind: str, rate: Decimal | None) -> None:
    expr = parse_expression(text, dialect=dialect)
    assert expr.kind == kind
    assert expr.ad_valorem_rate() == rate


# --- what a quote cannot compute --------------------------------------------------------------------------------

NOT_COMPUTABLE: list[tuple[Dialect, str, str]] = [
    ("uk", "20.00 % + 80.00 GBP / 1000 kg/biodiesel", "1000 kg/biodiesel"),
    ("uk", "0.30 GBP / 100 kg/net/%sacchar.", "100 kg/net/%sacchar."),
    ("uk", "9.00 % + EA MAX 24.20 % +ADSZ", "EA is an agricultural component"),
    ("uk", "19.08 GBP / l alc. 100% - 1.00 GBP / SPQ (SPR * Rate)", "subtracts"),
    ("eu", "4.5 % + EA MAX 18.7 % + ADSZ", "EA is an agricultural component"),
    ("eu", "0.000 % + EAR MAX 18.700 % +ADSZR", "EAR is an agricultural component"),
    ("eu", "9.000 % + EA MAX 20.700 % +ADFM", "composition"),
    ("eu", "Cond: V 52.600 EUR/DTN(01):12.000 % ; V 0.000 EUR/DTN(01):0.000 % + 29.800 EUR DTN", "conditional"),
    ("eu", "4.500 % + 22.550 EUR DTN MAX 9.400 % + 8.250 EUR DTN MAX 35.150 EUR DTN", "more than one MAX"),
    ("eu", "0.230 EUR KGM P + 5.500 EUR DTN", "lactic matter"),
    ("eu", "43.860 EUC DTN", "EUC"),
    ("eu", "1.000 EUR", "no unit"),
    ("us", "The rate applicable to the article of which it is a part", "another article"),
    ("us", "See 9903.88.15", "9903.88.15"),
    ("us", "See 9822.04.40", "9822.04.40"),
    (
        "us",
        "1.6¢/kg less 0.020668¢/kg for each degree under 100 degrees (and fractions of a degree in proportion) "
        "but not less than 1.1¢/kg",
        "sliding scale",
    ),
    ("us", "33¢/kg but not less than 2%", "not less than"),
    ("us", "45% on the case + 80% on the strap", "part of the article"),
    ("us", "$1.10/clean kg", "clean kg"),
]


@pytest.mark.parametrize(("dialect", "text", "named"), NOT_COMPUTABLE, ids=[n[1][:50] for n in NOT_COMPUTABLE])
def test_texts_a_quote_cannot_compute_are_refused_with_the_reason(dialect: Dialect, text: str, named: str) -> None:
    with pytest.raises(NotComputable) as caught:
        parse_expression(text, dialect=dialect)
    assert named in caught.value.reason
    assert text in caught.value.reason  # the report can say which text without carrying it separately


GARBAGE: list[tuple[Dialect, str, str]] = [
    ("uk", "12 %% kg", "'% kg' after '12 %' is not understood"),
    ("us", "12 %% kg", "'% kg' after '12 %' is not understood"),
    ("uk", "", "is empty"),
    ("us", "   \u00a0 ", "is empty"),
    ("uk", "abc", "'abc' is not a duty term"),
    ("eu", "abc", "'abc' is not a duty term"),
    ("us", "abc", "'abc' is not a duty term"),
    ("eu", "10%&@#^&", "'&@#^&' after '10%' is not understood"),
    ("uk", "10% + 100 GBP / 100 abc", "'100 abc' is not a unit"),
    ("eu", "5.5% + 100 EUR / foobar", "'foobar' is not a unit"),
    ("us", "4¢/furlong", "'furlong' is not a unit"),
    ("us", "5.3", "'5.3' is a number without '%' or a currency"),
    ("uk", "10 % +", "ends where a duty term should follow"),
    ("uk", "MAX 10 %", "'MAX 10 %' is not a duty term"),
    ("uk", "10 % MAX", "ends where a duty term should follow"),
    ("eu", "12,5 %", "',5 %' after '12' does not follow '12'"),
    ("us", "Free + 5%", "a free duty cannot be added"),
    ("us", "Free (A+,AU,BH,CA,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)", "split_us_special"),
    ("uk", "10 GBP / ", "a unit is missing after '/'"),
    ("us", "¢5/kg", "'¢' is not a currency sign"),
    ("uk", "10 XYZ / kg", "'XYZ / kg' after '10' does not follow"),
]


@pytest.mark.parametrize(("dialect", "text", "message"), GARBAGE, ids=[f"{g[0]}:{g[1]!r}" for g in GARBAGE])
def test_text_that_is_no_expression_is_rejected_naming_what_was_not_understood(
    dialect: Dialect, text: str, message: str
) -> None:
    with pytest.raises(ValueError, match="duty expression") as caught:
        parse_expression(text, dialect=dialect)
    assert not isinstance(caught.value, NotComputable)
    assert message in str(caught.value)


def test_an_unknown_dialect_is_rejected() -> None:
    with pytest.raises(ValueError, match="dialect must be one of uk, eu, us"):
        parse_expression("12 %", dialect="fr")  # type: ignore[arg-type]


# --- evaluation -------------------------------------------------------------------------------------------------

LINE = Quantities(items=D(4), kg=D("2.5"), litres=D("1.5"))
CV = D("200.00")

Evaluated = tuple[Dialect, str, str, Quantities, Decimal]

EVALUATED: list[Evaluated] = [
    # UK (GBP): 12 % x 200
    ("uk", "12.00 %", "GBP", LINE, D(24)),
    ("uk", "0.00 %", "GBP", LINE, D(0)),
    # 2 % x 200 = 4; 37.80 x 2.5 / 100 = 0.945
    ("uk", "2.00 % + 37.80 GBP / 100 kg", "GBP", LINE, D("4.945")),
    # 8 % x 200 = 16 beats the minimum 1.40 x 2.5 / 100 = 0.035
    ("uk", "8.00 % MIN 1.40 GBP / 100 kg", "GBP", LINE, D(16)),
    # 19.2 + 24.20 x 2.5 / 100 = 19.805, under the maximum 18.9 % x 200 = 37.8
    ("uk", "9.60 % + 24.20 GBP / 100 kg MAX 18.90 %", "GBP", LINE, D("19.805")),
    # 100 kg: 19.2 + 24.2 = 43.4 is over the maximum 37.8
    ("uk", "9.60 % + 24.20 GBP / 100 kg MAX 18.90 %", "GBP", Quantities(items=D(1), kg=D(100)), D("37.8")),
    ("uk", "0.30 GBP / p/st", "GBP", LINE, D("1.2")),  # 0.30 x 4
    ("uk", "1.20 GBP / 1000 p/st", "GBP", LINE, D("0.0048")),  # 1.20 x 4 / 1000
    ("uk", "10.50 GBP / hl", "GBP", LINE, D("0.1575")),  # 10.50 x 1.5 / 100
    ("uk", "£7.80 / 100 kg", "GBP", LINE, D("0.195")),  # 7.80 x 2.5 / 100
    ("uk", "2.50 GBP / pa", "GBP", LINE, D(10)),  # 4 items counted as pairs
    # EU, in EUR
    ("eu", "12 %", "EUR", LINE, D(24)),
    ("eu", "12.000 %", "EUR", LINE, D(24)),
    # 16.6 + 23.5 x 0.025 = 17.1875; max 24 + 2.8 x 0.025 = 24.07 does not bind
    ("eu", "8.3 % + 23.5 EUR / 100 kg MAX 12 % + 2.8 EUR / 100 kg", "EUR", LINE, D("17.1875")),
    # 100 kg: 16.6 + 23.5 = 40.1 capped at 24 + 2.8 = 26.8
    (
        "eu",
        "8.3 % + 23.5 EUR / 100 kg MAX 12 % + 2.8 EUR / 100 kg",
        "EUR",
        Quantities(items=D(1), kg=D(100)),
        D("26.8"),
    ),
    ("eu", "0.09 EUR / kg", "EUR", LINE, D("0.225")),  # 0.09 x 2.5
    ("eu", "EUR 2.30 / 100 kg/net", "EUR", LINE, D("0.0575")),  # 2.30 x 2.5 / 100
    ("eu", "10.200 % + 93.100 EUR DTN", "EUR", LINE, D("22.7275")),  # 20.4 + 93.1 x 0.025
    ("eu", "15.000 % + 1,554.300 EUR TNE", "EUR", LINE, D("33.88575")),  # 30 + 1554.3 x 2.5 / 1000
    # 36.8, capped at 24 x 0.025 = 0.6, floor 22 x 0.025 = 0.55 below it
    ("eu", "18.400 % MIN 22.000 EUR DTN MAX 24.000 EUR DTN", "EUR", LINE, D("0.6")),
    ("eu", "NIHIL", "EUR", LINE, D(0)),
    # US, in USD
    ("us", "Free", "USD", LINE, D(0)),
    ("us", "6.5%", "USD", LINE, D(13)),
    ("us", "25%", "USD", LINE, D(50)),
    ("us", "2.8¢/kg + 6.5%", "USD", LINE, D("13.07")),  # 0.028 x 2.5 + 13
    ("us", "6.5% + 2.8¢/kg", "USD", LINE, D("13.07")),
    ("us", "$1.035/kg", "USD", LINE, D("2.5875")),  # 1.035 x 2.5
    ("us", "4.4¢/liter", "USD", LINE, D("0.066")),  # 0.044 x 1.5
    ("us", "17.5¢/kg + 5%", "USD", LINE, D("10.4375")),  # 0.175 x 2.5 + 10
    ("us", "$5/doz.", "USD", Quantities(items=D(36)), D(15)),  # 5 x 36 / 12
    ("us", "$1.06/doz. pr.", "USD", Quantities(items=D(24)), D("2.12")),  # 24 pairs = 2 dozen pairs
    ("us", "$0.45 each", "USD", LINE, D("1.8")),
    ("us", "21¢/gross", "USD", Quantities(items=D(288)), D("0.42")),  # 2 gross
]


@pytest.mark.parametrize(
    ("dialect", "text", "currency", "quantities", "duty"), EVALUATED, ids=[f"{e[1]}-{e[4]}" for e in EVALUATED]
)
def test_evaluate_gives_the_exact_duty(
    dialect: Dialect, text: str, currency: str, quantities: Quantities, duty: Decimal
) -> None:
    got, explanation = evaluate(
        parse_expression(text, dialect=dialect),
        customs_value=CV,
        quantities=quantities,
        convert=no_conversion,
        currency=currency,
    )
    assert isinstance(got, Decimal)
    assert got == duty
    figure = format(duty.normalize(), "f")
    endings = (f"= {figure}", f"duty {figure}", f"duty {figure} (the maximum)", f"duty {figure} (the minimum)")
    assert explanation.endswith(endings), explanation


def test_the_explanation_names_each_term_and_its_figures() -> None:
    expr = parse_expression("6.5% + 2.8¢/kg", dialect="us")
    duty, text = evaluate(expr, customs_value=D("100.00"), quantities=LINE, convert=no_conversion, currency="USD")
    assert duty == D("6.57")
    assert text == "6.5 % x 100.00 + 0.028 USD/kg x 2.5 kg = 6.57"


def test_the_explanation_says_which_clause_applies() -> None:
    capped = parse_expression("9.60 % + 24.20 GBP / 100 kg MAX 18.90 %", dialect="uk")
    _, text = evaluate(
        capped,
        customs_value=D(100),
        quantities=Quantities(items=D(1), kg=D(50)),
        convert=no_conversion,
        currency="GBP",
    )
    assert text == ("9.6 % x 100 + 24.2 GBP/100 kg x 50 kg = 21.7; max 18.9 % x 100 = 18.9; duty 18.9 (the maximum)")
    floored = parse_expression("8.00 % MIN 1.40 GBP / 100 kg", dialect="uk")
    duty, text = evaluate(
        floored,
        customs_value=D(10),
        quantities=Quantities(items=D(1), kg=D(100)),
        convert=no_conversion,
        currency="GBP",
    )
    assert duty == D("1.40")
    assert text == "8 % x 10 = 0.8; min 1.4 GBP/100 kg x 100 kg = 1.4; duty 1.4 (the minimum)"


def test_pairs_are_counted_from_items_and_the_text_says_so() -> None:
    _, text = evaluate(
        parse_expression("$1.06/doz. pr.", dialect="us"),
        customs_value=D(50),
        quantities=Quantities(items=D(24)),
        convert=no_conversion,
        currency="USD",
    )
    assert "x 24 pair (items counted as pairs)" in text


def test_a_foreign_specific_amount_is_converted_once_and_the_destination_one_never() -> None:
    calls: list[tuple[Decimal, str]] = []

    def to_gbp(amount: Decimal, currency: str) -> Decimal:
        calls.append((amount, currency))
        return amount * D("0.79")

    expr = parse_expression("6.5% + 2.8¢/kg", dialect="us")
    duty, text = evaluate(expr, customs_value=CV, quantities=LINE, convert=to_gbp, currency="GBP")
    # 13 + 0.028 x 0.79 x 2.5 = 13 + 0.0553
    assert duty == D("13.0553")
    assert calls == [(D("0.028"), "USD")]
    assert "0.028 USD/kg (0.02212 GBP) x 2.5 kg" in text
    # the same amount with the destination's own currency: convert is not called (no_conversion would fail)
    duty_usd, _ = evaluate(expr, customs_value=CV, quantities=LINE, convert=no_conversion, currency="USD")
    assert duty_usd == D("13.07")


def test_conversion_applies_inside_clauses_too() -> None:
    expr = parse_expression("10.400 % MIN 1.300 EUR DTN", dialect="eu")
    duty, _ = evaluate(
        expr,
        customs_value=D(1),
        quantities=Quantities(items=D(1), kg=D(1000)),
        convert=lambda amount, currency: amount * D("0.85"),
        currency="GBP",
    )
    assert duty == D("1.3") * D("0.85") * 10  # the floor, 10 x 100 kg at 1.105 GBP


MISSING: list[tuple[Dialect, str, Quantities, str]] = [
    ("uk", "0.50 GBP / % vol/hl", LINE, "l_alc_100"),  # alcohol: volume x strength is not on the line
    ("uk", "0.50 GBP / % vol/hl + 2.60 GBP / hl", LINE, "l_alc_100"),
    ("eu", "0.075 EUR ASV X + 0.400 EUR HLT", LINE, "l_alc_100"),
    ("us", "37.5¢/pf. liter", LINE, "l_alc_100"),
    ("eu", "1.7 EUR / 100 kg/net eda", LINE, "kg_net_drained"),
    ("us", "37.5¢/kg on drained weight", LINE, "kg_net_drained"),
    ("eu", "10.400 % MIN 1.300 EUR DTN G", LINE, "kg_gross"),
    ("eu", "8.000 % MAX 2.800 EUR MTK", LINE, "m2"),  # the MAX clause needs it even though 8 % does not
    ("uk", "2.00 % + 37.80 GBP / 100 kg", Quantities(items=D(1)), "kg"),
    ("uk", "10.50 GBP / hl", Quantities(items=D(1), kg=D(1)), "litre"),
]


@pytest.mark.parametrize(("dialect", "text", "quantities", "unit"), MISSING, ids=[m[1] for m in MISSING])
def test_a_quantity_the_line_does_not_give_raises_missing_quantity_naming_the_unit(
    dialect: Dialect, text: str, quantities: Quantities, unit: str
) -> None:
    with pytest.raises(MissingQuantity) as caught:
        evaluate(
            parse_expression(text, dialect=dialect),
            customs_value=CV,
            quantities=quantities,
            convert=no_conversion,
            currency={"uk": "GBP", "eu": "EUR", "us": "USD"}[dialect],
        )
    assert caught.value.unit == unit
    assert "which the line does not give" in str(caught.value)


@pytest.mark.parametrize(
    ("customs_value", "quantities", "field"),
    [
        (D("-1"), LINE, "customs_value"),
        (D("NaN"), LINE, "customs_value"),
        (CV, Quantities(items=D(-1)), "quantities.items"),
        (CV, Quantities(items=D(1), kg=D("-0.5")), "quantities.kg"),
        (CV, Quantities(items=D(1), litres=D("Infinity")), "quantities.litres"),
    ],
)
def test_negative_or_non_finite_inputs_are_refused(customs_value: Decimal, quantities: Quantities, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        evaluate(
            parse_expression("12 %", dialect="eu"),
            customs_value=customs_value,
            quantities=quantities,
            convert=no_conversion,
            currency="EUR",
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "ad_valorem"},
        {"kind": "ad_valorem", "rate": D(5), "unit": "kg"},
        {"kind": "ad_valorem", "rate": D(-5)},
        {"kind": "specific", "amount": D(1), "currency": "EUR"},
        {"kind": "specific", "amount": D(1), "currency": "EUR", "unit": "kg", "per_quantity": D(0)},
        {"kind": "specific", "amount": D("NaN"), "currency": "EUR", "unit": "kg"},
    ],
)
def test_a_term_that_cannot_be_computed_cannot_be_built(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"term|must be"):
        Term(**fields)  # type: ignore[arg-type]


# --- the US Special column --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        (
            "Free (A+,AU,BH,CA,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)",
            [
                (
                    "Free",
                    (
                        "A+",
                        "AU",
                        "BH",
                        "CA",
                        "CL",
                        "CO",
                        "D",
                        "E",
                        "IL",
                        "JO",
                        "KR",
                        "MA",
                        "OM",
                        "P",
                        "PA",
                        "PE",
                        "S",
                        "SG",
                    ),
                )
            ],
        ),
        ("Free (A,AU,BH) 3.2% (JP)", [("Free", ("A", "AU", "BH")), ("3.2%", ("JP",))]),
        (
            "Free (BH,CL,JO,KR,MA,OM,P,PE,SG) See 9822.04.40 (AU)",
            [("Free", ("BH", "CL", "JO", "KR", "MA", "OM", "P", "PE", "SG")), ("See 9822.04.40", ("AU",))],
        ),
        ("Free (A*, AU, BH)\u00a02.8¢/kg + 6.5% (KR)", [("Free", ("A*", "AU", "BH")), ("2.8¢/kg + 6.5%", ("KR",))]),
        ("", []),
        ("  ", []),
    ],
)
def test_split_us_special_keeps_programs_out_of_the_rate(text: str, groups: list[tuple[str, tuple[str, ...]]]) -> None:
    assert split_us_special(text) == groups


def test_each_special_rate_then_parses_on_its_own() -> None:
    groups = split_us_special("Free (A,AU,BH) 3.2% (JP) 2.8¢/kg + 6.5% (KR)")
    parsed = [parse_expression(rate, dialect="us") for rate, _ in groups]
    assert [p.terms for p in parsed] == [(), (av("3.2"),), (sp("0.028", "USD", "kg"), av("6.5"))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Free", "'Free' is not followed by the programs"),
        ("Free (A,AU) see note 3", "'see note 3' is not followed by the programs"),
        ("(A,AU)", "have no rate before them"),
        ("Free ()", "'Free ()' is not followed by the programs"),
    ],
)
def test_special_text_without_its_programs_is_rejected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="special-column text") as caught:
        split_us_special(text)
    assert message in str(caught.value)


# --- properties -------------------------------------------------------------------------------------------------

RATES = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False)
AMOUNTS = st.decimals(min_value=D("0.001"), max_value=D(10000), places=3, allow_nan=False, allow_infinity=False)
PERS = st.sampled_from([D(1), D(10), D(12), D(100), D(1000), D("0.5"), D("0.001")])
CURRENCIES = st.sampled_from(["GBP", "EUR", "USD"])


def _specific_terms(units: tuple[str, ...]) -> st.SearchStrategy[Term]:
    return st.builds(
        lambda amount, currency, unit, per: Term(
            kind="specific", amount=amount, currency=currency, unit=unit, per_quantity=per
        ),
        AMOUNTS,
        CURRENCIES,
        st.sampled_from(units),
        PERS,
    )


AD_VALOREM_TERMS = st.builds(lambda rate: Term(kind="ad_valorem", rate=rate), RATES)


def _sums(term: st.SearchStrategy[Term]) -> st.SearchStrategy[tuple[Term, ...]]:
    return st.lists(term, min_size=1, max_size=3).map(tuple)


def _expressions(term: st.SearchStrategy[Term]) -> st.SearchStrategy[Expression]:
    return st.builds(
        lambda terms, minimum, maximum: Expression(text="", terms=terms, minimum=minimum, maximum=maximum),
        _sums(term),
        st.none() | _sums(term),
        st.none() | _sums(term),
    )


ANY_TERM = st.one_of(AD_VALOREM_TERMS, _specific_terms(CANONICAL_UNITS))
# units a Quantities can answer for, so every generated expression evaluates
COUNTED_TERM = st.one_of(AD_VALOREM_TERMS, _specific_terms(("kg", "item", "pair", "litre")))
LINES = st.builds(
    Quantities,
    items=st.integers(min_value=0, max_value=500).map(D),
    kg=st.decimals(min_value=0, max_value=5000, places=3, allow_nan=False, allow_infinity=False),
    litres=st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False),
)
VALUES = st.decimals(min_value=0, max_value=D(1_000_000), places=2, allow_nan=False, allow_infinity=False)


def _fx(amount: Decimal, currency: str) -> Decimal:
    return amount * {"GBP": D("1.17"), "USD": D("0.92")}[currency]  # into EUR


def _duty(expr: Expression, value: Decimal, line: Quantities) -> Decimal:
    return evaluate(expr, customs_value=value, quantities=line, convert=_fx, currency="EUR")[0]


@settings(max_examples=300)
@given(expr=_expressions(ANY_TERM), dialect=st.sampled_from(DIALECTS))
def test_describe_parses_back_to_the_same_expression_in_every_dialect(expr: Expression, dialect: Dialect) -> None:
    text = describe(expr)
    again = parse_expression(text, dialect=dialect)
    assert (again.terms, again.minimum, again.maximum) == (expr.terms, expr.minimum, expr.maximum), text
    assert describe(again) == text


@given(terms=_sums(AD_VALOREM_TERMS), low=VALUES, high=VALUES, line=LINES)
def test_ad_valorem_duty_grows_with_the_customs_value(
    terms: tuple[Term, ...], low: Decimal, high: Decimal, line: Quantities
) -> None:
    low, high = min(low, high), max(low, high)
    expr = Expression(text="", terms=terms)
    assert _duty(expr, low, line) <= _duty(expr, high, line)
    # and is exactly rate x value / 100, summed
    assert _duty(expr, high, line) == sum((t.rate or 0) * high / 100 for t in terms)


@given(expr=_expressions(COUNTED_TERM), low=VALUES, high=VALUES, line=LINES)
def test_any_duty_is_monotone_in_the_customs_value(
    expr: Expression, low: Decimal, high: Decimal, line: Quantities
) -> None:
    low, high = min(low, high), max(low, high)
    assert _duty(expr, low, line) <= _duty(expr, high, line)


@given(expr=_expressions(COUNTED_TERM), value=VALUES, line=LINES)
def test_min_and_max_clamp_the_sum_of_the_terms(expr: Expression, value: Decimal, line: Quantities) -> None:
    def part(terms: tuple[Term, ...]) -> Decimal:
        return _duty(Expression(text="", terms=terms), value, line)

    total = sum((part((t,)) for t in expr.terms), D(0))  # terms are summed
    assert part(expr.terms) == total
    expected = total
    if expr.maximum is not None:
        expected = min(expected, part(expr.maximum))
    if expr.minimum is not None:
        expected = max(expected, part(expr.minimum))
    duty = _duty(expr, value, line)
    assert duty == expected
    if expr.minimum is not None:
        assert duty >= part(expr.minimum)
    if expr.maximum is not None and (expr.minimum is None or part(expr.minimum) <= part(expr.maximum)):
        assert duty <= part(expr.maximum)


@given(
    rate=RATES,
    amount=AMOUNTS,
    dialect=st.sampled_from(DIALECTS),
    spaces=st.sampled_from([" ", "", "\u00a0", "  ", "\u202f"]),
)
def test_spacing_does_not_change_the_terms(rate: Decimal, amount: Decimal, dialect: Dialect, spaces: str) -> None:
    s = spaces
    text = f"{rate}{s}%{s}+{s}{amount}{s}EUR{s}/{s}100{s}kg"
    assert parse_expression(text, dialect=dialect).terms == (
        Term(kind="ad_valorem", rate=rate),
        Term(kind="specific", amount=amount, currency="EUR", unit="kg", per_quantity=D(100)),
    )


@given(amount=st.decimals(min_value=D(1000), max_value=D(9_999_999), places=3, allow_nan=False))
def test_thousands_separators_are_read(amount: Decimal) -> None:
    text = f"{amount:,f} EUR TNE"
    assert parse_expression(text, dialect="eu").terms == (sp(str(amount), "EUR", "kg", 1000),)


@pytest.mark.parametrize(
    ("terms", "minimum", "maximum"),
    [((av("5"),), (), None), ((), (av("5"),), None), ((), None, (av("5"),))],
)
def test_an_expression_with_an_empty_clause_or_a_clamped_free_duty_cannot_be_built(
    terms: tuple[Term, ...], minimum: tuple[Term, ...] | None, maximum: tuple[Term, ...] | None
) -> None:
    with pytest.raises(ValueError, match="clause must hold terms"):
        Expression(text="", terms=terms, minimum=minimum, maximum=maximum)
