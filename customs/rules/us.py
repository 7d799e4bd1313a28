"""United States.

* Duty on the transaction value excluding international freight and insurance (19 CFR 152.102(f)).
* No federal import VAT.
* De minimis USD 800 (19 U.S.C. 1321) until 29 Aug 2025 (from 2 May 2025 not for CN/HK origin);
  suspended for all countries since then; gifts <= USD 100 still exempt.
* 19 CFR 159.3(a): ad valorem duty is computed on values in whole dollars, merchandise at the same
  rate on one invoice treated as one unit (ROUND_HALF_UP to the dollar); duty ROUND_HALF_UP to the cent,
  then shared over the lines of the group so they sum to it.
* MPF 0.3464 % with min/max on formal entries (>= USD 2,500), flat informal fees by mode; HMF 0.125 % by ocean.
  The dutiable mail fee (row ``when: dutiable``) only when duty is due; where it is not, the quote
  says which fee was not charged and why (shared with CA: ``fee_condition``).
* FX: rate of the quote date (19 CFR 159 certified rates; "date of exportation" details unverified).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from customs.rules.base import (
    HUNDRED,
    FeeLine,
    Line,
    Quote,
    apply_duty_measures,
    explain_duties,
    fee_condition,
    fmt,
    round_lines,
    set_customs_values,
    threshold_amount,
)
from customs.tariffs import Fee
from hub.core.errors import ValidationFailed
from hub.core.money import allocate

NAME = "US"
FEE_ROUNDING = ROUND_HALF_UP
VALUE_ROUNDING = ROUND_HALF_UP  # 19 CFR 159.3(a): under 50 cents dropped, 50 cents or more -> 1 dollar
FX_MAX_AGE_DAYS = 7


def fx_reference_date(day: dt.date) -> dt.date:
    return day


def compute(q: Quote) -> None:
    set_customs_values(q, "FOB")
    origins = {ln.origin for ln in q.lines}
    exempt = None
    gift = q.tables.threshold("US", "gift_duty_exempt", q.day)
    if q.is_gift and gift is not None and q.goods <= threshold_amount(q, gift):
        exempt = f"gift worth {fmt(q.goods)} <= USD {gift.amount} ({gift.source})"
    else:
        rows = [q.tables.threshold("US", "duty_exempt", q.day, origin=o) for o in origins]
        if rows and all(r is not None for r in rows):
            row = rows[0]
            assert row is not None
            if q.goods <= threshold_amount(q, row):
                exempt = (
                    f"de minimis: fair retail value {fmt(q.goods)} <= USD {row.amount} ({row.source}){row.caveat()}"
                )
    if exempt:
        q.de_minimis.duty_exempt = q.de_minimis.tax_exempt = True
        q.de_minimis.rule = exempt
        for ln in q.lines:
            ln.duty_rate, ln.duty_basis = "0", "exempt: " + exempt
        q.say(f"no duty and no fees: {exempt}")
        return
    q.de_minimis.rule = "no de minimis: the USD 800 exemption is suspended or exceeded"
    q.de_minimis.tax_exempt = True  # no federal import tax exists
    apply_duty_measures(q)
    _round_per_159_3(q)
    explain_duties(q)
    _fees(q)


def _round_per_159_3(q: Quote) -> None:
    groups: dict[str, list[Line]] = {}
    other: list[Line] = []
    for ln in q.lines:
        if ln.duty_rate is not None:
            groups.setdefault(ln.duty_rate, []).append(ln)
        else:
            other.append(ln)
    round_lines(q, ROUND_HALF_UP, other)
    for rate, lines in groups.items():
        value = sum((ln.customs_value for ln in lines), Decimal(0))
        whole = value.quantize(Decimal(1), rounding=VALUE_ROUNDING)
        duty = q.q(Decimal(rate) * whole / HUNDRED, ROUND_HALF_UP)
        for ln, part in zip(lines, allocate(duty, [ln.customs_value for ln in lines], q.exponent), strict=True):
            ln.duty = part
        if whole != value:
            q.say(f"19 CFR 159.3: value {fmt(value)} at {rate} % taken as USD {whole} -> duty {fmt(duty)}")


def _fees(q: Quote) -> None:
    formal = q.tables.threshold("US", "formal_entry", q.day)
    value = q.customs_value()
    entry = "formal" if formal is not None and value >= threshold_amount(q, formal) else "informal"
    rows = q.tables.fee_rows("US", q.day)
    mpf = [r for r in rows if r.code == "MPF" and r.entry == entry and _mode_ok(r, q.transport_mode)]
    if not mpf:
        raise ValidationFailed.single(
            "date", f"no US MPF figures for a {entry} entry by {q.transport_mode} on {q.day.isoformat()} in the tables"
        )
    duty = q.duty_total()
    for row in [max(mpf, key=lambda r: (r.priority, r.valid_from))] + [
        r for r in rows if r.code == "HMF" and _mode_ok(r, q.transport_mode)
    ]:
        # A row conditioned ``when: dutiable`` (the dutiable mail fee, class 496) needs duty due.
        charged, words = fee_condition(row, duty)
        if not charged:
            q.say(words)
            continue
        amount = _fee_amount(q, row, value)
        q.fees.append(FeeLine(row.code, amount, row.source))
        q.say(
            f"{row.code} ({entry} entry, {q.transport_mode}): {_fee_text(row, value)} = {fmt(amount)}{words}"
            f"{row.caveat()}"
        )


def _mode_ok(row: Fee, mode: str) -> bool:
    return row.transport_modes is None or mode in row.transport_modes


def _fee_amount(q: Quote, row: Fee, value: Decimal) -> Decimal:
    if row.kind == "flat":
        return q.q(row.amount or Decimal(0), FEE_ROUNDING)
    amount = (row.rate or Decimal(0)) * value / HUNDRED
    if row.minimum is not None:
        amount = max(amount, row.minimum)
    if row.maximum is not None:
        amount = min(amount, row.maximum)
    return q.q(amount, FEE_ROUNDING)


def _fee_text(row: Fee, value: Decimal) -> str:
    if row.kind == "flat":
        return f"flat {row.amount}"
    limits = f" (min {row.minimum}, max {row.maximum})" if row.minimum is not None else ""
    return f"{row.rate} % x {fmt(value)}{limits}"
