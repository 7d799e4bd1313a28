"""Exact order pricing: line discounts, order discounts, shipping, totals.

The rounding, written down once:

1. A line's gross is ``unit_price x quantity`` rounded half-up to the currency's minor unit (exact
   whenever the unit price has no more decimals than the currency; a unit price may have up to 4).
2. A line discount of ``p`` percent is ``gross x p / 100`` rounded half-up to the currency's minor
   unit; a fixed line discount is taken as sent and may not exceed the gross.
3. Order discounts apply in the order sent, each to what is left after the previous ones: a percent
   discount is rounded half-up like a line discount; a fixed one may not exceed what is left.
4. Each order discount is shared over the lines pro rata to their net value by the largest-remainder
   method (:func:`hub.core.money.allocate`), so every line carries its exact share (customs values
   are per line) and the shares add up to the discount to the last cent.
5. ``total = sum(line totals) + shipping``. Nothing is rounded anywhere else.

Every amount is stored as numeric(19, 4): a line's gross, the subtotal and the total must each stay
below :data:`~hub.core.money.MAX_AMOUNT`, or the order is refused naming the field that made it so.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import msgspec

from hub.core.errors import FieldError
from hub.core.money import MAX_AMOUNT, allocate, currency_exponent, parse_amount, quantum
from hub.core.validation import raise_if

HUNDRED = Decimal(100)
LARGEST_STORED = MAX_AMOUNT - Decimal("0.0001")
"""The largest amount numeric(19, 4) holds, as the messages state it."""


class Discount(msgspec.Struct, frozen=True):
    kind: str  # "percent" | "fixed"
    value: Decimal
    code: str | None = None


class PricedLine(msgspec.Struct, frozen=True):
    gross: Decimal
    discount: Decimal
    total: Decimal


class PricedOrder(msgspec.Struct, frozen=True):
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    shipping: Decimal
    total: Decimal


def parse_discount(
    field: str, kind: str, value: str | None, amount: str | None, currency: str, errors: list[FieldError]
) -> Decimal | None:
    """The discount's number: a percent in (0, 100], or a fixed amount >= 0 in the order currency."""
    raw = value if kind == "percent" else amount
    if raw is None:
        errors.append(FieldError(f"{field}.{'value' if kind == 'percent' else 'amount'}", "required"))
        return None
    try:
        number = parse_amount(raw)
    except ValueError as exc:
        errors.append(FieldError(f"{field}.{'value' if kind == 'percent' else 'amount'}", str(exc)))
        return None
    if kind == "percent" and not Decimal(0) < number <= HUNDRED:
        errors.append(FieldError(f"{field}.value", "a percent discount must be more than 0 and at most 100"))
        return None
    if kind == "fixed" and (number < 0 or number != number.quantize(quantum(currency))):
        errors.append(
            FieldError(f"{field}.amount", f"must be >= 0 with at most {currency_exponent(currency)} decimals")
        )
        return None
    return number


def line_gross(unit_price: Decimal, quantity: int, currency: str) -> Decimal:
    """Rule 1: ``unit_price x quantity``, half-up to the currency's minor unit."""
    return (unit_price * quantity).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def check_line_gross(index: int, gross: Decimal, errors: list[FieldError]) -> None:
    """A gross the amount columns cannot hold: PostgreSQL would refuse it with no field to name."""
    if gross >= MAX_AMOUNT:
        errors.append(
            FieldError(
                f"lines[{index}].quantity",
                f"unit_price x quantity comes to {gross:f}, more than the largest amount an order stores "
                f"({LARGEST_STORED:f}); split the line over several orders",
            )
        )


def _percent_of(base: Decimal, percent: Decimal, currency: str) -> Decimal:
    return (base * percent / HUNDRED).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def price_order(
    currency: str,
    lines: list[tuple[Decimal, int, Discount | None]],
    order_discounts: list[Discount],
    shipping: Decimal,
    errors: list[FieldError],
) -> PricedOrder:
    """Price ``lines`` given as ``(unit_price, quantity, line discount)``.

    Raises ``ValidationFailed`` with ``errors`` (those the caller brought and those found here) when
    there are any.
    """
    exponent = currency_exponent(currency)
    grosses = [line_gross(unit, quantity, currency) for unit, quantity, _ in lines]
    errors_before = len(errors)
    for index, gross in enumerate(grosses):
        check_line_gross(index, gross, errors)
    subtotal = sum(grosses, Decimal(0))
    if len(errors) == errors_before and subtotal >= MAX_AMOUNT:
        errors.append(
            FieldError("lines", f"the lines come to {subtotal:f}, more than an order stores ({LARGEST_STORED:f})")
        )
    line_discounts: list[Decimal] = []
    for index, ((_, _, discount), gross) in enumerate(zip(lines, grosses, strict=True)):
        if discount is None:
            line_discounts.append(Decimal(0))
        elif discount.kind == "percent":
            line_discounts.append(_percent_of(gross, discount.value, currency))
        else:
            if discount.value > gross:
                errors.append(FieldError(f"lines[{index}].discount.amount", "exceeds the line's value"))
            line_discounts.append(min(discount.value, gross))
    nets = [gross - disc for gross, disc in zip(grosses, line_discounts, strict=True)]
    for index, discount in enumerate(order_discounts):
        remaining = sum(nets, Decimal(0))
        if discount.kind == "percent":
            amount = _percent_of(remaining, discount.value, currency)
        else:
            if discount.value > remaining:
                errors.append(FieldError(f"discounts[{index}].amount", "exceeds what is left of the order value"))
            amount = min(discount.value, remaining)
        shares = allocate(amount, nets, exponent)
        # A share can exceed a tiny line's net only through rounding; never let a line go negative.
        nets = [max(net - share, Decimal(0)) for net, share in zip(nets, shares, strict=True)]
        line_discounts = [d + s for d, s in zip(line_discounts, shares, strict=True)]
    line_totals = sum(nets, Decimal(0))
    if subtotal < MAX_AMOUNT <= line_totals + shipping:
        errors.append(
            FieldError(
                "shipping.amount",
                f"lines and shipping come to {line_totals + shipping:f}, more than an order stores "
                f"({LARGEST_STORED:f})",
            )
        )
    raise_if(errors)
    discount_total = sum(line_discounts, Decimal(0))
    return PricedOrder(
        lines=[PricedLine(gross=g, discount=d, total=n) for g, d, n in zip(grosses, line_discounts, nets, strict=True)],
        subtotal=subtotal,
        discount_total=discount_total,
        shipping=shipping,
        total=line_totals + shipping,
    )
