"""Numbers as the engine writes them in explanations and on the wire (shared by the rules and the
duty-expression engine, which must not import each other)."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["fmt", "pct"]


def fmt(amount: Decimal) -> str:
    # str() is the plain "f" form unless it chose an exponent (tiny or positive-exponent values),
    # and costs a third of format(); explanations call this a few times per line.
    text = str(amount)
    return text if "E" not in text else format(amount, "f")


_PCT: dict[Decimal, str] = {}


def pct(rate: Decimal) -> str:
    """A percent as the API writes it: ``Decimal('5.00')`` -> ``"5"``, ``Decimal('0.3464')`` -> ``"0.3464"``."""
    # Rates are few (a table's, a request's): remembered by value. Equal values normalize alike,
    # except -0 against 0, which is why signed (and non-finite) rates are not remembered.
    if rate.is_signed() or not rate.is_finite():
        return format(rate.normalize(), "f")
    text = _PCT.get(rate)
    if text is None:
        if len(_PCT) >= 4096:
            _PCT.clear()
        text = _PCT[rate] = format(rate.normalize(), "f")
    return text
