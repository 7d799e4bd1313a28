"""Dates a client sends (issue #17, item 2): read as YYYY-MM-DD, inside 2000-01-01 .. today + 5 years,
each refusal a 422 naming the field.

``POST /v1/orders/{id}/landed-cost`` with ``{"date": "2026-13-45"}`` was a 500 (the options were put
into a quote request unchecked), and year 9999 was taken everywhere: a quote for then, a delivery
date, a stock arrival, a change request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from hub.core.validation import EARLIEST_DATE, latest_date
from tenants.roles import Role
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle

pytestmark = pytest.mark.api

LATEST = latest_date()
OUTSIDE = [
    pytest.param("9999-01-01", id="year-9999"),
    pytest.param((LATEST + timedelta(days=1)).isoformat(), id="a-day-past-the-window"),
    pytest.param((EARLIEST_DATE - timedelta(days=1)).isoformat(), id="a-day-before-2000"),
]
NOT_DATES = [pytest.param("2026-13-45", id="month-13"), pytest.param("2026-02-30", id="30-february")]


def _refused(response: httpx.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    message: str = errors[0]["message"]
    return message


async def _order_id(client: httpx.AsyncClient, tenant: TenantHandle) -> str:
    await _catalog(client, tenant)
    created = await client.post("/v1/orders", json=_order(), headers=tenant.headers())
    assert created.status_code == 201, created.text
    order_id: str = created.json()["id"]
    return order_id


def test_the_window_is_five_years_ahead_even_from_29_february() -> None:
    assert latest_date(date(2026, 12, 4)) == date(2031, 12, 4)
    assert latest_date(date(2028, 2, 29)) == date(2033, 2, 28)
    assert latest_date() == latest_date(datetime.now(UTC).date())


@pytest.mark.parametrize("sent", [*NOT_DATES, *OUTSIDE])
async def test_an_order_quote_date_outside_the_window_or_not_a_date_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, sent: str
) -> None:
    order_id = await _order_id(client, tenant)
    response = await client.post(f"/v1/orders/{order_id}/landed-cost", json={"date": sent}, headers=tenant.headers())
    message = _refused(response, "date")
    assert sent in message
    history = await client.get(f"/v1/orders/{order_id}/landed-cost", headers=tenant.headers())
    assert history.json() == [], "a refused quote was stored"


@pytest.mark.parametrize("sent", ["20261204", "2026-W49-5", "٢٠٢٦-١٢-٠٤"])
async def test_an_order_quote_date_is_yyyy_mm_dd_only(
    client: httpx.AsyncClient, tenant: TenantHandle, sent: str
) -> None:
    """date.fromisoformat alone also reads the basic and week forms (and other scripts' digits)."""
    order_id = await _order_id(client, tenant)
    response = await client.post(f"/v1/orders/{order_id}/landed-cost", json={"date": sent}, headers=tenant.headers())
    assert "YYYY-MM-DD" in _refused(response, "date")


async def test_an_order_quote_on_the_last_day_of_the_window_is_priced(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    order_id = await _order_id(client, tenant)
    for sent in (LATEST.isoformat(), None):
        body = {"date": sent} if sent else {}
        response = await client.post(f"/v1/orders/{order_id}/landed-cost", json=body, headers=tenant.headers())
        assert response.status_code == 201, response.text


@pytest.mark.parametrize("sent", OUTSIDE)
async def test_a_requested_delivery_date_outside_the_window_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, sent: str
) -> None:
    await _catalog(client, tenant)
    response = await client.post("/v1/orders", json=_order(requested_delivery_date=sent), headers=tenant.headers())
    assert sent in _refused(response, "requested_delivery_date")
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []
    inside = await client.post(
        "/v1/orders", json=_order(requested_delivery_date=LATEST.isoformat()), headers=tenant.headers()
    )
    assert inside.status_code == 201, inside.text


@pytest.mark.parametrize("sent", OUTSIDE)
async def test_a_stock_arrival_outside_the_window_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, sent: str
) -> None:
    await _catalog(client, tenant)
    before = (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json()
    response = await client.put(
        "/v1/stock/TS-RED-M", json={"on_hand": 10, "incoming": 5, "incoming_eta": sent}, headers=tenant.headers()
    )
    assert sent in _refused(response, "incoming_eta")
    assert (await client.get("/v1/stock/TS-RED-M", headers=tenant.headers())).json() == before


@pytest.mark.parametrize("sent", OUTSIDE)
async def test_a_change_request_for_a_date_outside_the_window_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, sent: str
) -> None:
    order_id = await _order_id(client, tenant)
    response = await client.post(
        f"/v1/orders/{order_id}/change-requests",
        json={"kind": "delivery_date", "reason": "the buyer asked", "requested_delivery_date": sent},
        headers=tenant.headers(Role.CLERK),
    )
    assert sent in _refused(response, "requested_delivery_date")
    listed = await client.get(f"/v1/orders/{order_id}/change-requests", headers=tenant.headers())
    assert listed.json() == []


def test_the_console_form_names_the_date_field_too() -> None:
    """The console decodes the same Struct from its change form; the refusal maps to the same field."""
    from hub.console.forms import parse_change_form  # noqa: PLC0415  (a console-internal helper)

    form = {"reason": "the buyer asked", "requested_delivery_date": "9999-01-01"}
    parsed = parse_change_form("delivery_date", form, {}, "en")
    assert parsed.data is None
    assert [e.field for e in parsed.errors] == ["requested_delivery_date"]
