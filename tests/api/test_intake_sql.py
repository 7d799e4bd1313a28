"""Order intake's combined statements: reservation shared out first line first, re-reservation of what
an order holds, concurrent intakes (one customer row, stock never over-reserved), duplicates that
write nothing, and the timeline and outbox rows written with the order."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx

from hub.core.database import fetch, tenant_tx
from tenants.roles import Role
from tests.api.test_orders import file_and_approve
from tests.conftest import TenantHandle

SHIP_TO = {"name": "Anna Schmidt", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115", "country": "DE"}
ORDER: dict[str, Any] = {
    "channel": "api",
    "external_ref": "SHOP-1",
    "customer": {"code": "C-42", "name": "Anna Schmidt", "email": "a@example.de", "phone": "+49 30 1234567"},
    "ship_to": SHIP_TO,
    "currency": "EUR",
    "incoterm": "DDP",
    "shipping": {"amount": "12.00", "currency": "EUR"},
    "lines": [{"sku": "TS-RED-M", "quantity": 2, "unit_price": {"amount": "19.90", "currency": "EUR"}}],
}


def _line(sku: str, quantity: int) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_price": {"amount": "19.90", "currency": "EUR"}}


def _order(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ORDER)
    body.update(changes)
    return body


async def _product(client: httpx.AsyncClient, tenant: TenantHandle, sku: str, on_hand: int | None) -> None:
    product = {
        "sku": sku,
        "name": f"T-shirt {sku}",
        "hs_code": "610910",
        "origin_country": "CN",
        "unit_price": {"amount": "19.90", "currency": "EUR"},
        "weight_kg": "0.2",
    }
    assert (await client.post("/v1/products", json=product, headers=tenant.headers())).status_code == 201
    if on_hand is not None:
        await _stock(client, tenant, sku, on_hand)


async def _stock(client: httpx.AsyncClient, tenant: TenantHandle, sku: str, on_hand: int) -> None:
    response = await client.put(
        f"/v1/stock/{sku}",
        json={"on_hand": on_hand, "incoming": 20, "incoming_eta": "2030-12-10"},
        headers=tenant.headers(),
    )
    assert response.status_code == 200, response.text


async def _reserved(client: httpx.AsyncClient, tenant: TenantHandle, sku: str) -> int:
    return int((await client.get(f"/v1/stock/{sku}", headers=tenant.headers())).json()["reserved"])


async def _count(tenant: TenantHandle, table: str) -> int:
    async with tenant_tx(tenant.id):
        rows = await fetch(f"SELECT count(*) AS n FROM {table} WHERE tenant_id = {{}}", tenant.id)
    return int(rows[0]["n"])


async def test_two_lines_of_one_short_sku_are_served_first_line_first(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=3)
    response = await client.post(
        "/v1/orders", json=_order(lines=[_line("TS-RED-M", 2), _line("TS-RED-M", 2)]), headers=tenant.headers()
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert [line["reserved_quantity"] for line in order["lines"]] == [2, 1]
    assert [line["backordered_quantity"] for line in order["lines"]] == [0, 1]
    assert order["status"] == "backordered"
    assert order["backorder_eta"] == "2030-12-10"
    short = [f for f in order["findings"] if f["code"] == "stock_short"]
    assert [f["field"] for f in short] == ["lines[1].quantity"]
    assert await _reserved(client, tenant, "TS-RED-M") == 3
    stored = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert [line["reserved_quantity"] for line in stored["lines"]] == [2, 1]


async def test_lines_over_several_skus_reserve_each_and_a_sku_without_stock_backorders(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "B-SKU", on_hand=5)
    await _product(client, tenant, "A-SKU", on_hand=1)
    await _product(client, tenant, "C-SKU", on_hand=None)  # in the catalog, no stock row
    lines = [_line("B-SKU", 4), _line("A-SKU", 1), _line("C-SKU", 1), _line("B-SKU", 3)]
    order = (await client.post("/v1/orders", json=_order(lines=lines), headers=tenant.headers())).json()
    assert [line["reserved_quantity"] for line in order["lines"]] == [4, 1, 0, 1]
    assert order["status"] == "backordered"
    assert await _reserved(client, tenant, "A-SKU") == 1
    assert await _reserved(client, tenant, "B-SKU") == 5


async def test_a_clean_order_reserves_in_full_and_writes_its_timeline_and_outbox(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=10)
    gift_wrap = {
        "name": "Gift wrap",
        "hs_code": "482390",
        "origin_country": "CN",
        "weight_kg": "0.05",
        "quantity": 1,
        "unit_price": {"amount": "2.50", "currency": "EUR"},
    }
    lines = [_line("TS-RED-M", 2), gift_wrap]
    order = (await client.post("/v1/orders", json=_order(lines=lines), headers=tenant.headers(Role.CLERK))).json()
    status = order["status"]
    blocking = sum(f["severity"] == "blocking" for f in order["findings"])
    assert [line["reserved_quantity"] for line in order["lines"]] == [2, 0]
    assert await _reserved(client, tenant, "TS-RED-M") == 2
    stored = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert [line["reserved_quantity"] for line in stored["lines"]] == [2, 0]
    assert stored["number"] == order["number"] == "SO-000001"
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    assert [(e["kind"], e["actor"]) for e in events] == [
        ("order.received", order["entered_by"]),
        ("review.completed", "system:review"),
        ("order.status_changed", "system:review"),
    ]
    assert events[0]["payload"] == {"channel": "api", "external_ref": "SHOP-1", "number": "SO-000001"}
    assert events[1]["payload"] == {"findings": [f["code"] for f in order["findings"]], "blocking": blocking}
    assert events[2]["payload"] == {"from": "received", "to": status}
    async with tenant_tx(tenant.id):
        jobs = await fetch(
            "SELECT job, payload::text AS payload, completed_at FROM outbox WHERE tenant_id = {} "
            "AND payload->>'order_id' = {} ORDER BY id",
            tenant.id,
            order["id"],
        )
    assert [(j["job"], j["completed_at"]) for j in jobs] == [("deliver_order_event", None)] * 2
    order_id = order["id"]
    assert [j["payload"] for j in jobs] == [
        f'{{"event": "order.created", "order_id": "{order_id}"}}',
        f'{{"to": "{status}", "from": "received", "event": "order.status_changed", "order_id": "{order_id}"}}',
    ]


async def test_order_numbers_past_six_digits_keep_every_digit_in_the_timeline(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    async with tenant_tx(tenant.id):
        await fetch("INSERT INTO order_counters (tenant_id, last_number) VALUES ({}, 1234566)", tenant.id)
    await _product(client, tenant, "TS-RED-M", on_hand=10)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    assert order["number"] == "SO-1234567"
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    assert events[0]["payload"]["number"] == "SO-1234567"


async def test_review_after_a_change_re_reserves_what_the_order_holds(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=3)
    lines = [_line("TS-RED-M", 2), _line("TS-RED-M", 2)]
    order = (await client.post("/v1/orders", json=_order(lines=lines), headers=tenant.headers(Role.CLERK))).json()
    assert [line["reserved_quantity"] for line in order["lines"]] == [2, 1]
    assert order["status"] == "backordered"
    await _stock(client, tenant, "TS-RED-M", on_hand=5)  # reserved stays 3: available 2
    await file_and_approve(
        client,
        tenant,
        order["id"],
        {"kind": "address", "reason": "moved", "ship_to": {**SHIP_TO, "city": "Hamburg", "postal_code": "20095"}},
    )
    after = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    # The 3 held are released and taken again with the 2 now free: both lines in full, 4 reserved.
    assert [line["reserved_quantity"] for line in after["lines"]] == [2, 2]
    assert after["status"] == "approved"
    assert await _reserved(client, tenant, "TS-RED-M") == 4


async def test_a_quantity_change_re_reserves_from_the_released_stock(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=4)
    order = (
        await client.post("/v1/orders", json=_order(lines=[_line("TS-RED-M", 3)]), headers=tenant.headers(Role.CLERK))
    ).json()
    assert order["lines"][0]["reserved_quantity"] == 3
    for quantity, reserved in ((4, 4), (6, 4), (1, 1)):
        await file_and_approve(
            client, tenant, order["id"], {"kind": "quantity", "reason": "customer", "quantities": {"1": quantity}}
        )
        after = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
        assert after["lines"][0]["reserved_quantity"] == reserved
        assert await _reserved(client, tenant, "TS-RED-M") == reserved


async def test_concurrent_intakes_never_over_reserve(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=5)
    results = await asyncio.gather(
        *[
            client.post("/v1/orders", json=_order(external_ref=f"R-{i}", lines=[_line("TS-RED-M", 1)]), headers=h)
            for i, h in enumerate([tenant.headers()] * 8)
        ]
    )
    assert [r.status_code for r in results] == [201] * 8
    reserved = [r.json()["lines"][0]["reserved_quantity"] for r in results]
    assert sorted(reserved) == [0, 0, 0, 1, 1, 1, 1, 1]
    assert sorted(r.json()["status"] for r in results) == ["approved"] * 5 + ["backordered"] * 3
    assert sorted(r.json()["number"] for r in results) == [f"SO-{n:06d}" for n in range(1, 9)]
    assert await _reserved(client, tenant, "TS-RED-M") == 5


async def test_concurrent_intakes_of_a_new_customer_code_make_one_customer(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    customer = {"code": "NEW-7", "name": "Li Wei", "email": "li@example.cn", "phone": None}
    results = await asyncio.gather(
        *[
            client.post("/v1/orders", json=_order(external_ref=f"N-{i}", customer=customer), headers=tenant.headers())
            for i in range(6)
        ]
    )
    assert [r.status_code for r in results] == [201] * 6
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT id, name, email FROM customers WHERE tenant_id = {} AND code = 'NEW-7'", tenant.id)
        ids = await fetch("SELECT DISTINCT customer_id FROM orders WHERE tenant_id = {}", tenant.id)
    assert len(rows) == 1
    assert (rows[0]["name"], rows[0]["email"]) == ("Li Wei", "li@example.cn")
    assert [r["customer_id"] for r in ids] == [rows[0]["id"]]


async def test_an_intake_updates_the_customer_it_names(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=100)
    first = await client.post("/v1/orders", json=_order(external_ref="U-1"), headers=tenant.headers())
    assert first.status_code == 201
    renamed = {"code": "C-42", "name": "Anna Schmidt-Weber", "email": None, "phone": None}
    second = await client.post(
        "/v1/orders", json=_order(external_ref="U-2", customer=renamed), headers=tenant.headers()
    )
    assert second.status_code == 201
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT name, email, phone FROM customers WHERE tenant_id = {}", tenant.id)
    # Upserted by code: the name follows the latest intake, a missing email or phone keeps the stored one.
    assert rows == [{"name": "Anna Schmidt-Weber", "email": "a@example.de", "phone": "+49301234567"}]


async def test_a_refused_duplicate_writes_nothing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=10)
    first = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    counts = {t: await _count(tenant, t) for t in ("orders", "order_lines", "order_events", "outbox", "customers")}
    again = await client.post(
        "/v1/orders",
        json=_order(customer={"code": "C-99", "name": "Other"}, lines=[_line("TS-RED-M", 5)]),
        headers=tenant.headers(),
    )
    assert again.status_code == 409
    assert again.json()["existing_order_id"] == first["id"]
    assert again.json()["existing_order_number"] == first["number"] == "SO-000001"
    assert {t: await _count(tenant, t) for t in counts} == counts
    assert await _reserved(client, tenant, "TS-RED-M") == 2
    following = (await client.post("/v1/orders", json=_order(external_ref="NEXT"), headers=tenant.headers())).json()
    assert following["number"] == "SO-000002"


async def test_concurrent_duplicates_reserve_once(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=10)
    jobs_before = await _count(tenant, "outbox")
    results = await asyncio.gather(
        *[client.post("/v1/orders", json=_order(external_ref="SAME"), headers=tenant.headers()) for _ in range(5)]
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409, 409]
    created = next(r.json() for r in results if r.status_code == 201)
    assert {r.json()["existing_order_id"] for r in results if r.status_code == 409} == {created["id"]}
    assert await _reserved(client, tenant, "TS-RED-M") == 2
    assert await _count(tenant, "order_events") == 3
    assert await _count(tenant, "outbox") == jobs_before + 2
    assert await _count(tenant, "order_lines") == 1


async def test_a_sku_with_stock_but_no_product_is_reserved_from(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _stock(client, tenant, "LOOSE-1", on_hand=1)
    line = {**_line("LOOSE-1", 2), "name": "Loose item"}
    order = (await client.post("/v1/orders", json=_order(lines=[line]), headers=tenant.headers())).json()
    assert order["lines"][0]["reserved_quantity"] == 1
    assert await _reserved(client, tenant, "LOOSE-1") == 1


async def test_intake_statements_stay_within_the_tenant(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await _product(client, tenant, "TS-RED-M", on_hand=10)
    await _product(client, other_tenant, "TS-RED-M", on_hand=1)
    order = (await client.post("/v1/orders", json=_order(), headers=other_tenant.headers())).json()
    assert order["lines"][0]["reserved_quantity"] == 1
    assert order["number"] == "SO-000001"
    assert await _reserved(client, tenant, "TS-RED-M") == 0
    assert await _count(tenant, "orders") == 0
    assert await _count(tenant, "customers") == 0
