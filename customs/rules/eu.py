"""European Union (DE, FR and every member state by its VAT rate).

* Duty valuation CIF (UCC Art. 70-71); import VAT base = customs value + duties + incidental costs
  to the first destination (VAT Directive Art. 85-86).
* Until 30 Jun 2026: duty relief for consignments of intrinsic value <= EUR 150 (Reg. 1186/2009
  Art. 23), not for alcohol, perfumes, tobacco. Until 30 Jun 2021 also the EUR 22 VAT exemption.
* 1 Jul 2026 - 1 Jul 2028: flat EUR 3 per distinct tariff subheading for consignments <= EUR 150
  (scope unverified; excise lines keep their normal duty here).
* From 1 Jul 2021: IOSS for intrinsic value <= EUR 150, VAT collected at checkout by a registered seller.
* Rounding: no EU-level rule found (unverified). Duty per line and VAT per rate, ROUND_HALF_UP to the cent.
* FX: ECB rate of the penultimate Wednesday of the previous month (UCC-IA Art. 146).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from customs.rules.base import (
    ZERO,
    Quote,
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
from customs.tariffs import Threshold
from hub.core.money import allocate

NAME = "EU"
DUTY_ROUNDING = ROUND_HALF_UP
VAT_ROUNDING = ROUND_HALF_UP
FX_MAX_AGE_DAYS = 4


def fx_reference_date(day: dt.date) -> dt.date:
    """Penultimate Wednesday of the month before ``day`` (applies for the whole month)."""
    last_prev = day.replace(day=1) - dt.timedelta(days=1)
    last_wednesday = last_prev - dt.timedelta(days=(last_prev.weekday() - 2) % 7)
    return last_wednesday - dt.timedelta(days=7)


def compute(q: Quote) -> None:
    set_customs_values(q, "CIF")
    intrinsic = q.goods
    day = q.day
    relief = q.tables.threshold("EU", "duty_exempt", day)
    lvc = q.tables.threshold("EU", "low_value_consignment", day)
    flat = q.tables.flat_measure("EU", day)
    vat_free = q.tables.threshold("EU", "tax_exempt", day)
    ioss = q.tables.threshold("EU", "checkout_tax", day)

    rules: list[str] = []
    if relief is not None and intrinsic <= threshold_amount(q, relief):
        normal = [ln for ln in q.lines if excluded(ln, relief.excluded_hs_prefixes)]
        q.de_minimis.duty_exempt = not normal
        rules.append(f"duty relief: intrinsic value {_value(q)} <= {_limit(q, relief)} ({relief.source})")
        for ln in q.lines:
            if ln not in normal:
                ln.duty_basis = f"relieved ({relief.id}: consignment <= EUR {relief.amount})"
                ln.duty_rate = "0"
        apply_duty_measures(q, normal)
        round_lines(q, DUTY_ROUNDING, normal)
    elif lvc is not None and flat is not None and flat.amount is not None and intrinsic <= threshold_amount(q, lvc):
        _flat_duty(q, flat.amount, flat.currency or "EUR", flat.id, flat.caveat())
        rules.append(
            f"interim flat duty EUR {flat.amount} per tariff subheading (intrinsic value {_value(q)} <= "
            f"{_limit(q, lvc)})"
        )
    else:
        apply_duty_measures(q, None)
        round_lines(q, DUTY_ROUNDING)
    explain_duties(q)

    if (
        vat_free is not None
        and intrinsic <= threshold_amount(q, vat_free)
        and not any(excluded(ln, vat_free.excluded_hs_prefixes) for ln in q.lines)
    ):
        q.de_minimis.tax_exempt = True
        rules.append(f"import VAT exempt: intrinsic value <= {_limit(q, vat_free)} ({vat_free.source})")
        q.say(f"no import VAT: consignment intrinsic value {_value(q)} <= {_limit(q, vat_free)}")
    else:
        at_checkout = (
            ioss is not None
            and q.scheme_registered
            and intrinsic <= threshold_amount(q, ioss)
            and not any(excluded(ln, ioss.excluded_hs_prefixes) for ln in q.lines)
        )
        if at_checkout and ioss is not None:
            rules.append(f"IOSS: intrinsic value {_value(q)} <= {_limit(q, ioss)}, VAT collected at checkout")
        charges = allocate(q.local_charges_total(), [ln.customs_value for ln in q.lines], q.exponent)
        pairs = [
            (tax_rate_for(q, "VAT", ln.tax_category, f"lines[{ln.index}].tax_category"), ln.customs_value + ln.duty + c)
            for ln, c in zip(q.lines, charges, strict=True)
        ]
        text = "customs value + duty" + (" + local charges" if q.local_charges else "")
        group_taxes_by_rate(q, "VAT", pairs, "checkout" if at_checkout else "border", text)
    over = relief or lvc
    if not rules and over is not None and intrinsic > threshold_amount(q, over):
        rules.append(f"intrinsic value {_value(q)} > {_limit(q, over)}: tariff duty and import VAT at the border")
    q.de_minimis.rule = "; ".join(rules) or "no EU relief applies on this date"


def _value(q: Quote) -> str:
    return f"{fmt(q.goods)} {q.currency}"


def _limit(q: Quote, row: Threshold) -> str:
    """``EUR 150``, and its value in the destination currency where that is not the euro."""
    text = f"{row.currency} {row.amount}"
    return text if row.currency == q.currency else f"{text} (= {fmt(q.q(threshold_amount(q, row)))} {q.currency})"


def _flat_duty(q: Quote, amount: Decimal, currency: str, measure_id: str, caveat: str) -> None:
    """EUR 3 once per distinct hs_code as sent; excise lines keep their normal tariff duty."""
    per_category = amount if currency == q.currency else q.convert(amount, currency)
    charged: set[str] = set()
    normal = [ln for ln in q.lines if ln.hs.startswith(("2203", "2204", "2205", "2206", "2207", "2208", "24"))]
    apply_duty_measures(q, normal)
    round_lines(q, DUTY_ROUNDING, normal)
    for ln in q.lines:
        if ln in normal:
            continue
        ln.duty_rate = None
        ln.measure_ids.append(measure_id)
        if ln.hs in charged:
            ln.duty, ln.duty_exact = ZERO, ZERO
            ln.duty_basis = f"flat duty already charged for subheading {ln.hs_as_sent}"
        else:
            charged.add(ln.hs)
            ln.duty_exact = per_category
            ln.duty = q.q(per_category, DUTY_ROUNDING)
            ln.duty_basis = f"flat {amount} {currency} for tariff subheading {ln.hs_as_sent} ({measure_id}){caveat}"
