"""An order's landed cost: the order's goods, shipping, incoterm and destination become a stored quote."""

from __future__ import annotations

import httpx

from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle


async def test_order_quote_matches_the_standalone_quote_and_is_kept(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    body = _order(
        ship_to={"name": "Ann", "line1": "1 High St", "city": "London", "postal_code": "SW1A 1AA", "country": "GB"},
        currency="EUR",
        lines=[
            {
                "sku": "TS-RED-M",
                "quantity": 3,
                "unit_price": {"amount": "19.90", "currency": "EUR"},
                "discount": {"type": "percent", "value": "10"},
            }
        ],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    quoted = await client.post(
        f"/v1/orders/{order['id']}/landed-cost",
        json={"date": "2026-11-27", "fx_rates": {"GBP/EUR": "1.15"}},
        headers=tenant.headers(),
    )
    assert quoted.status_code == 201, quoted.text
    quote = quoted.json()
    assert quote["order_id"] == order["id"]
    assert quote["destination_country"] == "GB"
    # The same goods sent stand-alone give the same answer: the order maps to the quote request exactly.
    standalone = await client.post(
        "/v1/landed-cost/quotes",
        json={
            "origin_country": "CN",
            "ship_from_country": "CN",
            "destination_country": "GB",
            "currency": "EUR",
            "incoterm": "DDP",
            "transport_mode": "courier",
            "date": "2026-11-27",
            "shipping": "12",
            "insurance": "0",
            "fx_rates": {"GBP/EUR": "1.15"},
            "lines": [
                {
                    "description": "T-shirt red M",
                    "hs_code": "610910",
                    "origin_country": "CN",
                    "quantity": 3,
                    "unit_price": "17.91",
                    "weight_kg": "0.2",
                }
            ],
        },
        headers=tenant.headers(),
    )
    assert standalone.status_code == 201, standalone.text
    for key in ("customs_value", "duty_total", "tax_total", "fee_total", "landed_cost_total", "payer"):
        assert quote[key] == standalone.json()[key], key
    history = (await client.get(f"/v1/orders/{order['id']}/landed-cost", headers=tenant.headers())).json()
    assert [q["id"] for q in history] == [quote["id"]]
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    assert any(e["kind"] == "landed_cost.quoted" for e in events)
    foreign = await client.post(f"/v1/orders/{order['id']}/landed-cost", json={}, headers=other_tenant.headers())
    assert foreign.status_code == 404


async def test_order_without_hs_code_names_the_line(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    body = _order(
        external_ref="NOHS",
        ship_to={"name": "Ann", "line1": "1 High St", "city": "London", "postal_code": "SW1A 1AA", "country": "GB"},
        lines=[{"name": "Vase", "quantity": 1, "unit_price": {"amount": "30.00", "currency": "EUR"}}],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    response = await client.post(
        f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith("lines[0].hs_code") for e in response.json()["errors"])
