"""China, cross-border e-commerce (CBEC) retail imports.

* Duty-paid price = retail price + freight + insurance.
* Within the limits (CNY 5,000 per transaction, CNY 26,000 per year): tariff 0 %; import VAT and
  consumption tax at 70 % of the statutory amount. Where that tax is collected is not in the rules
  text (1.9 is silent; section 3 does not list CN among the regimes that collect at checkout): the quote
  says ``border``, the engine's default, and that the text does not say so.
* A single item above CNY 5,000 within the annual limit: taxed in full, counting toward the annual
  limit (where the tax is collected is not in the rules text either; the quote says so). Above the
  annual limit: general trade (border). Several items above CNY 5,000 within the annual limit are
  not in the text: quoted like the single item, and the verdict says it was assumed.
* The annual limit needs what the buyer already used this year (``cbec_annual_used``). Without it
  CNY 0 is assumed, the most favourable case: the verdict says so, and the explanation says up to
  which amount already used the figures hold and what applies above it.
* Tax = price x (VAT + CT) / (1 - CT) x share (Cai Guan Shui [2016] No.18; CUSTOMS-RULES.md 1.9).
* Rounding: ROUND_HALF_UP to the fen on each tax total (unverified).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from customs.rules.base import (
    HUNDRED,
    ZERO,
    CollectedAt,
    Line,
    Quote,
    TaxLine,
    apply_duty_measures,
    explain_duties,
    fmt,
    pct,
    refuse_not_covered,
    round_lines,
    set_customs_values,
    tax_rate_for,
    threshold_amount,
)
from customs.tariffs import TaxRate, Threshold
from hub.core.errors import ValidationFailed

NAME = "CN"
DUTY_ROUNDING = ROUND_HALF_UP
TAX_ROUNDING = ROUND_HALF_UP
FX_MAX_AGE_DAYS = 7


def fx_reference_date(day: dt.date) -> dt.date:
    return day


def compute(q: Quote) -> None:
    set_customs_values(q, "CIF")
    per_tx = q.tables.threshold("CN", "transaction_limit", q.day)
    per_year = q.tables.threshold("CN", "annual_limit", q.day)
    share_row = q.tables.threshold("CN", "cbec_tax_share", q.day)
    if per_tx is None or per_year is None or share_row is None:
        raise ValidationFailed.single("date", f"no CN cross-border retail rules for {q.day.isoformat()} in the tables")
    price = q.customs_value()
    used = ZERO if q.cbec_annual_used is None else q.cbec_annual_used
    annual_limit = threshold_amount(q, per_year)
    within_year = used + price <= annual_limit
    # The annual test rests on a figure the request did not give only where the order alone fits.
    assumed = q.cbec_annual_used is None and price <= annual_limit
    annual = (
        f"assuming CNY 0 already used this year (cbec_annual_used not sent), annual total {fmt(used + price)}"
        if assumed
        else f"annual total {fmt(used + price)}"
    )
    single_item = len(q.lines) == 1 and q.lines[0].quantity == 1
    if price <= threshold_amount(q, per_tx) and within_year:
        refuse_not_covered(q)  # tariff 0 %, but the goods' consumption tax is still due
        share, cbec = share_row.amount, True
        q.de_minimis.duty_exempt = True
        q.de_minimis.rule = (
            f"CBEC retail: duty-paid price {fmt(price)} <= CNY {per_tx.amount} per transaction and {annual} "
            f"<= CNY {per_year.amount}: tariff 0 %, VAT and consumption tax at {share_row.amount} %"
        )
        for ln in q.lines:
            ln.duty_rate, ln.duty_basis = "0", f"CBEC retail within limits ({per_tx.id})"
    else:
        share, cbec = HUNDRED, False
        q.de_minimis.rule = _outside_limits_rule(q, price, used, annual, per_tx, per_year, single_item)
        apply_duty_measures(q)
        round_lines(q, DUTY_ROUNDING)
    if assumed:
        q.say(_assumed_annual_use(q, price, annual_limit, per_year, cbec=cbec))
    explain_duties(q)
    # 1.9 names general trade (an ordinary import declaration) only above the annual limit; it does
    # not say where CBEC retail tax, or tax on an order above the transaction limit but within the
    # annual limit, is collected, and section 3 does not list CN among the regimes collecting at checkout.
    _taxes(q, share, "border", where_unstated=within_year)


def _assumed_annual_use(q: Quote, price: Decimal, annual_limit: Decimal, per_year: Threshold, *, cbec: bool) -> str:
    """What the quote owes when ``cbec_annual_used`` was not sent and the order alone fits the year."""
    headroom = fmt(q.q(annual_limit - price))
    head = (
        f"cbec_annual_used not sent: CNY 0 assumed already used this year against the CNY {per_year.amount} "
        f"annual limit ({per_year.id}); "
    )
    if cbec:
        return head + (
            "this is the most favourable case, not a fact: this quote's CBEC figures hold only if the buyer has used "
            f"at most CNY {headroom} this year; above that the order is general trade (CUSTOMS-RULES.md 1.9), with "
            "full tariff, VAT and consumption tax. Send cbec_annual_used to quote it as fact"
        )
    return head + (
        f"if the buyer has used more than CNY {headroom} this year the order is general trade (CUSTOMS-RULES.md "
        "1.9) instead; the tariff, VAT and consumption tax are in full either way, so only the verdict rests on "
        "the assumption"
    )


def _outside_limits_rule(
    q: Quote,
    price: Decimal,
    used: Decimal,
    annual: str,
    per_tx: Threshold,
    per_year: Threshold,
    single_item: bool,
) -> str:
    """The verdict in the words of CUSTOMS-RULES.md 1.9: "general trade" only above the annual limit.

    ``annual`` is the annual total as the verdict words it (with the assumption, if one was made).
    """
    if used + price > threshold_amount(q, per_year):
        over = (
            f"duty-paid price {fmt(price)} alone" if q.cbec_annual_used is None else f"annual total {fmt(used + price)}"
        )
        return (
            f"{over} > CNY {per_year.amount}: treated as general trade (CUSTOMS-RULES.md 1.9), full tariff, VAT "
            "and consumption tax"
        )
    over_tx = f"duty-paid price {fmt(price)} > CNY {per_tx.amount} per transaction"
    if single_item:
        return (
            f"single item: {over_tx}, {annual} <= CNY {per_year.amount}: taxed in full and counts toward the "
            "annual limit (CUSTOMS-RULES.md 1.9): tariff, VAT and consumption tax without the CBEC 0 % tariff "
            "and reduced share"
        )
    return (
        f"{over_tx} with more than one item, {annual} <= CNY {per_year.amount}: outside the CBEC retail limits; "
        "the rules text (CUSTOMS-RULES.md 1.9) covers only a single item above the transaction limit, so this "
        "order is quoted as such an item would be (assumed): tariff, VAT and consumption tax in full"
    )


def _consumption_rate(q: Quote, ln: Line) -> TaxRate | None:
    for row in q.tables.tax_rates("CN", q.day):
        if (
            row.code == "CT"
            and row.hs_prefix is not None
            and ln.hs.startswith(row.hs_prefix)
            and (row.min_unit_value is None or ln.unit_value >= row.min_unit_value)
        ):
            return row
    return None


def _taxes(q: Quote, share: Decimal, collected_at: CollectedAt, *, where_unstated: bool = False) -> None:
    vat_totals: dict[Decimal, list[Decimal]] = {}
    ct_totals: dict[Decimal, list[Decimal]] = {}
    for ln in q.lines:
        vat = tax_rate_for(q, "VAT", ln.tax_category, f"lines[{ln.index}].tax_category")
        ct = _consumption_rate(q, ln)
        ct_rate = ct.rate if ct else ZERO
        base = (ln.customs_value + ln.duty) * HUNDRED / (HUNDRED - ct_rate)
        eff_vat = vat.rate * share / HUNDRED
        v = vat_totals.setdefault(eff_vat, [ZERO, ZERO])
        v[0] += base
        v[1] += base * eff_vat / HUNDRED
        text = f"{ln.label}: taxable {fmt(ln.customs_value + ln.duty)}"
        if ct is not None:
            eff_ct = ct.rate * share / HUNDRED
            c = ct_totals.setdefault(eff_ct, [ZERO, ZERO])
            c[0] += base
            c[1] += base * eff_ct / HUNDRED
            text += f" / (1 - {pct(ct.rate)} %) consumption tax {pct(ct.rate)} % x {pct(share)} %{ct.caveat()}"
        q.say(text + f"; VAT {pct(vat.rate)} % x {pct(share)} % = {pct(eff_vat)} %")
    where = f"collected at {collected_at}"
    if where_unstated:
        where = (
            f"collected_at {collected_at} is the engine's default: the rules text (CUSTOMS-RULES.md 1.9) does not "
            "say where this tax is collected, and section 3 does not list CN among the regimes that collect at "
            "checkout"
        )
    for code, totals in (("VAT", vat_totals), ("CT", ct_totals)):
        for rate, (base, amount) in totals.items():
            rounded = q.q(amount, TAX_ROUNDING)
            q.taxes.append(TaxLine(code, pct(rate), q.q(base), rounded, collected_at))
            q.say(f"{code} {pct(rate)} % x {fmt(q.q(base))} = {fmt(rounded)} ({where})")
