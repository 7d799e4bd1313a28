"""Official tariff schedules over HTTP: a tenant's upload, quotes priced from it, bad files, the walls.

The UK file here has the columns of the Department for Business and Trade's bulk CSV
(``measures-on-declarable-commodities``); its rates are composed for the tests (the real 6109 10 00
rate is 12 %, the UK-Japan CEPA rate 0 %).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.core.database import fetch, tenant_tx
from tenants.roles import Role
from tests.conftest import TenantHandle, make_tenant

pytestmark = pytest.mark.api

SCHEDULES = "/v1/tariff-schedules"
QUOTES = "/v1/landed-cost/quotes"
UK_FILE = "uk-tariff-2021-01-01--v4.0.1527--measures-on-declarable-commodities.csv"
US_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "customs" / "schedules" / "us"
HEADER = [
    "commodity__code",
    "commodity__description",
    "measure__sid",
    "measure__type__id",
    "measure__type__description",
    "measure__duty_expression",
    "measure__effective_start_date",
    "measure__effective_end_date",
    "measure__geographical_area__id",
    "measure__geographical_area__description",
    "measure__excluded_geographical_areas__ids",
]
# Each row: code, measure sid, measure type, duty expression, geographical area, excluded areas.
UK_ROWS: list[tuple[str, int, str, str, str, str]] = [
    ("6109100010", 1, "103", "12.00 %", "1011", ""),
    ("6109100010", 2, "142", "0.00 %", "JP", ""),
    ("6109100010", 3, "305", "20.00 %", "1011", ""),
    ("6109100090", 1, "103", "12.00 %", "1011", ""),
    ("6109100090", 2, "142", "0.00 %", "JP", ""),
    ("6402999100", 5, "103", "16.90 %", "1011", ""),
    ("6402999800", 6, "103", "4.00 %", "1011", ""),
    ("1806100000", 7, "103", "2.00 % + 37.80 GBP / 100 kg", "1011", ""),
    ("1704909900", 8, "103", "4.50 % + EA MAX 18.70 % + ADSZ", "1011", ""),
]


def uk_csv(rows: list[tuple[str, int, str, str, str, str]] = UK_ROWS, *, start: str = "2021-01-01") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for code, sid, type_id, expression, area, excluded in rows:
        writer.writerow([code, f"goods {code}", sid, type_id, "", expression, start, "#NA", area, "", excluded])
    return out.getvalue().encode()


async def upload(
    client: httpx.AsyncClient,
    tenant: TenantHandle,
    data: bytes,
    *,
    source: str = "uk-trade-tariff",
    name: str = UK_FILE,
) -> httpx.Response:
    return await client.post(
        SCHEDULES,
        params={"source": source, "file_name": name},
        content=data,
        headers=tenant.headers(Role.ADMIN, **{"content-type": "text/csv"}),
    )


def gb_quote(*lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "origin_country": "CN",
        "ship_from_country": "CN",
        "destination_country": "GB",
        "currency": "GBP",
        "incoterm": "DAP",
        "transport_mode": "courier",
        "date": "2026-11-27",
        "shipping": "0",
        "lines": list(lines),
        **fields,
    }


def line(hs_code: str, price: str = "200.00", **fields: Any) -> dict[str, Any]:
    return {"hs_code": hs_code, "quantity": 1, "unit_price": price, "origin_country": "CN", **fields}


@pytest.fixture
async def uk_tenant(client: httpx.AsyncClient, tenant: TenantHandle) -> TenantHandle:
    loaded = await upload(client, tenant, uk_csv())
    assert loaded.status_code == 201, loaded.text
    return tenant


async def test_upload_reports_every_row(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    loaded = await upload(client, tenant, uk_csv())
    assert loaded.status_code == 201, loaded.text
    report = loaded.json()
    assert report["source"] == "uk-trade-tariff"
    assert report["destination"] == "GB"
    assert report["scope"] == "tenant"
    assert report["revision"] == "uk-tariff-2021-01-01 v4.0.1527 measures-on-declarable-commodities"
    assert report["valid_from"] == "2021-01-01"
    assert report["rows_read"] == len(UK_ROWS)
    assert report["measures_loaded"] == len(UK_ROWS) - 1  # the VAT row is not a duty
    assert [(s["row"], s["code"]) for s in report["skipped"]] == [(4, "6109100010")]
    assert "305" in report["skipped"][0]["reason"] or "VAT" in report["skipped"][0]["reason"]
    assert report["uncomputable_count"] == 1
    assert report["uncomputable"][0]["code"] == "17049099"  # trailing 00 pairs: the level it denotes
    assert report["uncomputable"][0]["row"] == 10
    assert len(report["file_sha256"]) == 64
    listed = await client.get(SCHEDULES, headers=tenant.headers(Role.VIEWER))
    assert [s["id"] for s in listed.json()["items"] if s["scope"] == "tenant"] == [report["schedule_id"]]
    one = await client.get(f"{SCHEDULES}/{report['schedule_id']}", headers=tenant.headers(Role.VIEWER))
    assert one.json()["active"] is True
    measures = await client.get(
        f"{SCHEDULES}/{report['schedule_id']}/measures", params={"code": "610910"}, headers=tenant.headers()
    )
    assert measures.status_code == 200, measures.text
    assert {(m["code"], m["measure_type"], m["expression"]) for m in measures.json()} == {
        ("6109100010", "third_country", "12.00 %"),
        ("6109100010", "preferential", "0.00 %"),
        ("6109100090", "third_country", "12.00 %"),
        ("6109100090", "preferential", "0.00 %"),
    }


async def test_a_full_national_code_quotes_from_the_schedule_naming_source_and_level(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    quoted = await client.post(QUOTES, json=gb_quote(line("6109100010")), headers=uk_tenant.headers())
    assert quoted.status_code == 201, quoted.text
    quote = quoted.json()
    (priced,) = quote["lines"]
    assert priced["duty"] == {"amount": "24.00", "currency": "GBP"}
    assert priced["duty_rate"] == "12"
    assert priced["duty_rate_source"] == "schedule"
    match = priced["duty_match"]
    assert (match["matched_code"], match["level"]) == ("6109100010", 10)
    # The schedule is listed once per quote, dated and sourced; each line names it by id.
    (used,) = quote["schedules"]
    assert used["id"] == match["schedule_id"]
    assert (used["source"], used["title"], used["scope"]) == ("uk-trade-tariff", "UK Trade Tariff", "tenant")
    assert used["revision"] == "uk-tariff-2021-01-01 v4.0.1527 measures-on-declarable-commodities"
    assert used["valid_from"] == "2021-01-01"
    assert len(used["file_sha256"]) == 64
    assert used["file_name"].endswith(".csv")
    assert "matched at 10 digits (6109100010)" in priced["duty_basis"]
    assert priced["duty_basis"].startswith("UK Trade Tariff, matched at")
    # A measure id is the source's and the code's; duty_match names the schedule (and its revision).
    assert priced["measure_ids"]
    assert all(m.startswith("uk-trade-tariff:6109100010#") for m in priced["measure_ids"])
    named = [
        t for t in quote["explanation"] if t.startswith("duties from UK Trade Tariff revision uk-tariff-2021-01-01")
    ]
    assert len(named) == 1, quote["explanation"]
    assert "valid from 2021-01-01, uploaded by this tenant" in named[0]
    assert "file row 2" in priced["duty_basis"]
    assert not any("preferential rate exists for origin" in text for text in quote["explanation"])


async def test_six_digits_quote_when_every_national_code_agrees_and_are_refused_when_not(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    agreed = await client.post(QUOTES, json=gb_quote(line("6109.10")), headers=uk_tenant.headers())
    assert agreed.status_code == 201, agreed.text
    assert agreed.json()["lines"][0]["duty"]["amount"] == "24.00"
    assert any("2 national code(s) under it" in text for text in agreed.json()["explanation"])
    differ = await client.post(QUOTES, json=gb_quote(line("640299")), headers=uk_tenant.headers())
    assert differ.status_code == 422, differ.text
    (error,) = differ.json()["errors"]
    assert error["field"] == "lines[0].hs_code"
    # Codes are named at the level they denote: 6402999100 is CN8 64029991 (trailing "00" pairs).
    assert "64029991: 16.90 %" in error["message"]
    assert "64029998: 4.00 %" in error["message"]


async def test_a_preference_applies_only_when_origin_is_claimed(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    japanese = line("6109100010", origin_country="JP")
    unclaimed = await client.post(QUOTES, json=gb_quote(japanese), headers=uk_tenant.headers())
    assert unclaimed.status_code == 201, unclaimed.text
    assert unclaimed.json()["lines"][0]["duty"]["amount"] == "24.00"
    assert any("not applied: the request does not claim" in t for t in unclaimed.json()["explanation"])
    claimed = await client.post(
        QUOTES, json=gb_quote(japanese, claim_preferential_origin=True), headers=uk_tenant.headers()
    )
    assert claimed.status_code == 201, claimed.text
    priced = claimed.json()["lines"][0]
    assert priced["duty"]["amount"] == "0.00"
    assert priced["duty_match"]["preference"] is not None
    assert any("preferential origin JP claimed" in t for t in claimed.json()["explanation"])
    # A Chinese origin claims nothing it has no measure for.
    chinese = await client.post(
        QUOTES, json=gb_quote(line("6109100010"), claim_preferential_origin=True), headers=uk_tenant.headers()
    )
    assert chinese.json()["lines"][0]["duty"]["amount"] == "24.00"


async def test_a_compound_duty_is_computed_and_needs_the_weight(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    weighed = await client.post(
        QUOTES, json=gb_quote(line("1806100000", "500.00", weight_kg="2.5")), headers=uk_tenant.headers()
    )
    assert weighed.status_code == 201, weighed.text
    priced = weighed.json()["lines"][0]
    # 2 % x 500.00 + 37.80 GBP per 100 kg x 2.5 kg = 10.00 + 0.945 = 10.945 -> 10.95 (half up)
    assert priced["duty"]["amount"] == "10.95"
    assert priced["duty_rate"] is None
    unweighed = await client.post(QUOTES, json=gb_quote(line("1806100000", "500.00")), headers=uk_tenant.headers())
    assert unweighed.status_code == 422
    assert [e["field"] for e in unweighed.json()["errors"]] == ["lines[0].weight_kg"]


async def test_what_the_schedule_cannot_price_is_refused_with_the_reason(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    uncomputable = await client.post(QUOTES, json=gb_quote(line("1704909900")), headers=uk_tenant.headers())
    assert uncomputable.status_code == 422
    (error,) = uncomputable.json()["errors"]
    assert error["field"] == "lines[0].hs_code"
    assert "cannot be computed" in error["message"]
    assert "4.50 % + EA MAX 18.70 % + ADSZ" in error["message"]
    absent = await client.post(QUOTES, json=gb_quote(line("851840")), headers=uk_tenant.headers())
    assert absent.status_code == 422
    assert "no third-country duty in UK Trade Tariff" in absent.json()["errors"][0]["message"]
    # A broker's rate sent with the line is the seller's word, schedule or not.
    override = await client.post(QUOTES, json=gb_quote(line("851840", duty_rate="3")), headers=uk_tenant.headers())
    assert override.status_code == 201, override.text
    assert override.json()["lines"][0]["duty"]["amount"] == "6.00"


async def test_a_new_upload_replaces_the_schedule_and_quotes_follow_at_once(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    first = await client.post(QUOTES, json=gb_quote(line("6109100010")), headers=uk_tenant.headers())
    assert first.json()["lines"][0]["duty"]["amount"] == "24.00"
    cheaper = [(c, s, t, "9.00 %" if e == "12.00 %" else e, a, x) for c, s, t, e, a, x in UK_ROWS]
    replaced = await upload(client, uk_tenant, uk_csv(cheaper))
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["replaced_schedule_id"] is not None
    second = await client.post(QUOTES, json=gb_quote(line("6109100010")), headers=uk_tenant.headers())
    assert second.json()["lines"][0]["duty"]["amount"] == "18.00"
    listed = (await client.get(SCHEDULES, headers=uk_tenant.headers())).json()["items"]
    assert [s["active"] for s in listed if s["scope"] == "tenant"] == [True, False]


async def test_a_bad_file_names_row_and_field_and_loads_nothing(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    before = (await client.get(SCHEDULES, headers=uk_tenant.headers())).json()["items"]
    bad_date = uk_csv([*UK_ROWS[:3], ("6109100090", 9, "103", "12.00 %", "1011", "")], start="2021-13-01")
    refused = await upload(client, uk_tenant, bad_date)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "rows[2].measure__effective_start_date"
    wrong_format = await upload(client, uk_tenant, b"a,b\n1,2\n")
    assert wrong_format.status_code == 422
    assert wrong_format.json()["errors"][0]["field"] == "rows[1].header"
    unknown_source = await upload(client, uk_tenant, uk_csv(), source="cn-customs")
    assert unknown_source.status_code == 422
    assert unknown_source.json()["errors"][0]["field"] == "source"
    empty = await upload(client, uk_tenant, b"")
    assert empty.status_code == 422
    latin1 = await upload(client, uk_tenant, uk_csv().replace(b"goods 6109100010", "Baumwollé".encode("latin-1")))
    assert latin1.status_code == 422
    assert latin1.json()["errors"][0]["field"].startswith("rows[")
    after = (await client.get(SCHEDULES, headers=uk_tenant.headers())).json()["items"]
    assert after == before, "a refused file changed the tenant's schedules"
    still = await client.post(QUOTES, json=gb_quote(line("6109100010")), headers=uk_tenant.headers())
    assert still.json()["lines"][0]["duty"]["amount"] == "24.00"


async def test_only_managers_upload(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for role in (Role.CLERK, Role.VIEWER, Role.APPROVER):
        refused = await client.post(
            SCHEDULES, params={"source": "uk-trade-tariff"}, content=uk_csv(), headers=tenant.headers(role)
        )
        assert refused.status_code == 403, role


async def test_another_tenant_neither_sees_nor_quotes_from_an_upload(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    other = await make_tenant()
    schedule_id = (await client.get(SCHEDULES, headers=uk_tenant.headers())).json()["items"][0]["id"]
    assert (await client.get(f"{SCHEDULES}/{schedule_id}", headers=other.headers())).status_code == 404
    measures = await client.get(f"{SCHEDULES}/{schedule_id}/measures", params={"code": "6109"}, headers=other.headers())
    assert measures.status_code == 404
    listed = (await client.get(SCHEDULES, headers=other.headers())).json()["items"]
    assert schedule_id not in [s["id"] for s in listed]
    # The other tenant's GB quote is priced by the hub's own tables, not by this tenant's file.
    theirs = await client.post(QUOTES, json=gb_quote(line("610910")), headers=other.headers())
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["lines"][0]["duty_rate_source"] == "table"
    assert theirs.json()["schedules"] == []
    async with tenant_tx(other.id):
        seen = await fetch("SELECT count(*) AS n FROM tariff_schedule_measures WHERE tenant_id IS NOT NULL")
    assert seen[0]["n"] == 0


async def test_us_hts_export_prices_section_301_for_china_and_column_2(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    data = (US_FIXTURE / "hts_2026_revision_3_json.json").read_bytes()
    loaded = await upload(client, tenant, data, source="us-hts", name="hts_2026_revision_3_json.json")
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["destination"] == "US"
    us_quote = {
        "origin_country": "CN",
        "ship_from_country": "CN",
        "destination_country": "US",
        "currency": "USD",
        "incoterm": "DAP",
        "transport_mode": "courier",
        "date": "2026-11-27",
        "lines": [{"hs_code": "6109100012", "quantity": 10, "unit_price": "100.00", "origin_country": "CN"}],
    }
    quoted = await client.post(QUOTES, json=us_quote, headers=tenant.headers())
    assert quoted.status_code == 201, quoted.text
    priced = quoted.json()["lines"][0]
    assert priced["duty_match"]["level"] == 8
    assert priced["duty_match"]["matched_code"] == "61091000"
    # General 16.5 % plus Section 301 (9903.88.15, + 7.5 %) on China origin: 24 % of 1,000.00.
    assert priced["duty_rate"] == "24"
    assert priced["duty"]["amount"] == "240.00"
    assert "9903.88.15" in priced["duty_basis"]
    for origin, rate, amount in (("VN", "16.5", "165.00"), ("RU", "90", "900.00")):
        us_quote["lines"][0]["origin_country"] = origin
        other = await client.post(QUOTES, json=us_quote, headers=tenant.headers())
        assert other.status_code == 201, other.text
        assert (other.json()["lines"][0]["duty_rate"], other.json()["lines"][0]["duty"]["amount"]) == (rate, amount)
    # A Chinese line whose Section 301 heading the file lacks says so instead of quoting as if none applied.
    us_quote["lines"][0] = {"hs_code": "6109908010", "quantity": 10, "unit_price": "100.00", "origin_country": "CN"}
    silent = await client.post(QUOTES, json=us_quote, headers=tenant.headers())
    assert silent.status_code == 201, silent.text
    assert any(
        "Section 301 duties on China-origin goods are not in this quote" in t for t in silent.json()["explanation"]
    )


async def test_an_orders_landed_cost_uses_the_schedule_and_its_claim(
    client: httpx.AsyncClient, uk_tenant: TenantHandle
) -> None:
    from tests.api.test_orders import _catalog, _order  # noqa: PLC0415 - the orders tests' own builders

    await _catalog(client, uk_tenant)
    body = _order(
        ship_to={"name": "Ann", "line1": "1 High St", "city": "London", "postal_code": "SW1A 1AA", "country": "GB"},
        currency="GBP",
        shipping={"amount": "0.00", "currency": "GBP"},
        lines=[
            {
                "name": "T-shirt",
                "hs_code": "6109100010",
                "origin_country": "JP",
                "quantity": 10,
                "unit_price": {"amount": "30.00", "currency": "GBP"},
                "weight_kg": "0.2",
            }
        ],
    )
    created = await client.post("/v1/orders", json=body, headers=uk_tenant.headers())
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    plain = await client.post(
        f"/v1/orders/{order_id}/landed-cost", json={"date": "2026-11-27"}, headers=uk_tenant.headers()
    )
    assert plain.status_code == 201, plain.text
    assert plain.json()["lines"][0]["duty"]["amount"] == "36.00"  # 12 % of 300.00
    assert plain.json()["lines"][0]["duty_match"]["level"] == 10
    claimed = await client.post(
        f"/v1/orders/{order_id}/landed-cost",
        json={"date": "2026-11-27", "claim_preferential_origin": True},
        headers=uk_tenant.headers(),
    )
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["lines"][0]["duty"]["amount"] == "0.00"
