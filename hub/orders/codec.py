"""How the orders domain's stored values read back: JSON columns, plain amounts, order numbers.

Every module that reads an order row (reading, documents, returns, work items, shipping, the
console) decodes it with these, so a row reads the same wherever it is shown.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec


def format_number(number: int) -> str:
    """An order's number as printed and searched for: ``SO-000042``."""
    return f"SO-{number:06d}"


def decode_json(value: Any) -> Any:
    """A ``jsonb`` column as the driver hands it over (text), decoded; a value already decoded passes."""
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def plain_amount(amount: Any) -> str:
    """A stored amount as plain decimal text, without trailing zeros or an exponent: ``12.5``, ``100``."""
    value = Decimal(amount).normalize()
    if value.as_tuple().exponent > 0:  # type: ignore[operator]
        value = value.quantize(Decimal(1))
    return format(value, "f")
