"""Contact data as the hub stores it: e-mail addresses, phone numbers (E.164), postal addresses.

One set of checks for every way a customer or an address comes in: intake, change requests, the
customers API and Shopify. Each records a :class:`~hub.core.errors.FieldError` naming the field and
returns the cleaned value.
"""

from __future__ import annotations

import functools
import re

import msgspec
import phonenumbers

from hub.core.errors import FieldError
from hub.core.validation import country
from hub.orders.schemas import AddressIn

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email(text: str) -> bool:
    """Whether ``text`` looks like one e-mail address (``local@domain.tld``, no spaces)."""
    return _EMAIL.match(text) is not None


def clean_address(field: str, address: AddressIn, errors: list[FieldError], *, required: bool) -> dict[str, str]:
    """The address with its values stripped and its country an ISO 3166-1 alpha-2 code (or empty)."""
    values = {k: v.strip() for k, v in msgspec.structs.asdict(address).items()}
    code = country(f"{field}.country", values["country"], errors, required=required)
    values["country"] = code or ""
    return values


def e164_phone(field: str, raw: str | None, region: str | None, errors: list[FieldError]) -> str | None:
    """``raw`` as an E.164 number (national numbers read in ``region``); None when absent or bad."""
    if not raw:
        return None
    e164, problem = _e164(raw, region or None)
    if problem is not None:
        errors.append(FieldError(field, problem))
    return e164


@functools.lru_cache(maxsize=4096)
def _e164(raw: str, region: str | None) -> tuple[str | None, str | None]:
    """``(number, None)`` or ``(None, why not)``. Cached: a seller's customers order again and again,
    and parsing and validating a number is a few per cent of an intake's CPU."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, f"{raw!r} is not a phone number; use international format, e.g. +49 30 1234567"
    if not phonenumbers.is_valid_number(parsed):
        return None, f"{raw!r} is not a valid phone number"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None
