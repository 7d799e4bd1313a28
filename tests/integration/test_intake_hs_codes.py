"""Intake reads which HS subheadings are unknown in its first statement, for the lines' own codes and
the catalog's; the answer is the one :func:`customs.hs_codes.unknown_subheadings` gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from customs import hs_codes
from hub.core.bootstrap import Services
from hub.core.database import tenant_tx
from tests.conftest import TenantHandle

NOMENCLATURE = "INTAKE-TEST"


@pytest.fixture
async def small_nomenclature(services: Services) -> AsyncIterator[None]:
    owner = await asyncpg.connect(services.owner_database_url)
    try:
        await owner.executemany(
            "INSERT INTO hs_codes (nomenclature, code, description, level, source) VALUES ($1, $2, $3, $4, 'test')",
            [(NOMENCLATURE, "610910", "T-shirts of cotton", 6), (NOMENCLATURE, "482390", "Other paper", 6)],
        )
        yield
    finally:
        await owner.execute("DELETE FROM hs_codes WHERE nomenclature = $1", NOMENCLATURE)
        await owner.close()


def _free_line(name: str, hs_code: str) -> dict[str, Any]:
    return {
        "name": name,
        "hs_code": hs_code,
        "origin_country": "CN",
        "weight_kg": "0.1",
        "quantity": 1,
        "unit_price": {"amount": "5.00", "currency": "EUR"},
    }


async def _product(client: httpx.AsyncClient, tenant: TenantHandle, sku: str, hs_code: str) -> None:
    product = {
        "sku": sku,
        "name": sku,
        "hs_code": hs_code,
        "origin_country": "CN",
        "unit_price": {"amount": "19.90", "currency": "EUR"},
        "weight_kg": "0.2",
    }
    assert (await client.post("/v1/products", json=product, headers=tenant.headers())).status_code == 201
    stock = await client.put(f"/v1/stock/{sku}", json={"on_hand": 10}, headers=tenant.headers())
    assert stock.status_code == 200


async def test_unknown_codes_of_lines_and_catalog_are_found(
    small_nomenclature: None, client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del small_nomenclature
    await _product(client, tenant, "KNOWN", "61091000")
    await _product(client, tenant, "UNKNOWN", "999990")
    await _product(client, tenant, "OVERRIDDEN", "999991")
    lines = [
        {"sku": "KNOWN", "quantity": 1},
        {"sku": "UNKNOWN", "quantity": 1},
        {"sku": "OVERRIDDEN", "quantity": 1, "hs_code": "610910"},  # the line's own code wins
        _free_line("Gift wrap", "48239000"),
        _free_line("Widget", "999998"),
    ]
    body = {
        "channel": "api",
        "external_ref": "HS-INTAKE-1",
        "customer": {"code": "C-1", "name": "Anna", "email": "a@example.de"},
        "ship_to": {"name": "Anna", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "currency": "EUR",
        "incoterm": "DDP",
        "lines": lines,
    }
    response = await client.post("/v1/orders", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    order = response.json()
    unknown = [f["field"] for f in order["findings"] if f["code"] == "hs_code_unknown"]
    assert unknown == ["lines[1].hs_code", "lines[4].hs_code"]
    codes = [line["hs_code"] for line in order["lines"]]
    async with tenant_tx(tenant.id):
        assert await hs_codes.unknown_subheadings(codes) == {"999990", "999998"}
