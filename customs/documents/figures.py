"""The arithmetic of a document, shared by the pre-flight and the renderers so both agree.

Line values are quantity x unit value rounded half-up to the currency's minor unit (CLDR, via
:func:`hub.core.money.currency_exponent`); totals are sums of rounded line values. Weights are
summed as given (no rounding; they are printed with up to three decimals).
"""

from __future__ import annotations

from decimal import Decimal

from customs.documents.snapshot import DocumentLine, DocumentSnapshot
from hub.core.money import ROUND_HALF_UP, currency_exponent, is_known_currency

__all__ = [
    "computed_line_value",
    "document_total",
    "goods_total",
    "money_quantum",
    "total_gross_weight",
    "total_net_weight",
]

_ZERO = Decimal(0)


def money_quantum(currency: str) -> Decimal:
    """Minor unit of ``currency``; two decimals for a code CLDR does not know."""
    digits = currency_exponent(currency) if is_known_currency(currency) else 2
    return Decimal(1).scaleb(-digits)


def computed_line_value(line: DocumentLine, currency: str) -> Decimal:
    """Quantity x unit value, rounded half-up to the currency's minor unit."""
    return (line.unit_value * line.quantity).quantize(money_quantum(currency), rounding=ROUND_HALF_UP)


def goods_total(snapshot: DocumentSnapshot) -> Decimal:
    """Sum of the line values: the intrinsic value of the consignment (no freight, no insurance)."""
    return sum((computed_line_value(line, snapshot.currency) for line in snapshot.lines), _ZERO)


def document_total(snapshot: DocumentSnapshot) -> Decimal:
    """Goods + freight + insurance + other charges: the invoice total."""
    return goods_total(snapshot) + snapshot.freight + snapshot.insurance + snapshot.other_charges


def total_net_weight(snapshot: DocumentSnapshot) -> Decimal:
    return sum((line.net_weight_kg or _ZERO for line in snapshot.lines), _ZERO)


def total_gross_weight(snapshot: DocumentSnapshot) -> Decimal:
    return sum((line.gross_weight_kg or _ZERO for line in snapshot.lines), _ZERO)
