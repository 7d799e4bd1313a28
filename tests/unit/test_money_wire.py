"""Amounts on the wire: the currency's minor unit at least, finer digits only where the amount has them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.core.money import amount_text


@pytest.mark.parametrize(
    ("stored", "currency", "wire"),
    [
        ("12.0000", "EUR", "12.00"),  # numeric(19,4) padding dropped
        ("19.9000", "EUR", "19.90"),  # never below the minor unit
        ("19.9", "EUR", "19.90"),
        ("9.6667", "EUR", "9.6667"),  # a unit price finer than the cent keeps its digits
        ("0.0050", "EUR", "0.005"),
        ("0.0000", "EUR", "0.00"),
        ("-3.5000", "EUR", "-3.50"),
        ("1500.0000", "JPY", "1500"),  # no exponent notation (1.5E+3)
        ("100.5000", "JPY", "100.5"),
        ("1.2000", "BHD", "1.200"),
        ("999999999999999.9999", "EUR", "999999999999999.9999"),
    ],
)
def test_amount_text(stored: str, currency: str, wire: str) -> None:
    assert amount_text(Decimal(stored), currency) == wire
