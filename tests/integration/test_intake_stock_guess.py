"""Intake reviews a full reservation before taking any lock, on a stock read without a lock; the
insert statement checks that guess under the stock rows' locks. When stock moved in between, nothing
is written by it and the intake falls back to reserving what there is, with the same result as if
it had never guessed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hub.core.database import fetch, tenant_tx
from hub.core.ids import new_id
from hub.orders.repository import orders as repo
from hub.orders.rows import OrderCustomer, OrderDraft
from tests.api.test_orders import TSHIRT
from tests.conftest import TenantHandle

ORDER: dict[str, Any] = {
    "channel": "api",
    "external_ref": "GUESS-1",
    "customer": {"code": "C-1", "name": "Anna Schmidt", "email": "a@example.de"},
    "ship_to": {"name": "Anna", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115", "country": "DE"},
    "currency": "EUR",
    "incoterm": "DDP",
    "lines": [{"sku": "TS-RED-M", "quantity": 3, "unit_price": {"amount": "19.90", "currency": "EUR"}}],
}


async def _setup(client: httpx.AsyncClient, tenant: TenantHandle, on_hand: int) -> None:
    assert (await client.post("/v1/products", json=TSHIRT, headers=tenant.headers())).status_code == 201
    stock = {"on_hand": on_hand, "incoming": 5, "incoming_eta": "2030-12-10"}
    assert (await client.put("/v1/stock/TS-RED-M", json=stock, headers=tenant.headers())).status_code == 200


def _stale(available: int, eta: date | None) -> Any:
    """intake_reads as if the stock row had been read before another change to it."""
    real = repo.intake_reads

    async def reads(*args: Any) -> repo.IntakeReads:
        result = await real(*args)
        return result._replace(stock={sku: repo.StockSeen(available, eta) for sku in result.stock})

    return reads


@pytest.mark.parametrize(
    ("seen_available", "seen_eta"),
    [(100, date(2030, 12, 10)), (3, date(2031, 1, 1)), (3, None)],
    ids=["stock-taken-since", "eta-changed-since", "eta-set-since"],
)
async def test_a_stale_stock_read_falls_back_to_what_is_there(
    client: httpx.AsyncClient,
    tenant: TenantHandle,
    monkeypatch: pytest.MonkeyPatch,
    seen_available: int,
    seen_eta: date | None,
) -> None:
    await _setup(client, tenant, on_hand=2)
    monkeypatch.setattr(repo, "intake_reads", _stale(seen_available, seen_eta))
    response = await client.post("/v1/orders", json=ORDER, headers=tenant.headers())
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["number"] == "SO-000001"
    assert order["lines"][0]["reserved_quantity"] == 2
    assert order["status"] == "backordered"
    assert order["backorder_eta"] == "2030-12-10"
    assert "stock_short" in [f["code"] for f in order["findings"]]
    stock = (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()
    assert stock["reserved"] == 2
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    assert [e["kind"] for e in events] == ["order.received", "review.completed", "order.status_changed"]
    assert events[2]["payload"] == {"from": "received", "to": "backordered"}


async def test_a_stock_row_created_since_the_read_is_reserved_from(
    client: httpx.AsyncClient, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read: a SKU outside the catalog without stock (nothing to reserve). Locked: it has a row now.
    stock = {"on_hand": 2, "incoming": 0}
    assert (await client.put("/v1/stock/LOOSE-1", json=stock, headers=tenant.headers())).status_code == 200
    real = repo.intake_reads

    async def reads(*args: Any) -> repo.IntakeReads:
        return (await real(*args))._replace(stock={})

    monkeypatch.setattr(repo, "intake_reads", reads)
    line = {"sku": "LOOSE-1", "name": "Loose", "quantity": 1, "unit_price": {"amount": "5.00", "currency": "EUR"}}
    response = await client.post("/v1/orders", json={**ORDER, "lines": [line]}, headers=tenant.headers())
    assert response.status_code == 201, response.text
    assert response.json()["lines"][0]["reserved_quantity"] == 1
    assert (await client.get("/v1/stock/LOOSE-1", headers=tenant.headers())).json()["reserved"] == 1


async def test_a_refused_guess_writes_nothing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _setup(client, tenant, on_hand=2)
    order = OrderDraft(
        id=new_id(),
        channel="api",
        channel_detail=None,
        external_ref="X-1",
        status="approved",
        customer=OrderCustomer(code="C-1", name="Anna", email=None, phone=None),
        ship_to={},
        bill_to=None,
        currency="EUR",
        incoterm="DDP",
        requested_delivery_date=None,
        rush=False,
        customization=False,
        special_terms="",
        discounts=[],
        subtotal=Decimal(0),
        discount_total=Decimal(0),
        shipping=Decimal(0),
        total=Decimal(0),
        entered_by="test",
    )
    events = [("test", "order.received", {})]
    jobs = [("deliver_order_event", {})]
    guesses = [
        {"TS-RED-M": (3, date(2030, 12, 10))},  # more than is available
        {"TS-RED-M": (1, None)},  # another ETA
        {},  # no stock row expected, but there is one
    ]
    async with tenant_tx(tenant.id):
        for guess in guesses:
            inserted = await repo.run_insert(
                repo.insert_order_statement(tenant.id, order, [], events, jobs, expect_stock=guess, skus=["TS-RED-M"])
            )
            assert inserted == repo.Inserted(reserved=False, stored=None)
        counters = await fetch("SELECT last_number FROM order_counters WHERE tenant_id = {}", tenant.id)
        orders = await fetch("SELECT id FROM orders WHERE tenant_id = {}", tenant.id)
        stock = await fetch("SELECT reserved FROM stock WHERE tenant_id = {}", tenant.id)
        outbox = await fetch("SELECT id FROM outbox WHERE tenant_id = {} AND job = 'deliver_order_event'", tenant.id)
        customers = await fetch("SELECT id FROM customers WHERE tenant_id = {} AND code = 'C-1'", tenant.id)
    assert (counters, orders, outbox, customers) == ([], [], [], [])
    assert stock == [{"reserved": 0}]
