"""Exact money: py-moneyed ``Money`` over ``Decimal``, explicit rounding, the wire shape.

Rules kept here so every domain rounds the same way:

* never a float: :func:`parse_amount` refuses floats and non-finite values, and reads only plain
  ASCII decimals ("12.34"): no exponent, spaces, grouping or other scripts' digits, which Python's
  ``Decimal`` would quietly accept;
* only currencies goods are priced in: ISO 4217 also lists metals, funds and test codes
  (:data:`NOT_TENDER`), which :func:`is_trade_currency` refuses;
* rounding happens only where a jurisdiction or a document rounds, with a named mode
  (:data:`ROUND_HALF_UP` is the commercial default, :data:`ROUND_HALF_EVEN` banker's);
* the precision of a currency comes from CLDR via Babel (JPY 0, EUR 2, BHD 3);
* on the wire money is ``{"amount": "12.34", "currency": "EUR"}``, the amount a string.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

import msgspec
import pycountry
from babel.numbers import get_currency_precision
from moneyed import Money

__all__ = [
    "MAX_AMOUNT",
    "NOT_TENDER",
    "ROUND_DOWN",
    "ROUND_HALF_EVEN",
    "ROUND_HALF_UP",
    "Money",
    "MoneyWire",
    "allocate",
    "amount_text",
    "currency_exponent",
    "is_known_currency",
    "is_trade_currency",
    "money_from_wire",
    "money_to_wire",
    "parse_amount",
    "quantum",
    "round_money",
]


class MoneyWire(msgspec.Struct, frozen=True):
    """Money as it crosses the API: the amount is a decimal string, never a JSON number."""

    amount: str
    currency: str


@lru_cache(maxsize=512)
def is_known_currency(code: str) -> bool:
    """True for an active ISO 4217 alphabetic code (``EUR``), false for anything else."""
    return len(code) == 3 and code.isalpha() and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


NOT_TENDER = frozenset(
    {
        # precious metals (a troy ounce)
        "XAU", "XAG", "XPD", "XPT",
        # units of account: bond-market units, the IMF's SDR, Sucre, ADB unit, Arab accounting dinar
        "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XAD",
        # testing, and "no currency involved"
        "XTS", "XXX",
        # funds and indexed units beside a country's currency (Bolivia, Switzerland, Chile, Colombia,
        # Mexico, the USA, Uruguay)
        "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",
    }
)  # fmt: skip
"""ISO 4217 codes that are not money an order, a price or a charge can be in."""


def is_trade_currency(code: str) -> bool:
    """An ISO 4217 currency goods can be priced and paid in: :func:`is_known_currency` minus :data:`NOT_TENDER`."""
    return code not in NOT_TENDER and is_known_currency(code)


@lru_cache(maxsize=512)
def currency_exponent(code: str) -> int:
    """Minor-unit digits of a currency per CLDR (JPY 0, EUR 2, BHD 3)."""
    return int(get_currency_precision(code))


def quantum(code: str) -> Decimal:
    """The smallest unit of a currency as a Decimal exponent, e.g. ``Decimal('0.01')``."""
    return Decimal(1).scaleb(-currency_exponent(code))


MAX_AMOUNT = Decimal("1e15")
"""Amounts are stored as numeric(19, 4): every one, and every sum stored, stays below this."""


_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def parse_amount(raw: object) -> Decimal:
    """Parse a client-sent amount. Strings and ints only: a float has already lost precision.

    A string is a plain decimal in ASCII digits, "-12.34": ``Decimal`` alone would also take "1e5",
    " 1.00", "1_000" and Arabic-Indic or full-width digits, none of which a client means as an amount
    it typed (a spreadsheet's export, a locale's digits) without saying so.

    Raises:
        ValueError: with a message fit to show the client.
    """
    if isinstance(raw, bool | float):
        raise ValueError('amount must be a decimal string such as "12.34", not a JSON number with a fraction')
    if isinstance(raw, int):
        return Decimal(raw)
    if not isinstance(raw, str):
        raise ValueError('amount must be a decimal string such as "12.34"')
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    if not _PLAIN_DECIMAL.fullmatch(raw):
        raise ValueError(
            f"{raw[:40]!r} is not a plain decimal number: ASCII digits with an optional point, "
            'e.g. "12.34" (no spaces, exponent, thousands separators or other digits)'
        )
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        raise ValueError("amount has more than 8 decimal places")
    if abs(value) >= MAX_AMOUNT:
        raise ValueError("amount is too large")
    return value


def round_money(money: Money, rounding: str = ROUND_HALF_UP, exponent: int | None = None) -> Money:
    """Round to the currency's minor unit (or ``exponent`` digits) with an explicit mode."""
    code = money.currency.code
    digits = currency_exponent(code) if exponent is None else exponent
    return Money(money.amount.quantize(Decimal(1).scaleb(-digits), rounding=rounding), code)


def money_from_wire(wire: MoneyWire, *, allow_negative: bool = False) -> Money:
    """Validate and convert a :class:`MoneyWire`.

    Raises:
        ValueError: naming what is wrong (unknown currency, negative, not a number).
    """
    if wire.currency in NOT_TENDER:
        raise ValueError(f"{wire.currency} is not a currency goods are priced in (a metal, fund or test code)")
    if not is_known_currency(wire.currency):
        raise ValueError(f"unknown currency {wire.currency!r}: use an ISO 4217 code such as EUR")
    amount = parse_amount(wire.amount)
    if amount < 0 and not allow_negative:
        raise ValueError("amount must not be negative")
    return Money(amount, wire.currency)


def money_to_wire(money: Money) -> MoneyWire:
    """Render a Money for the wire; the amount keeps its Decimal digits (round before if needed)."""
    return MoneyWire(amount=format(money.amount, "f"), currency=money.currency.code)


def amount_text(amount: Decimal, currency: str) -> str:
    """A stored amount as the wire's string: the currency's minor unit at least, finer digits if it has them.

    numeric(19, 4) pads every amount to four places (12.0000) and ``normalize`` drops zeros the
    currency needs (19.9): API.md's money is "12.34", so 12.0000 -> "12.00" and 19.9 -> "19.90",
    while a unit price finer than the minor unit keeps what it needs (9.6667, JPY 100.5). Nothing is
    rounded here: an amount that must be whole minor units is rounded where it is computed.
    """
    minor = quantum(currency)
    value = amount.normalize()
    if value.as_tuple().exponent > minor.as_tuple().exponent:  # type: ignore[operator]
        value = value.quantize(minor)  # exact: only adds zeros
    return format(value, "f")


_ZERO = Decimal(0)
_ONE = Decimal(1)
_UNITS = {exponent: Decimal(1).scaleb(-exponent) for exponent in range(5)}


def allocate(total: Decimal, weights: list[Decimal], exponent: int) -> list[Decimal]:
    """Split ``total`` over ``weights`` pro rata so the parts sum exactly to ``total``.

    Largest-remainder method: every part is first rounded down to ``exponent`` digits, then the
    leftover minor units go one each to the parts with the largest remainders (ties to the earlier
    part), so the result is deterministic and never drifts from the total. The quote engine calls
    this several times per quote over up to a thousand lines, hence the cached quanta and the sort
    only when units are left over (``tests/unit/test_quote_primitives.py`` holds the plain version
    as its oracle).
    """
    if not weights:
        return []
    unit = _UNITS.get(exponent) or Decimal(1).scaleb(-exponent)
    weight_sum = sum(weights, _ZERO)
    if weight_sum == 0:
        # No value to weigh by: share equally.
        weights = [_ONE] * len(weights)
        weight_sum = Decimal(len(weights))
    magnitude = abs(total).quantize(unit, rounding=ROUND_HALF_UP)
    exact = [magnitude * w / weight_sum for w in weights]
    floors = [e.quantize(unit, rounding=ROUND_DOWN) for e in exact]
    leftover_units = int((magnitude - sum(floors, _ZERO)) / unit)
    if leftover_units:
        remainders = [e - f for e, f in zip(exact, floors, strict=True)]
        # A stable sort in reverse keeps equal remainders in index order (ties to the earlier part).
        for i in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:leftover_units]:
            floors[i] += unit
    if total < 0:
        return [-1 * part for part in floors]
    return floors
