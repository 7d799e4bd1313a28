"""``GET /v1/products/duty-coverage``: which of a seller's products the official schedule prices."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.test_tariff_schedules import QUOTES, gb_quote, line, uk_csv, upload
from tests.conftest import TenantHandle, make_tenant

pytestmark = pytest.mark.api

COVERAGE = "/v1/products/duty-coverage"


async def product(client: httpx.AsyncClient, tenant: TenantHandle, sku: str, hs_code: str | None, **extra: Any) -> None:
    body = {"sku": sku, "name": sku, "unit_price": {"amount": "20.00", "currency": "GBP"}, "hs_code": hs_code, **extra}
    made = await client.post("/v1/products", json=body, headers=tenant.headers())
    assert made.status_code == 201, made.text


@pytest.fixture
async def catalog(client: httpx.AsyncClient, tenant: TenantHandle) -> TenantHandle:
    loaded = await upload(client, tenant, uk_csv())
    assert loaded.status_code == 201, loaded.text
    await product(client, tenant, "TEE-1", "6109100010")
    await product(client, tenant, "TEE-2", "6109100010")
    await product(client, tenant, "TEE-JP", "6109100010", origin_country="JP")
    await product(client, tenant, "TEE-6", "610910")  # every national code under it agrees
    await product(client, tenant, "SHOE-6", "640299")  # national codes under it differ
    await product(client, tenant, "CANDY", "1704909900")  # an agricultural component: not computable
    await product(client, tenant, "LAMP", "9405110000")  # not in the file
    await product(client, tenant, "NOCODE", None)
    return tenant


async def test_each_product_group_says_what_a_quote_would_do(client: httpx.AsyncClient, catalog: TenantHandle) -> None:
    answer = await client.get(COVERAGE, params={"destination": "GB", "date": "2026-11-27"}, headers=catalog.headers())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["schedule"]["source"] == "uk-trade-tariff"
    assert body["schedule"]["revision"].startswith("uk-tariff-2021-01-01")
    assert (body["products"], body["products_without_hs_code"]) == (7, 1)
    lines = {(x["hs_code"], x["origin_country"]): x for x in body["lines"]}
    tees = lines[("6109100010", "CN")]  # the tenant's origin for products that state none
    assert (tees["products"], tees["skus"], tees["status"]) == (2, ["TEE-1", "TEE-2"], "schedule")
    assert (tees["matched_code"], tees["level"], tees["expression"]) == ("6109100010", 10, "12.00 %")
    assert lines[("610910", "CN")]["status"] == "schedule"
    assert lines[("640299", "CN")]["status"] == "ambiguous"
    assert "64029991: 16.90 %" in lines[("640299", "CN")]["detail"]
    assert lines[("1704909900", "CN")]["status"] == "not_computable"
    assert lines[("9405110000", "CN")]["status"] == "no_duty"
    # Japan-origin tees without a claim: the third-country rate, as a quote would charge.
    assert lines[("6109100010", "JP")]["status"] == "schedule"
    assert body["summary"] == {"ambiguous": 1, "no_duty": 1, "not_computable": 1, "schedule": 4}
    # The coverage is what a quote does: the ambiguous code is refused, the national code priced.
    refused = await client.post(QUOTES, json=gb_quote(line("640299")), headers=catalog.headers())
    assert refused.status_code == 422
    priced = await client.post(QUOTES, json=gb_quote(line("6109100010")), headers=catalog.headers())
    assert priced.json()["lines"][0]["duty_match"]["matched_code"] == tees["matched_code"]


async def test_a_claimed_origin_and_a_forced_origin(client: httpx.AsyncClient, catalog: TenantHandle) -> None:
    claimed = await client.get(
        COVERAGE,
        params={"destination": "GB", "date": "2026-11-27", "claim_preferential_origin": "true"},
        headers=catalog.headers(),
    )
    jp = next(x for x in claimed.json()["lines"] if x["origin_country"] == "JP")
    assert (jp["status"], jp["expression"]) == ("preference", "0.00 %")
    forced = await client.get(COVERAGE, params={"destination": "GB", "origin": "jp"}, headers=catalog.headers())
    assert forced.status_code == 200, forced.text
    assert {x["origin_country"] for x in forced.json()["lines"]} == {"JP"}


async def test_no_schedule_for_the_destination_and_bad_parameters(
    client: httpx.AsyncClient, catalog: TenantHandle
) -> None:
    us = await client.get(COVERAGE, params={"destination": "US"}, headers=catalog.headers())
    assert us.status_code == 200, us.text
    assert (us.json()["schedule"], us.json()["lines"], us.json()["products"]) == (None, [], 7)
    for params, field in (
        ({}, "destination"),
        ({"destination": "XX"}, "destination"),
        ({"destination": "GB", "origin": "Chinaa"}, "origin"),
        ({"destination": "GB", "date": "2026-13-45"}, "date"),
        ({"destination": "GB", "date": "9999-01-01"}, "date"),
    ):
        bad = await client.get(COVERAGE, params=params, headers=catalog.headers())
        assert bad.status_code == 422, (params, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in bad.json()["errors"]] == [field], params


async def test_another_tenant_sees_neither_the_products_nor_the_schedule(
    client: httpx.AsyncClient, catalog: TenantHandle
) -> None:
    other = await make_tenant()
    answer = await client.get(COVERAGE, params={"destination": "GB"}, headers=other.headers())
    assert answer.status_code == 200
    assert (answer.json()["products"], answer.json()["schedule"], answer.json()["lines"]) == (0, None, [])
