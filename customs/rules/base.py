"""The shared vocabulary of the destination rule modules: the quote being computed and small helpers.

A rule module reads thresholds and rates from :class:`~customs.tariffs.TariffTables` (data) and
decides, in a few readable lines, what they mean for its destination (code): valuation basis, tax
base, which de minimis test, where and how amounts are rounded.

Amounts here are ``Decimal`` in the destination currency. ``Line.duty_exact`` keeps full
precision; each module rounds where its jurisdiction rounds, with a named mode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal, Protocol

from customs.numbers import fmt, pct
from customs.schedules.expressions import MissingQuantity, Quantities, evaluate, evaluate_ad_valorem
from customs.schedules.matching import Ambiguous, Measure, ScheduleInfo, ScheduleView, Selection, select
from customs.tariffs import Destination, DutyMeasure, Fee, TariffTables, TaxRate, Threshold
from hub.core.errors import FieldError, ValidationFailed
from hub.core.money import allocate

__all__ = [
    "DeMinimis",
    "FeeLine",
    "Line",
    "Quote",
    "RuleModule",
    "TaxLine",
    "apply_duty_measures",
    "excluded",
    "fee_condition",
    "fmt",
    "pct",
    "refuse_not_covered",
    "round_lines",
    "round_total_allocate",
    "set_customs_values",
    "tax_rate_for",
    "threshold_amount",
]

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_UNITS = {exponent: Decimal(1).scaleb(-exponent) for exponent in range(5)}
CollectedAt = Literal["border", "checkout"]


@dataclass(slots=True)
class Line:
    index: int
    hs: str
    hs_as_sent: str
    description: str
    origin: str | None
    quantity: int
    unit_value: Decimal
    value: Decimal
    weight_kg: Decimal | None
    duty_rate_override: Decimal | None
    tax_category: str
    shipping: Decimal = ZERO
    insurance: Decimal = ZERO
    customs_value: Decimal = ZERO
    duty_exact: Decimal = ZERO
    duty: Decimal = ZERO
    duty_rate: str | None = None
    duty_basis: str = ""
    duty_source: str = "table"
    measure_ids: list[str] = field(default_factory=list)
    volume_l: Decimal | None = None  # litres for the whole line, for duties per litre
    duty_match: DutyMatch | None = None

    @property
    def label(self) -> str:
        return f"line {self.index} (HS {self.hs_as_sent})"


@dataclass(frozen=True, slots=True)
class DutyMatch:
    """Where a line's duty came from when an official schedule priced it."""

    schedule_id: str
    matched_code: str
    level: int
    preference: str | None  # the preferential measure applied, if any


@dataclass(slots=True)
class TaxLine:
    code: str
    rate: str | None
    base: Decimal
    amount: Decimal
    collected_at: CollectedAt


@dataclass(slots=True)
class FeeLine:
    code: str
    amount: Decimal
    source: str = ""


@dataclass(slots=True)
class DeMinimis:
    duty_exempt: bool = False
    tax_exempt: bool = False
    rule: str = "none applies"


@dataclass(slots=True)
class Quote:
    """Everything a rule module needs, converted to the destination currency."""

    destination: Destination
    country: str
    region: str | None
    day: dt.date
    currency: str
    exponent: int
    transport_mode: str
    ship_from: str | None
    origin: str | None
    is_gift: bool
    scheme_registered: bool
    lines: list[Line]
    goods: Decimal
    shipping: Decimal
    insurance: Decimal
    local_charges: list[FeeLine]
    tables: TariffTables
    convert: Callable[[Decimal, str], Decimal]
    cbec_annual_used: Decimal | None = None
    schedule: ScheduleView | None = None
    schedule_named: bool = False  # the explanation names the schedule, and the response lists it
    explanation: list[str] = field(default_factory=list)
    taxes: list[TaxLine] = field(default_factory=list)
    fees: list[FeeLine] = field(default_factory=list)
    de_minimis: DeMinimis = field(default_factory=DeMinimis)

    @property
    def duty_key(self) -> str:
        """Duty measures are per customs union (``EU``) or per country."""
        return self.destination.union or self.country

    @property
    def unit(self) -> Decimal:
        return _UNITS.get(self.exponent) or Decimal(1).scaleb(-self.exponent)

    def q(self, amount: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
        return amount.quantize(_UNITS.get(self.exponent) or Decimal(1).scaleb(-self.exponent), rounding=rounding)

    def say(self, text: str) -> None:
        self.explanation.append(text)

    def duty_total(self) -> Decimal:
        return sum((line.duty for line in self.lines), ZERO)

    def customs_value(self) -> Decimal:
        return sum((line.customs_value for line in self.lines), ZERO)

    def local_charges_total(self) -> Decimal:
        return sum((c.amount for c in self.local_charges), ZERO)


class RuleModule(Protocol):
    """What :mod:`customs.service` calls on a destination module."""

    NAME: str

    def fx_reference_date(self, day: dt.date) -> dt.date: ...

    def compute(self, quote: Quote) -> None: ...


def threshold_amount(quote: Quote, row: Threshold) -> Decimal:
    """A threshold in the destination currency (exact; converted with the quote's FX)."""
    return row.amount if row.currency == quote.currency else quote.convert(row.amount, row.currency)


def excluded(line: Line, prefixes: tuple[str, ...]) -> bool:
    return any(line.hs.startswith(p) for p in prefixes)


def set_customs_values(quote: Quote, basis: Literal["CIF", "FOB"]) -> None:
    """CIF adds each line's share of shipping and insurance; FOB (ex-transport) does not."""
    for line in quote.lines:
        line.customs_value = line.value + (line.shipping + line.insurance if basis == "CIF" else ZERO)
    if basis == "CIF":
        quote.say(
            f"customs value (CIF) = goods {fmt(quote.goods)} + shipping {fmt(quote.shipping)} + insurance "
            f"{fmt(quote.insurance)} = {fmt(quote.customs_value())} {quote.currency}"
        )
    else:
        quote.say(
            f"customs value (FOB, excluding international shipping {fmt(quote.shipping)} and insurance "
            f"{fmt(quote.insurance)}) = {fmt(quote.customs_value())} {quote.currency}"
        )


def _specific_quantity(quote: Quote, line: Line, measure: DutyMeasure, errors: list[FieldError]) -> Decimal | None:
    if measure.per == "item":
        return Decimal(line.quantity)
    if line.weight_kg is None:
        errors.append(
            FieldError(f"lines[{line.index}].weight_kg", f"weight is needed for the specific duty {measure.id}")
        )
        return None
    if measure.per == "100kg_gross":
        # CH Customs Tariff Act Art. 2: gross weight rounded up to the next 100 g where the unit is 100 kg.
        return line.weight_kg.quantize(Decimal("0.1"), rounding=ROUND_CEILING) / HUNDRED
    return line.weight_kg


def _measure_amount(
    quote: Quote, line: Line, m: DutyMeasure, errors: list[FieldError]
) -> tuple[Decimal, str, Decimal | None]:
    """Exact duty of one measure for one line: (amount, human basis, ad valorem rate or None)."""
    if m.kind == "free":
        return ZERO, "free", ZERO
    av = (m.rate or ZERO) * line.customs_value / HUNDRED
    av_text = f"{pct(m.rate or ZERO)} % x {fmt(line.customs_value)}"
    if m.kind == "ad_valorem":
        return av, av_text, m.rate
    qty = _specific_quantity(quote, line, m, errors)
    if qty is None or m.amount is None:
        return ZERO, "", None
    unit_amount = (
        m.amount if (m.currency or quote.currency) == quote.currency else quote.convert(m.amount, m.currency or "")
    )
    spec = unit_amount * qty
    spec_text = f"{m.amount} {m.currency or quote.currency} per {m.per} x {fmt(qty)}"
    if m.kind == "specific":
        return spec, spec_text, None
    # compound
    if m.combine == "max":
        return max(av, spec), f"greater of ({av_text}, {spec_text})", None
    if m.combine == "min":
        return min(av, spec), f"lesser of ({av_text}, {spec_text})", None
    return av + spec, f"{av_text} + {spec_text}", None


def apply_duty_measures(quote: Quote, lines: list[Line] | None = None) -> None:
    """Set ``duty_exact``, ``duty_rate``, ``duty_basis`` on each line from the override or the tables.

    Raises:
        ValidationFailed: a line whose code has no measure (and no ``duty_rate``), or a measure the
            starter data marks ``not_covered`` (excise goods), or a missing weight.
    """
    errors: list[FieldError] = []
    for line in quote.lines if lines is None else lines:
        if line.duty_rate_override is not None:
            line.duty_exact = line.duty_rate_override * line.customs_value / HUNDRED
            line.duty_rate = pct(line.duty_rate_override)
            line.duty_source = "override"
            line.duty_basis = f"{line.duty_rate} % x {fmt(line.customs_value)} (duty_rate sent with the request)"
            continue
        if quote.schedule is not None and _schedule_duty(quote, quote.schedule, line, errors):
            continue
        measures = quote.tables.duty_measures(quote.duty_key, line.hs, quote.day, line.origin)
        base = [m for m in measures if m.layer == "base"]
        if not base:
            errors.append(
                FieldError(
                    f"lines[{line.index}].hs_code",
                    f"no duty measure for HS {line.hs_as_sent} into {quote.country} on {quote.day.isoformat()} "
                    f"in tables {quote.tables.version}; send duty_rate (percent) from a ruling or broker, "
                    "or load a schedule",
                )
            )
            continue
        if base[0].kind == "not_covered":
            errors.append(FieldError(f"lines[{line.index}].hs_code", f"HS {line.hs_as_sent}: {base[0].note}"))
            continue
        total, parts, rate_sum, all_av = ZERO, [], ZERO, True
        for m in measures:
            amount, basis, rate = _measure_amount(quote, line, m, errors)
            total += amount
            parts.append(f"{basis} = {fmt(amount)} ({m.id}){m.caveat()}")
            line.measure_ids.append(m.id)
            if rate is None:
                all_av = False
            else:
                rate_sum += rate
        line.duty_exact = total
        line.duty_rate = pct(rate_sum) if all_av else None
        line.duty_basis = "; ".join(parts)
        if base[0].is_fallback:
            line.duty_source = "fallback"
            line.duty_basis = (
                f"FALLBACK: HS {line.hs_as_sent} has no measure of its own; fallback row {base[0].id} used, "
                f"not an official rate for this code. " + line.duty_basis
            )
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def _schedule_duty(quote: Quote, view: ScheduleView, line: Line, errors: list[FieldError]) -> bool:
    """Price ``line`` from the official schedule; False leaves it to the tables.

    The tables keep the last word where they hold the tenant's own word (a ruling, a broker's rate:
    a tenant row that is not a fallback) or where their row says the goods are not covered (excise
    goods, whose excise no schedule here carries). A tenant's fallback row serves only codes the
    schedule lacks. Starter rows are not used for a destination that has a schedule.
    """
    # Everything but the figures is the same on every quote of these tables, schedule, code, day
    # and origin: remembered as a plan after the first line priced the long way (see _Plan).
    plan = quote.tables.memo.get(
        ("schedule plan", view.info.id, view.claim_preference, quote.duty_key, line.hs, quote.day, line.origin)
    )
    if isinstance(plan, _Plan):
        _apply_plan(quote, view, line, plan)
        return True
    rows = [m for m in quote.tables.duty_measures(quote.duty_key, line.hs, quote.day, line.origin) if m.layer == "base"]
    if rows and rows[0].kind == "not_covered":
        return False
    if rows and rows[0].status == "tenant" and not rows[0].is_fallback:
        quote.say(f"{line.label}: the tenant's own row {rows[0].id} is used, not {view.info.label}")
        return False
    if quote.day < view.info.valid_from:
        quote.say(
            f"{line.label}: {view.info.label} applies from {view.info.valid_from.isoformat()}, after the quote date; "
            "the hub's own tables are used"
        )
        return False
    try:
        selection = select(
            view.entry(line.hs),
            day=quote.day,
            origin=line.origin,
            schedule_from=view.info.valid_from,
            memo_key=view.info.id,
        )
    except Ambiguous as exc:
        errors.append(FieldError(f"lines[{line.index}].hs_code", f"{exc} ({view.info.label})"))
        return True
    if selection is None:
        if rows and rows[0].is_fallback:
            return False  # the fallback path says FALLBACK loudly
        errors.append(
            FieldError(
                f"lines[{line.index}].hs_code",
                f"HS {line.hs_as_sent} has no third-country duty in {view.info.label} on {quote.day.isoformat()}: "
                "check the code against that tariff, or send duty_rate (percent) from a ruling or broker",
            )
        )
        return True
    _price_selection(quote, view, line, selection, errors)
    return True


def _evaluate(quote: Quote, line: Line, measure: Measure, errors: list[FieldError]) -> tuple[Decimal, str] | None:
    if measure.parsed is None:
        errors.append(
            FieldError(
                f"lines[{line.index}].hs_code",
                f"HS {line.hs_as_sent}: {measure.title()} cannot be computed ({measure.uncomputable}); "
                "send duty_rate (percent) from a ruling or broker",
            )
        )
        return None
    rate = measure.ad_valorem
    if rate is not None:  # one ad valorem term or free: no quantities to read
        return evaluate_ad_valorem(rate, line.customs_value) if measure.parsed.terms else (ZERO, "free = 0")
    quantities = Quantities(items=Decimal(line.quantity), kg=line.weight_kg, litres=line.volume_l)
    try:
        return evaluate(
            measure.parsed,
            customs_value=line.customs_value,
            quantities=quantities,
            convert=quote.convert,
            currency=quote.currency,
        )
    except MissingQuantity as exc:
        name = {"kg": "weight_kg", "litre": "volume_litres"}.get(exc.unit)
        errors.append(
            FieldError(
                f"lines[{line.index}].{name or 'hs_code'}",
                f"{measure.title()} is charged per {exc.unit}: "
                + (f"send {name} (per unit)" if name else "the hub cannot take that quantity; send duty_rate"),
            )
        )
        return None


def _choose_preference(
    quote: Quote,
    view: ScheduleView,
    line: Line,
    selection: Selection,
    base: tuple[Decimal, str],
    notes: list[str],
    errors: list[FieldError],
) -> tuple[Measure, Decimal, str, Measure | None]:
    """The base measure, or the lowest preferential one when origin is claimed; ``notes`` say which."""
    chosen, (amount, text) = selection.base, base
    if not selection.preferences:
        return chosen, amount, text, None
    if not view.claim_preference:
        offered = "; ".join(m.title() for m in selection.preferences[:3])
        notes.append(
            f"a preferential rate exists for origin {line.origin} ({offered}); not applied: the request does not "
            "claim preferential origin (claim_preferential_origin)"
        )
        return chosen, amount, text, None
    priced = [(m, _evaluate(quote, line, m, errors)) for m in selection.preferences]
    options = [(m, r) for m, r in priced if r is not None]
    if not options:
        return chosen, amount, text, None
    best, (best_amount, best_text) = min(options, key=lambda o: (o[1][0], o[0].file_row))
    if best_amount >= amount:
        notes.append(f"preferential origin claimed, but {best.title()} is not lower than the base duty")
        return chosen, amount, text, None
    notes.append(
        f"preferential origin {line.origin} claimed: {best.title()} applies instead of "
        f"{chosen.expression!r}; a proof of origin must accompany the goods"
    )
    return best, best_amount, best_text, best


def _provenance(
    info: ScheduleInfo, selection: Selection, refs: list[Measure], preference: Measure | None
) -> tuple[list[str], DutyMatch]:
    """The line's measure ids and duty match. The same selection and measures give the same ones on
    every quote (selections are remembered per schedule, code, day and origin): built once."""
    key = tuple(m.ref for m in refs)
    made = selection.made.get(key)
    if made is None:
        made = selection.made[key] = (
            tuple(f"{info.source}:{ref}" for ref in key),  # of the schedule duty_match names
            DutyMatch(
                schedule_id=str(info.id),
                matched_code=selection.matched_code,
                level=selection.level,
                preference=None if preference is None else preference.title(),
            ),
        )
    return list(made[0]), made[1]


def _price_selection(
    quote: Quote, view: ScheduleView, line: Line, selection: Selection, errors: list[FieldError]
) -> None:
    info = view.info
    base = _evaluate(quote, line, selection.base, errors)
    if base is None:
        return
    notes = list(selection.notes)
    chosen, amount, text, preference = _choose_preference(quote, view, line, selection, base, notes, errors)
    if not quote.schedule_named:
        # The schedule in full once per quote; each line names it short (and duty_match by id).
        quote.say(f"duties from {info.named}")
        quote.schedule_named = True
    head_key = ("head", chosen.ref)  # the same on every quote of this selection: built once
    head = selection.made.get(head_key)
    if head is None:
        head = selection.made[head_key] = (
            f"{info.title}, matched at {selection.level} digits ({selection.matched_code}): {chosen.title()}: "
        )
    parts = [head + text]
    refs = [chosen]
    rate_sum = chosen.ad_valorem
    all_ad_valorem = rate_sum is not None
    for extra in selection.additional:
        priced_extra = _evaluate(quote, line, extra, errors)
        if priced_extra is None:
            continue
        extra_amount, extra_text = priced_extra
        amount += extra_amount
        parts.append(f"plus {extra.title()}: {extra_text}")
        refs.append(extra)
        extra_rate = extra.ad_valorem
        if extra_rate is None or rate_sum is None:
            all_ad_valorem = False
        else:
            rate_sum += extra_rate
    if info.destination == "US" and line.origin == "CN" and not any("301" in (m.program or "") for m in refs):
        notes.append(
            f"Section 301 duties on China-origin goods are not in this quote: {info.label} carries no Section 301 "
            f"measure for HS {line.hs_as_sent} (no 9903.88 reference on it, or the referenced heading is not in the "
            "file); check USTR's lists before relying on the duty"
        )
    line.duty_exact = amount
    line.duty_rate = pct(rate_sum) if all_ad_valorem and rate_sum is not None else None
    line.duty_basis = "; ".join(parts)
    line.duty_source = "schedule"
    line.measure_ids, line.duty_match = _provenance(info, selection, refs, preference)
    for note in notes:
        quote.say(f"{line.label}: {note}")
    if (
        preference is None
        and line.duty_rate is not None
        and not (selection.preferences and view.claim_preference)
        and len(refs) == len(selection.additional) + 1
    ):
        # Every measure applied is one ad valorem term (or free) and no preference was weighed
        # against the base by amount: only the figures depend on the line, the rest is the plan.
        quote.tables.remember(
            ("schedule plan", info.id, view.claim_preference, quote.duty_key, line.hs, quote.day, line.origin),
            _Plan(
                terms=tuple((m.ad_valorem or ZERO, not _has_terms(m), f"plus {m.title()}: ") for m in refs),
                head=head,
                duty_rate=line.duty_rate,
                measure_ids=tuple(line.measure_ids),
                duty_match=line.duty_match,
                notes=tuple(notes),
            ),
        )


def _has_terms(measure: Measure) -> bool:
    return measure.parsed is not None and bool(measure.parsed.terms)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How a line of one schedule selection is priced, but for its customs value: the base measure
    first, then the additional ones, each ``(ad valorem rate, free, text before its figures)``."""

    terms: tuple[tuple[Decimal, bool, str], ...]
    head: str
    duty_rate: str
    measure_ids: tuple[str, ...]
    duty_match: DutyMatch
    notes: tuple[str, ...]


def _apply_plan(quote: Quote, view: ScheduleView, line: Line, plan: _Plan) -> None:
    """What :func:`_price_selection` writes for ``plan``'s selection, figures computed for ``line``."""
    value = line.customs_value
    parts = []
    amount = ZERO
    for i, (rate, free, prefix) in enumerate(plan.terms):
        figure, text = (ZERO, "free = 0") if free else evaluate_ad_valorem(rate, value)
        amount = figure if i == 0 else amount + figure
        parts.append((plan.head if i == 0 else prefix) + text)
    if not quote.schedule_named:
        quote.say(f"duties from {view.info.named}")
        quote.schedule_named = True
    line.duty_exact = amount
    line.duty_rate = plan.duty_rate
    line.duty_basis = "; ".join(parts)
    line.duty_source = "schedule"
    line.measure_ids, line.duty_match = list(plan.measure_ids), plan.duty_match
    for note in plan.notes:
        quote.say(f"{line.label}: {note}")


def refuse_not_covered(quote: Quote) -> None:
    """Refuse lines the tables mark ``not_covered`` (excise goods) even where no duty is computed.

    A relief that skips :func:`apply_duty_measures` must not quote these goods as if only the
    relieved duty were missing: their excise or consumption tax is not in the data either.

    Raises:
        ValidationFailed: naming each such line's ``hs_code``.
    """
    errors = []
    for line in quote.lines:
        if line.duty_rate_override is not None:
            continue
        base = [
            m for m in quote.tables.duty_measures(quote.duty_key, line.hs, quote.day, line.origin) if m.layer == "base"
        ]
        if base and base[0].kind == "not_covered":
            errors.append(FieldError(f"lines[{line.index}].hs_code", f"HS {line.hs_as_sent}: {base[0].note}"))
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def round_lines(quote: Quote, rounding: str, lines: list[Line] | None = None) -> None:
    """Round each line's duty on its own (``rounding`` named by the module)."""
    for line in quote.lines if lines is None else lines:
        line.duty = quote.q(line.duty_exact, rounding)


def round_total_allocate(quote: Quote, rounding: str, lines: list[Line] | None = None) -> None:
    """Keep full precision, round the declaration total once, and share it back over the lines
    (largest remainder) so line duties sum exactly to the total."""
    chosen = quote.lines if lines is None else lines
    exact_total = sum((ln.duty_exact for ln in chosen), ZERO)
    total = quote.q(exact_total, rounding)
    for line, part in zip(chosen, allocate(total, [ln.duty_exact for ln in chosen], quote.exponent), strict=True):
        line.duty = part


def fee_condition(row: Fee, duty: Decimal, *, tax: Decimal = ZERO) -> tuple[bool, str]:
    """Whether a fee row's ``when`` condition holds for a quote whose duty total is ``duty`` (and
    whose import tax collected at the border is ``tax``), and the words the quote owes for it.

    ``when: dutiable`` (US dutiable mail MPF) reads as "duty is due"; ``when: dutiable_or_taxable``
    (Canada Post handling fee, charged on each mail item on which duty or taxes are collected) as
    "duty or tax is due". A caller whose destination levies no import tax leaves ``tax`` at zero.
    Returns ``(True, suffix)`` where the fee is charged (``suffix`` to append to its explanation
    line, empty for ``when: always``), ``(False, line)`` where it is not: ``line`` names the fee
    and why, so a fee the tables hold is never dropped in silence.
    """
    if row.when == "always":
        return True, ""
    mail = row.transport_modes == ("postal",)
    if row.when == "dutiable":
        what = "dutiable mail" if mail else "dutiable goods"
        if duty == 0:
            return False, f"{row.code} not charged: the fee ({row.id}) is for {what} and no duty is due{row.caveat()}"
        return True, f" ({what}: duty {fmt(duty)} is due)"
    what = "mail on which duty or tax is collected" if mail else "goods on which duty or tax is collected"
    if duty == 0 and tax == 0:
        return False, f"{row.code} not charged: the fee ({row.id}) is for {what} and neither is due{row.caveat()}"
    if duty == 0:
        return True, f" ({what}: no duty is due, but tax {fmt(tax)} is)"
    if tax == 0:
        return True, f" ({what}: duty {fmt(duty)} is due, no tax)"
    return True, f" ({what}: duty {fmt(duty)} and tax {fmt(tax)} are due)"


def explain_duties(quote: Quote) -> None:
    for line in quote.lines:
        quote.say(f"{line.label}: duty {line.duty_basis} -> {fmt(line.duty)}")


def tax_rate_for(quote: Quote, code: str | None, category: str, field_path: str) -> TaxRate:
    """The tax rate row for the destination (and region) in ``category`` on the quote date.

    Raises:
        ValidationFailed: naming ``field_path`` when the tables have no such rate.
    """
    key = ("tax_rate_for", quote.country, quote.day, quote.region, code, category)
    hit = quote.tables.memo.get(key)
    if isinstance(hit, TaxRate):
        return hit
    rows = [
        r
        for r in quote.tables.tax_rates(quote.country, quote.day)
        if r.category == category and (code is None or r.code == code) and r.hs_prefix is None
    ]
    regional = [r for r in rows if r.region is not None and r.region == quote.region]
    national = [r for r in rows if r.region is None]
    pick = regional or national
    if pick:
        best = max(pick, key=lambda r: (r.priority, r.valid_from))
        quote.tables.remember(key, best)
        return best
    known = sorted({r.category for r in quote.tables.tax_rates(quote.country, quote.day)})
    raise ValidationFailed.single(
        field_path,
        f"no {code or 'VAT'} rate '{category}' for {quote.country} on {quote.day.isoformat()}; known: {known}",
    )


def add_tax(
    quote: Quote,
    code: str,
    rate: TaxRate,
    base: Decimal,
    collected_at: CollectedAt,
    *,
    rounding: str = ROUND_HALF_UP,
    base_text: str = "",
) -> TaxLine:
    amount = quote.q(base * rate.rate / HUNDRED, rounding)
    line = TaxLine(code, pct(rate.rate), base, amount, collected_at)
    quote.taxes.append(line)
    where = "at the border" if collected_at == "border" else "at checkout by the seller"
    quote.say(
        f"{code} {pct(rate.rate)} % x {fmt(base)}{(' (' + base_text + ')') if base_text else ''} = {fmt(amount)}, "
        f"collected {where}{rate.caveat()}"
    )
    return line


def group_taxes_by_rate(
    quote: Quote, code: str, rows_and_bases: list[tuple[TaxRate, Decimal]], collected_at: CollectedAt, base_text: str
) -> None:
    """One tax entry per distinct rate (standard vs reduced lines), each rounded half-up."""
    grouped: dict[str, tuple[TaxRate, Decimal]] = {}
    for row, base in rows_and_bases:
        prev = grouped.get(row.id)
        grouped[row.id] = (row, base + (prev[1] if prev else ZERO))
    for row, base in grouped.values():
        add_tax(quote, code, row, quote.q(base), collected_at, base_text=base_text)
