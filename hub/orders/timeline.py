"""The order's timeline: what happened to an order, by whom, in the order it happened.

Every entry is written here, with a kind from :data:`EventKind` (the one list of what the timeline
says; a new kind is added to it, so a typo fails the type check rather than a reader's filter).

A status change is written in one place, :func:`status_changed`: checked against the state machine
(:func:`hub.orders.status.check_transition`), then the ``order.status_changed`` event and the
``deliver_order_event`` outbox row for the seller's webhooks, in the caller's transaction. Intake,
which writes its first events and jobs in the order's own insert, takes them from
:func:`status_change`.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, NamedTuple, get_args

from hub.core import outbox
from hub.orders.repository import orders as repo
from hub.orders.status import check_transition

EventKind = Literal[
    "order.received",
    "order.status_changed",
    "order.approved",
    "order.rejected",
    "order.cancelled",
    "review.completed",
    "change_request.filed",
    "change_request.applied",
    "change_request.rejected",
    "shipment.status",
    "return.requested",
    "return.approved",
    "return.rejected",
    "return.label_issued",
    "return.received",
    "return.closed",
    "return.shipment_status",
    "document.requested",
    "document.ready",
    "document.failed",
    "landed_cost.quoted",
    "work_item.opened",
    "work_item.assigned",
    "work_item.resolved",
    "attachment.added",
    "shopify.cancel_not_applied",
    "shopify.order_updated",
]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)


class Event(NamedTuple):
    """One timeline entry to write: who, what kind, and the kind's payload."""

    actor: str
    kind: EventKind
    payload: dict[str, Any]


class Job(NamedTuple):
    """One outbox job to write with the entries: the job's name and payload."""

    job: str
    payload: dict[str, Any]


async def record(
    tenant_id: uuid.UUID, order_id: uuid.UUID, actor: str, kind: EventKind, payload: dict[str, Any]
) -> None:
    """Append one entry to the order's timeline, in the caller's transaction."""
    await repo.add_events(tenant_id, order_id, [Event(actor, kind, payload)])


async def record_many(tenant_id: uuid.UUID, order_id: uuid.UUID, events: list[Event]) -> None:
    """Append several entries in one statement, in the order given."""
    await repo.add_events(tenant_id, order_id, events)


def status_change(order_id: uuid.UUID, old: str, new: str, actor: str) -> tuple[Event, Job]:
    """The timeline entry and the outbox job of a move from ``old`` to ``new``.

    Raises ``Conflict`` when the state machine does not allow the move.
    """
    check_transition(old, new)
    return (
        Event(actor, "order.status_changed", {"from": old, "to": new}),
        Job(
            "deliver_order_event", {"event": "order.status_changed", "order_id": str(order_id), "from": old, "to": new}
        ),
    )


async def status_changed(tenant_id: uuid.UUID, order_id: uuid.UUID, old: str, new: str, actor: str) -> None:
    """Record that the order moved from ``old`` to ``new`` and tell the seller; nothing when they are equal."""
    if old == new:
        return
    event, job = status_change(order_id, old, new, actor)
    await repo.add_events(tenant_id, order_id, [event])
    await outbox.enqueue(tenant_id, job.job, job.payload)
