"""The engine's faster primitives give exactly what the plain ones they replace gave (value and digits)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from customs import service
from customs.fx import Conversion, FxRate, resolve_conversion
from customs.rules.base import fmt, pct
from hub.core.money import allocate

any_decimal = st.decimals(allow_nan=True, allow_infinity=True)
money = st.one_of(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2),
    st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=8),
    st.sampled_from([Decimal("0"), Decimal("-0"), Decimal("0.00"), Decimal("-0.00"), Decimal("1E+3")]),
)
weights = st.lists(
    st.one_of(money, st.decimals(min_value=0, max_value=Decimal("1e9"), places=4)), min_size=0, max_size=40
)


def reference_allocate(total: Decimal, weights: list[Decimal], exponent: int) -> list[Decimal]:
    """The plain largest-remainder split, as hub.core.money.allocate was written before it was tuned."""
    if not weights:
        return []
    unit = Decimal(1).scaleb(-exponent)
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    sign = -1 if total < 0 else 1
    magnitude = abs(total).quantize(unit, rounding=ROUND_HALF_UP)
    exact = [magnitude * w / weight_sum for w in weights]
    floors = [e.quantize(unit, rounding=ROUND_DOWN) for e in exact]
    leftover_units = int((magnitude - sum(floors, Decimal(0))) / unit)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover_units]:
        floors[i] += unit
    return [sign * part for part in floors]


def _same(a: Decimal, b: Decimal) -> bool:
    """Equal value and equal representation (exponent, sign of zero)."""
    return a.as_tuple() == b.as_tuple()


@settings(max_examples=500)
@given(total=money, parts=weights, exponent=st.integers(min_value=0, max_value=4))
def test_allocate_is_the_plain_split_digit_for_digit(total: Decimal, parts: list[Decimal], exponent: int) -> None:
    ours, theirs = allocate(total, list(parts), exponent), reference_allocate(total, list(parts), exponent)
    assert len(ours) == len(theirs)
    assert all(_same(a, b) for a, b in zip(ours, theirs, strict=True))


def test_allocate_ties_go_to_the_earlier_part_as_before() -> None:
    for total, parts in [
        (Decimal("1.00"), [Decimal(1)] * 3),
        (Decimal("0.05"), [Decimal(1)] * 7),
        (Decimal("10"), [Decimal(0)] * 4),
    ]:
        assert allocate(total, parts, 2) == reference_allocate(total, parts, 2)
        assert [p.as_tuple() for p in allocate(total, parts, 2)] == [
            p.as_tuple() for p in reference_allocate(total, parts, 2)
        ]


@settings(max_examples=500)
@given(value=any_decimal)
def test_fmt_is_format_f(value: Decimal) -> None:
    assert fmt(value) == format(value, "f")


@given(value=st.decimals(allow_nan=False))
def test_pct_is_format_of_normalize_even_when_remembered(value: Decimal) -> None:
    expected = format(value.normalize(), "f")
    assert pct(value) == expected
    assert pct(value) == expected  # a second time, from the memo


def test_pct_keeps_negative_zero_apart() -> None:
    assert pct(Decimal("0.0")) == "0"
    assert pct(Decimal("-0.0")) == "-0"
    assert pct(Decimal("0")) == "0"


@settings(max_examples=300)
@given(value=st.one_of(money, st.decimals(min_value=-1, max_value=1)), exponent=st.integers(min_value=0, max_value=6))
def test_str_of_a_quantized_amount_is_its_f_form(value: Decimal, exponent: int) -> None:
    rounded = value.quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_UP) + Decimal(0)
    assert str(rounded) == format(rounded, "f")


rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100000"), places=6)


@settings(max_examples=500)
@given(amount=money, num=rates, den=rates, exponent=st.integers(min_value=0, max_value=4))
def test_conversion_matches_a_50_digit_local_context(
    amount: Decimal, num: Decimal, den: Decimal, exponent: int
) -> None:
    conv = Conversion("USD", "EUR", num, den, ())
    with localcontext() as ctx:
        ctx.prec = 50
        exact = amount * num / den
    assert _same(conv.exact(amount), exact)
    for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN):
        assert _same(conv.apply(amount, exponent, rounding), exact.quantize(Decimal(1).scaleb(-exponent), rounding))


@given(first=rates, second=rates, inverted=st.booleans())
def test_cross_rates_multiply_at_50_digits(first: Decimal, second: Decimal, inverted: bool) -> None:
    day = dt.date(2026, 11, 27)
    overrides = [
        FxRate(base="EUR" if not inverted else "USD", quote="USD" if not inverted else "EUR", rate=first, as_of=day,
               source="t"),
        FxRate(base="EUR", quote="GBP", rate=second, as_of=day, source="t"),
    ]  # fmt: skip
    conv = resolve_conversion("USD", "GBP", overrides=overrides, on=day)
    assert conv is not None
    with localcontext() as ctx:
        ctx.prec = 50
        numerator, denominator = Decimal(1), Decimal(1)
        if inverted:
            numerator *= first
        else:
            denominator *= first
        numerator *= second
    assert _same(conv.numerator, numerator)
    assert _same(conv.denominator, denominator)


@settings(max_examples=500)
@given(
    raw=st.one_of(
        st.from_regex(r"[0-9]{1,16}(\.[0-9]{0,9})?", fullmatch=True),
        st.text(alphabet="0123456789.-+eE _", max_size=20),
    )
)
def test_cached_amounts_parse_like_decimal(raw: str) -> None:
    for _ in range(2):  # parsed, then from the cache
        value = service._plain_amount(raw)
        if service._PLAIN_AMOUNT.fullmatch(raw):
            assert value is not None
            assert _same(value, Decimal(raw))
        else:
            assert value is None


@given(raw=st.text(alphabet="0123456789.- x", max_size=14))
def test_cached_hs_codes_normalize_as_before(raw: str) -> None:
    digits = raw.replace(".", "").replace(" ", "").replace("-", "")
    expected = digits if digits.isdigit() and 6 <= len(digits) <= 10 else None
    assert service._hs_digits(raw) == expected
    assert service._hs_digits(raw) == expected
