"""The order state machine: the statuses, the moves between them, and what a person may do in each.

Pure (no I/O), like :mod:`carriers.units` for shipments. Every status change goes through
:func:`hub.orders.timeline.status_changed`, which calls :func:`check_transition`; the verbs a person
asks for (approve, reject, cancel, change) are checked first with :func:`ensure_permits`, which says
in the house ``Conflict`` what the order's status does not allow.

Life of an order::

    received -> in_review | on_hold | awaiting_approval | backordered | approved     (the review)
    open (received and the review's outcomes) -> the review's outcomes again           (a change applied)
    in_review | awaiting_approval -> approved | backordered                            (approve)
    in_review | awaiting_approval | on_hold | backordered -> rejected                  (reject)
    open -> cancelled                                                                  (cancel)
    approved -> documents_ready -> booked -> in_transit -> delivered -> closed         (shipments, forward only)
    booked -> approved | documents_ready                                               (the last label voided)
    not final -> exception | returned; exception -> booked | in_transit | delivered    (carrier trouble)
    returnable -> return_requested -> the status before, delivered or returned         (a return)

``cancelled``, ``rejected``, ``closed`` and ``returned`` are final for shipments: no carrier event
moves them (:data:`FINAL`). A return may still be asked for from ``closed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from hub.core.errors import Conflict

__all__ = [
    "APPROVABLE",
    "BEFORE_BOOKING",
    "BOOKABLE",
    "FINAL",
    "NOT_RETURNABLE",
    "OPEN_STATUSES",
    "PROGRESS",
    "REJECTABLE",
    "REVIEW_OUTCOMES",
    "STATUSES",
    "TRANSITIONS",
    "OrderStatus",
    "Verb",
    "check_transition",
    "ensure_permits",
    "may_move",
    "next_order_status",
    "permits",
]

OrderStatus = Literal[
    "received",
    "in_review",
    "on_hold",
    "awaiting_approval",
    "backordered",
    "approved",
    "documents_ready",
    "booked",
    "in_transit",
    "delivered",
    "closed",
    "cancelled",
    "rejected",
    "exception",
    "return_requested",
    "returned",
]
STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)

REVIEW_OUTCOMES: frozenset[OrderStatus] = frozenset(
    {"in_review", "on_hold", "awaiting_approval", "backordered", "approved"}
)
"""What the review can route an order to (:func:`hub.orders.review.status_for`)."""
OPEN_STATUSES: frozenset[OrderStatus] = frozenset({"received", *REVIEW_OUTCOMES})
"""Statuses in which the order can still change or be cancelled without a return."""
APPROVABLE: frozenset[OrderStatus] = frozenset({"in_review", "awaiting_approval"})
REJECTABLE: frozenset[OrderStatus] = APPROVABLE | {"on_hold", "backordered"}
BOOKABLE: frozenset[OrderStatus] = frozenset({"approved", "documents_ready", "booked"})
"""Statuses an order's label can be bought in."""
BEFORE_BOOKING: frozenset[OrderStatus] = BOOKABLE - {"booked"}
"""Where voiding a booked order's last live label takes it back to."""
PROGRESS: tuple[OrderStatus, ...] = ("approved", "documents_ready", "booked", "in_transit", "delivered", "closed")
"""Order statuses in the order they are reached; an exception can be left by later progress."""
FINAL: frozenset[OrderStatus] = frozenset({"cancelled", "rejected", "closed", "returned"})
"""No shipment event moves an order out of these."""
NOT_RETURNABLE: frozenset[OrderStatus] = frozenset({"cancelled", "rejected", "returned"})

# Shipment status -> order status.
_FOLLOW: Mapping[str, OrderStatus] = {
    "booked": "booked",
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "delivered": "delivered",
    "exception": "exception",
    "returned": "returned",
}


def next_order_status(current: str, shipment_status: str) -> OrderStatus | None:
    """The order's new status when a shipment of it reports ``shipment_status``; None when it does not move.

    Forward only: a late event never moves the order back; ``exception`` and ``returned`` come from
    any status that is not final, and progress clears an exception.
    """
    target = _FOLLOW.get(shipment_status)
    if target is None or current in FINAL or target == current:
        return None
    if target in ("exception", "returned"):
        return target
    if current == "exception":
        return target
    if current in PROGRESS and PROGRESS.index(target) > PROGRESS.index(current):
        return target
    if current not in PROGRESS:
        return target if current in ("return_requested",) and target == "delivered" else None
    return None


def _transitions() -> dict[str, frozenset[OrderStatus]]:
    moves: dict[str, set[OrderStatus]] = {status: set() for status in STATUSES}
    for status in OPEN_STATUSES:
        moves[status] |= REVIEW_OUTCOMES | {"cancelled"}  # reviewed (again), approved, cancelled
    for status in REJECTABLE:
        moves[status].add("rejected")
    for status in STATUSES:  # what a shipment's status does to the order
        moves[status] |= {new for shipment in _FOLLOW if (new := next_order_status(status, shipment)) is not None}
    moves["booked"] |= BEFORE_BOOKING  # the last live label voided
    returnable = [status for status in STATUSES if status not in NOT_RETURNABLE and status != "return_requested"]
    for status in returnable:
        moves[status].add("return_requested")
        moves[status].add("returned")  # every unit received back
    moves["return_requested"] |= {*returnable, "returned"}  # a rejected return puts the order back
    return {status: frozenset(targets - {status}) for status, targets in moves.items()}


TRANSITIONS: Mapping[str, frozenset[OrderStatus]] = _transitions()
"""Status -> the statuses an order may move to from it."""


def may_move(current: str, new: str) -> bool:
    """Whether an order may move from ``current`` to ``new`` (see the module docstring)."""
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str) -> None:
    """Raise ``Conflict`` unless an order may move from ``current`` to ``new``."""
    if not may_move(current, new):
        raise Conflict(
            f"an order in status {current!r} cannot move to {new!r}",
            extra={"current_status": current},
        )


Verb = Literal["approve", "reject", "cancel", "change"]

_VERBS: Mapping[Verb, tuple[frozenset[OrderStatus], str]] = {
    "approve": (APPROVABLE, "approved"),
    "reject": (REJECTABLE, "rejected"),
    "cancel": (OPEN_STATUSES, "cancelled; request a return instead"),
    "change": (OPEN_STATUSES, "changed"),
}


def permits(verb: Verb, current: str) -> bool:
    """Whether a person may ``verb`` an order in status ``current`` (the console shows the button)."""
    return current in _VERBS[verb][0]


def ensure_permits(verb: Verb, current: str) -> None:
    """Raise ``Conflict`` naming the status when an order in it cannot be ``verb``-ed."""
    if not permits(verb, current):
        raise Conflict(f"an order in status {current!r} cannot be {_VERBS[verb][1]}", extra={"current_status": current})
