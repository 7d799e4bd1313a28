"""The order's timeline: what happened to an order, by whom, in the order it happened.

A status change is written in one place, :func:`status_changed`: checked against the state machine
(:func:`hub.orders.status.check_transition`), then the ``order.status_changed`` event and the
``deliver_order_event`` outbox row for the seller's webhooks, in the caller's transaction. Intake,
which writes its first events and jobs in the order's own insert, takes them from
:func:`status_change`.
"""

from __future__ import annotations

import uuid
from typing import Any

from hub.core import outbox
from hub.orders import order_repository as repo
from hub.orders.status import check_transition

STATUS_CHANGED = "order.status_changed"


def status_change(
    order_id: uuid.UUID, old: str, new: str, actor: str
) -> tuple[tuple[str, str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """The timeline event ``(actor, kind, payload)`` and the outbox job ``(job, payload)`` of a move.

    Raises ``Conflict`` when the state machine does not allow the move.
    """
    check_transition(old, new)
    return (
        (actor, STATUS_CHANGED, {"from": old, "to": new}),
        ("deliver_order_event", {"event": STATUS_CHANGED, "order_id": str(order_id), "from": old, "to": new}),
    )


async def status_changed(tenant_id: uuid.UUID, order_id: uuid.UUID, old: str, new: str, actor: str) -> None:
    """Record that the order moved from ``old`` to ``new`` and tell the seller; nothing when they are equal."""
    if old == new:
        return
    (actor, kind, payload), (job, job_payload) = status_change(order_id, old, new, actor)
    await repo.add_event(tenant_id, order_id, actor, kind, payload)
    await outbox.enqueue(tenant_id, job, job_payload)
