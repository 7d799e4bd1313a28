"""Orders: intake, duplicates, review findings and routing, stock, four-eyes, change requests, timeline."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
from typing import Any

import httpx

from tenants.roles import Role
from tests.conftest import TenantHandle

ORDER: dict[str, Any] = {
    "channel": "api",
    "external_ref": "SHOP-1001",
    "customer": {"code": "C-42", "name": "Anna Schmidt", "email": "a@example.de", "phone": "+49 30 1234567"},
    "ship_to": {
        "name": "Anna Schmidt",
        "line1": "Hauptstr. 5",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
    },
    "currency": "EUR",
    "incoterm": "DDP",
    "requested_delivery_date": "2030-12-20",
    "rush": False,
    "special_terms": "",
    "shipping": {"amount": "12.00", "currency": "EUR"},
    "lines": [{"sku": "TS-RED-M", "quantity": 2, "unit_price": {"amount": "19.90", "currency": "EUR"}}],
}


# The catalog product most order tests use (other test modules import it too).
TSHIRT = {
    "sku": "TS-RED-M",
    "name": "T-shirt red M",
    "hs_code": "610910",
    "origin_country": "CN",
    "unit_price": {"amount": "19.90", "currency": "EUR"},
    "weight_kg": "0.2",
}


async def _catalog(client: httpx.AsyncClient, tenant: TenantHandle, on_hand: int = 10) -> None:
    assert (await client.post("/v1/products", json=TSHIRT, headers=tenant.headers())).status_code == 201
    stock = await client.put(
        "/v1/stock/TS-RED-M",
        json={"on_hand": on_hand, "incoming": 20, "incoming_eta": "2030-12-10"},
        headers=tenant.headers(),
    )
    assert stock.status_code == 200, stock.text


async def file_and_approve(
    client: httpx.AsyncClient, tenant: TenantHandle, order_id: str, body: dict[str, Any]
) -> None:
    """File a change request as a clerk and have an approver approve it."""
    filed = await client.post(f"/v1/orders/{order_id}/change-requests", json=body, headers=tenant.headers(Role.CLERK))
    assert filed.status_code == 201, filed.text
    decided = await client.post(
        f"/v1/change-requests/{filed.json()['id']}/approve",
        json={"reason": "ok"},
        headers=tenant.headers(Role.APPROVER),
    )
    assert decided.status_code == 200, decided.text


def _order(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ORDER)
    body.update(changes)
    return body


async def test_clean_order_is_approved_with_exact_totals(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    response = await client.post("/v1/orders", json=_order(), headers=tenant.headers(Role.CLERK))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["number"] == "SO-000001"
    assert order["status"] == "approved"
    assert order["totals"] == {
        "subtotal": {"amount": "39.80", "currency": "EUR"},
        "discount_total": {"amount": "0.00", "currency": "EUR"},
        "shipping": {"amount": "12.00", "currency": "EUR"},
        "total": {"amount": "51.80", "currency": "EUR"},
    }
    assert order["lines"][0]["hs_code"] == "610910"  # filled from the catalog
    # A unit price has at least the currency's decimals: "19.90" as sent, not "19.9" (API.md's money).
    assert order["lines"][0]["unit_price"] == {"amount": "19.90", "currency": "EUR"}
    assert order["lines"][0]["list_price"] == {"amount": "19.90", "currency": "EUR"}
    assert order["lines"][0]["line_total"] == {"amount": "39.80", "currency": "EUR"}
    assert order["lines"][0]["reserved_quantity"] == 2
    assert order["customer"]["phone"] == "+49301234567"
    stock = (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()
    assert stock["reserved"] == 2
    assert stock["available"] == 8
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers(Role.VIEWER))).json()
    kinds = [e["kind"] for e in events]
    assert kinds[:2] == ["order.received", "review.completed"]
    assert "order.status_changed" in kinds


async def test_duplicate_external_ref_is_409_naming_the_order(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    first = await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    again = await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    assert again.status_code == 409
    assert again.json()["existing_order_id"] == first.json()["id"]


async def test_external_ref_is_stripped_so_spaces_do_not_make_a_second_reference(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """ "D1 " was a reference of its own beside "D1"; case still counts (marketplace refs can differ by case)."""
    await _catalog(client, tenant)
    first = await client.post("/v1/orders", json=_order(external_ref="D1"), headers=tenant.headers())
    assert first.status_code == 201, first.text
    for padded in ("D1 ", " D1", "\tD1\u00a0"):
        again = await client.post("/v1/orders", json=_order(external_ref=padded), headers=tenant.headers())
        assert again.status_code == 409, (padded, again.text)
        assert again.json()["existing_order_id"] == first.json()["id"]
    stored = await client.post("/v1/orders", json=_order(external_ref=" D2 "), headers=tenant.headers())
    assert stored.status_code == 201, stored.text
    assert stored.json()["external_ref"] == "D2"
    listed = (await client.get("/v1/orders", params={"q": "D2"}, headers=tenant.headers())).json()["items"]
    assert [o["external_ref"] for o in listed] == ["D2"]
    other_case = await client.post("/v1/orders", json=_order(external_ref="d1"), headers=tenant.headers())
    assert other_case.status_code == 201, other_case.text
    # Spaces alone are refused like an empty reference, naming the field.
    for blank in ("", "   "):
        response = await client.post("/v1/orders", json=_order(external_ref=blank), headers=tenant.headers())
        assert response.status_code == 422, (blank, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["external_ref"]


async def test_concurrent_duplicates_make_one_order(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    results = await asyncio.gather(
        *[client.post("/v1/orders", json=_order(external_ref="SAME-1"), headers=tenant.headers()) for _ in range(4)]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409]
    listing = (await client.get("/v1/orders", params={"q": "SAME-1"}, headers=tenant.headers())).json()
    assert len(listing["items"]) == 1


async def test_numbers_have_no_gaps_after_a_rejected_intake(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    assert (await client.post("/v1/orders", json=_order(external_ref="A"), headers=tenant.headers())).status_code == 201
    assert (await client.post("/v1/orders", json=_order(external_ref="A"), headers=tenant.headers())).status_code == 409
    third = await client.post("/v1/orders", json=_order(external_ref="B"), headers=tenant.headers())
    assert third.json()["number"] == "SO-000002"


async def test_only_catalog_lines_of_an_open_order_are_back_ordered(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A free line is not kept in stock and a cancelled order waits for nothing: neither is
    back-ordered (the console showed '+N back-ordered' on every phone order's free line)."""
    await _catalog(client, tenant, on_hand=1)
    free = {
        "name": "Gift wrap",
        "hs_code": "482390",
        "origin_country": "CN",
        "weight_kg": "0.05",
        "quantity": 3,
        "unit_price": {"amount": "2.50", "currency": "EUR"},
    }
    order = (
        await client.post("/v1/orders", json=_order(lines=[*ORDER["lines"], free]), headers=tenant.headers())
    ).json()
    assert [(ln["reserved_quantity"], ln["backordered_quantity"]) for ln in order["lines"]] == [(1, 1), (0, 0)]
    fetched = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert [ln["backordered_quantity"] for ln in fetched["lines"]] == [1, 0]
    cancelled = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=tenant.headers())
    assert cancelled.status_code == 200, cancelled.text
    assert [(ln["reserved_quantity"], ln["backordered_quantity"]) for ln in cancelled.json()["lines"]] == [
        (0, 0),
        (0, 0),
    ]


async def test_short_stock_backorders_with_eta_and_reserves_what_exists(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant, on_hand=1)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    assert order["status"] == "backordered"
    assert order["backorder_eta"] == "2030-12-10"
    assert order["lines"][0]["reserved_quantity"] == 1
    assert order["lines"][0]["backordered_quantity"] == 1
    codes = [f["code"] for f in order["findings"]]
    assert "stock_short" in codes
    stock = (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()
    assert stock["available"] == 0
    # Stock can never be set below what is reserved.
    lowered = await client.put("/v1/stock/TS-RED-M", json={"on_hand": 0}, headers=tenant.headers())
    assert lowered.status_code == 409


async def test_price_below_policy_needs_an_approver_who_did_not_enter_it(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    cheap = _order(lines=[{"sku": "TS-RED-M", "quantity": 1, "unit_price": {"amount": "15.00", "currency": "EUR"}}])
    order = (await client.post("/v1/orders", json=cheap, headers=tenant.headers(Role.CLERK))).json()
    assert order["status"] == "awaiting_approval"
    assert any(f["code"] == "price_below_policy" for f in order["findings"])
    # The clerk who entered it cannot approve (role), and neither can an approver key that entered an order.
    clerk_try = await client.post(
        f"/v1/orders/{order['id']}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.CLERK)
    )
    assert clerk_try.status_code == 403
    approved = await client.post(
        f"/v1/orders/{order['id']}/approve", json={"reason": "loyal customer"}, headers=tenant.headers(Role.APPROVER)
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"


async def test_four_eyes_same_key_cannot_approve_its_own_order(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    rush = await client.post("/v1/orders", json=_order(rush=True), headers=tenant.headers(Role.OWNER))
    assert rush.json()["status"] == "awaiting_approval"
    own = await client.post(
        f"/v1/orders/{rush.json()['id']}/approve", json={"reason": "mine"}, headers=tenant.headers()
    )
    assert own.status_code == 403
    assert "four-eyes" in own.json()["detail"]
    other = await client.post(
        f"/v1/orders/{rush.json()['id']}/approve", json={"reason": "fine"}, headers=tenant.headers(Role.ADMIN)
    )
    assert other.status_code == 200


async def test_incomplete_order_is_on_hold_with_findings(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    body = _order(
        external_ref="FREE-1",
        customer={"code": "C-9", "name": "No Contact"},
        ship_to={"name": "X", "line1": "Street 1", "city": "Paris", "country": "FR"},
        lines=[{"name": "Handmade vase", "quantity": 1, "unit_price": {"amount": "30.00", "currency": "EUR"}}],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    assert order["status"] == "on_hold"
    fields = {f["field"] for f in order["findings"]}
    assert {"customer", "ship_to.postal_code", "lines[0].hs_code", "lines[0].origin_country"} <= fields
    findings = await client.get(f"/v1/orders/{order['id']}/findings", headers=tenant.headers())
    assert findings.json() == order["findings"]


async def test_an_unknown_sku_without_a_name_of_its_own_is_held(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A mistyped SKU with a price must not pass as a free line: it would ship nothing and reserve nothing."""
    await _catalog(client, tenant)
    domestic = {"name": "王芳", "line1": "建国路88号", "city": "北京", "postal_code": "100022", "country": "CN"}
    typo = {"sku": "TS-RED-MM", "quantity": 1, "unit_price": {"amount": "19.90", "currency": "EUR"}}
    response = await client.post(
        "/v1/orders", json=_order(ship_to=domestic, lines=[typo]), headers=tenant.headers(Role.CLERK)
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert [(f["code"], f["field"]) for f in order["findings"]] == [("sku_unknown", "lines[0].sku")]
    assert order["status"] == "on_hold"
    # Re-reviewed from the stored line after a change, the finding stays.
    later = {"kind": "delivery_date", "reason": "later", "requested_delivery_date": "2031-01-15"}
    await file_and_approve(client, tenant, order["id"], later)
    again = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert [f["code"] for f in again["findings"]] == ["sku_unknown"]
    # A free line that carries its own name may have a SKU of the seller's own.
    named = _order(external_ref="SHOP-1002", ship_to=domestic, lines=[{**typo, "name": "Custom tee"}])
    free = (await client.post("/v1/orders", json=named, headers=tenant.headers(Role.CLERK))).json()
    assert free["findings"] == []
    assert free["status"] == "approved"


async def test_discounts_are_exact_and_allocated(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    body = _order(
        external_ref="DISC-1",
        lines=[
            {
                "sku": "TS-RED-M",
                "quantity": 3,
                "unit_price": {"amount": "19.90", "currency": "EUR"},
                "discount": {"type": "percent", "value": "5"},
            },
            {
                "name": "Gift wrap",
                "hs_code": "482390",
                "origin_country": "CN",
                "weight_kg": "0.05",
                "quantity": 1,
                "unit_price": {"amount": "3.33", "currency": "EUR"},
            },
        ],
        discounts=[{"type": "fixed", "amount": {"amount": "1.00", "currency": "EUR"}, "code": "WELCOME1"}],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    totals = order["totals"]
    # 59.70 - 2.99 (5 % of 59.70 = 2.985, half-up) = 56.71; + 3.33 = 60.04; - 1.00 = 59.04; + 12.00 shipping
    assert totals["subtotal"]["amount"] == "63.03"
    assert totals["discount_total"]["amount"] == "3.99"
    assert totals["total"]["amount"] == "71.04"
    line_sum = sum(float(line["line_total"]["amount"]) * 100 for line in order["lines"])
    assert round(line_sum) == 5904


async def test_amounts_finer_than_the_currency_round_once_and_add_up(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Each line is rounded half-up to the currency's minor unit; what is shown is what is stored and summed."""
    free = {"hs_code": "731815", "origin_country": "CN", "weight_kg": "0.01"}
    yen = _order(
        external_ref="JPY-1",
        currency="JPY",
        shipping={"amount": "500", "currency": "JPY"},
        lines=[{**free, "name": "Bolt", "quantity": 3, "unit_price": {"amount": "100.5", "currency": "JPY"}}],
    )
    response = await client.post("/v1/orders", json=yen, headers=tenant.headers())
    assert response.status_code == 201, response.text
    stored = (await client.get(f"/v1/orders/{response.json()['id']}", headers=tenant.headers())).json()
    for order in (response.json(), stored):
        assert order["lines"][0]["line_total"]["amount"] == "302"  # 301.5 half-up
        assert order["lines"][0]["unit_price"]["amount"] == "100.5"  # finer than the yen: kept, not padded
        assert order["totals"]["subtotal"]["amount"] == "302"
        assert order["totals"]["total"]["amount"] == "802"
    screws = _order(
        external_ref="EUR-SCREWS",
        lines=[
            {**free, "name": "Screw A", "quantity": 1, "unit_price": {"amount": "0.005", "currency": "EUR"}},
            {**free, "name": "Screw B", "quantity": 1, "unit_price": {"amount": "0.005", "currency": "EUR"}},
        ],
    )
    order = (await client.post("/v1/orders", json=screws, headers=tenant.headers())).json()
    assert [line["line_total"]["amount"] for line in order["lines"]] == ["0.01", "0.01"]
    assert [line["unit_price"]["amount"] for line in order["lines"]] == ["0.005", "0.005"]
    assert order["totals"]["subtotal"]["amount"] == "0.02"
    assert order["lines"][0]["unit_price"]["amount"] == "0.005"


async def test_amounts_the_hub_cannot_hold_exactly_are_refused(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Unit prices are kept to 4 decimals and shipping to the currency's own: anything finer was silently cut."""
    line = {"name": "Chip", "quantity": 1000, "unit_price": {"amount": "0.00005", "currency": "EUR"}}
    for body, field in (
        (_order(external_ref="FINE-1", lines=[line]), "lines[0].unit_price.amount"),
        (_order(external_ref="FINE-2", shipping={"amount": "12.005", "currency": "EUR"}), "shipping.amount"),
        (
            _order(external_ref="FINE-3", currency="JPY", shipping={"amount": "1.5", "currency": "JPY"}),
            "shipping.amount",
        ),
    ):
        response = await client.post("/v1/orders", json=body, headers=tenant.headers())
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]]
    bhd = _order(external_ref="BHD-1", currency="BHD", shipping={"amount": "1.250", "currency": "BHD"}, lines=[line])
    bhd["lines"] = [{**line, "unit_price": {"amount": "1.2345", "currency": "BHD"}}]
    accepted = await client.post("/v1/orders", json=bhd, headers=tenant.headers())
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["totals"]["shipping"]["amount"] == "1.250"
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"][0]["external_ref"] == "BHD-1"


async def test_a_line_or_order_too_large_for_the_amount_columns_is_a_422_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """unit_price x quantity beyond numeric(19, 4) was a 400 "a number is too large" naming no field."""
    await _catalog(client, tenant)
    free = {"name": "Turbine", "hs_code": "841181", "origin_country": "DE", "weight_kg": "1"}
    big = {"amount": "900000000000000", "currency": "EUR"}  # each amount alone is below 10^15
    huge_catalog_line = {"sku": "TS-RED-M", "quantity": 1_000_000}
    await client.patch(
        f"/v1/products/{(await client.get('/v1/products', headers=tenant.headers())).json()['items'][0]['id']}",
        json={"unit_price": {"amount": "999999999999", "currency": "EUR"}},
        headers=tenant.headers(),
    )
    for ref, lines, shipping, field in (
        ("BIG-1", [{**free, "quantity": 2, "unit_price": big}], None, "lines[0].quantity"),
        ("BIG-2", [huge_catalog_line], None, "lines[0].quantity"),
        ("BIG-3", [{**free, "quantity": 1, "unit_price": big}] * 2, None, "lines"),
        ("BIG-4", [{**free, "quantity": 1, "unit_price": big}], big, "shipping.amount"),
    ):
        body = _order(external_ref=ref, lines=lines, shipping=shipping)
        response = await client.post("/v1/orders", json=body, headers=tenant.headers())
        assert response.status_code == 422, (ref, response.text)
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field], (ref, errors)
        assert "999999999999999.9999" in errors[0]["message"]
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []


async def test_bad_inputs_are_precise_and_store_nothing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    cases = [
        (
            _order(lines=[{"sku": "X", "quantity": -1, "unit_price": {"amount": "1", "currency": "EUR"}}]),
            "lines[0].quantity",
        ),
        (_order(currency="XYZ"), "currency"),
        (_order(customer={"code": "C", "name": "N", "phone": "12"}), "customer.phone"),
        (_order(customer={"code": "C", "name": "N", "email": "nope"}), "customer.email"),
        (_order(ship_to={"name": "A", "line1": "B", "city": "C", "country": "ZZ"}), "ship_to.country"),
        (
            _order(lines=[{"sku": "X", "quantity": 1, "unit_price": {"amount": "-5", "currency": "EUR"}}]),
            "lines[0].unit_price.amount",
        ),
        (
            _order(lines=[{"sku": "X", "quantity": 1, "unit_price": {"amount": "5", "currency": "USD"}}]),
            "lines[0].unit_price.currency",
        ),
        (_order(incoterm="XXX"), "incoterm"),
        (_order(channel="manual"), "channel_detail"),
        (
            _order(
                lines=[
                    {"name": "thing", "quantity": 1, "hs_code": "12", "unit_price": {"amount": "5", "currency": "EUR"}}
                ]
            ),
            "lines[0].hs_code",
        ),
    ]
    for body, field in cases:
        response = await client.post("/v1/orders", json=body, headers=tenant.headers())
        assert response.status_code in (400, 422), (field, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in response.json()["errors"]], (field, response.json())
    listing = (await client.get("/v1/orders", headers=tenant.headers())).json()
    assert listing["items"] == []


async def test_change_request_quantity_applies_atomically(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers(Role.CLERK))).json()
    filed = await client.post(
        f"/v1/orders/{order['id']}/change-requests",
        json={"kind": "quantity", "reason": "customer wants 5", "quantities": {"1": 5}},
        headers=tenant.headers(Role.CLERK),
    )
    assert filed.status_code == 201, filed.text
    own = await client.post(
        f"/v1/change-requests/{filed.json()['id']}/approve", json={"reason": "x"}, headers=tenant.headers(Role.CLERK)
    )
    assert own.status_code == 403
    decided = await client.post(
        f"/v1/change-requests/{filed.json()['id']}/approve",
        json={"reason": "ok"},
        headers=tenant.headers(Role.APPROVER),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "applied"
    after = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert after["version"] == 2
    assert after["lines"][0]["quantity"] == 5
    assert after["totals"]["total"]["amount"] == "111.50"
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 5
    again = await client.post(
        f"/v1/change-requests/{filed.json()['id']}/reject",
        json={"reason": "late"},
        headers=tenant.headers(Role.APPROVER),
    )
    assert again.status_code == 409


async def test_cancel_releases_stock_and_closes_changes(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers(Role.CLERK))).json()
    filed = (
        await client.post(
            f"/v1/orders/{order['id']}/change-requests",
            json={"kind": "cancel", "reason": "no longer needed"},
            headers=tenant.headers(Role.CLERK),
        )
    ).json()
    decided = await client.post(
        f"/v1/change-requests/{filed['id']}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER)
    )
    assert decided.status_code == 200, decided.text
    after = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert after["status"] == "cancelled"
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 0
    again = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "twice"}, headers=tenant.headers())
    assert again.status_code == 409


async def test_cancelling_closes_the_orders_other_pending_change_requests(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """They stayed pending for ever: nobody could approve them (409) and nothing said why."""
    await _catalog(client, tenant)
    for cancel_by_request in (True, False):
        order = (
            await client.post(
                "/v1/orders", json=_order(external_ref=f"CXL-{cancel_by_request}"), headers=tenant.headers(Role.CLERK)
            )
        ).json()
        url = f"/v1/orders/{order['id']}/change-requests"
        date = {"kind": "delivery_date", "reason": "later", "requested_delivery_date": "2031-01-10"}
        other = (await client.post(url, json=date, headers=tenant.headers(Role.CLERK))).json()
        if cancel_by_request:
            cancel = {"kind": "cancel", "reason": "no longer needed"}
            filed = (await client.post(url, json=cancel, headers=tenant.headers(Role.CLERK))).json()
            decided = await client.post(
                f"/v1/change-requests/{filed['id']}/approve",
                json={"reason": "ok"},
                headers=tenant.headers(Role.APPROVER),
            )
            assert decided.status_code == 200, decided.text
            assert decided.json()["status"] == "applied"
        else:
            cancelled = await client.post(
                f"/v1/orders/{order['id']}/cancel", json={"reason": "customer called"}, headers=tenant.headers()
            )
            assert cancelled.status_code == 200, cancelled.text
        requests = {r["id"]: r for r in (await client.get(url, headers=tenant.headers())).json()}
        closed = requests[other["id"]]
        assert closed["status"] == "rejected"
        assert closed["decision_reason"] == "order cancelled"
        assert closed["decided_at"] is not None
        events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
        rejected = [e for e in events if e["kind"] == "change_request.rejected"]
        assert [e["payload"]["change_request_id"] for e in rejected] == [other["id"]]
        assert rejected[0]["payload"]["reason"] == "order cancelled"
        late = await client.post(
            f"/v1/change-requests/{other['id']}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER)
        )
        assert late.status_code == 409
        assert late.json()["current_status"] == "rejected"


async def test_rejecting_an_order_closes_its_pending_change_requests(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A rejected order can no longer change, so a request filed against it must not wait for ever."""
    await _catalog(client, tenant)
    order = (
        await client.post(
            "/v1/orders", json=_order(external_ref="REJ-1", rush=True), headers=tenant.headers(Role.CLERK)
        )
    ).json()
    assert order["status"] == "awaiting_approval"
    url = f"/v1/orders/{order['id']}/change-requests"
    date = {"kind": "delivery_date", "reason": "later", "requested_delivery_date": "2031-01-10"}
    pending = (await client.post(url, json=date, headers=tenant.headers(Role.CLERK))).json()
    rejected = await client.post(
        f"/v1/orders/{order['id']}/reject", json={"reason": "no rush service"}, headers=tenant.headers(Role.APPROVER)
    )
    assert rejected.status_code == 200, rejected.text
    closed = {r["id"]: r for r in (await client.get(url, headers=tenant.headers())).json()}[pending["id"]]
    assert (closed["status"], closed["decision_reason"]) == ("rejected", "order rejected")
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    assert [e["payload"]["change_request_id"] for e in events if e["kind"] == "change_request.rejected"] == [
        pending["id"]
    ]


async def test_a_change_decided_while_the_order_is_cancelled_never_stays_pending(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Approve and cancel at once: one of them wins, with no deadlock, and the request ends decided."""
    await _catalog(client, tenant)
    for attempt in range(3):
        order = (
            await client.post("/v1/orders", json=_order(external_ref=f"RACE-{attempt}"), headers=tenant.headers())
        ).json()
        date = {"kind": "delivery_date", "reason": "later", "requested_delivery_date": "2031-01-10"}
        filed = (
            await client.post(
                f"/v1/orders/{order['id']}/change-requests", json=date, headers=tenant.headers(Role.CLERK)
            )
        ).json()
        approve, cancel = await asyncio.gather(
            client.post(
                f"/v1/change-requests/{filed['id']}/approve",
                json={"reason": "ok"},
                headers=tenant.headers(Role.APPROVER),
            ),
            client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=tenant.headers()),
        )
        assert cancel.status_code == 200, cancel.text
        assert approve.status_code in (200, 409), approve.text
        listed = await client.get(f"/v1/orders/{order['id']}/change-requests", headers=tenant.headers())
        assert listed.json()[0]["status"] == ("applied" if approve.status_code == 200 else "rejected")


async def test_other_tenant_sees_nothing(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    for path in (f"/v1/orders/{order['id']}", f"/v1/orders/{order['id']}/events", f"/v1/orders/{order['id']}/findings"):
        assert (await client.get(path, headers=other_tenant.headers())).status_code == 404
    cancel = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=other_tenant.headers())
    assert cancel.status_code == 404
    assert (await client.get("/v1/orders", headers=other_tenant.headers())).json()["items"] == []


async def test_q_finds_an_order_by_the_number_it_shows(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """A clerk searches for what the hub prints: SO-000001, as well as #1 or 1."""
    await _catalog(client, tenant)
    created = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    assert created["number"] == "SO-000001"
    for q in ("SO-000001", "so-000001", "#1", "1"):
        found = await client.get("/v1/orders", params={"q": q}, headers=tenant.headers())
        assert [o["id"] for o in found.json()["items"]] == [created["id"]], q


async def test_an_unknown_status_or_channel_filter_is_a_422_not_an_empty_list(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A typo in a filter would otherwise read as "no such orders"."""
    for path in ("/v1/orders", "/v1/orders/export.csv"):
        for params, field in (
            ({"status": "aproved"}, "status"),
            ({"status": "approved,bogus"}, "status"),
            ({"channel": "fax"}, "channel"),
        ):
            response = await client.get(path, params=params, headers=tenant.headers())
            assert response.status_code == 422, (path, params, response.text)
            assert response.json()["errors"][0]["field"] == field
    listed = await client.get(
        "/v1/orders", params={"status": "approved,backordered", "channel": "csv"}, headers=tenant.headers()
    )
    assert listed.status_code == 200


async def test_csv_export_of_a_filtered_list(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    await client.post("/v1/orders", json=_order(external_ref="EXP-1"), headers=tenant.headers())
    formula = _order(external_ref="EXP-2", customer={"code": "=HYPERLINK(1)", "name": "王芳", "email": "w@example.cn"})
    await client.post("/v1/orders", json=formula, headers=tenant.headers())
    response = await client.get("/v1/orders/export.csv", params={"q": "EXP-"}, headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("number,status,channel")
    assert len(lines) == 3
    assert "王芳" in text
    assert "'=HYPERLINK(1)" in text


async def test_csv_export_names_its_charset_once(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Litestar adds the charset to a text/* type itself; a second one made the header read it twice."""
    response = await client.get("/v1/orders/export.csv", headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


async def test_csv_export_neutralises_formulas_in_every_client_text_column(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """external_ref comes from the client too (or a marketplace); a spreadsheet must not run it."""
    await _catalog(client, tenant)
    for ref in ("=1+2", "@SUM(A1)", "+CMD", "-2+3"):
        created = await client.post("/v1/orders", json=_order(external_ref=ref), headers=tenant.headers())
        assert created.status_code == 201, created.text
    response = await client.get("/v1/orders/export.csv", headers=tenant.headers(Role.VIEWER))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row["external_ref"] for row in rows) == ["'+CMD", "'-2+3", "'=1+2", "'@SUM(A1)"]


async def test_findings_speak_the_readers_language(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant, on_hand=1)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()
    english = next(f for f in order["findings"] if f["code"] == "stock_short")["message"]
    assert english.startswith("Only 1 of 2 x TS-RED-M")
    chinese = await client.get(
        f"/v1/orders/{order['id']}/findings", headers=tenant.headers(**{"Accept-Language": "zh-CN"})
    )
    message = next(f for f in chinese.json() if f["code"] == "stock_short")["message"]
    assert message != english
    assert "TS-RED-M" in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    german = await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers(**{"Accept-Language": "de"}))
    assert next(f for f in german.json()["findings"] if f["code"] == "stock_short")["message"] not in (english, message)


async def test_change_requests_for_address_lines_and_date(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers(Role.CLERK))).json()

    async def apply(body: dict[str, Any]) -> dict[str, Any]:
        await file_and_approve(client, tenant, order["id"], body)
        return dict((await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json())

    moved = await apply(
        {
            "kind": "address",
            "reason": "moved",
            "ship_to": {
                "name": "Anna",
                "line1": "Neue Str. 1",
                "city": "Hamburg",
                "postal_code": "20095",
                "country": "DE",
            },
        }
    )
    assert moved["ship_to"]["city"] == "Hamburg"
    dated = await apply({"kind": "delivery_date", "reason": "later", "requested_delivery_date": "2031-01-15"})
    assert dated["requested_delivery_date"] == "2031-01-15"
    relined = await apply(
        {
            "kind": "lines",
            "reason": "swap",
            "lines": [{"sku": "TS-RED-M", "quantity": 1, "unit_price": {"amount": "19.90", "currency": "EUR"}}],
        }
    )
    assert [line["quantity"] for line in relined["lines"]] == [1]
    assert relined["totals"]["total"]["amount"] == "31.90"
    assert relined["version"] == 4
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()["reserved"] == 1
    bad = await client.post(
        f"/v1/orders/{order['id']}/change-requests", json={"kind": "address", "reason": "x"}, headers=tenant.headers()
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "ship_to"
    unknown_line = await client.post(
        f"/v1/orders/{order['id']}/change-requests",
        json={"kind": "quantity", "reason": "x", "quantities": {"9": 1}},
        headers=tenant.headers(Role.CLERK),
    )
    decided = await client.post(
        f"/v1/change-requests/{unknown_line.json()['id']}/approve",
        json={"reason": "ok"},
        headers=tenant.headers(Role.APPROVER),
    )
    assert decided.status_code == 422
    assert decided.json()["errors"][0]["field"] == "quantities.9"


async def test_a_change_request_with_bad_fields_is_refused_when_filed(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The clerk who files it hears what is wrong, not the approver later; nothing pending is left behind."""
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers(Role.CLERK))).json()
    usd = {"amount": "1.00", "currency": "USD"}
    for body, fields in (
        (
            {"kind": "lines", "reason": "x", "lines": [{"sku": "TS-RED-M", "quantity": -1, "unit_price": usd}]},
            ["lines[0].quantity", "lines[0].unit_price.currency"],
        ),
        (
            {"kind": "address", "reason": "x", "ship_to": {"name": "A", "line1": "B", "city": "C", "country": "ZZ"}},
            ["ship_to.country"],
        ),
        ({"kind": "quantity", "reason": "x", "quantities": {"1": 10**12}}, ["quantities.1"]),
    ):
        filed = await client.post(
            f"/v1/orders/{order['id']}/change-requests", json=body, headers=tenant.headers(Role.CLERK)
        )
        assert filed.status_code == 422, filed.text
        assert [e["field"] for e in filed.json()["errors"]] == fields
    listed = await client.get(f"/v1/orders/{order['id']}/change-requests", headers=tenant.headers())
    assert listed.json() == []


async def test_a_blank_customer_code_or_name_is_refused(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Spaces pass the length check but strip to nothing: every such order was filed under customer ""."""
    body = _order(customer={"code": "   ", "name": " \t", "email": "a@example.de"})
    response = await client.post("/v1/orders", json=body, headers=tenant.headers())
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["customer.code", "customer.name"]
    assert (await client.get("/v1/customers", headers=tenant.headers())).json()["items"] == []


async def test_whoever_requested_the_change_cannot_approve_the_order_it_put_in_review(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Four-eyes covers the change too: the owner who cut the price may not approve that price."""
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers(Role.CLERK))).json()
    assert order["status"] == "approved"
    cheap = {"sku": "TS-RED-M", "quantity": 2, "unit_price": {"amount": "9.90", "currency": "EUR"}}
    filed = await client.post(
        f"/v1/orders/{order['id']}/change-requests",
        json={"kind": "lines", "reason": "friend price", "lines": [cheap]},
        headers=tenant.headers(Role.OWNER),
    )
    decided = await client.post(
        f"/v1/change-requests/{filed.json()['id']}/approve",
        json={"reason": "ok"},
        headers=tenant.headers(Role.APPROVER),
    )
    assert decided.status_code == 200, decided.text
    changed = (await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())).json()
    assert changed["status"] == "awaiting_approval"
    for action in ("approve", "reject"):
        own = await client.post(
            f"/v1/orders/{order['id']}/{action}", json={"reason": "mine"}, headers=tenant.headers(Role.OWNER)
        )
        assert own.status_code == 403, own.text
        assert "four-eyes" in own.json()["detail"]
    other = await client.post(
        f"/v1/orders/{order['id']}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.ADMIN)
    )
    assert other.status_code == 200, other.text
