"""Australia.

* Customs value FOB, excluding international transport and insurance (ABF ICS).
* GST 10 % of the value of the taxable importation: VoTI = customs value + duty + T&I (+ WET, not modelled).
* Goods of customs value <= AUD 1,000 (not alcohol or tobacco): no duty or GST at the border; since
  1 Jul 2018 a registered vendor charges GST at checkout on the sale price (goods + delivery).
* Rounding: the ICS rule is unverified (broker examples differ); duty per line and GST on the total
  ROUND_HALF_UP to the cent.
* FX: the rate on the day the goods were exported; the quote date stands for it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP

from customs.rules.base import (
    Quote,
    add_tax,
    apply_duty_measures,
    excluded,
    explain_duties,
    fmt,
    group_taxes_by_rate,
    round_lines,
    set_customs_values,
    tax_rate_for,
    threshold_amount,
)

NAME = "AU"
DUTY_ROUNDING = ROUND_HALF_UP
GST_ROUNDING = ROUND_HALF_UP
FX_MAX_AGE_DAYS = 7


def fx_reference_date(day: dt.date) -> dt.date:
    return day


def compute(q: Quote) -> None:
    set_customs_values(q, "FOB")
    cv = q.customs_value()
    border = q.tables.threshold("AU", "duty_exempt", q.day)
    lvg = q.tables.threshold("AU", "checkout_tax", q.day)
    low_value = border is not None and cv <= threshold_amount(q, border)
    always = [ln for ln in q.lines if border is not None and excluded(ln, border.excluded_hs_prefixes)]
    if low_value and border is not None:
        q.de_minimis.duty_exempt = q.de_minimis.tax_exempt = not always
        q.de_minimis.rule = (
            f"customs value {fmt(cv)} <= AUD {border.amount}: no duty or GST at the border ({border.source})"
        )
        for ln in q.lines:
            if ln not in always:
                ln.duty_rate, ln.duty_basis = "0", f"low-value goods ({border.id})"
        apply_duty_measures(q, always)
        round_lines(q, DUTY_ROUNDING, always)
        explain_duties(q)
        if always:
            _border_gst(q)
        elif lvg is not None and q.scheme_registered:
            q.de_minimis.tax_exempt = False
            q.de_minimis.rule += "; GST charged at checkout by the registered vendor (LVG, since 1 Jul 2018)"
            rate = tax_rate_for(q, "GST", "standard", "lines[0].tax_category")
            base = q.goods + q.shipping + q.insurance
            add_tax(q, "GST", rate, base, "checkout", rounding=GST_ROUNDING, base_text="sale price incl. delivery")
        else:
            q.say("no GST: low-value goods and the seller is not registered for the LVG scheme")
        return
    q.de_minimis.rule = f"customs value {fmt(cv)} > AUD 1000: duty and GST at the border"
    apply_duty_measures(q)
    round_lines(q, DUTY_ROUNDING)
    explain_duties(q)
    _border_gst(q)


def _border_gst(q: Quote) -> None:
    pairs = [
        (
            tax_rate_for(q, "GST", ln.tax_category, f"lines[{ln.index}].tax_category"),
            ln.customs_value + ln.duty + ln.shipping + ln.insurance,
        )
        for ln in q.lines
    ]
    group_taxes_by_rate(q, "GST", pairs, "border", "VoTI = customs value + duty + transport and insurance")
