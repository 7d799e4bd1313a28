"""Hypothesis properties: allocation keeps sums, nothing negative, Decimal everywhere, currency precision."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from lc_helpers import quote

from hub.core.money import allocate, currency_exponent

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2, allow_nan=False, allow_infinity=False
)
lines_st = st.lists(
    st.fixed_dictionaries(
        {
            "hs_code": st.sampled_from(["610910", "851840", "847130", "851830", "950631", "640399", "330499"]),
            "quantity": st.integers(min_value=1, max_value=5),
            "unit_price": amounts.map(str),
        }
    ),
    min_size=1,
    max_size=8,
)
dest_st = st.sampled_from(
    [
        ("DE", "EUR", None),
        ("FR", "EUR", None),
        ("GB", "GBP", None),
        ("US", "USD", None),
        ("CA", "CAD", "ON"),
        ("AU", "AUD", None),
        ("JP", "JPY", None),
        ("CH", "CHF", None),
        ("SG", "SGD", None),
        ("CN", "CNY", None),
    ]
)
dates = st.sampled_from(["2025-11-03", "2026-03-02", "2026-07-15", "2026-11-27", "2027-09-01"])


@given(total=amounts, weights=st.lists(amounts, min_size=1, max_size=30))
def test_allocate_keeps_the_total(total: Decimal, weights: list[Decimal]) -> None:
    parts = allocate(total, weights, 2)
    assert sum(parts, Decimal(0)) == total
    assert all(p >= 0 for p in parts)


def _all_money(r: object) -> list[tuple[str, str]]:
    out = []
    for name in ("customs_value", "duty_total", "tax_total", "fee_total", "landed_cost_total", "goods_total"):
        m = getattr(r, name)
        out.append((m.amount, m.currency))
    for ln in r.lines:  # type: ignore[attr-defined]
        out += [(ln.duty.amount, ln.duty.currency), (ln.customs_value.amount, ln.customs_value.currency)]
    for t in r.taxes:  # type: ignore[attr-defined]
        out += [(t.base.amount, t.base.currency), (t.amount.amount, t.amount.currency)]
    return out


@settings(max_examples=150, deadline=None)
@given(dest=dest_st, lines=lines_st, shipping=amounts, insurance=amounts, day=dates)
def test_quote_invariants(
    dest: tuple[str, str, str | None], lines: list[dict[str, object]], shipping: Decimal, insurance: Decimal, day: str
) -> None:
    country, currency, region = dest
    r = quote(
        destination_country=country,
        currency=currency,
        destination_region=region,
        date=day,
        lines=lines,
        shipping=str(shipping),
        insurance=str(insurance),
        transport_mode="air",
    )
    exp = currency_exponent(currency)
    for amount, cur in _all_money(r):
        value = Decimal(amount)
        assert cur == currency
        assert value >= 0
        assert -value.as_tuple().exponent == exp  # type: ignore[operator]
    d = Decimal
    assert sum((d(ln.shipping.amount) for ln in r.lines), d(0)) == d(r.shipping_total.amount)  # type: ignore[union-attr]
    assert sum((d(ln.insurance.amount) for ln in r.lines), d(0)) == d(r.insurance_total.amount)  # type: ignore[union-attr]
    assert sum((d(ln.duty.amount) for ln in r.lines), d(0)) == d(r.duty_total.amount)
    assert sum((d(t.amount.amount) for t in r.taxes), d(0)) == d(r.tax_total.amount)
    assert sum((d(f.amount.amount) for f in r.fees), d(0)) == d(r.fee_total.amount)
    landed = d(r.goods_total.amount) + d(r.shipping_total.amount) + d(r.insurance_total.amount)  # type: ignore[union-attr]
    landed += d(r.duty_total.amount) + d(r.tax_total.amount) + d(r.fee_total.amount)
    assert landed == d(r.landed_cost_total.amount)
    assert r.explanation
    assert r.rules_version
