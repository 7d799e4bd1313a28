"""Field checks shared by every domain; each appends a FieldError naming the field, never raises alone.

Collect them, then call :func:`raise_if` so a client sees every bad field of a request at once.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pycountry
from moneyed import Money

from hub.core.errors import FieldError, ValidationFailed
from hub.core.money import MoneyWire, money_from_wire, parse_amount

_HS_SEPARATORS = re.compile(r"[\s.\-]")


MAX_WEIGHT_KG = Decimal(100_000)
"""Heavier than any parcel or pallet line the hub books; the column holds up to 10^9."""


UNIT_PRICE_QUANTUM = Decimal("0.0001")
"""Unit prices are stored as numeric(19, 4): finer than a cent for screws and chips, never finer than this."""


def raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def country(field: str, value: str | None, errors: list[FieldError], *, required: bool = True) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper-cased; records an error for anything else."""
    if value is None or value == "":
        if required:
            errors.append(FieldError(field, "required: an ISO 3166-1 alpha-2 country code such as DE"))
        return None
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        errors.append(FieldError(field, f"unknown country {value!r}: use an ISO 3166-1 alpha-2 code such as DE"))
        return None
    return code


def hs_code(field: str, value: str | None, errors: list[FieldError], *, required: bool = False) -> str | None:
    """6 to 10 digits (HS subheading up to a national tariff line); dots and spaces are ignored."""
    if value is None or value == "":
        if required:
            errors.append(FieldError(field, "required: an HS code of 6 to 10 digits"))
        return None
    digits = _HS_SEPARATORS.sub("", value)
    if not digits.isdigit() or not 6 <= len(digits) <= 10 or not digits.isascii():
        errors.append(FieldError(field, f"{value!r} is not an HS code: 6 to 10 digits, e.g. 851840"))
        return None
    return digits


def money(field: str, value: MoneyWire | None, errors: list[FieldError], *, required: bool = True) -> Money | None:
    if value is None:
        if required:
            errors.append(FieldError(field, "required"))
        return None
    try:
        return money_from_wire(value)
    except ValueError as exc:
        sub = "currency" if "currency" in str(exc) else "amount"
        errors.append(FieldError(f"{field}.{sub}", str(exc)))
        return None


def unit_price_places(field: str, amount: Decimal, errors: list[FieldError]) -> None:
    """A unit price (catalog or order line) finer than the column's 4 decimals would be cut silently on the way in."""
    if amount != amount.quantize(UNIT_PRICE_QUANTUM):
        errors.append(FieldError(field, "at most 4 decimal places"))


def decimal(
    field: str,
    value: object,
    errors: list[FieldError],
    *,
    required: bool = False,
    minimum: Decimal = Decimal(0),
    maximum: Decimal | None = None,
    max_places: int = 6,
) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors.append(FieldError(field, "required"))
        return None
    try:
        number = value if isinstance(value, Decimal) else parse_amount(value)
    except ValueError as exc:
        errors.append(FieldError(field, str(exc)))
        return None
    if not number.is_finite() or number < minimum:
        errors.append(FieldError(field, f"must be a number >= {minimum}"))
        return None
    if maximum is not None and number > maximum:
        errors.append(FieldError(field, f"must be at most {maximum}"))
        return None
    if number.as_tuple().exponent < -max_places:  # type: ignore[operator]
        errors.append(FieldError(field, f"at most {max_places} decimal places"))
        return None
    return number
