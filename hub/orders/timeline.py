"""The order's timeline: what happened to an order, by whom, in the order it happened.

A status change is written in one place, :func:`status_changed`: the ``order.status_changed`` event
and the ``deliver_order_event`` outbox row for the seller's webhooks, in the caller's transaction.
"""

from __future__ import annotations

import uuid

from hub.core import outbox
from hub.orders import order_repository as repo


async def status_changed(tenant_id: uuid.UUID, order_id: uuid.UUID, old: str, new: str, actor: str) -> None:
    """Record that the order moved from ``old`` to ``new`` and tell the seller; nothing when they are equal."""
    if old == new:
        return
    await repo.add_event(tenant_id, order_id, actor, "order.status_changed", {"from": old, "to": new})
    await outbox.enqueue(
        tenant_id,
        "deliver_order_event",
        {"event": "order.status_changed", "order_id": str(order_id), "from": old, "to": new},
    )
