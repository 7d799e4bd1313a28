"""The order state machine (hub/orders/status.py): the moves the hub makes, and the ones it refuses."""

from __future__ import annotations

import pytest

from hub.core.errors import Conflict
from hub.orders.review import status_for
from hub.orders.schemas import Finding
from hub.orders.status import (
    APPROVABLE,
    BEFORE_BOOKING,
    NOT_RETURNABLE,
    OPEN_STATUSES,
    REJECTABLE,
    REVIEW_OUTCOMES,
    STATUSES,
    TRANSITIONS,
    Verb,
    check_transition,
    ensure_permits,
    may_move,
    next_order_status,
    permits,
)

SHIPMENT_STATUSES = ("pending", "booked", "in_transit", "out_for_delivery", "delivered", "exception", "returned")


def test_every_status_has_a_row_and_no_move_to_itself() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(status not in targets for status, targets in TRANSITIONS.items())


@pytest.mark.parametrize("status", ["cancelled", "rejected", "returned"])
def test_an_ended_order_never_moves(status: str) -> None:
    assert TRANSITIONS[status] == frozenset()
    with pytest.raises(Conflict) as caught:
        check_transition(status, "approved")
    assert caught.value.extra == {"current_status": status}
    assert caught.value.detail == f"an order in status {status!r} cannot move to 'approved'"


def test_the_review_routes_every_open_order_to_any_outcome() -> None:
    outcomes = {
        status_for([], auto_approve=True),
        status_for([], auto_approve=False),
        *(
            status_for(
                [Finding(code="x", severity="blocking", field="f", message="m", action=action)], auto_approve=True
            )
            for action in ("fix", "approve", "wait")
        ),
    }
    assert outcomes == REVIEW_OUTCOMES
    for status in OPEN_STATUSES:
        assert all(may_move(status, new) for new in REVIEW_OUTCOMES - {status})
        assert may_move(status, "cancelled")


def test_approve_and_reject_reach_their_statuses() -> None:
    assert all(may_move(s, "approved") and may_move(s, "backordered") for s in APPROVABLE)
    assert all(may_move(s, "rejected") for s in REJECTABLE)
    assert not may_move("approved", "rejected")  # an approved order is cancelled, not rejected


def test_every_move_a_shipment_makes_is_allowed() -> None:
    for status in STATUSES:
        for shipment in SHIPMENT_STATUSES:
            new = next_order_status(status, shipment)
            assert new is None or may_move(status, new), (status, shipment, new)


def test_a_late_scan_never_moves_the_order_back() -> None:
    assert not may_move("delivered", "in_transit")
    assert not may_move("in_transit", "booked")
    assert all(may_move("booked", s) for s in BEFORE_BOOKING)  # except the last label voided


def test_a_return_goes_out_and_back() -> None:
    returnable = [s for s in STATUSES if s not in NOT_RETURNABLE and s != "return_requested"]
    for status in returnable:
        assert may_move(status, "return_requested")
        assert may_move("return_requested", status)  # a rejected return puts the order back
    assert may_move("return_requested", "returned")
    assert not may_move("cancelled", "return_requested")


@pytest.mark.parametrize(
    ("verb", "status", "detail"),
    [
        ("approve", "approved", "an order in status 'approved' cannot be approved"),
        ("reject", "booked", "an order in status 'booked' cannot be rejected"),
        ("cancel", "booked", "an order in status 'booked' cannot be cancelled; request a return instead"),
        ("change", "cancelled", "an order in status 'cancelled' cannot be changed"),
    ],
)
def test_a_verb_the_status_does_not_permit_is_a_conflict_naming_it(verb: Verb, status: str, detail: str) -> None:
    assert not permits(verb, status)
    with pytest.raises(Conflict) as caught:
        ensure_permits(verb, status)
    assert caught.value.detail == detail
    assert caught.value.extra == {"current_status": status}


def test_the_verbs_follow_the_status_sets() -> None:
    assert {s for s in STATUSES if permits("approve", s)} == APPROVABLE
    assert {s for s in STATUSES if permits("reject", s)} == REJECTABLE
    assert {s for s in STATUSES if permits("cancel", s)} == OPEN_STATUSES
    assert {s for s in STATUSES if permits("change", s)} == OPEN_STATUSES
