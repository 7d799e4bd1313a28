"""Discrepancies between the engine and CUSTOMS-RULES.md found in a review, each pinned by the
section (and the published source it cites) that the corrected answer follows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest
from lc_helpers import amt, quote

from customs.rules.base import fee_condition
from customs.schemas import QuoteResponse
from customs.tariffs import Fee, decode_rows
from hub.core.errors import ValidationFailed

WINE = "220421"


class TestSwissGiftsNotForAlcoholOrTobacco:
    """CUSTOMS-RULES.md 1.7 "Gifts": from private individuals, duty-free up to CHF 100; not for
    tobacco or alcohol (ch.ch)."""

    def test_a_gift_of_wine_keeps_its_duty(self) -> None:
        r = quote(
            destination_country="CH",
            currency="CHF",
            is_gift=True,
            lines=[{"hs_code": WINE, "quantity": 1, "unit_price": "90.00", "duty_rate": "10"}],
        )
        assert amt(r.duty_total) == "9.00"
        assert r.de_minimis.duty_exempt is False
        assert "not tobacco or alcohol" in r.de_minimis.rule

    def test_the_rest_of_a_mixed_gift_stays_duty_free(self) -> None:
        r = quote(
            destination_country="CH",
            currency="CHF",
            is_gift=True,
            lines=[
                {"hs_code": "240220", "quantity": 1, "unit_price": "55.00", "duty_rate": "20"},
                {"hs_code": "610910", "quantity": 1, "unit_price": "40.00"},
            ],
        )
        assert [amt(ln.duty) for ln in r.lines] == ["11.00", "0.00"]
        assert r.lines[1].duty_basis.startswith("gift (CH-gift-100)")

    def test_a_gift_of_wine_without_a_rate_is_refused_not_quoted_duty_free(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            quote(
                destination_country="CH",
                currency="CHF",
                is_gift=True,
                lines=[{"hs_code": WINE, "quantity": 1, "unit_price": "50.00"}],
            )
        assert [e.field for e in exc.value.errors] == ["lines[0].hs_code"]

    def test_other_gifts_unchanged(self) -> None:
        r = quote(
            destination_country="CH",
            currency="CHF",
            is_gift=True,
            lines=[{"hs_code": "610910", "quantity": 1, "unit_price": "100.00"}],
        )
        assert r.de_minimis.duty_exempt is True
        assert r.de_minimis.rule == "gift <= CHF 100: duty-free"


class TestTooLargeIsA422NotA500:
    """The issue's "Bad input": each a precise problem naming the field, never a 500."""

    def test_absurd_rate_is_named(self) -> None:
        for rate in ("1e400", "1e10", "0.0000000001"):
            with pytest.raises(ValidationFailed) as exc:
                quote(currency="USD", fx_rates={"USD/EUR": rate})
            assert [e.field for e in exc.value.errors] == ["fx_rates"], rate

    def test_consignment_too_large_after_conversion_is_named(self) -> None:
        line = {"hs_code": "610910", "quantity": 1_000_000, "unit_price": "999999999999999"}
        with pytest.raises(ValidationFailed) as exc:
            quote(currency="USD", fx_rates={"USD/EUR": "1000"}, lines=[line] * 3)
        assert [e.field for e in exc.value.errors] == ["lines"]
        assert "below 1000000000000000 EUR" in str(exc.value)

    def test_local_charges_count_towards_the_limit(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            quote(local_charges=[{"code": "clearance", "amount": "999999999999999"}] * 2)
        assert [e.field for e in exc.value.errors] == ["lines"]

    def test_just_below_the_limit_is_priced(self) -> None:
        r = quote(lines=[{"hs_code": "847130", "quantity": 1, "unit_price": "999999999999999.99"}])
        assert amt(r.customs_value) == "999999999999999.99"


class TestCanadianProvinceIsChecked:
    """CUSTOMS-RULES.md 1.4 "Rates": GST 5 %, HST instead in participating provinces (CBSA "Importing
    by mail or courier"). An unknown province code was quoted at GST 5 % as if it were a
    non-HST province: a guess presented as fact."""

    @pytest.mark.parametrize("region", ["XX", "on", "ONT", "CA-ON", ""])
    def test_unknown_region_is_refused(self, region: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            quote(destination_country="CA", currency="CAD", destination_region=region)
        assert [e.field for e in exc.value.errors] == ["destination_region"]

    @pytest.mark.parametrize(
        ("region", "code", "rate"),
        [("ON", "HST", "13"), ("NS", "HST", "14"), ("QC", "GST", "5"), ("YT", "GST", "5"), ("NU", "GST", "5")],
    )
    def test_every_province_and_territory_is_known(self, region: str, code: str, rate: str) -> None:
        r = quote(destination_country="CA", currency="CAD", destination_region=region)
        assert [(t.code, t.rate) for t in r.taxes] == [(code, rate)]


class TestChinaCbecExciseGoodsNotQuotedWithoutConsumptionTax:
    """CUSTOMS-RULES.md 1.9: within the CBEC limits the tariff is 0 % but import VAT **and
    consumption tax** are due at 70 % (Cai Guan Shui [2016] No.18); tax = price x (VAT + CT) /
    (1 - CT) x 70 %. Wine and tobacco bear consumption tax, which the starter data does not hold
    (their rows are ``not_covered``). Within the limits the duty lookup was skipped, so wine was
    quoted with VAT 9.1 % alone, as if no consumption tax existed."""

    @pytest.mark.parametrize("hs", [WINE, "240220"])
    def test_refused_within_the_limits(self, hs: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            quote(
                destination_country="CN",
                currency="CNY",
                lines=[{"hs_code": "851840", "quantity": 1, "unit_price": "100"}, {"hs_code": hs, "unit_price": "100"}],
            )
        assert [e.field for e in exc.value.errors] == ["lines[1].hs_code"]
        assert "excise goods" in exc.value.errors[0].message

    def test_refused_beyond_the_limits_as_before(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            quote(destination_country="CN", currency="CNY", lines=[{"hs_code": WINE, "unit_price": "6000"}])
        assert [e.field for e in exc.value.errors] == ["lines[0].hs_code"]

    def test_other_goods_unchanged(self) -> None:
        r = quote(destination_country="CN", currency="CNY", lines=[{"hs_code": "851840", "unit_price": "100"}])
        assert [(t.code, t.rate, amt(t.amount), t.collected_at) for t in r.taxes] == [("VAT", "9.1", "9.10", "border")]


class TestEuDeMinimisVerdictReadsTrue:
    """CUSTOMS-RULES.md 1.1: the EUR 150 relief (until 1 Jul 2026, Reg. 1186/2009 Art. 23), the
    interim EUR 3 duty and IOSS (<= EUR 150 intrinsic value) are tests in euros. The verdict a clerk
    reads compared a zloty value with the euro limit ("430.00 <= EUR 150"), and above the limit said
    "no EU relief applies on this date" on dates where the relief did apply, to smaller consignments."""

    def test_value_and_limit_in_one_currency_outside_the_euro(self) -> None:
        r = quote(
            destination_country="PL", fx_rates={"EUR/PLN": "4.3"}, lines=[{"hs_code": "610910", "unit_price": "100"}]
        )
        assert r.de_minimis.rule == (
            "interim flat duty EUR 3 per tariff subheading (intrinsic value 430.00 PLN <= EUR 150 (= 645.00 PLN)); "
            "IOSS: intrinsic value 430.00 PLN <= EUR 150 (= 645.00 PLN), VAT collected at checkout"
        )

    @pytest.mark.parametrize("day", ["2026-06-30", "2026-07-01", "2028-06-30"])
    def test_above_the_limit_says_so(self, day: str) -> None:
        r = quote(date=day, lines=[{"hs_code": "610910", "unit_price": "150.01"}])
        assert r.de_minimis.rule == "intrinsic value 150.01 EUR > EUR 150: tariff duty and import VAT at the border"

    def test_after_the_interim_period_no_relief_is_named(self) -> None:
        r = quote(date="2028-07-01", lines=[{"hs_code": "610910", "unit_price": "150.01"}])
        assert r.de_minimis.rule == "no EU relief applies on this date"
        assert amt(r.duty_total) == "18.00"

    def test_relief_in_euros_unchanged_in_substance(self) -> None:
        r = quote(date="2026-03-02", lines=[{"hs_code": "610910", "unit_price": "150.00"}])
        assert r.de_minimis.rule.startswith("duty relief: intrinsic value 150.00 EUR <= EUR 150 (")
        assert r.de_minimis.duty_exempt is True


class TestCanadaSaysWhichThresholdItAssumed:
    """CUSTOMS-RULES.md 1.4 "Courier thresholds": by courier from the US or Mexico, duty-free <= CAD
    150 and tax-free <= CAD 40; from any other country CAD 20. The test is the **place of direct
    shipment**, not origin (CBSA Customs Notice 20-18). Without ``ship_from_country`` the engine
    applied CAD 20 and never said that it had assumed the goods were not shipped from the US or MX."""

    ASSUMED = (
        "place of direct shipment unknown (no ship_from_country sent): assumed not US or MX, so the threshold "
        "for any other country applies, duty- and tax-free <= CAD 20 (CA-lvs-20, CA-lvs-20-tax); "
        "ship_from_country US or MX by courier would apply duty-free <= CAD 150 (CA-cusma-courier-150) and "
        "tax-free <= CAD 40 (CA-cusma-courier-40) instead (CBSA Customs Notice 20-18: the test is the place of "
        "direct shipment)"
    )

    @staticmethod
    def ca(**fields: object) -> QuoteResponse:
        body: dict[str, object] = {
            "destination_country": "CA",
            "currency": "CAD",
            "destination_region": "ON",
            "lines": [{"hs_code": "610910", "unit_price": "30.00"}],
        }
        return quote(**(body | fields))

    def test_courier_without_ship_from_says_what_it_assumed(self) -> None:
        r = self.ca(ship_from_country=None)
        assert self.ASSUMED in r.explanation
        assert r.de_minimis.rule.endswith(
            "; place of direct shipment unknown: duty- and tax-free <= CAD 20 (CA-lvs-20, CA-lvs-20-tax) "
            "assumed (not US or MX)"
        )
        # the figures are those of a shipment from any other country, as before
        other = self.ca(ship_from_country="CN")
        assert (amt(r.duty_total), amt(r.tax_total), amt(r.landed_cost_total)) == ("5.40", "4.60", "40.00")
        assert (amt(other.duty_total), amt(other.tax_total)) == ("5.40", "4.60")
        assert r.de_minimis.duty_exempt is False
        assert r.de_minimis.tax_exempt is False

    def test_the_assumption_is_named_under_the_threshold_too(self) -> None:
        r = self.ca(ship_from_country=None, lines=[{"hs_code": "610910", "unit_price": "10.00"}])
        assert self.ASSUMED in r.explanation
        assert r.de_minimis.duty_exempt is True
        assert r.de_minimis.tax_exempt is True
        assert "no GST/HST: VFD 10.00 vs CAD 20 (CA-lvs-20-tax): tax-free" in r.explanation

    @pytest.mark.parametrize(
        ("fields", "why"),
        [
            ({"ship_from_country": "CN"}, "a place of direct shipment was sent"),
            ({"ship_from_country": "US"}, "a place of direct shipment was sent"),
            ({"ship_from_country": None, "transport_mode": "postal"}, "postal: CAD 20 wherever it comes from"),
        ],
    )
    def test_nothing_assumed_when_the_place_is_known_or_irrelevant(self, fields: dict[str, object], why: str) -> None:
        r = self.ca(**fields)
        assert not any("place of direct shipment unknown" in s for s in r.explanation), why
        assert "place of direct shipment" not in r.de_minimis.rule, why


class TestJapanFrom2028WithoutARegisteredSellerIsNotQuotedTaxFree:
    """CUSTOMS-RULES.md 1.6 "Reform": from 1 Apr 2028 cross-border mail-order goods <= JPY 10,000
    "become subject to JCT, with the seller liable" (FY2026 Tax Reform Outline; secondary). The text
    says nothing of a seller who is not registered to charge it. The engine quoted such goods with no
    tax at all and no sentence saying why, beside a note that the seller charges JCT: a guess that
    contradicts the text. It is now refused, naming the field that decides it."""

    SMALL = [{"hs_code": "851830", "quantity": 1, "unit_price": "9000"}]

    def test_refused_naming_the_registration_field(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            quote(
                destination_country="JP",
                currency="JPY",
                date="2028-04-01",
                low_value_scheme_registered=False,
                lines=self.SMALL,
            )
        assert [e.field for e in exc.value.errors] == ["low_value_scheme_registered"]
        message = exc.value.errors[0].message
        assert "subject to Japanese consumption tax (JCT) with the seller liable" in message
        assert "does not say how JCT is levied when the seller is not registered" in message
        assert "no figure is computed" in message

    def test_refused_when_only_some_lines_are_low_value_goods(self) -> None:
        lines = [{"hs_code": "851830", "unit_price": "4000"}, {"hs_code": "610910", "unit_price": "4000"}]
        with pytest.raises(ValidationFailed) as exc:
            quote(
                destination_country="JP",
                currency="JPY",
                date="2028-09-01",
                low_value_scheme_registered=False,
                lines=lines,
            )
        assert [e.field for e in exc.value.errors] == ["low_value_scheme_registered"]

    def test_excluded_goods_alone_are_still_taxed_at_the_border(self) -> None:
        r = quote(
            destination_country="JP",
            currency="JPY",
            date="2028-04-01",
            low_value_scheme_registered=False,
            lines=[{"hs_code": "610910", "unit_price": "4000"}],
        )
        assert [(t.code, amt(t.amount), t.collected_at) for t in r.taxes] == [
            ("JCT", "300", "border"),
            ("JCT-LOCAL", "0", "border"),
        ]

    def test_registered_seller_unchanged(self) -> None:
        r = quote(destination_country="JP", currency="JPY", date="2028-04-01", lines=self.SMALL)
        assert [(t.code, amt(t.amount), t.collected_at) for t in r.taxes] == [
            ("JCT", "700", "checkout"),
            ("JCT-LOCAL", "100", "checkout"),
        ]

    def test_before_the_reform_unregistered_is_exempt_as_before(self) -> None:
        r = quote(
            destination_country="JP",
            currency="JPY",
            date="2028-03-31",
            low_value_scheme_registered=False,
            lines=self.SMALL,
        )
        assert r.taxes == []
        assert r.de_minimis.tax_exempt is True


class TestChinaOverTheTransactionLimitInTheWordsOfTheText:
    """CUSTOMS-RULES.md 1.9 "Rates within limits": "A single-item order above CNY 5,000 but within the
    annual limit is taxed in full and counts toward the annual limit. Above the annual limit: treated
    as general trade." The verdict called the single item "general trade" too, and its tax lines said
    "collected at border", which the text does not say for that case."""

    UNSTATED = (
        "VAT 13 % x 6480.00 = 842.40 (collected_at border is the engine's default: the rules text "
        "(CUSTOMS-RULES.md 1.9) does not say where this tax is collected, and section 3 does not list CN among "
        "the regimes that collect at checkout)"
    )

    @staticmethod
    def cn(lines: list[dict[str, str]], used: str | None = None) -> QuoteResponse:
        return quote(destination_country="CN", currency="CNY", lines=lines, cbec_annual_used=used)

    @staticmethod
    def figures(r: QuoteResponse) -> tuple[object, ...]:
        return (
            amt(r.duty_total),
            [(t.code, t.rate, amt(t.amount), t.collected_at) for t in r.taxes],
            amt(r.landed_cost_total),
            r.de_minimis.duty_exempt,
            r.de_minimis.tax_exempt,
        )

    def test_single_item_is_taxed_in_full_not_general_trade(self) -> None:
        r = self.cn([{"hs_code": "851840", "unit_price": "6000"}], used="0")
        assert r.de_minimis.rule == (
            "single item: duty-paid price 6000.00 > CNY 5000 per transaction, annual total 6000.00 <= CNY 26000: "
            "taxed in full and counts toward the annual limit (CUSTOMS-RULES.md 1.9): tariff, VAT and consumption "
            "tax without the CBEC 0 % tariff and reduced share"
        )
        assert "general trade" not in r.de_minimis.rule
        assert self.UNSTATED in r.explanation
        assert not any("(collected at border)" in s for s in r.explanation)
        assert self.figures(r) == ("480.00", [("VAT", "13", "842.40", "border")], "7322.40", False, False)

    def test_above_the_annual_limit_is_general_trade_collected_at_the_border(self) -> None:
        r = self.cn([{"hs_code": "851840", "unit_price": "6000"}], used="25000")
        assert r.de_minimis.rule == (
            "annual total 31000.00 > CNY 26000: treated as general trade (CUSTOMS-RULES.md 1.9), full tariff, VAT "
            "and consumption tax"
        )
        assert "VAT 13 % x 6480.00 = 842.40 (collected at border)" in r.explanation
        assert self.figures(r) == ("480.00", [("VAT", "13", "842.40", "border")], "7322.40", False, False)

    def test_several_items_over_the_transaction_limit_say_the_text_does_not_cover_them(self) -> None:
        r = self.cn([{"hs_code": "851840", "unit_price": "3000"}] * 2, used="0")
        assert r.de_minimis.rule == (
            "duty-paid price 6000.00 > CNY 5000 per transaction with more than one item, annual total 6000.00 <= "
            "CNY 26000: outside the CBEC retail limits; the rules text (CUSTOMS-RULES.md 1.9) covers only a single "
            "item above the transaction limit, so this order is quoted as such an item would be (assumed): "
            "tariff, VAT and consumption tax in full"
        )
        assert self.UNSTATED in r.explanation
        assert self.figures(r) == ("480.00", [("VAT", "13", "842.40", "border")], "7322.40", False, False)

    def test_within_the_limits_figures_unchanged(self) -> None:
        r = self.cn([{"hs_code": "851840", "unit_price": "100"}], used="0")
        assert self.figures(r) == ("0.00", [("VAT", "9.1", "9.10", "border")], "109.10", True, False)


class TestCanadaPostHandlingFeeOnDutiableOrTaxableMail:
    """Canada Post, "Customs duty, taxes, and exemptions": "We apply a handling fee of CAN$9.95 per
    dutiable or taxable mail item" (and the older CBSA text CUSTOMS-RULES.md 1.4 quotes: the fee is
    charged on goods "subject to duty and/or tax"; "If the item is duty-free and tax exempt, no amount
    is charged"). The row said ``when: dutiable`` and the rule charged the fee only where duty was
    due, so taxable but duty-free mail (a laptop, HS 8471.30, duty-free into Canada, HST 13 % in
    Ontario) went without it; and mail within the CAD 20 exemption got no word on the fee at all.
    The row is now ``when: dutiable_or_taxable`` and the quote says which case applies."""

    CAVEAT = (
        "[Canada Post's page gives no date for the CAD 9.95: the date it took effect was not found "
        "(valid_from is the start of starter coverage)]"
    )

    @staticmethod
    def mail(hs: str, mode: str = "postal", price: str = "100.00") -> QuoteResponse:
        return quote(
            destination_country="CA",
            currency="CAD",
            destination_region="ON",
            transport_mode=mode,
            lines=[{"hs_code": hs, "unit_price": price}],
        )

    def test_duty_free_taxable_mail_bears_the_fee_and_says_tax_is_due(self) -> None:
        r = self.mail("847130")
        assert amt(r.duty_total) == "0.00"
        assert [(t.code, amt(t.amount)) for t in r.taxes] == [("HST", "13.00")]
        assert [(f.code, amt(f.amount)) for f in r.fees] == [("CP-HANDLING", "9.95")]
        assert amt(r.landed_cost_total) == "122.95"  # was 113.00: the fee was left out
        assert (
            "CP-HANDLING: 9.95 (mail on which duty or tax is collected: no duty is due, but tax 13.00 is) "
            + self.CAVEAT
        ) in r.explanation

    def test_dutiable_mail_still_bears_it_and_says_why(self) -> None:
        r = self.mail("610910")
        assert [(f.code, amt(f.amount)) for f in r.fees] == [("CP-HANDLING", "9.95")]
        assert amt(r.landed_cost_total) == "143.29"  # unchanged
        assert (
            "CP-HANDLING: 9.95 (mail on which duty or tax is collected: duty 18.00 and tax 15.34 are due) "
            + self.CAVEAT
        ) in r.explanation

    def test_mail_within_the_20_exemption_bears_no_fee_and_says_so(self) -> None:
        r = self.mail("610910", price="15.00")
        assert (r.de_minimis.duty_exempt, r.de_minimis.tax_exempt) == (True, True)
        assert r.fees == []
        assert amt(r.landed_cost_total) == "15.00"
        assert (
            "CP-HANDLING not charged: the fee (CA-canada-post-handling) is for mail on which duty or tax is "
            "collected and neither is due " + self.CAVEAT
        ) in r.explanation

    def test_courier_never_bore_it(self) -> None:
        for hs in ("847130", "610910"):
            r = self.mail(hs, "courier")
            assert r.fees == []
            assert not any("CP-HANDLING" in s for s in r.explanation)


class TestFeeConditionDutiableOrTaxable:
    """``fee_condition`` for ``when: dutiable_or_taxable`` names the case that charges the fee."""

    ROW = Fee(
        id="t-handling",
        destination="CA",
        code="H",
        kind="flat",
        currency="CAD",
        amount=Decimal("9.95"),
        transport_modes=("postal",),
        when="dutiable_or_taxable",
        valid_from=dt.date(2021, 1, 1),
        source="test",
        status="official",
    )

    @pytest.mark.parametrize(
        ("duty", "tax", "expected"),
        [
            ("2.50", "0", (True, " (mail on which duty or tax is collected: duty 2.50 is due, no tax)")),
            ("0", "1.30", (True, " (mail on which duty or tax is collected: no duty is due, but tax 1.30 is)")),
            ("2.50", "1.30", (True, " (mail on which duty or tax is collected: duty 2.50 and tax 1.30 are due)")),
            (
                "0",
                "0",
                (
                    False,
                    "H not charged: the fee (t-handling) is for mail on which duty or tax is collected and "
                    "neither is due",
                ),
            ),
        ],
    )
    def test_each_case(self, duty: str, tax: str, expected: tuple[bool, str]) -> None:
        assert fee_condition(self.ROW, Decimal(duty), tax=Decimal(tax)) == expected

    def test_dutiable_rows_still_ignore_tax(self) -> None:
        row = msgspec.structs.replace(self.ROW, when="dutiable")
        assert fee_condition(row, Decimal(0), tax=Decimal("1.30"))[0] is False

    def test_the_row_type_accepts_it_and_refuses_other_words(self) -> None:
        base = '{"type":"fee","id":"x","destination":"CA","code":"H","kind":"flat","currency":"CAD",'
        base += '"amount":"1","valid_from":"2021-01-01","source":"t","when":'
        assert decode_rows("[" + base + '"dutiable_or_taxable"}]')[0] == msgspec.structs.replace(
            self.ROW, id="x", amount=Decimal(1), transport_modes=None, source="t", status="unverified"
        )
        with pytest.raises(msgspec.ValidationError):
            decode_rows("[" + base + '"taxable"}]')


class TestUsDutiableMailFeeSkippedOutLoud:
    """CUSTOMS-RULES.md 1.3: "Dutiable mail fee (496): $7.39" (CBP Dec. 25-10). The fee row says
    ``when: dutiable`` and us.py left it out where no duty is due, but in silence: the quote of duty-free
    mail (a laptop, HS 8471.30, free into the US) had no MPF and no word on why. It now says which fee was
    not charged and why, in the words the CA rule module uses for the Canada Post handling fee (one helper,
    ``fee_condition``, for both)."""

    NOT_CHARGED = (
        "MPF not charged: the fee (US-MPF-mail-2026-10-01) is for dutiable mail and no duty is due [unverified: "
        "CBP Dec. 25-10, 90 FR 34665 (FY2026 user fees, from 1 Oct 2025); FY2027 values not found; FY2026 "
        "figures carried forward (unverified)]"
    )

    @staticmethod
    def mail(hs: str, mode: str = "postal") -> QuoteResponse:
        return quote(
            destination_country="US",
            currency="USD",
            transport_mode=mode,
            lines=[{"hs_code": hs, "unit_price": "100.00"}],
        )

    def test_duty_free_mail_says_the_mail_fee_was_not_charged(self) -> None:
        r = self.mail("847130")
        assert amt(r.duty_total) == "0.00"
        assert r.fees == []
        assert amt(r.landed_cost_total) == "100.00"  # unchanged: only the words are new
        assert self.NOT_CHARGED in r.explanation

    def test_dutiable_mail_bears_it_and_says_why(self) -> None:
        r = self.mail("610910")
        assert [(f.code, amt(f.amount)) for f in r.fees] == [("MPF", "7.39")]
        assert amt(r.landed_cost_total) == "123.89"  # unchanged: 100 + duty 16.50 + MPF 7.39
        assert any(
            s.startswith("MPF (informal entry, postal): flat 7.39 = 7.39 (dutiable mail: duty 16.50 is due) ")
            for s in r.explanation
        )

    @pytest.mark.parametrize("mode", ["courier", "air", "ocean"])
    def test_fees_without_the_condition_say_nothing_of_it(self, mode: str) -> None:
        r = self.mail("847130", mode)
        assert r.fees
        assert all(f.code in ("MPF", "HMF") for f in r.fees)
        assert not any("not charged" in s or "dutiable" in s for s in r.explanation)


class TestChinaCbecTaxIsNotSaidToBeCollectedAtCheckout:
    """cn.py said CBEC retail tax within the limits is "withheld by the platform at checkout" and quoted
    it ``collected_at: checkout``. CUSTOMS-RULES.md 1.9 gives the limits, the 70 % share and the formula
    but says nothing of who collects the tax or where; section 3 lists the regimes that collect at
    checkout (EU IOSS, UK <= GBP 135, AU LVG, SG OVR, JP from 2028) and CBEC is not among them. The quote
    now says ``border``, the engine's default, and that the text does not say where, as it already did
    for an order above the transaction limit within the annual limit."""

    WHERE = (
        "(collected_at border is the engine's default: the rules text (CUSTOMS-RULES.md 1.9) does not say where "
        "this tax is collected, and section 3 does not list CN among the regimes that collect at checkout)"
    )

    def test_within_the_limits(self) -> None:
        r = quote(
            destination_country="CN",
            currency="CNY",
            cbec_annual_used="1000",
            lines=[{"hs_code": "330499", "unit_price": "850"}],
        )
        assert [(t.code, t.rate, amt(t.amount), t.collected_at) for t in r.taxes] == [
            ("VAT", "9.1", "91.00", "border"),
            ("CT", "10.5", "105.00", "border"),
        ]
        assert f"VAT 9.1 % x 1000.00 = 91.00 {self.WHERE}" in r.explanation
        assert f"CT 10.5 % x 1000.00 = 105.00 {self.WHERE}" in r.explanation
        assert not any("checkout" in s and "collected at" in s for s in r.explanation)

    def test_general_trade_is_still_plainly_at_the_border(self) -> None:
        r = quote(
            destination_country="CN",
            currency="CNY",
            cbec_annual_used="26000",
            lines=[{"hs_code": "851840", "unit_price": "100"}],
        )
        assert [(t.collected_at) for t in r.taxes] == ["border"]
        assert "VAT 13 % x 108.00 = 14.04 (collected at border)" in r.explanation


class TestChinaAnnualUseNotSentIsAnAssumptionSaidPlainly:
    """CUSTOMS-RULES.md 1.9: the CBEC rates (tariff 0 %, VAT and consumption tax at 70 %) apply within
    CNY 5,000 per transaction **and CNY 26,000 per year**; above the annual limit the order is general
    trade. Without ``cbec_annual_used`` cn.py took CNY 0 as already used and presented the CBEC verdict
    as fact. CNY 0 is the most favourable case: the quote now says it assumed it, that the figures are
    not a fact, up to which amount already used they hold, and what applies above it."""

    RULE_ASSUMED = (
        "CBEC retail: duty-paid price 100.00 <= CNY 5000 per transaction and assuming CNY 0 already used this "
        "year (cbec_annual_used not sent), annual total 100.00 <= CNY 26000: tariff 0 %, VAT and consumption "
        "tax at 70 %"
    )
    SAID = (
        "cbec_annual_used not sent: CNY 0 assumed already used this year against the CNY 26000 annual limit "
        "(CN-cbec-26000); this is the most favourable case, not a fact: this quote's CBEC figures hold only if "
        "the buyer has used at most CNY 25900.00 this year; above that the order is general trade "
        "(CUSTOMS-RULES.md 1.9), with full tariff, VAT and consumption tax. Send cbec_annual_used to quote it "
        "as fact"
    )

    @staticmethod
    def cn(price: str, used: str | None = None) -> QuoteResponse:
        return quote(
            destination_country="CN",
            currency="CNY",
            lines=[{"hs_code": "851840", "unit_price": price}],
            cbec_annual_used=used,
        )

    @staticmethod
    def figures(r: QuoteResponse) -> tuple[object, ...]:
        return (amt(r.duty_total), [(t.rate, amt(t.amount)) for t in r.taxes], amt(r.landed_cost_total))

    def test_within_the_limits_the_verdict_and_explanation_say_it_was_assumed(self) -> None:
        r = self.cn("100")
        assert r.de_minimis.rule == self.RULE_ASSUMED
        assert self.SAID in r.explanation
        assert self.figures(r) == ("0.00", [("9.1", "9.10")], "109.10")  # the favourable case, as before

    def test_the_figures_hold_up_to_the_amount_it_names_and_not_beyond(self) -> None:
        assert self.figures(self.cn("100", "25900")) == self.figures(self.cn("100"))
        beyond = self.cn("100", "25900.01")
        assert beyond.de_minimis.rule.startswith("annual total 26000.01 > CNY 26000: treated as general trade")
        assert self.figures(beyond) == ("8.00", [("13", "14.04")], "122.04")

    def test_sent_figure_is_quoted_as_fact(self) -> None:
        r = self.cn("100", "0")
        assert r.de_minimis.rule == (
            "CBEC retail: duty-paid price 100.00 <= CNY 5000 per transaction and annual total 100.00 <= CNY 26000: "
            "tariff 0 %, VAT and consumption tax at 70 %"
        )
        assert not any("cbec_annual_used" in s for s in r.explanation)

    def test_above_the_transaction_limit_only_the_verdict_rests_on_it(self) -> None:
        r = self.cn("6000")
        assert r.de_minimis.rule.startswith(
            "single item: duty-paid price 6000.00 > CNY 5000 per transaction, assuming CNY 0 already used this "
            "year (cbec_annual_used not sent), annual total 6000.00 <= CNY 26000: taxed in full"
        )
        assert (
            "cbec_annual_used not sent: CNY 0 assumed already used this year against the CNY 26000 annual limit "
            "(CN-cbec-26000); if the buyer has used more than CNY 20000.00 this year the order is general trade "
            "(CUSTOMS-RULES.md 1.9) instead; the tariff, VAT and consumption tax are in full either way, so only "
            "the verdict rests on the assumption"
        ) in r.explanation
        assert self.figures(r) == self.figures(self.cn("6000", "20000.01")) == ("480.00", [("13", "842.40")], "7322.40")

    def test_an_order_alone_above_the_annual_limit_needs_no_assumption(self) -> None:
        r = self.cn("30000")
        assert r.de_minimis.rule == (
            "duty-paid price 30000.00 alone > CNY 26000: treated as general trade (CUSTOMS-RULES.md 1.9), full "
            "tariff, VAT and consumption tax"
        )
        assert not any("cbec_annual_used" in s for s in r.explanation)
