"""Field checks shared by every domain; each appends a FieldError naming the field, never raises alone.

Collect them, then call :func:`raise_if` so a client sees every bad field of a request at once.

The exception is a check inside a msgspec Struct's ``__post_init__`` (a date window that must hold
wherever the Struct is decoded: API, CSV import, console form): it raises :class:`FieldValueError`,
msgspec turns that into its ValidationError at the Struct's path, and ``hub.problems`` names the
field below that path.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
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


EARLIEST_DATE = date(2000, 1, 1)
"""No order, delivery, stock arrival or quote the hub handles is dated before this."""

LATEST_YEARS_AHEAD = 5
"""A client date may lie at most this many years after today (UTC): a delivery or arrival planned
further out, or a duty quote for then, means a typing error (2062 for 2026), not a plan; the tariff
rules are not known that far ahead either."""


def latest_date(today: date | None = None) -> date:
    today = today or datetime.now(UTC).date()
    try:
        return today.replace(year=today.year + LATEST_YEARS_AHEAD)
    except ValueError:  # 29 February, and the year five on is no leap year
        return today.replace(year=today.year + LATEST_YEARS_AHEAD, day=28)


def date_window_error(value: date, today: date | None = None) -> str | None:
    """Why ``value`` is outside the window a client date must fall in, or None."""
    latest = latest_date(today)
    if not EARLIEST_DATE <= value <= latest:
        return f"must be a date from {EARLIEST_DATE.isoformat()} to {latest.isoformat()}, not {value.isoformat()}"
    return None


class FieldValueError(ValueError):
    """Raised in a Struct's ``__post_init__`` for one bad field; its text is "`field`: message"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"`{field}`: {message}")


def check_date_window(field: str, value: date | None) -> None:
    """For ``__post_init__``: a client date outside the window raises :class:`FieldValueError`."""
    if value is not None and (problem := date_window_error(value)) is not None:
        raise FieldValueError(field, problem)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def client_date(field: str, raw: str | None, errors: list[FieldError]) -> date | None:
    """A calendar date sent as text, YYYY-MM-DD only (``fromisoformat`` also reads 20260331 and
    2026-W13-2, which the API does not document), inside the window."""
    if raw is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError
        value = date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(field, f"{raw!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-31"))
        return None
    if (problem := date_window_error(value)) is not None:
        errors.append(FieldError(field, problem))
        return None
    return value


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
