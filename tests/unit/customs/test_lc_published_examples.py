"""Published worked examples reproduced to the cent (CUSTOMS-RULES.md section 2 plus four more)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lc_helpers import amt, quote, starter

from customs.tariffs import Fee, merge_overrides


def test_e1_australia_amplifier() -> None:
    """E1: former Australian Customs page "How is duty and GST calculated?" (quoted at clubcobra.com).

    US$1,274, A$1 = US$0.9100, P&I US$118.30, duty 5 % -> CV 1,400, duty 70, VoTI 1,600, GST 160, total 230.
    """
    r = quote(
        destination_country="AU",
        origin_country="US",
        ship_from_country="US",
        currency="USD",
        shipping="118.30",
        fx_rates={"AUD/USD": "0.9100"},
        lines=[{"hs_code": "851840", "quantity": 1, "unit_price": "1274.00", "duty_rate": "5"}],
    )
    assert amt(r.customs_value) == "1400.00"
    assert amt(r.shipping_total) == "130.00"
    assert amt(r.duty_total) == "70.00"
    assert [(t.code, t.rate, amt(t.base), amt(t.amount), t.collected_at) for t in r.taxes] == [
        ("GST", "10", "1600.00", "160.00", "border")
    ]
    assert Decimal(r.duty_total.amount) + Decimal(r.tax_total.amount) == Decimal("230.00")
    assert r.currency == "AUD"
    assert r.payer == "buyer"


def test_e5_canada_cbsa() -> None:
    """E5: CBSA publication text quoted at smallformfactor.net: US$100 x 1.15 = CAN$115 VFD, duty 4 % $4.60,
    VFT $119.60, GST 5 % $5.98, total $10.58. Shipped from a non-CUSMA country, so no low-value relief."""
    r = quote(
        destination_country="CA",
        destination_region="AB",
        currency="USD",
        fx_rates={"USD/CAD": "1.15"},
        lines=[{"hs_code": "950631", "quantity": 1, "unit_price": "100", "duty_rate": "4"}],
    )
    assert amt(r.customs_value) == "115.00"
    assert amt(r.duty_total) == "4.60"
    assert [(t.code, amt(t.base), amt(t.amount)) for t in r.taxes] == [("GST", "119.60", "5.98")]
    assert amt(r.tax_total) == "5.98"
    assert Decimal(r.duty_total.amount) + Decimal(r.tax_total.amount) == Decimal("10.58")


def test_e8_us_golf_clubs_fob() -> None:
    """E8: DutyCalculator Help Center "Example 1" (pre-2025): price $600, shipping $200, insurance $10,
    duty 4.4 % -> FOB customs value $600, duty $26.40, MPF $1.00, duty + fees $27.40, landed $837.40.

    The $1.00 courier MPF is outdated (FY2026: $1.34 express consignment fee); the example's figure is
    supplied as a tenant fee override, which is exactly how a tenant would pin a broker's fee."""
    pinned = merge_overrides(
        starter(),
        [
            Fee(
                id="tenant-us-express-mpf",
                destination="US",
                code="MPF",
                kind="flat",
                currency="USD",
                amount=Decimal("1.00"),
                entry="informal",
                transport_modes=("courier",),
                valid_from=dt.date(2026, 10, 1),
                source="DutyCalculator Help Center Example 1 (pre-2025)",
                status="tenant",
            )
        ],
    )
    r = quote(
        tables_=pinned,
        destination_country="US",
        currency="USD",
        shipping="200",
        insurance="10",
        lines=[{"hs_code": "950631", "quantity": 1, "unit_price": "600"}],
    )
    assert amt(r.customs_value) == "600.00"
    assert r.lines[0].duty_rate == "4.4"
    assert amt(r.duty_total) == "26.40"
    assert [(f.code, amt(f.amount)) for f in r.fees] == [("MPF", "1.00")]
    assert amt(r.landed_cost_total) == "837.40"
    # With the shipped data the FY2026 express fee applies instead, flagged as carried forward.
    r2 = quote(
        destination_country="US",
        currency="USD",
        shipping="200",
        insurance="10",
        lines=[{"hs_code": "950631", "quantity": 1, "unit_price": "600"}],
    )
    assert [(f.code, amt(f.amount)) for f in r2.fees] == [("MPF", "1.34")]
    assert any("carried forward" in e for e in r2.explanation)


def test_japan_customs_answer_1111() -> None:
    """Japan Customs Answer 1111 worked example (https://www.customs.go.jp/english/c-answer_e/imtsukan/1111_e.htm):
    A: CIF 534,795 yen, 14 %, standard rate; B: CIF 126,258 yen, 14 %, reduced rate.
    Duty 74,760 + 17,640 = 92,400; national consumption tax 56,425 -> 56,400; local 15,907 -> 15,900."""
    r = quote(
        destination_country="JP",
        currency="JPY",
        lines=[
            {"hs_code": "610910", "quantity": 1, "unit_price": "534795", "duty_rate": "14"},
            {"hs_code": "210690", "quantity": 1, "unit_price": "126258", "duty_rate": "14", "tax_category": "reduced"},
        ],
    )
    assert amt(r.duty_total) == "92400"
    assert [amt(ln.duty) for ln in r.lines] == ["74760", "17640"]
    taxes = {t.code: t for t in r.taxes}
    assert amt(taxes["JCT"].amount) == "56400"
    assert amt(taxes["JCT-LOCAL"].amount) == "15900"
    assert amt(taxes["JCT"].base) == "752000"  # 609,000 + 143,000
    assert any("47502" in e and "47500" in e for e in r.explanation)
    assert any("13397" in e for e in r.explanation)


def test_bazg_vacuum_cleaner_sample() -> None:
    """BAZG "Onlineshopping: Sample calculation - taxable goods value"
    (https://bazg.admin.ch/bazg/en/home/information-individuals/online-shopping--mail-and-courier-consignments/onlineshopping--sample-calculation---taxable-goods-value.html):
    EUR 150 + EUR 12.50 dispatch at 0.98 = CHF 159.25; Swiss Post declaration CHF 17.45 and opening CHF 20.00;
    taxable value CHF 196.70; 8.1 % VAT on the amount rounded to the franc (197 -> 15.96, our arithmetic)."""
    r = quote(
        destination_country="CH",
        origin_country="DE",
        ship_from_country="DE",
        currency="EUR",
        transport_mode="postal",
        shipping="12.50",
        fx_rates={"EUR/CHF": "0.98"},
        local_charges=[
            {"code": "POST-DECLARATION", "amount": "17.45", "currency": "CHF"},
            {"code": "POST-OPENING", "amount": "20.00", "currency": "CHF"},
        ],
        lines=[{"description": "handheld vacuum cleaner", "hs_code": "850819", "quantity": 1, "unit_price": "150"}],
    )
    assert amt(r.customs_value) == "159.25"
    assert amt(r.duty_total) == "0.00"
    assert [(t.code, t.rate, amt(t.base), amt(t.amount)) for t in r.taxes] == [("VAT", "8.1", "197.00", "15.96")]
    assert any("196.70 rounded to the franc" in e for e in r.explanation)
    assert amt(r.fee_total) == "37.45"


def test_langdon_uk_import_vat_with_vva() -> None:
    """Langdon Systems "Calculating customs duty and VAT" (https://www.langdonsystems.com/blog/calculating-customs-duty-and-vat-how-is-it-done/):
    invoice GBP 10,000 + freight 100 + insurance 50 = customs value 10,150; duty 10 % = 1,015;
    VAT value adjustment 500; value for VAT 11,665; VAT 20 % = 2,333."""
    r = quote(
        destination_country="GB",
        currency="GBP",
        transport_mode="ocean",
        shipping="100",
        insurance="50",
        local_charges=[{"code": "VVA", "amount": "500"}],
        lines=[{"hs_code": "841829", "quantity": 1, "unit_price": "10000", "duty_rate": "10"}],
    )
    assert amt(r.customs_value) == "10150.00"
    assert amt(r.duty_total) == "1015.00"
    assert [(amt(t.base), amt(t.amount), t.collected_at) for t in r.taxes] == [("11665.00", "2333.00", "border")]


def test_shippsy_canada_ontario_hst() -> None:
    """Shippsy help "How are duties calculated?" (https://help.shippsy.com/article/147-how-are-duties-calculated-please-provide-some-examples-of-duties-on-common-items):
    US$150 x 1.32 = CAD 198; duty 17 % = 33.66; (198 + 33.66) x 13 % = 30.12 (not made in North America)."""
    r = quote(
        destination_country="CA",
        destination_region="ON",
        currency="USD",
        fx_rates={"USD/CAD": "1.32"},
        lines=[{"hs_code": "610910", "quantity": 1, "unit_price": "150.00", "duty_rate": "17"}],
    )
    assert amt(r.customs_value) == "198.00"
    assert amt(r.duty_total) == "33.66"
    assert [(t.code, t.rate, amt(t.base), amt(t.amount)) for t in r.taxes] == [("HST", "13", "231.66", "30.12")]
