"""Pro-rata allocation for the quote engine: :func:`hub.core.money.allocate`, result for result.

The engine allocates several times per quote (shipping, insurance, local charges, duty groups) over
up to a thousand lines, so the per-call overhead of the shared helper shows in quotes per second:
the quantum is rebuilt each call, the largest-remainder order sorts every index with a Python key
function, and an already positive result is multiplied by ``1`` part by part. This version skips
that work and nothing else; ``tests/unit/test_quote_allocation.py`` checks it against the original
for arbitrary totals and weights (signs, zeros, exponents).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

__all__ = ["allocate"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_UNITS = {exponent: Decimal(1).scaleb(-exponent) for exponent in range(5)}


def allocate(total: Decimal, weights: list[Decimal], exponent: int) -> list[Decimal]:
    """Split ``total`` over ``weights`` pro rata so the parts sum exactly to ``total`` (largest
    remainder, ties to the earlier part): see :func:`hub.core.money.allocate`."""
    if not weights:
        return []
    unit = _UNITS.get(exponent) or Decimal(1).scaleb(-exponent)
    weight_sum = sum(weights, _ZERO)
    if weight_sum == 0:
        weights = [_ONE] * len(weights)
        weight_sum = Decimal(len(weights))
    magnitude = abs(total).quantize(unit, rounding=ROUND_HALF_UP)
    exact = [magnitude * w / weight_sum for w in weights]
    floors = [e.quantize(unit, ROUND_DOWN) for e in exact]
    leftover_units = int((magnitude - sum(floors, _ZERO)) / unit)
    if leftover_units:
        remainders = [e - f for e, f in zip(exact, floors, strict=True)]
        # A stable sort in reverse keeps equal remainders in index order: the original's (-r, i) key.
        for i in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:leftover_units]:
            floors[i] += unit
    if total < 0:
        return [-1 * part for part in floors]
    return floors  # 1 * part is part, sign of zero included
