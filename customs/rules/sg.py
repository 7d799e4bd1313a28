"""Singapore.

* Customs value CIF; GST base = CIF + duties + other charges (Singapore Customs).
* GST 9 % since 1 Jan 2024 (8 % in 2023, 7 % before).
* Duty only on liquor, tobacco, motor vehicles and petroleum (rates not in the starter data).
* Low-value goods (from 1 Jan 2023): items <= S$400 by air or post, GST charged at checkout by an
  OVR-registered vendor; the S$400 test is per item (secondary source). Import GST relief for
  consignments <= S$400 by air/post otherwise.
* Rounding: GST ROUND_HALF_UP to the cent (no rule found; unverified).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP

from customs.rules.base import (
    Quote,
    apply_duty_measures,
    explain_duties,
    fmt,
    group_taxes_by_rate,
    round_lines,
    set_customs_values,
    tax_rate_for,
    threshold_amount,
)
from hub.core.money import allocate

NAME = "SG"
DUTY_ROUNDING = ROUND_HALF_UP
GST_ROUNDING = ROUND_HALF_UP
FX_MAX_AGE_DAYS = 7


def fx_reference_date(day: dt.date) -> dt.date:
    return day


def compute(q: Quote) -> None:
    set_customs_values(q, "CIF")
    apply_duty_measures(q)
    round_lines(q, DUTY_ROUNDING)
    explain_duties(q)
    cif = q.customs_value()
    ovr = q.tables.threshold("SG", "checkout_tax", q.day, transport_mode=q.transport_mode)
    relief = q.tables.threshold("SG", "tax_exempt", q.day, transport_mode=q.transport_mode)
    checkout = []
    if ovr is not None and q.scheme_registered:
        limit = threshold_amount(q, ovr)
        checkout = [ln for ln in q.lines if ln.duty == 0 and ln.unit_value <= limit]
    border = [ln for ln in q.lines if ln not in checkout]
    rules = []
    if checkout and ovr is not None:
        rules.append(f"low-value goods <= S${ovr.amount} per item: GST at checkout by the OVR vendor")
        pairs = [
            (tax_rate_for(q, "GST", ln.tax_category, f"lines[{ln.index}].tax_category"), ln.customs_value)
            for ln in checkout
        ]
        group_taxes_by_rate(q, "GST", pairs, "checkout", "price of low-value goods incl. delivery")
    if border and relief is not None and cif <= threshold_amount(q, relief) and all(ln.duty == 0 for ln in border):
        rules.append(f"consignment CIF {fmt(cif)} <= S${relief.amount} by {q.transport_mode}: import GST relief")
        q.say(f"no import GST on the other lines: {rules[-1]} ({relief.source})")
        border = []
        q.de_minimis.tax_exempt = not checkout
    if border:
        charges = allocate(q.local_charges_total(), [ln.customs_value for ln in border], q.exponent)
        pairs = [
            (tax_rate_for(q, "GST", ln.tax_category, f"lines[{ln.index}].tax_category"), ln.customs_value + ln.duty + c)
            for ln, c in zip(border, charges, strict=True)
        ]
        group_taxes_by_rate(q, "GST", pairs, "border", "CIF + duty + other charges")
    q.de_minimis.duty_exempt = q.duty_total() == 0
    q.de_minimis.rule = "; ".join(rules) or "GST at the border"
