"""Data access for reads of orders that the order aggregate's own module does not need.

Every statement names ``tenant_id``; the service holds the transaction.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from hub.core.database import fetch


class OrderNumber(NamedTuple):
    id: uuid.UUID
    number: int


async def order_numbers(tenant_id: uuid.UUID, order_ids: list[uuid.UUID]) -> list[OrderNumber]:
    """The stored numbers of the tenant's orders among ``order_ids`` (an unknown id has no row)."""
    rows = await fetch(
        "SELECT id, number FROM orders WHERE tenant_id = {} AND id = ANY({}::uuid[])", tenant_id, order_ids
    )
    return [OrderNumber(row["id"], row["number"]) for row in rows]
