"""The HS nomenclature imported from the WCO-style CSV in ../shared/data/hs through the CLI, then used.

The import is global reference data, so the test removes it again: other tests run without one.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from hub.core.bootstrap import Services
from tests.api.test_orders import _catalog, _order
from tests.conftest import ROOT, TenantHandle

HS_CSV = ROOT.parent / "shared" / "data" / "hs" / "harmonized-system.csv"


@pytest.fixture
async def imported(services: Services, tmp_path: Path) -> AsyncIterator[int]:
    orderhub = shutil.which("orderhub")
    assert orderhub
    assert HS_CSV.exists(), f"the HS nomenclature test data is missing: {HS_CSV}"
    env = {**os.environ, "DATABASE_URL": services.owner_database_url, "ORDERHUB_DATA_DIR": str(tmp_path)}
    command = [orderhub, "hs", "import", str(HS_CSV), "--format", "wco-csv", "--json"]
    result = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["nomenclature"] == "HS2022"
    yield int(report["imported"])
    owner = await asyncpg.connect(services.owner_database_url)
    try:
        await owner.execute("DELETE FROM hs_codes")
    finally:
        await owner.close()


async def test_import_lookup_search_and_review(imported: int, client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    assert imported > 6000
    found = await client.get("/v1/hs-codes/8518.40", headers=tenant.headers())
    assert found.status_code == 200, found.text
    assert [row["code"] for row in found.json()] == ["85", "8518", "851840"]
    assert "amplifier" in found.json()[-1]["description"].lower()
    assert (await client.get("/v1/hs-codes/999998", headers=tenant.headers())).status_code == 404
    assert (await client.get("/v1/hs-codes/12ab", headers=tenant.headers())).status_code == 422
    search = await client.get("/v1/hs-codes", params={"q": "horses"}, headers=tenant.headers())
    assert "010121" in [row["code"] for row in search.json()]

    await _catalog(client, tenant)
    body = _order(
        external_ref="HS-1",
        lines=[
            {"sku": "TS-RED-M", "quantity": 1, "unit_price": {"amount": "19.90", "currency": "EUR"}},
            {
                "name": "Widget",
                "hs_code": "999998",
                "origin_country": "CN",
                "weight_kg": "0.1",
                "quantity": 1,
                "unit_price": {"amount": "5.00", "currency": "EUR"},
            },
        ],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    assert order["status"] == "on_hold"
    unknown = [f for f in order["findings"] if f["code"] == "hs_code_unknown"]
    assert [f["field"] for f in unknown] == ["lines[1].hs_code"]


async def test_without_a_nomenclature_nothing_is_claimed(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    body = _order(
        external_ref="HS-2",
        lines=[
            {
                "name": "Widget",
                "hs_code": "999998",
                "origin_country": "CN",
                "weight_kg": "0.1",
                "quantity": 1,
                "unit_price": {"amount": "5.00", "currency": "EUR"},
            }
        ],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    assert not [f for f in order["findings"] if f["code"] == "hs_code_unknown"]
