"""United Kingdom.

* Duty valuation CIF (delivery costs to the place of introduction; for post, the delivery address).
* Consignments of intrinsic value <= GBP 135 (since 1 Jan 2021): no duty except excise goods; UK
  VAT charged at the point of sale by the seller or marketplace (collected_at "checkout") on the
  price of goods plus delivery. Gifts <= GBP 39: no VAT.
* Above GBP 135: duty on CIF, import VAT at the border on CIF + duty + incidental costs (VATA 1994 s.21).
* The relief is to be abolished by Oct 2028 at the latest (date unverified): quotes after the last
  row's validity are refused rather than guessed.
* Rounding: HMRC's calculator keeps full precision and formats at the end. So the duty is summed
  exactly, the total rounded ROUND_HALF_UP to the penny and shared back over lines; VAT half-up.
* FX: HMRC monthly rate for the month of importation (reference date: the 1st of the month).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP

from customs.rules.base import (
    ZERO,
    Quote,
    add_tax,
    apply_duty_measures,
    excluded,
    explain_duties,
    fmt,
    group_taxes_by_rate,
    round_total_allocate,
    set_customs_values,
    tax_rate_for,
    threshold_amount,
)
from hub.core.errors import ValidationFailed
from hub.core.money import allocate

NAME = "GB"
DUTY_ROUNDING = ROUND_HALF_UP
VAT_ROUNDING = ROUND_HALF_UP
FX_MAX_AGE_DAYS = 14


def fx_reference_date(day: dt.date) -> dt.date:
    return day.replace(day=1)


def compute(q: Quote) -> None:
    set_customs_values(q, "CIF")
    relief = q.tables.threshold("GB", "duty_exempt", q.day)
    pos = q.tables.threshold("GB", "checkout_tax", q.day)
    gift = q.tables.threshold("GB", "gift_tax_exempt", q.day)
    if relief is None or pos is None:
        raise ValidationFailed.single(
            "date", f"the GB low-value consignment rules for {q.day.isoformat()} are not in tables {q.tables.version}"
        )
    intrinsic = q.goods
    low_value = intrinsic <= threshold_amount(q, relief)
    if not low_value:
        apply_duty_measures(q)
        round_total_allocate(q, DUTY_ROUNDING)
        explain_duties(q)
        _import_vat(q)
        q.de_minimis.rule = f"intrinsic value {fmt(intrinsic)} > GBP {relief.amount}: duty and import VAT at the border"
        return

    excise = [ln for ln in q.lines if excluded(ln, relief.excluded_hs_prefixes)]
    q.de_minimis.duty_exempt = not excise
    apply_duty_measures(q, excise)
    round_total_allocate(q, DUTY_ROUNDING, excise)
    for ln in q.lines:
        if ln not in excise:
            ln.duty_rate, ln.duty_basis = "0", f"no duty: consignment <= GBP {relief.amount} ({relief.id})"
    explain_duties(q)
    rule = f"intrinsic value {fmt(intrinsic)} <= GBP {relief.amount}: no duty (excise goods excepted)"
    if q.is_gift and gift is not None and intrinsic <= threshold_amount(q, gift):
        q.de_minimis.tax_exempt = True
        q.de_minimis.rule = rule + f"; gift <= GBP {gift.amount}: no VAT"
        q.say(f"no VAT: gift worth {fmt(intrinsic)} <= GBP {gift.amount} ({gift.source})")
        return
    if q.is_gift or excise:
        _import_vat(q)
        q.de_minimis.rule = rule + "; import VAT at the border (gift over GBP 39 or excise goods)"
        return
    base = q.goods + q.shipping + q.insurance
    rate = tax_rate_for(q, "VAT", q.lines[0].tax_category, "lines[0].tax_category")
    if len({ln.tax_category for ln in q.lines}) > 1:
        shares = allocate(q.shipping + q.insurance, [ln.value for ln in q.lines], q.exponent)
        pairs = [
            (tax_rate_for(q, "VAT", ln.tax_category, f"lines[{ln.index}].tax_category"), ln.value + s)
            for ln, s in zip(q.lines, shares, strict=True)
        ]
        group_taxes_by_rate(q, "VAT", pairs, "checkout", "price of goods + delivery")
    else:
        add_tax(
            q,
            "VAT",
            rate,
            base,
            "checkout",
            rounding=VAT_ROUNDING,
            base_text="price of goods + delivery, point-of-sale VAT",
        )
    q.de_minimis.rule = rule + f"; UK VAT charged at the point of sale by the seller ({pos.source})"


def _import_vat(q: Quote) -> None:
    charges = allocate(q.local_charges_total(), [ln.customs_value for ln in q.lines], q.exponent)
    pairs = [
        (tax_rate_for(q, "VAT", ln.tax_category, f"lines[{ln.index}].tax_category"), ln.customs_value + ln.duty + c)
        for ln, c in zip(q.lines, charges, strict=True)
    ]
    text = "customs value + duty" + (" + incidental costs" if q.local_charges_total() > ZERO else "")
    group_taxes_by_rate(q, "VAT", pairs, "border", text)
