"""Lenient amounts and currencies (issue #17, item 3), refused in the shared parsing of ``hub.core.money``.

``Decimal`` reads "1e5", " 1.00", "1_000" and any script's digits ("١٩.٩٠"), so every amount of the
API took them; ISO 4217 lists metals, funds and test codes (XAU, XTS, XXX) beside currencies, and
orders were priced in them. Each is now a 422 naming the field.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hub.core.money import NOT_TENDER, is_known_currency, is_trade_currency, parse_amount
from tests.api.test_orders import TSHIRT, _catalog, _order
from tests.conftest import TenantHandle

pytestmark = pytest.mark.api

LENIENT = [
    pytest.param("1e5", id="exponent"),
    pytest.param("1E+2", id="exponent-signed"),
    pytest.param(" 1.00", id="leading-space"),
    pytest.param("1.00 ", id="trailing-space"),
    pytest.param("1_000", id="underscore"),
    pytest.param("+1.00", id="plus-sign"),
    pytest.param("١٩.٩٠", id="arabic-indic"),
    pytest.param("۱۹.۹۰", id="persian"),
    pytest.param("１９.９０", id="full-width"),
    pytest.param(".5", id="no-integer-part"),
    pytest.param("5.", id="no-fraction"),
]
NOT_MONEY = [pytest.param(code, id=code) for code in ("XXX", "XAU", "XTS", "XDR", "CLF")]


def _refused(response: httpx.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in fields, fields
    return fields[field]


@pytest.mark.parametrize("raw", LENIENT)
def test_parse_amount_reads_plain_ascii_decimals_only(raw: str) -> None:
    with pytest.raises(ValueError, match="plain decimal number"):
        parse_amount(raw)


def test_parse_amount_still_reads_what_it_should() -> None:
    assert parse_amount("12.34") == Decimal("12.34")
    assert parse_amount("-0.5") == Decimal("-0.5")
    assert parse_amount("007") == Decimal(7)
    assert parse_amount(3) == Decimal(3)
    for raw, message in (("abc", "is not a decimal number"), ("NaN", "finite"), ("1.123456789", "8 decimal")):
        with pytest.raises(ValueError, match=message):
            parse_amount(raw)


def test_only_currencies_goods_are_priced_in_are_trade_currencies() -> None:
    for code in ("EUR", "JPY", "BHD", "XOF", "XAF", "XPF", "XCD"):  # the CFA and CFP francs are money
        assert is_trade_currency(code), code
    for code in NOT_TENDER:
        assert is_known_currency(code), f"{code} is not in ISO 4217: drop it from NOT_TENDER"
        assert not is_trade_currency(code), code


@pytest.mark.parametrize("raw", LENIENT)
async def test_a_product_price_in_a_lenient_form_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, raw: str
) -> None:
    body = {**TSHIRT, "sku": f"P-{uuid.uuid4().hex[:8]}", "unit_price": {"amount": raw, "currency": "EUR"}}
    response = await client.post("/v1/products", json=body, headers=tenant.headers())
    assert "plain decimal" in _refused(response, "unit_price.amount")


@pytest.mark.parametrize("raw", LENIENT)
async def test_order_amounts_in_a_lenient_form_are_a_422_naming_each(
    client: httpx.AsyncClient, tenant: TenantHandle, raw: str
) -> None:
    await _catalog(client, tenant)
    money = {"amount": raw, "currency": "EUR"}
    body = _order(
        shipping=money,
        lines=[
            {"sku": "TS-RED-M", "quantity": 1, "unit_price": money},
            {"sku": "TS-RED-M", "quantity": 1, "discount": {"type": "fixed", "amount": money}},
        ],
        discounts=[{"type": "percent", "value": raw}],
    )
    response = await client.post("/v1/orders", json=body, headers=tenant.headers())
    for field in ("lines[0].unit_price.amount", "lines[1].discount.amount", "discounts[0].value", "shipping.amount"):
        assert "plain decimal" in _refused(response, field), field
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []


@pytest.mark.parametrize("raw", ["1e3", " 5"])
async def test_a_quote_amount_in_a_lenient_form_is_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, raw: str
) -> None:
    body: dict[str, Any] = {
        "destination_country": "DE",
        "currency": "EUR",
        "date": "2026-11-27",
        "shipping": raw,
        "lines": [{"description": "T-shirt", "hs_code": "610910", "quantity": 1, "unit_price": "10"}],
    }
    response = await client.post("/v1/landed-cost/quotes", json=body, headers=tenant.headers())
    assert "plain decimal" in _refused(response, "shipping")


@pytest.mark.parametrize("code", NOT_MONEY)
async def test_prices_in_a_metal_fund_or_test_code_are_a_422(
    client: httpx.AsyncClient, tenant: TenantHandle, code: str
) -> None:
    product = {**TSHIRT, "sku": f"P-{uuid.uuid4().hex[:8]}", "unit_price": {"amount": "1.00", "currency": code}}
    refused = await client.post("/v1/products", json=product, headers=tenant.headers())
    assert code in _refused(refused, "unit_price.currency")
    money = {"amount": "1.00", "currency": code}
    order = _order(currency=code, shipping=None, lines=[{"name": "Gold bar", "quantity": 1, "unit_price": money}])
    response = await client.post("/v1/orders", json=order, headers=tenant.headers())
    assert "not a currency" in _refused(response, "lines[0].unit_price.currency")
    assert (await client.get("/v1/orders", headers=tenant.headers())).json()["items"] == []
