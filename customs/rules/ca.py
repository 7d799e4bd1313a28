"""Canada.

* Value for duty (VFD) = transaction value incl. costs to the place of direct shipment; the
  international shipping after it is excluded (CBSA D13-3-3, D13-3-5): FOB here.
* Value for tax = VFD + duty; GST 5 % or, in participating provinces, HST instead (region required).
* Low-value shipments (CUSMA, since 1 Jul 2020), by place of direct shipment, not origin: by courier
  from US/MX duty-free <= CAD 150 and tax-free <= CAD 40; anything else <= CAD 20 duty- and tax-free.
* Rounding: duty per line and tax ROUND_HALF_UP to the cent (CBSA examples round half-up).
* FX: Bank of Canada rate on the date of direct shipment (D13-2-3); the quote date stands for it.
* Canada Post handling fee: "a handling fee of CAN$9.95 per dutiable or taxable mail item" (Canada
  Post, "Customs duty, taxes, and exemptions"; row ``when: dutiable_or_taxable``): charged where duty
  or GST/HST is due, so duty-free but taxable mail bears it too; mail on which neither is due does
  not, and the quote says which case it is.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP

from customs.rules.base import (
    ZERO,
    FeeLine,
    Quote,
    apply_duty_measures,
    explain_duties,
    fee_condition,
    fmt,
    group_taxes_by_rate,
    round_lines,
    set_customs_values,
    tax_rate_for,
    threshold_amount,
)
from customs.tariffs import Threshold
from hub.core.errors import ValidationFailed

NAME = "CA"
DUTY_ROUNDING = ROUND_HALF_UP
TAX_ROUNDING = ROUND_HALF_UP
FX_MAX_AGE_DAYS = 7
# ISO 3166-2:CA: the ten provinces and three territories (GST alone, or HST instead, depends on it).
PROVINCES = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})


def fx_reference_date(day: dt.date) -> dt.date:
    return day


def compute(q: Quote) -> None:
    if not q.region:
        raise ValidationFailed.single(
            "destination_region", "a Canadian province or territory code (e.g. ON) is required: GST/HST depends on it"
        )
    if q.region not in PROVINCES:
        raise ValidationFailed.single(
            "destination_region",
            f"unknown Canadian province or territory {q.region!r}: one of {', '.join(sorted(PROVINCES))}",
        )
    set_customs_values(q, "FOB")
    vfd = q.customs_value()
    kw = {"transport_mode": q.transport_mode, "ship_from": q.ship_from}
    duty_row = q.tables.threshold("CA", "duty_exempt", q.day, **kw)
    tax_row = q.tables.threshold("CA", "tax_exempt", q.day, **kw)
    q.de_minimis.duty_exempt = duty_row is not None and vfd <= threshold_amount(q, duty_row)
    q.de_minimis.tax_exempt = tax_row is not None and vfd <= threshold_amount(q, tax_row)
    rules = []
    if duty_row is not None:
        verdict = "duty-free" if q.de_minimis.duty_exempt else "dutiable"
        rules.append(f"VFD {fmt(vfd)} vs CAD {duty_row.amount} ({duty_row.id}): {verdict}")
    if tax_row is not None:
        verdict = "tax-free" if q.de_minimis.tax_exempt else "taxable"
        rules.append(f"VFD {fmt(vfd)} vs CAD {tax_row.amount} ({tax_row.id}): {verdict}")
    tax_verdict = rules[-1] if rules else ""
    assumed_rule, assumed_explanation = _assumed_place_of_direct_shipment(q, duty_row, tax_row)
    if assumed_rule:
        rules.append(assumed_rule)
        q.say(assumed_explanation)
    q.de_minimis.rule = "; ".join(rules)
    if q.de_minimis.duty_exempt:
        for ln in q.lines:
            ln.duty_rate, ln.duty_basis = "0", f"low-value shipment ({duty_row.id if duty_row else ''})"
    else:
        apply_duty_measures(q)
        round_lines(q, DUTY_ROUNDING)
    explain_duties(q)
    if q.de_minimis.tax_exempt:
        q.say("no GST/HST: " + tax_verdict)
    else:
        pairs = [
            (tax_rate_for(q, None, ln.tax_category, f"lines[{ln.index}].tax_category"), ln.customs_value + ln.duty)
            for ln in q.lines
        ]
        code = pairs[0][0].code
        group_taxes_by_rate(q, code, pairs, "border", "value for tax = VFD + duty")
    _fees(q)


def _fees(q: Quote) -> None:
    """The fee rows for the quote's transport mode; a conditioned row says why it is (not) charged.

    The Canada Post handling fee is charged "per dutiable or taxable mail item" (row ``when:
    dutiable_or_taxable``): duty due, or GST/HST due, or both; never on mail with neither.
    """
    duty = q.duty_total()
    tax = sum((t.amount for t in q.taxes if t.collected_at == "border"), ZERO)
    for row in q.tables.fee_rows("CA", q.day):
        if row.amount is None or (row.transport_modes is not None and q.transport_mode not in row.transport_modes):
            continue
        charged, words = fee_condition(row, duty, tax=tax)
        if not charged:
            q.say(words)
            continue
        amount = q.q(row.amount)
        q.fees.append(FeeLine(row.code, amount, row.source))
        q.say(f"{row.code}: {fmt(amount)}{words}{row.caveat()}")


def _assumed_place_of_direct_shipment(
    q: Quote, duty_row: Threshold | None, tax_row: Threshold | None
) -> tuple[str, str]:
    """(rule text, explanation) owed when no ``ship_from_country`` was sent and a US/MX one would
    pick other threshold rows; ("", "") otherwise.

    The CUSMA courier thresholds follow the place of direct shipment, not origin (CBSA Customs
    Notice 20-18). Without it the lookup falls to the rows for any other country: an assumption.
    """
    if q.ship_from is not None:
        return "", ""
    kw = {"transport_mode": q.transport_mode, "ship_from": "US"}
    cusma_duty = q.tables.threshold("CA", "duty_exempt", q.day, **kw)
    cusma_tax = q.tables.threshold("CA", "tax_exempt", q.day, **kw)
    if cusma_duty is duty_row and cusma_tax is tax_row:
        return "", ""  # the place of direct shipment changes nothing here (e.g. postal)
    used = _thresholds_text(duty_row, tax_row) or "no low-value threshold"
    cusma = _thresholds_text(cusma_duty, cusma_tax)
    rule = f"place of direct shipment unknown: {used} assumed (not US or MX)"
    explanation = (
        f"place of direct shipment unknown (no ship_from_country sent): assumed not US or MX, so the "
        f"threshold for any other country applies, {used}; ship_from_country US or MX by {q.transport_mode} "
        f"would apply {cusma} instead (CBSA Customs Notice 20-18: the test is the place of direct shipment)"
    )
    return rule, explanation


def _thresholds_text(duty_row: Threshold | None, tax_row: Threshold | None) -> str:
    if duty_row is not None and tax_row is not None and duty_row.amount == tax_row.amount:
        return f"duty- and tax-free <= CAD {duty_row.amount} ({duty_row.id}, {tax_row.id})"
    parts = [
        f"{what} <= CAD {row.amount} ({row.id})"
        for row, what in ((duty_row, "duty-free"), (tax_row, "tax-free"))
        if row is not None
    ]
    return " and ".join(parts)
