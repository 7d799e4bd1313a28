"""Switzerland.

* Duty by gross weight (CHF per 100 kg, weight rounded up to the next 100 g, Customs Tariff Act
  Art. 2); industrial goods (chapters 25-97) duty-free since 1 Jan 2024.
* VAT 8.1 % (2.6 % reduced) since 2024 on the consideration + all costs to the Swiss destination
  (incl. carrier clearance fees, sent as ``local_charges``) + import duties.
* Duty and VAT amounts <= CHF 5 per declaration are not levied, each assessed separately.
* Gifts from private individuals <= CHF 100: duty-free, not for tobacco or alcohol (ch.ch).
* Rounding: VAT "calculated based on this amount (rounded to the nearest franc)" (BAZG sample): the
  base is rounded ROUND_HALF_UP to the franc, VAT ROUND_HALF_UP to the centime; duty half-up per line.
* FX: forex sell rate of the last trading day before the tax liability arises (the day before).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from customs.rules.base import (
    ZERO,
    Quote,
    add_tax,
    apply_duty_measures,
    excluded,
    explain_duties,
    fmt,
    round_lines,
    set_customs_values,
    tax_rate_for,
    threshold_amount,
)
from customs.tariffs import TaxRate
from hub.core.money import allocate

NAME = "CH"
DUTY_ROUNDING = ROUND_HALF_UP
VAT_BASE_ROUNDING = ROUND_HALF_UP
VAT_ROUNDING = ROUND_HALF_UP
FX_MAX_AGE_DAYS = 5


def fx_reference_date(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def compute(q: Quote) -> None:
    set_customs_values(q, "CIF")
    duty_min = q.tables.threshold("CH", "duty_min_levied", q.day)
    vat_min = q.tables.threshold("CH", "tax_min_levied", q.day)
    gift = q.tables.threshold("CH", "gift_duty_exempt", q.day)
    rules = []
    if q.is_gift and gift is not None and q.goods <= threshold_amount(q, gift):
        # Not for tobacco or alcohol (ch.ch): those lines keep their duty.
        normal = [ln for ln in q.lines if excluded(ln, gift.excluded_hs_prefixes)]
        q.de_minimis.duty_exempt = not normal
        rules.append(f"gift <= CHF {gift.amount}: duty-free" + (" (not tobacco or alcohol)" if normal else ""))
        for ln in q.lines:
            if ln not in normal:
                ln.duty_rate, ln.duty_basis = "0", f"gift ({gift.id})"
        apply_duty_measures(q, normal)
        round_lines(q, DUTY_ROUNDING, normal)
    else:
        apply_duty_measures(q)
        round_lines(q, DUTY_ROUNDING)
    explain_duties(q)
    duty = q.duty_total()
    if duty_min is not None and ZERO < duty <= threshold_amount(q, duty_min):
        for ln in q.lines:
            ln.duty = ZERO
        q.de_minimis.duty_exempt = True
        rules.append(f"duty {fmt(duty)} <= CHF {duty_min.amount}: not levied")
        q.say(f"duty {fmt(duty)} <= CHF {duty_min.amount} per declaration: not levied ({duty_min.source})")

    charges = allocate(q.local_charges_total(), [ln.customs_value for ln in q.lines], q.exponent)
    by_rate: dict[str, tuple[TaxRate, Decimal]] = {}
    for ln, c in zip(q.lines, charges, strict=True):
        row = tax_rate_for(q, "VAT", ln.tax_category, f"lines[{ln.index}].tax_category")
        prev = by_rate.get(row.id, (row, ZERO))[1]
        by_rate[row.id] = (row, prev + ln.customs_value + ln.duty + c)
    start = len(q.taxes)
    for row, base in by_rate.values():
        whole = base.quantize(Decimal(1), rounding=VAT_BASE_ROUNDING)
        add_tax(q, "VAT", row, whole, "border", rounding=VAT_ROUNDING, base_text=f"{fmt(base)} rounded to the franc")
    vat = sum((t.amount for t in q.taxes[start:]), ZERO)
    if vat_min is not None and vat <= threshold_amount(q, vat_min):
        del q.taxes[start:]
        q.de_minimis.tax_exempt = True
        rules.append(f"VAT {fmt(vat)} <= CHF {vat_min.amount}: not levied")
        q.say(f"VAT {fmt(vat)} <= CHF {vat_min.amount} per declaration: not levied ({vat_min.source})")
    q.de_minimis.rule = "; ".join(rules) or "duty and VAT above CHF 5: levied"
