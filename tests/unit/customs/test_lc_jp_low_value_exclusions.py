"""Japan's exemption of consignments with a total customs value of JPY 10,000 or less excludes only
the goods designated in the Customs Tariff Act Enforcement Order art. 16-3 (Customs Tariff Act art.
14(xviii); Japan Customs Answer 1006, "Duty exemption for goods at a total customs value of 10,000 yen
or less"): leather bags and handbags, leather gloves, knitted apparel, tights, footwear. The starter
row excluded whole headings and chapters instead (every bag of 4202, all of chapter 61), and
alcohol and tobacco, which Answer 1006 exempts from duty and consumption tax while their liquor or
tobacco tax stays due.

Each line below is sent with a ``duty_rate`` (the starter data has no JP rate for these codes), so
the same request is priced whether or not the line is excluded.
"""

from __future__ import annotations

import pytest
from lc_helpers import amt, quote, starter

from customs.schemas import QuoteResponse
from hub.core.errors import ValidationFailed

LIST = "on the list of excluded goods of the Customs Tariff Act Enforcement Order art. 16-3"


def small(*lines: tuple[str, str]) -> QuoteResponse:
    """A JPY consignment below JPY 10,000, each line (HS, unit price) at an 8 % duty_rate."""
    return quote(
        destination_country="JP",
        currency="JPY",
        date="2027-05-05",
        lines=[{"hs_code": hs, "unit_price": price, "duty_rate": "8"} for hs, price in lines],
    )


def figures(r: QuoteResponse) -> tuple[bool, bool, str, list[tuple[str, str]], str]:
    return (
        r.de_minimis.duty_exempt,
        r.de_minimis.tax_exempt,
        amt(r.duty_total),
        [(t.code, amt(t.amount)) for t in r.taxes],
        amt(r.landed_cost_total),
    )


EXEMPT = (True, True, "0", [], "5000")
# 8 % of 5,000 = 400; JCT 7.8 % of (5,000 + 400 -> 5,000) = 390 -> 300; local 22/78 of 300 = 84 -> 0.
TAXED = (False, False, "400", [("JCT", "300"), ("JCT-LOCAL", "0")], "5700")


@pytest.mark.parametrize(
    ("hs", "what"),
    [
        ("420222", "handbag with outer surface of plastic sheeting or textile"),
        ("420292", "travelling bag or rucksack with outer surface of plastic sheeting or textile"),
        ("420212", "suitcase with outer surface of plastics or textile"),
        ("611120", "babies' garments, knitted, of cotton"),
        ("611595", "socks, knitted, of cotton"),
        ("640610", "uppers (parts of footwear)"),
    ],
)
def test_goods_not_on_the_list_are_exempt(hs: str, what: str) -> None:
    r = small((hs, "5000"))
    assert figures(r) == EXEMPT, what
    assert r.lines[0].duty_basis == "exempt (JP-10000)"


@pytest.mark.parametrize(
    ("hs", "item"),
    [
        ("420221", "4202.21"),  # handbag, outer surface of leather
        ("420291", "4202.91"),  # other bags, outer surface of leather
        ("420329", "4203.29"),  # leather gloves
        ("610910", "61.09"),  # T-shirt, knitted
        ("611522", "6115.22"),  # tights of synthetic fibres
        ("640399", "64.03"),  # footwear with leather uppers
    ],
)
def test_listed_goods_keep_their_duty_and_tax_and_the_quote_names_the_list(hs: str, item: str) -> None:
    r = small((hs, "5000"))
    assert figures(r) == TAXED
    assert f"line 0 (HS {hs}): not covered by the JPY 10000 exemption: HS {item} is {LIST}" in " ".join(r.explanation)


def test_only_the_leather_bag_of_a_mixed_consignment_is_taxed() -> None:
    r = small(("420221", "4000"), ("420222", "4000"))
    assert [amt(ln.duty) for ln in r.lines] == ["300", "0"]
    assert [(t.code, amt(t.amount)) for t in r.taxes] == [("JCT", "300"), ("JCT-LOCAL", "0")]
    assert r.lines[1].duty_basis == "exempt (JP-10000)"
    assert (r.de_minimis.duty_exempt, r.de_minimis.tax_exempt) == (False, False)


def test_the_rule_names_the_official_list_and_what_hs6_cannot_separate() -> None:
    rule = small(("420222", "5000")).de_minimis.rule
    assert "Customs Tariff Act art. 14(xviii), Enforcement Order art. 16-3" in rule
    assert "composition and patent leather" in rule
    assert "only its national subdivision 6115.10-1 is listed, which HS6 cannot separate" in rule


def test_above_the_threshold_the_exclusions_play_no_part() -> None:
    r = small(("420222", "12000"))
    assert amt(r.duty_total) == "900"  # 8 % x 12,000 = 960, truncated to JPY 100
    assert not any(LIST in s for s in r.explanation)


class TestExciseGoods:
    """Answer 1006: goods within the exemption are free of customs duty and consumption tax, "however,
    domestic excises other than consumption tax (ex. liquor tax, tobacco tax, etc.) ... shall not be
    exempted". The starter data holds no excise, so these goods stay refused unless the sender takes
    the figures on with a duty_rate, and then the quote says the excise is left out."""

    def test_wine_is_refused_for_its_excise(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            quote(
                destination_country="JP",
                currency="JPY",
                date="2027-05-05",
                lines=[{"hs_code": "220421", "unit_price": "5000"}],
            )
        assert [e.field for e in exc.value.errors] == ["lines[0].hs_code"]
        assert "excise" in exc.value.errors[0].message

    def test_wine_with_a_duty_rate_is_free_of_duty_and_consumption_tax_and_says_excise_is_left_out(self) -> None:
        r = small(("220421", "5000"))
        assert figures(r) == EXEMPT  # was 400 duty and 300 JCT: alcohol was treated as an excluded item
        assert (
            "line 0 (HS 220421): liquor tax, tobacco tax and other excise are not exempted with the duty and "
            "consumption tax (Answer 1006) and are not included in this quote (JP-excise-not-covered)"
        ) in r.explanation


def test_every_jp_low_value_row_carries_the_same_narrow_list() -> None:
    tables = starter()
    rows = [r for kind in ("duty_exempt", "tax_exempt", "checkout_tax") for r in tables.thresholds[("JP", kind)]]
    assert {r.id for r in rows} == {"JP-10000", "JP-10000-tax", "JP-10000-2028", "JP-jct-2028"}
    lists = {r.excluded_hs_prefixes for r in rows}
    assert len(lists) == 1
    (prefixes,) = lists
    # Whole headings or chapters would exclude the plastic and textile bags (4202.12/.22/.32/.92),
    # babies' garments (61.11), socks (6115.9x), footwear parts (64.06) and excise goods as well.
    for broad in ("42", "4202", "4203", "61", "6111", "6115", "64", "6406", "22", "2204", "24"):
        assert broad not in prefixes
    for unlisted in ("420212", "420222", "420232", "420292", "611120", "611595", "640610", "220421", "240220"):
        assert not any(unlisted.startswith(p) for p in prefixes), unlisted
