"""Landed-cost quotes over HTTP: published examples, storage, tenancy, roles, tenant data, bad input."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from customs.controllers import ECB_MAX_BYTES, TARIFF_ROWS_MAX_BYTES
from customs.fx import ECB_SOURCE
from customs.tenant_data import MAX_ROWS_PER_UPLOAD
from hub.core.database import fetch, tenant_tx
from tenants.roles import Role
from tests.conftest import TenantHandle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "customs"
QUOTES = "/v1/landed-cost/quotes"
LINE = {"hs_code": "610910", "quantity": 1, "unit_price": "100.00"}


def body(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "origin_country": "CN",
        "ship_from_country": "CN",
        "destination_country": "DE",
        "destination_region": None,
        "currency": "EUR",
        "incoterm": "DAP",
        "transport_mode": "courier",
        "date": "2026-11-27",
        "shipping": "0",
        "insurance": "0",
        "lines": [LINE],
    }
    base.update(fields)
    return base


E1 = body(
    destination_country="AU",
    origin_country="US",
    ship_from_country="US",
    currency="USD",
    shipping="118.30",
    fx_rates={"AUD/USD": "0.9100"},
    lines=[{"description": "Electric sound amplifier", "hs_code": "851840", "unit_price": "1274.00", "duty_rate": "5"}],
)
E8 = body(
    destination_country="US",
    currency="USD",
    shipping="200",
    insurance="10",
    lines=[{"description": "Set of golf clubs", "hs_code": "950631", "quantity": 1, "unit_price": "600"}],
)
E8_MPF_ROW = {
    "type": "fee",
    "id": "tenant-us-express-mpf",
    "destination": "US",
    "code": "MPF",
    "kind": "flat",
    "currency": "USD",
    "amount": "1.00",
    "entry": "informal",
    "transport_modes": ["courier"],
    "valid_from": "2026-10-01",
    "source": "DutyCalculator Help Center Example 1 (pre-2025)",
}


async def post_quote(
    client: httpx.AsyncClient, tenant: TenantHandle, payload: Any, role: Role = Role.CLERK, **headers: str
) -> httpx.Response:
    return await client.post(QUOTES, json=payload, headers=tenant.headers(role, **headers))


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json().get("errors", [])]


# -- CUSTOMS-RULES.md section 2, through the route ------------------------------------------------


async def test_e1_australia_amplifier(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await post_quote(client, tenant, E1)
    assert response.status_code == 201, response.text
    quote = response.json()
    uuid.UUID(quote["id"])
    assert quote["destination_country"] == "AU"
    assert quote["currency"] == "AUD"
    assert quote["customs_value"] == {"amount": "1400.00", "currency": "AUD"}
    assert quote["duty_total"]["amount"] == "70.00"
    assert [(t["code"], t["rate"], t["base"]["amount"], t["amount"]["amount"]) for t in quote["taxes"]] == [
        ("GST", "10", "1600.00", "160.00")
    ]
    assert Decimal(quote["duty_total"]["amount"]) + Decimal(quote["tax_total"]["amount"]) == Decimal("230.00")
    assert quote["lines"][0]["hs_code"] == "851840"
    assert quote["payer"] == "buyer"
    assert quote["rules_version"].startswith("starter-")
    assert quote["explanation"]


async def test_e5_canada_cbsa(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    payload = body(
        destination_country="CA",
        destination_region="AB",
        currency="USD",
        fx_rates={"USD/CAD": "1.15"},
        lines=[{"hs_code": "950631", "quantity": 1, "unit_price": "100", "duty_rate": "4"}],
    )
    response = await post_quote(client, tenant, payload)
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["customs_value"]["amount"] == "115.00"
    assert quote["duty_total"]["amount"] == "4.60"
    assert [(t["code"], t["base"]["amount"], t["amount"]["amount"]) for t in quote["taxes"]] == [
        ("GST", "119.60", "5.98")
    ]


async def test_e8_us_golf_clubs_with_tenant_fee_row_for_that_tenant_only(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    loaded = await client.post("/v1/tariff-rows", json=[E8_MPF_ROW], headers=tenant.headers(Role.ADMIN))
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["items"][0]["row"]["status"] == "tenant"
    assert "+tenant-" in loaded.json()["rules_version"]

    response = await post_quote(client, tenant, E8)
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["customs_value"]["amount"] == "600.00"
    assert quote["lines"][0]["duty_rate"] == "4.4"
    assert quote["duty_total"]["amount"] == "26.40"
    assert [(f["code"], f["amount"]["amount"]) for f in quote["fees"]] == [("MPF", "1.00")]
    assert quote["landed_cost_total"] == {"amount": "837.40", "currency": "USD"}
    assert quote["rules_version"] == loaded.json()["rules_version"]

    other = (await post_quote(client, other_tenant, E8)).json()
    assert [(f["code"], f["amount"]["amount"]) for f in other["fees"]] == [("MPF", "1.34")]
    assert other["rules_version"].startswith("starter-")
    assert "+tenant-" not in other["rules_version"]

    listed = await client.get("/v1/tariff-rows", headers=tenant.headers(Role.VIEWER))
    assert [item["row_id"] for item in listed.json()["items"]] == ["tenant-us-express-mpf"]
    assert (await client.get("/v1/tariff-rows", headers=other_tenant.headers())).json()["items"] == []


async def test_tenant_duty_override_replaces_a_starter_rate(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """A tenant row for an HS code the starter set lacks turns a 422 into a quote, for that tenant only."""
    payload = body(lines=[{"hs_code": "999999", "quantity": 1, "unit_price": "200"}])
    before = await post_quote(client, tenant, payload)
    assert before.status_code == 422
    assert problem_fields(before) == ["lines[0].hs_code"]
    row = {
        "type": "duty",
        "id": "ruling-999999",
        "destination": "EU",
        "hs_prefix": "999999",
        "kind": "ad_valorem",
        "rate": "7.5",
        "valid_from": "2026-01-01",
        "source": "BTI DE-1234/26",
    }
    assert (await client.post("/v1/tariff-rows", json=[row], headers=tenant.headers())).status_code == 201
    after = await post_quote(client, tenant, payload)
    assert after.status_code == 201, after.text
    assert after.json()["lines"][0]["duty_rate"] == "7.5"
    assert after.json()["duty_total"]["amount"] == "15.00"


# -- storage, tenancy, roles -----------------------------------------------------------------------


async def test_stored_quote_is_readable_and_immutable(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    created = (await post_quote(client, tenant, E1)).json()
    fetched = await client.get(f"{QUOTES}/{created['id']}", headers=tenant.headers(Role.VIEWER))
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert created["created_by"].startswith("user:")  # the owner key's person

    async with tenant_tx(tenant.id):
        rows = await fetch(
            "SELECT request, landed_cost_total, rules_version FROM landed_cost_quotes WHERE id = {}",
            uuid.UUID(created["id"]),
        )
    assert rows[0]["landed_cost_total"] == Decimal(created["landed_cost_total"]["amount"])
    assert '"851840"' in rows[0]["request"]

    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_tx(tenant.id):
            await fetch("UPDATE landed_cost_quotes SET landed_cost_total = 0 WHERE id = {}", uuid.UUID(created["id"]))
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_tx(tenant.id):
            await fetch("DELETE FROM landed_cost_quotes WHERE id = {}", uuid.UUID(created["id"]))
    again = await client.get(f"{QUOTES}/{created['id']}", headers=tenant.headers())
    assert again.json()["landed_cost_total"] == created["landed_cost_total"]


async def test_other_tenant_gets_404(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    created = (await post_quote(client, tenant, E1)).json()
    response = await client.get(f"{QUOTES}/{created['id']}", headers=other_tenant.headers())
    assert response.status_code == 404
    assert problem_fields(response) == []
    assert (await client.get(f"{QUOTES}/not-a-uuid", headers=tenant.headers())).status_code == 404
    assert (await client.get(f"{QUOTES}/{uuid.uuid4()}", headers=tenant.headers())).status_code == 404


async def test_roles(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    assert (await post_quote(client, tenant, E1, Role.VIEWER)).status_code == 403
    assert (await post_quote(client, tenant, E1, Role.APPROVER)).status_code == 403
    assert (await client.post(QUOTES, json=E1)).status_code == 401
    clerk_row = await client.post("/v1/tariff-rows", json=[E8_MPF_ROW], headers=tenant.headers(Role.CLERK))
    assert clerk_row.status_code == 403
    rate = {"base": "USD", "quote": "AUD", "rate": "1.5", "date": "2026-11-27"}
    assert (await client.post("/v1/fx-rates", json=rate, headers=tenant.headers(Role.CLERK))).status_code == 403
    assert (await client.get("/v1/fx-rates", headers=tenant.headers(Role.VIEWER))).status_code == 200


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    first = await post_quote(client, tenant, E1, **{"Idempotency-Key": "q-1"})
    second = await post_quote(client, tenant, E1, **{"Idempotency-Key": "q-1"})
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    other = await post_quote(client, tenant, {**E1, "shipping": "1.00"}, **{"Idempotency-Key": "q-1"})
    assert other.status_code == 409


# -- FX: manual and ECB ----------------------------------------------------------------------------


async def test_manual_fx_rate_is_used(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    payload = {**E1, "fx_rates": None}
    missing = await post_quote(client, tenant, payload)
    assert missing.status_code == 422
    assert problem_fields(missing) == ["fx_rates"]

    rate = {"base": "AUD", "quote": "USD", "rate": "0.9100", "date": "2026-11-25", "source": "broker sheet 25 Nov"}
    stored = await client.post("/v1/fx-rates", json=rate, headers=tenant.headers())
    assert stored.status_code == 201, stored.text
    assert stored.json()["rate"] == "0.9100"

    response = await post_quote(client, tenant, payload)
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["customs_value"]["amount"] == "1400.00"
    assert [(f["pair"], f["rate"], f["as_of"], f["source"]) for f in quote["fx"]] == [
        ("AUD/USD", "0.9100", "2026-11-25", "broker sheet 25 Nov")
    ]
    listed = (await client.get("/v1/fx-rates", params={"base": "AUD"}, headers=tenant.headers())).json()
    assert [item["quote"] for item in listed["items"]] == ["USD"]


async def test_the_rate_keyed_in_last_wins_on_the_same_day(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Two keyed-in rates for one pair and day, from different sources: the clerk's latest figure is
    used (the alphabetically last source won: "broker" over "another broker (corrected)")."""
    payload = {**E1, "fx_rates": None}
    rate = {"base": "AUD", "quote": "USD", "date": "2026-11-25"}
    for figure, source in [("0.8000", "broker"), ("0.9100", "another broker (corrected)")]:
        stored = await client.post(
            "/v1/fx-rates", json={**rate, "rate": figure, "source": source}, headers=tenant.headers()
        )
        assert stored.status_code == 201, stored.text
    quote = (await post_quote(client, tenant, payload)).json()
    assert [(f["rate"], f["source"]) for f in quote["fx"]] == [("0.9100", "another broker (corrected)")]
    assert quote["customs_value"]["amount"] == "1400.00"
    # Keyed in again under its first source, the figure is the latest again.
    again = {**rate, "rate": "0.9200", "source": "broker"}
    assert (await client.post("/v1/fx-rates", json=again, headers=tenant.headers())).status_code == 201
    quote = (await post_quote(client, tenant, payload)).json()
    assert [(f["rate"], f["source"]) for f in quote["fx"]] == [("0.9200", "broker")]


async def test_ecb_import_is_used(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    xml = (FIXTURES / "ecb_eurofxref_daily.xml").read_bytes()
    imported = await client.post(
        "/v1/fx-rates/ecb", content=xml, headers=tenant.headers(**{"Content-Type": "application/xml"})
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["dates"] == ["2026-11-18"]
    assert imported.json()["imported"] >= 6

    payload = body(
        destination_country="AU",
        currency="EUR",
        date="2026-11-20",
        lines=[{"hs_code": "851840", "quantity": 1, "unit_price": "500.00"}],
    )
    response = await post_quote(client, tenant, payload)
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["goods_total"]["amount"] == "800.00"  # 500 x 1.6000
    assert quote["fx"][0]["source"] == ECB_SOURCE
    assert quote["fx"][0]["as_of"] == "2026-11-18"


async def test_bad_fx_input(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    bad_rate = {"base": "USD", "quote": "AUD", "rate": 1.5, "date": "2026-11-27"}
    response = await client.post("/v1/fx-rates", json=bad_rate, headers=tenant.headers())
    assert response.status_code == 422
    assert problem_fields(response) == ["rate"]
    unknown = {"base": "USX", "quote": "AUD", "rate": "-1", "date": "2026-11-27"}
    response = await client.post("/v1/fx-rates", json=unknown, headers=tenant.headers())
    assert set(problem_fields(response)) == {"base", "rate"}
    response = await client.post("/v1/fx-rates/ecb", content=b"<not-xml", headers=tenant.headers())
    assert response.status_code == 422
    assert problem_fields(response) == ["body"]
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    assert (await client.post("/v1/fx-rates/ecb", content=doctype, headers=tenant.headers())).status_code == 422
    huge = b"<x>" + b" " * 1_100_000 + b"</x>"
    response = await client.post("/v1/fx-rates/ecb", content=huge, headers=tenant.headers())
    assert response.status_code == 413


VALID = {"valid_from": "2026-01-01", "source": "broker schedule"}
DUTY_ROW = {"type": "duty", "id": "d", "destination": "US", "hs_prefix": "950631", "kind": "ad_valorem", **VALID}
US_DESTINATION_ROW = {"type": "destination", "id": "z", "country": "US", "rules": "us", "currency": "USD", **VALID}
CA_HST_ROW = {"type": "tax", "id": "ca-on", "destination": "CA", "code": "HST", "rate": "13", "region": "ON", **VALID}


async def test_bad_tariff_rows(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    cases: list[tuple[Any, str]] = [
        ([{**E8_MPF_ROW, "amount": "abc"}], "[0].amount"),
        ([E8_MPF_ROW, {**E8_MPF_ROW, "type": "nonsense"}], "[1].type"),
        ([E8_MPF_ROW, {**E8_MPF_ROW, "currency": "XYZ", "id": "x2"}], "[1].currency"),
        ([{**E8_MPF_ROW, "valid_to": "2026-01-01"}], "[0].valid_to"),
        ([E8_MPF_ROW, E8_MPF_ROW], "[1].id"),
        ([], "body"),
        ({"rows": []}, "body"),
        # Not a number, or one too large to round: a 500 at load, or at every later quote.
        ([{**E8_MPF_ROW, "kind": "ad_valorem", "amount": None, "rate": "NaN"}], "[0].rate"),
        ([{**E8_MPF_ROW, "amount": "1e400"}], "[0].amount"),
        ([{**E8_MPF_ROW, "kind": "ad_valorem", "amount": None, "rate": "1", "minimum": "sNaN"}], "[0].minimum"),
        ([{**DUTY_ROW, "kind": "specific", "amount": "1e30", "per": "kg", "currency": "USD"}], "[0].amount"),
        ([{**DUTY_ROW, "rate": "Infinity"}], "[0].rate"),
        ([{"type": "tax", "id": "t", "destination": "GB", "code": "VAT", "rate": "NaN", **VALID}], "[0].rate"),
        # Two letters that name no country: such rows were stored and never used.
        ([{**DUTY_ROW, "destination": "ZZ"}], "[0].destination"),
        ([E8_MPF_ROW, {**DUTY_ROW, "destination": "XX"}], "[1].destination"),
        ([{**US_DESTINATION_ROW, "country": "ZZ"}], "[0].country"),
        # A Canadian tax row for a region that is no province or territory never matched a quote.
        ([{**CA_HST_ROW, "region": "XX"}], "[0].region"),
        ([{**CA_HST_ROW, "region": "on"}], "[0].region"),
    ]
    for payload, field in cases:
        response = await client.post("/v1/tariff-rows", json=payload, headers=tenant.headers())
        assert response.status_code == 422, (payload, response.text)
        assert field in problem_fields(response), (field, response.json())
    malformed = await client.post("/v1/tariff-rows", content=b"[{", headers=tenant.headers())
    assert malformed.status_code == 400
    assert (await client.get("/v1/tariff-rows", headers=tenant.headers())).json()["items"] == []
    assert (await post_quote(client, tenant, E8)).status_code == 201


async def test_a_schedule_of_the_most_rows_loads_and_a_larger_body_is_refused_with_the_limit(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """MAX_ROWS_PER_UPLOAD rows of a real schedule are more than the API's general body limit (1 MiB,
    256 KiB here): such a load was refused with a bare "Request Entity Too Large"."""
    rows = [
        {
            **DUTY_ROW,
            "id": f"broker-us-{i:06d}",
            "hs_prefix": f"{i:06d}",
            "rate": "4.4",
            "origin_not_in": ["CA", "MX"],
            "note": "HTSUS general rate, column 1; confirm special programmes with the broker",
            "source": "Broker schedule US-2026-11, sheet 'General', confirmed 27 Nov 2026",
        }
        for i in range(MAX_ROWS_PER_UPLOAD)
    ]
    raw = json.dumps(rows).encode()
    assert len(raw) > 1_048_576
    loaded = await client.post("/v1/tariff-rows", content=raw, headers=tenant.headers())
    assert loaded.status_code == 201, loaded.text[:300]
    assert len(loaded.json()["items"]) == MAX_ROWS_PER_UPLOAD

    huge = await client.post("/v1/tariff-rows", content=b"[" + b" " * 50_000_000 + b"]", headers=tenant.headers())
    assert huge.status_code == 413
    assert problem_fields(huge) == ["body"]
    assert f"{TARIFF_ROWS_MAX_BYTES} bytes" in huge.json()["detail"]
    ecb = await client.post("/v1/fx-rates/ecb", content=b" " * (ECB_MAX_BYTES + 1), headers=tenant.headers())
    assert ecb.status_code == 413
    assert f"{ECB_MAX_BYTES} bytes" in ecb.json()["detail"]


# -- bad quote input: precise problems, never a 500 ------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (body(lines=[{**LINE, "hs_code": "999999", "unit_price": "200"}]), 422, "lines[0].hs_code"),
        (body(lines=[LINE, {**LINE, "hs_code": "12AB"}]), 422, "lines[1].hs_code"),
        (body(destination_country="XX"), 422, "destination_country"),
        (body(destination_country="CA", currency="CAD", destination_region="XX"), 422, "destination_region"),
        (body(destination_country="CA", currency="CAD", destination_region="on"), 422, "destination_region"),
        (body(destination_country="BR"), 422, "destination_country"),
        (body(lines=[{**LINE, "origin_country": "QQ"}]), 422, "lines[0].origin_country"),
        (body(currency="USD"), 422, "fx_rates"),
        (body(currency="EUX"), 422, "currency"),
        (body(date="2019-06-01"), 422, "date"),
        (body(date="2026-13-40"), 422, "date"),
        (body(lines=[{**LINE, "unit_price": 9.99}]), 422, "lines[0].unit_price"),
        (body(shipping=12.5), 422, "shipping"),
        (body(lines=[{**LINE, "quantity": "two"}]), 422, "lines[0].quantity"),
        (body(lines=[{**LINE, "quantity": 0}]), 422, "lines[0].quantity"),
        (body(lines=[LINE] * 1001), 422, "lines"),
        # A rate or a consignment too large to round used to end in a 500.
        (body(currency="USD", fx_rates={"USD/EUR": "1e400"}), 422, "fx_rates"),
        (body(currency="USD", fx_rates={"USD/EUR": "0.0000000001"}), 422, "fx_rates"),
        (
            body(
                currency="USD",
                fx_rates={"USD/EUR": "1000000"},
                lines=[{**LINE, "unit_price": "999999999999999", "quantity": 1_000_000}],
            ),
            422,
            "lines",
        ),
        (body(lines=[{**LINE, "unit_price": "600000000000000"}] * 2), 422, "lines"),
        (body(lines=[]), 422, "lines"),
        # What the CN buyer already used this year is refused when unreadable, never read as CNY 0.
        (body(destination_country="CN", currency="CNY", cbec_annual_used="-1"), 422, "cbec_annual_used"),
        (body(destination_country="CN", currency="CNY", cbec_annual_used="abc"), 422, "cbec_annual_used"),
        ({"currency": "EUR"}, 422, ""),
        ([1, 2], 422, "body"),
    ],
)
async def test_bad_quote_input_is_named(
    client: httpx.AsyncClient, tenant: TenantHandle, payload: Any, status: int, field: str
) -> None:
    response = await post_quote(client, tenant, payload)
    assert response.status_code == status, response.text
    fields = problem_fields(response)
    assert fields, response.json()
    if field:
        assert field in fields, response.json()


async def test_cn_quote_without_annual_use_says_what_it_assumed(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """CUSTOMS-RULES.md 1.9: the CBEC rates apply within CNY 26,000 per year. Without
    ``cbec_annual_used`` the quote assumes CNY 0 already used, the most favourable case, and says so
    in the verdict and the explanation; with it, the same order is quoted as fact."""
    cn = body(destination_country="CN", currency="CNY", lines=[{**LINE, "hs_code": "851840"}])
    assumed = await post_quote(client, tenant, cn)
    assert assumed.status_code == 201, assumed.text
    doc = assumed.json()
    assert "assuming CNY 0 already used this year (cbec_annual_used not sent)" in doc["de_minimis"]["rule"]
    assert any(
        "most favourable case, not a fact" in s and "at most CNY 25900.00 this year" in s for s in doc["explanation"]
    )
    assert [(t["amount"]["amount"], t["collected_at"]) for t in doc["taxes"]] == [("9.10", "border")]
    stated = (await post_quote(client, tenant, {**cn, "cbec_annual_used": "25900"})).json()
    assert "cbec_annual_used not sent" not in stated["de_minimis"]["rule"]
    assert not any("cbec_annual_used not sent" in s for s in stated["explanation"])
    assert stated["taxes"] == doc["taxes"]
    over = (await post_quote(client, tenant, {**cn, "cbec_annual_used": "25900.01"})).json()
    assert over["de_minimis"]["rule"].startswith("annual total 26000.01 > CNY 26000: treated as general trade")
    assert [(t["rate"], t["amount"]["amount"]) for t in over["taxes"]] == [("13", "14.04")]


async def test_ten_thousand_lines_and_malformed_json(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    huge = await post_quote(client, tenant, body(lines=[LINE] * 10_000))
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("application/problem+json")
    malformed = await client.post(QUOTES, content=b'{"lines": [', headers=tenant.headers(Role.CLERK))
    assert malformed.status_code == 400
    assert problem_fields(malformed) == ["body"]
    async with tenant_tx(tenant.id):
        assert (await fetch("SELECT count(*) AS n FROM landed_cost_quotes"))[0]["n"] == 0


async def test_routes_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    for path in ("/v1/landed-cost/quotes", "/v1/landed-cost/quotes/{quote_id}", "/v1/tariff-rows", "/v1/fx-rates"):
        assert path in document["paths"], path
    assert "/v1/fx-rates/ecb" in document["paths"]
    quote_body = document["paths"]["/v1/landed-cost/quotes"]["post"]["requestBody"]["content"]["application/json"]
    assert "lines" in quote_body["schema"]["required"]
    assert quote_body["schema"]["properties"]["lines"]["items"]["properties"]["hs_code"]["type"] == "string"


async def test_rows_of_equal_rank_are_refused_and_nothing_is_loaded(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Two base duty rows the engine ranks the same (prefix, priority as laid over the starter set,
    origin-specific or not, valid_from) and that can both apply were resolved by load order."""
    a = {**DUTY_ROW, "id": "a", "rate": "4.4", "origin_in": ["CN", "VN"]}
    b = {**DUTY_ROW, "id": "b", "hs_prefix": "9506.31", "rate": "6", "origin_in": ["CN"], "priority": 50}
    refused = await client.post("/v1/tariff-rows", json=[a, b], headers=tenant.headers())
    assert refused.status_code == 422, refused.text
    assert "[1]" in problem_fields(refused), refused.json()
    assert "[0] (id 'a')" in refused.text
    assert (await client.get("/v1/tariff-rows", headers=tenant.headers())).json()["items"] == []

    # What the ranking tells apart loads: another priority, another valid_from, disjoint origins,
    # an additional layer (all additional rows apply).
    apart = [
        {**a, "id": "p", "priority": 101},
        {**a, "id": "v", "valid_from": "2026-02-01"},
        {**a, "id": "o", "origin_in": ["US"]},
        {**a, "id": "l", "layer": "additional"},
    ]
    for row in apart:
        loaded = await client.post("/v1/tariff-rows", json=[a, row], headers=tenant.headers())
        assert loaded.status_code == 201, (row, loaded.text)

    # A clash with a row already stored for the tenant names it by id; the upload is not stored.
    stored_clash = await client.post(
        "/v1/tariff-rows", json=[{**a, "id": "later", "rate": "9"}], headers=tenant.headers()
    )
    assert stored_clash.status_code == 422, stored_clash.text
    assert "[0]" in problem_fields(stored_clash)
    assert "stored row 'a'" in stored_clash.text
    ids = {item["row_id"] for item in (await client.get("/v1/tariff-rows", headers=tenant.headers())).json()["items"]}
    assert "later" not in ids
    # Replacing the stored row itself (same id) is no clash.
    replaced = await client.post("/v1/tariff-rows", json=[{**a, "rate": "5"}], headers=tenant.headers())
    assert replaced.status_code == 201, replaced.text


async def test_real_destinations_the_eu_and_canadian_provinces_load(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    rows = [
        {**DUTY_ROW, "id": "eu", "destination": "EU", "hs_prefix": "610910", "rate": "12"},
        {**DUTY_ROW, "id": "br", "destination": "BR", "rate": "20"},
        CA_HST_ROW,
        {**CA_HST_ROW, "id": "ca-yt", "code": "GST", "rate": "5", "region": "YT"},
    ]
    loaded = await client.post("/v1/tariff-rows", json=rows, headers=tenant.headers())
    assert loaded.status_code == 201, loaded.text


async def test_a_rate_from_before_the_reference_date_says_there_was_none_on_it(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A holiday: no rate on the quote's reference date, the latest earlier one within the maximum
    age is used. The explanation showed both dates but never said there was no rate on the first."""
    payload = {**E1, "fx_rates": None}
    rate = {"base": "AUD", "quote": "USD", "rate": "0.9100", "date": "2026-11-25", "source": "broker sheet 25 Nov"}
    assert (await client.post("/v1/fx-rates", json=rate, headers=tenant.headers())).status_code == 201
    quote = (await post_quote(client, tenant, payload)).json()
    assert quote["customs_value"]["amount"] == "1400.00"
    said = "\n".join(quote["explanation"])
    assert "no AUD/USD rate on the reference date 2026-11-27" in said, said
    assert "2026-11-25" in said

    # A rate on the reference date itself, or a per-quote override: nothing of the kind is said.
    on_day = {**rate, "date": "2026-11-27", "source": "broker sheet 27 Nov"}
    assert (await client.post("/v1/fx-rates", json=on_day, headers=tenant.headers())).status_code == 201
    for body_ in (payload, E1):
        said = "\n".join((await post_quote(client, tenant, body_)).json()["explanation"])
        assert "no AUD/USD rate on the reference date" not in said, said
