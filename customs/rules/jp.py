"""Japan.

* Customs value CIF (Customs Answer 1403). Consumption tax: national 7.8 % (reduced 6.24 %) on
  CIF + duty, local consumption tax 22/78 of the national tax (Answer 1111).
* Total customs value <= JPY 10,000 per declaration: no duty and no consumption tax (Answer 1006),
  except the goods designated in the Customs Tariff Act Enforcement Order art. 16-3 (leather bags
  and gloves, knitted apparel, tights, footwear: the HS prefixes are the row's
  ``excluded_hs_prefixes``, each line's match is named in the explanation). Liquor tax, tobacco tax
  and other excise are not exempted (Answer 1006) and are not in the data: such goods are refused
  (``refuse_not_covered``). From 1 Apr 2028 the seller charges JCT on these goods (reform, secondary);
  the text does not say how JCT is levied when the seller is not registered, so such a quote is
  refused (``low_value_scheme_registered``) rather than quoted without JCT.
* Rounding (Answer 1111 worked example): each line's duty base is truncated to JPY 1,000 and its
  duty to JPY 100; the tax base (CIF + rounded duty) to JPY 1,000, the national tax to JPY 100, the
  local tax computed on the rounded national tax to the yen. Declaration totals truncate the sum of
  the lines' pre-rounding amounts to JPY 100. Line duties shown are the pre-rounding amounts, so
  they sum to the total.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from customs.rules.base import (
    HUNDRED,
    ZERO,
    CollectedAt,
    Line,
    Quote,
    TaxLine,
    apply_duty_measures,
    excluded,
    explain_duties,
    fmt,
    pct,
    refuse_not_covered,
    set_customs_values,
    tax_rate_for,
    threshold_amount,
)
from customs.tariffs import Threshold
from hub.core.errors import ValidationFailed
from hub.core.money import allocate

NAME = "JP"
LOCAL_NUM, LOCAL_DEN = Decimal(22), Decimal(78)  # local tax = 22/78 of the national tax
FX_MAX_AGE_DAYS = 7


def fx_reference_date(day: dt.date) -> dt.date:
    return day


_ONE = Decimal(1)


def _trunc(amount: Decimal, unit: int) -> Decimal:
    return (amount / unit).quantize(_ONE, rounding=ROUND_DOWN) * unit


def compute(q: Quote) -> None:
    set_customs_values(q, "CIF")
    cv = q.customs_value()
    duty_row = q.tables.threshold("JP", "duty_exempt", q.day)
    tax_row = q.tables.threshold("JP", "tax_exempt", q.day)
    checkout_row = q.tables.threshold("JP", "checkout_tax", q.day)
    small = duty_row is not None and cv <= threshold_amount(q, duty_row)
    taxed = [
        ln for ln in q.lines if not small or (duty_row is not None and excluded(ln, duty_row.excluded_hs_prefixes))
    ]
    if small and duty_row is not None:
        # Answer 1006: the exemption leaves liquor tax, tobacco tax and other excise due; the data
        # has no figure for them, so excise goods are refused rather than quoted without it.
        refuse_not_covered(q)
        _say_excise_left_out(q)
        q.de_minimis.duty_exempt = not taxed
        q.de_minimis.rule = (
            f"total customs value {fmt(cv)} <= JPY {duty_row.amount} ({duty_row.source}){duty_row.caveat()}"
        )
        for ln in q.lines:
            if ln not in taxed:
                ln.duty_rate, ln.duty_basis = "0", f"exempt ({duty_row.id})"
            else:
                q.say(
                    f"{ln.label}: not covered by the JPY {duty_row.amount} exemption: HS "
                    f"{_listed_item(ln.hs, duty_row.excluded_hs_prefixes)} is on the list of excluded goods of the "
                    f"Customs Tariff Act Enforcement Order art. 16-3 (as row {duty_row.id} maps it; its note says "
                    "where an HS code holds more than the listed goods)"
                )
    else:
        q.de_minimis.rule = "total customs value above JPY 10,000"
    apply_duty_measures(q, taxed)
    pre_round = []
    for ln in taxed:
        if ln.duty_rate is not None:  # ad valorem: Answer 1111 truncates the base first
            base = _trunc(ln.customs_value, 1000)
            ln.duty_exact = _trunc(Decimal(ln.duty_rate or 0) * base / HUNDRED, 1)
            ln.duty_basis = f"{ln.duty_rate} % x {fmt(base)} (CIF truncated to JPY 1,000)"
        else:
            ln.duty_exact = _trunc(ln.duty_exact, 1)
        pre_round.append(ln.duty_exact)
    total = _trunc(sum(pre_round, ZERO), 100)
    for ln, part in zip(taxed, allocate(total, pre_round, 0), strict=True):
        ln.duty = part
    explain_duties(q)
    if taxed:
        q.say(f"duty total: sum {fmt(sum(pre_round, ZERO))} truncated to JPY 100 = {fmt(total)}")

    tax_lines = taxed
    collected_at: CollectedAt = "border"
    if small and tax_row is not None:
        tax_lines = [ln for ln in q.lines if excluded(ln, tax_row.excluded_hs_prefixes)]
        q.de_minimis.tax_exempt = not tax_lines
    elif small and checkout_row is not None and q.scheme_registered:
        tax_lines, collected_at = q.lines, "checkout"
        q.de_minimis.rule += "; JCT charged by the seller at checkout (from 1 Apr 2028)"
    elif small and checkout_row is not None and len(taxed) < len(q.lines):
        _refuse_unregistered_seller(q, checkout_row)
    if tax_lines:
        _consumption_tax(q, tax_lines, collected_at)


def _say_excise_left_out(q: Quote) -> None:
    """Excise goods sent with their own ``duty_rate`` pass :func:`refuse_not_covered` (the sender's
    word); the quote still says that their excise is due and not included."""
    for ln in q.lines:
        if ln.duty_rate_override is None:
            continue
        measures = q.tables.duty_measures(q.duty_key, ln.hs, q.day, ln.origin)
        base = [m for m in measures if m.layer == "base"]
        if base and base[0].kind == "not_covered":
            q.say(
                f"{ln.label}: liquor tax, tobacco tax and other excise are not exempted with the duty and "
                f"consumption tax (Answer 1006) and are not included in this quote ({base[0].id})"
            )


def _listed_item(hs: str, prefixes: tuple[str, ...]) -> str:
    """The longest of ``prefixes`` that ``hs`` starts with, written as the tariff writes it
    ("61.09" for a heading, "4202.91" for a subheading)."""
    prefix = max((p for p in prefixes if hs.startswith(p)), key=len)
    if len(prefix) == 4:
        return f"{prefix[:2]}.{prefix[2:]}"
    return f"{prefix[:4]}.{prefix[4:]}" if len(prefix) > 4 else prefix


def _refuse_unregistered_seller(q: Quote, row: Threshold) -> None:
    """From 1 Apr 2028 goods <= JPY 10,000 are subject to JCT with the seller liable (CUSTOMS-RULES.md
    1.6, FY2026 Tax Reform Outline; secondary). The rules text describes only that: it does not say
    how JCT is levied when the seller is not registered to charge it (at the border, or not at all).
    No tax would be a guess contradicting "subject to JCT", so no figure is given.

    Raises:
        ValidationFailed: naming ``low_value_scheme_registered``.
    """
    raise ValidationFailed.single(
        "low_value_scheme_registered",
        f"from 1 Apr 2028 goods in a declaration <= JPY {row.amount} are subject to Japanese consumption tax "
        f"(JCT) with the seller liable ({row.source}); the rules text (CUSTOMS-RULES.md 1.6) covers only the "
        "seller charging JCT at checkout and does not say how JCT is levied when the seller is not registered, "
        "so no figure is computed: send low_value_scheme_registered true if the seller charges JCT at checkout",
    )


def _consumption_tax(q: Quote, lines: list[Line], collected_at: CollectedAt) -> None:
    national_pre, local_lines, bases, rates = ZERO, ZERO, ZERO, set()
    for ln in lines:
        row = tax_rate_for(q, "JCT", ln.tax_category, f"lines[{ln.index}].tax_category")
        rates.add(row.rate)
        line_duty = _trunc(ln.duty_exact, 100)
        base = _trunc(ln.customs_value + line_duty, 1000)
        national = _trunc(base * row.rate / HUNDRED, 1)
        national_rounded = _trunc(national, 100)
        local = _trunc(national_rounded * LOCAL_NUM / LOCAL_DEN, 1)
        q.say(
            f"{ln.label}: consumption tax base {fmt(ln.customs_value)} + duty {fmt(line_duty)} -> {fmt(base)}; "
            f"national {pct(row.rate)} % = {fmt(national)} -> {fmt(national_rounded)}; local 22/78 = {fmt(local)}"
        )
        national_pre += national
        local_lines += local
        bases += base
    national_total = _trunc(national_pre, 100)
    local_total = _trunc(local_lines, 100)
    rate = pct(rates.pop()) if len(rates) == 1 else None
    local_rate = pct(Decimal(rate) * LOCAL_NUM / LOCAL_DEN) if rate is not None else None
    q.taxes.append(TaxLine("JCT", rate, bases, national_total, collected_at))
    q.taxes.append(TaxLine("JCT-LOCAL", local_rate, national_total, local_total, collected_at))
    q.say(f"consumption tax (national): {fmt(national_pre)} truncated to JPY 100 = {fmt(national_total)}")
    q.say(f"local consumption tax: {fmt(local_lines)} truncated to JPY 100 = {fmt(local_total)}")
