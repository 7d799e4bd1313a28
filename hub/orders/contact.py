"""Contact data as the hub stores it: e-mail addresses, phone numbers (E.164), postal addresses.

One set of checks for every way a customer or an address comes in: intake, change requests, the
customers API and Shopify. Each records a :class:`~hub.core.errors.FieldError` naming the field and
returns the cleaned value.
"""

from __future__ import annotations

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
    try:
        parsed = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        errors.append(
            FieldError(field, f"{raw!r} is not a phone number; use international format, e.g. +49 30 1234567")
        )
        return None
    if not phonenumbers.is_valid_number(parsed):
        errors.append(FieldError(field, f"{raw!r} is not a valid phone number"))
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
