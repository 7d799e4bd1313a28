"""The landed-cost engine: :func:`compute_quote` turns a :class:`QuoteRequest` into a :class:`QuoteResponse`.

Pure and in-memory: no database, no network, no clock. The caller passes the tariff tables (the
starter set, maybe with a tenant's overrides) and, optionally, an :class:`~customs.fx.FxTable`.

Order of work: validate every field (collecting all errors), convert amounts to the destination
currency (one half-up rounding per amount), allocate shipping and insurance over lines pro rata to
value (:func:`hub.core.money.allocate`, so line shares sum to the totals), then let the
destination's rule module value, exempt, tax and round, and finally render the wire response.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import pycountry

from customs.fx import Conversion, FxRate, FxTable, parse_override_rates, resolve_conversion
from customs.rules import RULES
from customs.rules.base import ZERO, DutyMatch, FeeLine, Line, Quote, fmt
from customs.schedules.matching import ScheduleInfo, ScheduleView
from customs.schemas import (
    DeMinimisWire,
    DutyMatchWire,
    FeeWire,
    FxUsedWire,
    QuoteLineOut,
    QuoteRequest,
    QuoteResponse,
    ScheduleUsedWire,
    TaxWire,
)
from customs.tariffs import Destination, TariffTables, normalize_hs
from hub.core.errors import FieldError, ValidationFailed
from hub.core.money import MoneyWire, allocate, currency_exponent, is_known_currency, parse_amount

__all__ = [
    "INCOTERMS",
    "MAX_LINES",
    "TRANSPORT_MODES",
    "compute_quote",
    "duty_key_for",
    "freight_payer_for",
    "known_duty_key",
    "payer_for",
    "schedule_wire",
]

MAX_LINES = 1000
MAX_QUANTITY = 1_000_000
# Amounts sent are each below 1e15 (parse_amount); the converted consignment must be too, or its
# sums outgrow the precision amounts are rounded with (a 500 instead of a 422).
MAX_CONSIGNMENT = Decimal("1e15")
TRANSPORT_MODES = frozenset({"courier", "postal", "air", "ocean", "road", "rail"})
# Incoterms 2020 plus the retired DDU/DAT that parcel carriers still print.
INCOTERMS = frozenset({"EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP", "DDU", "DAT"})
_BUYER_CARRIAGE = frozenset({"EXW", "FCA", "FAS", "FOB"})


def payer_for(incoterm: str) -> str:
    """Who pays import duties and taxes: the seller only under DDP (ICC); the buyer otherwise."""
    return "seller" if incoterm == "DDP" else "buyer"


def freight_payer_for(incoterm: str) -> str:
    """Who pays the main carriage: the buyer under E- and F-terms, the seller under C- and D-terms."""
    return "buyer" if incoterm in _BUYER_CARRIAGE else "seller"


_PLAIN_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,8})?")


# Amount strings and HS codes repeat across quotes (a shop's prices, its few codes): each is parsed
# once (bounded caches, never stale: a string always parses the same way). None sends the value down
# the full validation path, which words the error.
@lru_cache(maxsize=8192)
def _plain_amount(raw: str) -> Decimal | None:
    """``Decimal(raw)`` for an unsigned plain amount (<= 15 digits, <= 8 places), else None."""
    return Decimal(raw) if _PLAIN_AMOUNT.fullmatch(raw) else None


@lru_cache(maxsize=8192)
def _hs_digits(raw: str) -> str | None:
    """The digits of a well-formed HS code (6 to 10 digits once separators are dropped), else None."""
    hs = normalize_hs(raw)
    return hs if hs.isdigit() and 6 <= len(hs) <= 10 else None


@lru_cache(maxsize=512)
def _known_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(field, message))

    def amount(self, field: str, raw: object, *, allow_zero: bool = True) -> Decimal | None:
        # The common case, exactly what parse_amount accepts: unsigned, finite, <= 8 places, < 1e15.
        if type(raw) is str and (value := _plain_amount(raw)) is not None and (allow_zero or value):
            return value
        try:
            value = parse_amount(raw)
        except ValueError as exc:
            self.add(field, str(exc))
            return None
        if value < 0 or (not allow_zero and value == 0):
            self.add(field, "must not be negative" if value < 0 else "must be greater than zero")
            return None
        return value

    def country(self, field: str, code: str | None, *, required: bool = False) -> None:
        if code is None:
            if required:
                self.add(field, "required")
            return
        if not _known_country(code):
            self.add(field, f"unknown country {code!r}: use an ISO 3166-1 alpha-2 code such as DE")

    def raise_if_any(self) -> None:
        if self.items:
            detail = "; ".join(f"{e.field}: {e.message}" for e in self.items)
            raise ValidationFailed(detail, errors=list(self.items))


def _parse_lines(req: QuoteRequest, errors: _Errors, nomenclature: frozenset[str] | None) -> list[tuple[Line, Decimal]]:
    parsed: list[tuple[Line, Decimal]] = []
    for i, raw in enumerate(req.lines):
        # Field paths are only spelled out for an error: errors are rare, lines are many.
        hs = _hs_digits(raw.hs_code)
        if hs is None:
            errors.add(f"lines[{i}].hs_code", f"{raw.hs_code!r} is not an HS code: 6 to 10 digits, dots allowed")
            hs = normalize_hs(raw.hs_code)
        elif nomenclature is not None and hs[:6] not in nomenclature:
            errors.add(f"lines[{i}].hs_code", f"{hs[:6]} is not a subheading of the loaded HS nomenclature")
        if raw.origin_country is not None and not _known_country(raw.origin_country):
            errors.country(f"lines[{i}].origin_country", raw.origin_country)
        quantity = raw.quantity
        quantity_ok = not isinstance(quantity, bool) and 1 <= quantity <= MAX_QUANTITY
        if not quantity_ok:
            errors.add(f"lines[{i}].quantity", f"must be a whole number from 1 to {MAX_QUANTITY}")
        price = _plain_amount(raw.unit_price) if type(raw.unit_price) is str else None
        if price is None:
            price = errors.amount(f"lines[{i}].unit_price", raw.unit_price)
        weight = None
        if raw.weight_kg is not None:
            weight = _plain_amount(raw.weight_kg) if type(raw.weight_kg) is str else None
            if weight is None:
                weight = errors.amount(f"lines[{i}].weight_kg", raw.weight_kg)
        volume = None if raw.volume_litres is None else errors.amount(f"lines[{i}].volume_litres", raw.volume_litres)
        rate = None if raw.duty_rate is None else errors.amount(f"lines[{i}].duty_rate", raw.duty_rate)
        if rate is not None and rate > 1000:
            errors.add(f"lines[{i}].duty_rate", "a percent from 0 to 1000")
        if price is None or not quantity_ok:
            continue
        line = Line(
            i,
            hs,
            raw.hs_code,
            raw.description,
            raw.origin_country or req.origin_country,
            quantity,
            price,
            ZERO,
            None if weight is None else weight * quantity,
            rate,
            raw.tax_category,
        )
        if volume is not None:
            line.volume_l = volume * quantity
        parsed.append((line, price * quantity))
    return parsed


@dataclass(slots=True)
class _Parsed:
    lines: list[tuple[Line, Decimal]]
    shipping: Decimal
    insurance: Decimal
    annual: Decimal | None
    charges: list[tuple[str, Decimal, str]]
    overrides: list[FxRate]
    destination: Destination


def _validate(req: QuoteRequest, tables: TariffTables) -> _Parsed:
    """Check every field, collect every error, raise them together."""
    if len(req.lines) > MAX_LINES:
        raise ValidationFailed.single("lines", f"at most {MAX_LINES} lines per quote, got {len(req.lines)}")
    errors = _Errors()
    if not req.lines:
        errors.add("lines", "at least one line is required")
    errors.country("destination_country", req.destination_country, required=True)
    errors.country("origin_country", req.origin_country)
    errors.country("ship_from_country", req.ship_from_country)
    if not is_known_currency(req.currency):
        errors.add("currency", f"unknown currency {req.currency!r}: use an ISO 4217 code such as EUR")
    if req.incoterm not in INCOTERMS:
        errors.add("incoterm", f"unknown incoterm {req.incoterm!r}; one of {sorted(INCOTERMS)}")
    if req.transport_mode not in TRANSPORT_MODES:
        errors.add("transport_mode", f"one of {sorted(TRANSPORT_MODES)}")
    shipping = errors.amount("shipping", req.shipping)
    insurance = errors.amount("insurance", req.insurance)
    annual = None if req.cbec_annual_used is None else errors.amount("cbec_annual_used", req.cbec_annual_used)
    charges: list[tuple[str, Decimal, str]] = []
    for i, charge in enumerate(req.local_charges):
        amount = errors.amount(f"local_charges[{i}].amount", charge.amount)
        cur = charge.currency or req.currency
        if not is_known_currency(cur):
            errors.add(f"local_charges[{i}].currency", f"unknown currency {cur!r}")
        elif amount is not None:
            charges.append((charge.code, amount, cur))
    overrides: list[FxRate] = []
    if req.fx_rates:
        try:
            overrides = parse_override_rates(req.fx_rates, req.date)
        except ValueError as exc:
            key, message = exc.args if len(exc.args) == 2 else ("", str(exc))
            errors.add("fx_rates", f"{key}: {message}" if key else message)
    lines = _parse_lines(req, errors, tables.nomenclature)
    destination = _destination(req, tables, errors)
    errors.raise_if_any()
    assert destination is not None
    assert shipping is not None
    assert insurance is not None
    return _Parsed(lines, shipping, insurance, annual, charges, overrides, destination)


def _destination(req: QuoteRequest, tables: TariffTables, errors: _Errors) -> Destination | None:
    if not _known_country(req.destination_country):
        return None
    destination = tables.destination(req.destination_country, req.date)
    if destination is None:
        coverage = tables.coverage(req.destination_country)
        if coverage is None:
            errors.add("destination_country", f"no landed-cost rules for {req.destination_country} in {tables.version}")
        else:
            start, end = coverage
            span = f"{start.isoformat()} to {end.isoformat() if end else 'open'}"
            errors.add(
                "date",
                f"{req.date.isoformat()} is outside every rule's validity for {req.destination_country} ({span})",
            )
    return destination


def _duty_key(destination: Destination) -> str:
    return destination.union or destination.country


def duty_key_for(request: QuoteRequest, tables: TariffTables) -> str | None:
    """The key duty measures are filed under for the request's destination (``EU`` for DE), if known."""
    return known_duty_key(request.destination_country, request.date, tables)


def known_duty_key(country: str, day: dt.date, tables: TariffTables) -> str | None:
    """The key duty measures are filed under for ``country`` on ``day`` (``EU`` for DE), if known."""
    if not _known_country(country):
        return None
    destination = tables.destination(country, day)
    return None if destination is None else _duty_key(destination)


class _Converter:
    """Conversions into the destination currency, resolved once per source currency."""

    def __init__(
        self, target: str, *, overrides: list[FxRate], fx: FxTable | None, on: dt.date, max_age: int, rule: str
    ) -> None:
        self.target, self.overrides, self.fx, self.on, self.max_age, self.rule = (
            target,
            overrides,
            fx,
            on,
            max_age,
            rule,
        )
        self.cache: dict[str, Conversion] = {}

    def get(self, source: str) -> Conversion:
        if source not in self.cache:
            found = resolve_conversion(
                source, self.target, overrides=self.overrides, table=self.fx, on=self.on, max_age_days=self.max_age
            )
            if found is None:
                raise ValidationFailed.single(
                    "fx_rates",
                    f"no FX rate {source}->{self.target} for the reference date {self.on.isoformat()} "
                    f'({self.rule} rule) and none sent: add e.g. "{source}/{self.target}"',
                )
            self.cache[source] = found
        return self.cache[source]

    def exact(self, amount: Decimal, source: str) -> Decimal:
        return self.get(source).exact(amount)


def _check_size(p: _Parsed, main: Conversion, fx_conv: _Converter, currency: str) -> None:
    """Refuse a consignment worth 1e15 or more in the destination currency, before any rounding."""
    total = main.exact(sum((amount for _, amount in p.lines), p.shipping + p.insurance))
    total += sum((fx_conv.exact(amount, cur) for _, amount, cur in p.charges), ZERO)
    if total >= MAX_CONSIGNMENT:
        raise ValidationFailed.single(
            "lines",
            f"goods, shipping, insurance and local charges come to {total:.6E} {currency}; "
            f"a quote must stay below {MAX_CONSIGNMENT:f} {currency}",
        )


def compute_quote(
    request: QuoteRequest, tables: TariffTables, fx: FxTable | None = None, schedule: ScheduleView | None = None
) -> QuoteResponse:
    """Price duties, import taxes and fees for ``request`` with ``tables`` (and ``fx`` rates).

    ``schedule`` is the official schedule active for the destination, with the entries of this
    request's codes read beforehand (:func:`customs.schedules.lookup.view_for`); without it the
    tables alone price the duties.

    Raises:
        ValidationFailed: every bad field at once, each named by its JSON path (``lines[3].hs_code``,
            ``destination_country``, ``fx_rates``, ``date``...). Nothing is guessed silently.
    """
    req = request
    p = _validate(req, tables)
    rules = RULES[p.destination.rules]
    dest_ccy = p.destination.currency
    exponent = currency_exponent(dest_ccy)
    ref_date = rules.fx_reference_date(req.date)
    fx_conv = _Converter(
        dest_ccy,
        overrides=p.overrides,
        fx=fx,
        on=ref_date,
        max_age=int(getattr(rules, "FX_MAX_AGE_DAYS", 7)),
        rule=p.destination.rules.upper(),
    )
    main = fx_conv.get(req.currency)
    _check_size(p, main, fx_conv, dest_ccy)
    lines = [ln for ln, _ in p.lines]
    for ln, total in p.lines:
        ln.value = main.apply(total, exponent, ROUND_HALF_UP)
        ln.unit_value = main.exact(ln.unit_value)
    ship = main.apply(p.shipping, exponent, ROUND_HALF_UP)
    ins = main.apply(p.insurance, exponent, ROUND_HALF_UP)
    weights = [ln.value for ln in lines]
    for ln, ship_part, ins_part in zip(
        lines, allocate(ship, weights, exponent), allocate(ins, weights, exponent), strict=True
    ):
        ln.shipping, ln.insurance = ship_part, ins_part
    local = [
        FeeLine(code, fx_conv.get(cur).apply(amt, exponent, ROUND_HALF_UP), "request") for code, amt, cur in p.charges
    ]
    quote = Quote(
        destination=p.destination,
        country=req.destination_country,
        region=req.destination_region,
        day=req.date,
        currency=dest_ccy,
        exponent=exponent,
        transport_mode=req.transport_mode,
        ship_from=req.ship_from_country,
        origin=req.origin_country,
        is_gift=req.is_gift,
        scheme_registered=req.low_value_scheme_registered,
        lines=lines,
        goods=sum(weights, ZERO),
        shipping=ship,
        insurance=ins,
        local_charges=local,
        tables=tables,
        convert=fx_conv.exact,
        cbec_annual_used=p.annual,  # always CNY (the CBEC annual limit is in CNY)
        schedule=schedule if schedule is not None and schedule.info.destination == _duty_key(p.destination) else None,
        fees=list(local),
    )
    if main.legs:
        quote.say(
            f"FX {main.describe()}; each amount rounded half-up to {fmt(quote.unit)} {dest_ccy} "
            f"(rate reference date {ref_date.isoformat()})"
        )
        for rate in main.rates_used():
            # A holiday or a day without publication: say so in words, not only by two dates.
            if rate.as_of != ref_date and rate not in p.overrides:
                days = (ref_date - rate.as_of).days
                quote.say(
                    f"no {rate.pair} rate on the reference date {ref_date.isoformat()}: the latest earlier "
                    f"one, of {rate.as_of.isoformat()} ({days} day{'s' if days != 1 else ''} before, within "
                    f"the {fx_conv.max_age}-day maximum age), is used"
                )
    quote.say(
        f"goods {fmt(quote.goods)}, shipping {fmt(ship)}, insurance {fmt(ins)} {dest_ccy}; shipping and "
        f"insurance allocated to lines pro rata to value (largest remainder, sums kept)"
    )
    rules.compute(quote)
    origins = {ln.origin for ln in lines}
    keys = [quote.duty_key] + ([quote.country] if quote.duty_key != quote.country else [])
    for key in keys:
        for notice in tables.notices_for(key, req.date, origins, req.transport_mode):
            quote.say(f"note: {notice.text} ({notice.source})")
    return _render(quote, req, tables, fx_conv.cache)


def _match_wire(match: DutyMatch) -> DutyMatchWire:
    return DutyMatchWire(
        schedule_id=match.schedule_id, matched_code=match.matched_code, level=match.level, preference=match.preference
    )


_SCHEDULES_USED: dict[uuid.UUID, ScheduleUsedWire] = {}


def schedule_wire(info: ScheduleInfo) -> ScheduleUsedWire:
    """The schedule as a quote lists it; a schedule never changes once loaded, so built once per id."""
    made = _SCHEDULES_USED.get(info.id)
    if made is None:
        if len(_SCHEDULES_USED) >= 1024:
            _SCHEDULES_USED.clear()
        made = _SCHEDULES_USED[info.id] = ScheduleUsedWire(
            id=str(info.id),
            source=info.source,
            title=info.title,
            revision=info.revision,
            valid_from=info.valid_from.isoformat(),
            publisher=info.publisher,
            file_name=info.file_name,
            file_sha256=info.file_sha256,
            imported_at=info.imported_at.isoformat(),
            scope="reference" if info.tenant_id is None else "tenant",
        )
    return made


def _render(q: Quote, req: QuoteRequest, tables: TariffTables, conversions: dict[str, Conversion]) -> QuoteResponse:
    ccy = q.currency
    unit = q.unit
    # str() of an amount quantized to 0..6 places is its plain "f" form, at a third of the cost.
    text = str if 0 <= q.exponent <= 6 else fmt

    def wire(amount: Decimal) -> MoneyWire:
        # Half-up to the minor unit; "+ ZERO" turns a negative zero into "0.00".
        return MoneyWire(text(amount.quantize(unit, ROUND_HALF_UP) + ZERO), ccy)

    duty_total = q.duty_total()
    tax_total = sum((t.amount for t in q.taxes), ZERO)
    fee_total = sum((f.amount for f in q.fees), ZERO)
    landed = q.goods + q.shipping + q.insurance + duty_total + tax_total + fee_total
    payer = payer_for(req.incoterm)
    q.say(
        f"landed cost = goods {fmt(q.goods)} + shipping {fmt(q.shipping)} + insurance {fmt(q.insurance)} + duties "
        f"{fmt(duty_total)} + taxes {fmt(tax_total)} + fees {fmt(fee_total)} = {fmt(q.q(landed))} {ccy}"
    )
    q.say(
        f"incoterm {req.incoterm}: import duties and taxes paid by the {payer}; main carriage paid by the "
        f"{freight_payer_for(req.incoterm)}"
    )
    used: dict[tuple[str, dt.date, str], FxRate] = {}
    for conv in conversions.values():
        for rate in conv.rates_used():
            used[(rate.pair, rate.as_of, rate.source)] = rate
    return QuoteResponse(
        destination_country=q.country,
        currency=ccy,
        customs_value=wire(q.customs_value()),
        duty_total=wire(duty_total),
        tax_total=wire(tax_total),
        fee_total=wire(fee_total),
        landed_cost_total=wire(landed),
        lines=[
            QuoteLineOut(
                hs_code=ln.hs_as_sent,
                customs_value=wire(ln.customs_value),
                duty_rate=ln.duty_rate,
                duty=wire(ln.duty),
                index=ln.index,
                description=ln.description,
                value=wire(ln.value),
                shipping=wire(ln.shipping),
                insurance=wire(ln.insurance),
                duty_basis=ln.duty_basis,
                duty_rate_source=ln.duty_source,
                measure_ids=ln.measure_ids,
                duty_match=None if ln.duty_match is None else _match_wire(ln.duty_match),
            )
            for ln in q.lines
        ],
        taxes=[
            TaxWire(code=t.code, rate=t.rate, base=wire(t.base), amount=wire(t.amount), collected_at=t.collected_at)
            for t in q.taxes
        ],
        fees=[FeeWire(code=f.code, amount=wire(f.amount), source=f.source) for f in q.fees],
        de_minimis=DeMinimisWire(
            duty_exempt=q.de_minimis.duty_exempt, tax_exempt=q.de_minimis.tax_exempt, rule=q.de_minimis.rule
        ),
        payer=payer,
        explanation=q.explanation,
        rules_version=tables.version,
        goods_total=wire(q.goods),
        shipping_total=wire(q.shipping),
        insurance_total=wire(q.insurance),
        freight_payer=freight_payer_for(req.incoterm),
        quote_date=req.date.isoformat(),
        fx=[
            FxUsedWire(pair=r.pair, rate=format(r.rate, "f"), as_of=r.as_of.isoformat(), source=r.source)
            for r in used.values()
        ],
        schedules=[schedule_wire(q.schedule.info)] if q.schedule is not None and q.schedule_named else [],
    )
