"""Finding messages are read by clerks: numbers in them are written as people write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.orders.review import LineFacts, OrderFacts, review


def test_price_policy_message_writes_round_numbers_plainly() -> None:
    line = LineFacts(
        line_no=1,
        sku="TS-RED-M",
        known_sku=True,
        name="T-shirt",
        hs_code="610910",
        origin_country="CN",
        weight_kg=Decimal("0.2"),
        quantity=1,
        unit_net=Decimal("10.00"),
        list_price=Decimal("20.0000"),  # as numeric(19, 4) returns it
        list_currency="EUR",
        reserved=1,
    )
    facts = OrderFacts(
        currency="EUR",
        origin_country="CN",
        customer_email="a@example.de",
        customer_phone=None,
        ship_to={"name": "A", "line1": "B", "city": "C", "postal_code": "10115", "country": "CN"},
        lines=[line],
        rush=False,
        customization=False,
        requested_delivery_date=None,
        today=date(2026, 1, 1),
        max_discount_percent=Decimal(10),
    )
    [finding] = review(facts)
    assert finding.code == "price_below_policy"
    assert finding.params["limit"] == "10"
    assert finding.params["list_price"] == "20"
    assert "E+" not in finding.message
