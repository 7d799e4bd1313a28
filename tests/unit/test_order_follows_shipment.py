"""The order's status follows its shipment forward only."""

from __future__ import annotations

import pytest

from hub.orders.status import next_order_status


@pytest.mark.parametrize(
    ("current", "shipment", "expected"),
    [
        ("approved", "booked", "booked"),
        ("booked", "in_transit", "in_transit"),
        ("in_transit", "out_for_delivery", None),
        ("in_transit", "delivered", "delivered"),
        ("delivered", "in_transit", None),  # a late scan never moves the order back
        ("in_transit", "exception", "exception"),
        ("exception", "in_transit", "in_transit"),  # progress clears the exception
        ("exception", "delivered", "delivered"),
        ("cancelled", "in_transit", None),
        ("in_transit", "returned", "returned"),
        ("booked", "pending", None),
    ],
)
def test_forward_only(current: str, shipment: str, expected: str | None) -> None:
    assert next_order_status(current, shipment) == expected
