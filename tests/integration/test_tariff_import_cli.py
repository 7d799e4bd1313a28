"""``orderhub tariff import``: reference schedules for every tenant, loaded by the operator, end to end.

Reference data is seen by every tenant of a database, so these tests load it into a database of
their own (created and dropped here), never into the session's: the other tests' quotes would
otherwise be priced by it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from hub.core import embedded
from hub.core.bootstrap import Services
from hub.core.settings import APP_DB_ROLE

pytestmark = pytest.mark.integration

US_FILE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "customs" / "schedules" / "us" / "hts_2026_revision_3_json.json"
)


def _replace_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
async def own_database(services: Services, tmp_path: Path) -> AsyncIterator[str]:
    name = f"orderhub_ref_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(services.owner_database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _replace_database(services.owner_database_url, name)
    # In a process of its own: this one's database engine is the session's (as the app role).
    migrated = orderhub(url, tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    yield url
    admin = await asyncpg.connect(services.owner_database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def orderhub(database_url: str, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("orderhub")
    assert command
    environment = {**os.environ, "DATABASE_URL": database_url, "ORDERHUB_DATA_DIR": str(tmp_path), **env}
    return subprocess.run([command, *args], env=environment, capture_output=True, text=True, timeout=120, check=False)


@contextlib.contextmanager
def served_hub(database_url: str, tmp_path: Path, redis_url: str) -> Iterator[str]:
    """``orderhub serve`` on a free port of 127.0.0.1 over ``database_url``; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = shutil.which("orderhub")
    assert command
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ORDERHUB_DATA_DIR": str(tmp_path),
        "ORDERHUB_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [command, "serve", "--port", str(port)], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def make_tenants(database_url: str, tmp_path: Path, *slugs: str, currency: str = "USD") -> list[str]:
    keys = []
    for slug in slugs:
        made = orderhub(database_url, tmp_path, "tenant", "create", slug, "--name", slug, "--base-currency", currency,
                        "--origin-country", "CN", "--json")  # fmt: skip
        assert made.returncode == 0, made.stderr
        keys.append(json.loads(made.stdout)["api_key"])
    return keys


async def test_import_reports_rows_and_every_tenant_reads_what_no_tenant_can_write(
    own_database: str, tmp_path: Path
) -> None:
    done = orderhub(own_database, tmp_path, "tariff", "import", str(US_FILE), "--source", "us-hts", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["scope"] == "reference"
    assert report["destination"] == "US"
    assert report["revision"].startswith("2026")
    assert report["measures_loaded"] > 20
    assert report["skipped_count"] == len(report["skipped"]) > 0
    assert all({"row", "field", "reason"} <= set(s) for s in report["skipped"])
    app_url = embedded.app_url_for(own_database, APP_DB_ROLE)
    app = await asyncpg.connect(app_url)
    try:
        async with app.transaction():
            await app.execute("SELECT set_config('app.tenant_id', $1, true)", str(uuid.uuid4()))
            assert await app.fetchval("SELECT count(*) FROM tariff_schedule_measures") == report["measures_loaded"]
            assert await app.fetchval("SELECT revision FROM customs_reference_revision") == 1
            # The application role cannot touch reference rows: RLS hides them from UPDATE.
            assert await app.execute("UPDATE tariff_schedules SET active = false") == "UPDATE 0"
        smuggle = (
            "INSERT INTO tariff_schedule_measures (schedule_id, tenant_id, code, seq, measure_type, "
            "origin_group, excluded_origins, expression, file_row) "
            "VALUES ($1, NULL, '6109', 99, 'third_country', '', '{}', '0%', 1)"
        )
        await app.execute("SELECT set_config('app.tenant_id', $1, false)", str(uuid.uuid4()))
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await app.execute(smuggle, uuid.UUID(report["schedule_id"]))
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await app.execute("UPDATE customs_reference_revision SET revision = 0")
    finally:
        await app.close()


async def test_a_bad_file_exits_2_naming_row_and_field_and_keeps_the_schedule_in_force(
    own_database: str, tmp_path: Path
) -> None:
    assert orderhub(own_database, tmp_path, "tariff", "import", str(US_FILE), "--source", "us-hts").returncode == 0
    broken = tmp_path / "hts_2026_revision_4_json.json"
    broken.write_text('[{"htsno": "6109.10.00", "indent": "x", "general": "16.5%"}]', encoding="utf-8")
    refused = orderhub(own_database, tmp_path, "tariff", "import", str(broken), "--source", "us-hts", "--json")
    assert refused.returncode == 2
    error = json.loads(refused.stderr.strip().splitlines()[-1])
    assert error["errors"][0]["row"] == 1
    assert error["errors"][0]["field"] == "indent"
    wrong = orderhub(own_database, tmp_path, "tariff", "import", str(US_FILE), "--source", "uk-trade-tariff")
    assert wrong.returncode == 2
    missing = orderhub(own_database, tmp_path, "tariff", "import", str(tmp_path / "nope.csv"), "--source", "us-hts")
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr + wrong.stderr + refused.stderr
    owner = await asyncpg.connect(own_database)
    try:
        rows = await owner.fetch("SELECT active FROM tariff_schedules")
    finally:
        await owner.close()
    assert [r["active"] for r in rows] == [True]


def test_a_served_hub_quotes_every_tenant_from_the_reference_schedule(
    own_database: str, tmp_path: Path, services: Services
) -> None:
    assert orderhub(own_database, tmp_path, "tariff", "import", str(US_FILE), "--source", "us-hts").returncode == 0
    keys = make_tenants(own_database, tmp_path, "ref-a", "ref-b")
    with served_hub(own_database, tmp_path, services.redis_url) as base:
        body = {
            "origin_country": "CN",
            "destination_country": "US",
            "currency": "USD",
            "date": "2026-11-27",
            "lines": [{"hs_code": "6109.10.00.12", "quantity": 10, "unit_price": "100.00"}],
        }
        for key in keys:
            quoted = httpx.post(
                f"{base}/v1/landed-cost/quotes",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            )
            assert quoted.status_code == 201, quoted.text
            line = quoted.json()["lines"][0]
            (used,) = quoted.json()["schedules"]
            assert used["id"] == line["duty_match"]["schedule_id"]
            assert (used["source"], used["scope"]) == ("us-hts", "reference")
            assert line["duty"]["amount"] == "240.00"  # 16.5 % + Section 301 7.5 % of 1,000.00
        # A tenant's own copy wins over the reference schedule, for that tenant alone.
        own = US_FILE.read_bytes().replace(b'"general": "16.5%"', b'"general": "10%"', 1)
        assert own != US_FILE.read_bytes()
        uploaded = httpx.post(
            f"{base}/v1/tariff-schedules",
            params={"source": "us-hts", "file_name": "hts_2026_revision_3_json.json"},
            content=own,
            headers={"Authorization": f"Bearer {keys[0]}", "content-type": "application/json"},
            timeout=30,
        )
        assert uploaded.status_code == 201, uploaded.text
        amounts = []
        for key in keys:
            quoted = httpx.post(
                f"{base}/v1/landed-cost/quotes",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            )
            assert quoted.status_code == 201, quoted.text
            amounts.append(quoted.json()["lines"][0]["duty"]["amount"])
        assert amounts == ["175.00", "240.00"]  # 10 % + 7.5 % for the uploader; the reference for the other


UK_FIXTURES = US_FILE.parents[1] / "uk"
UK_CSV_NAME = "uk-tariff-2021-01-01--v4.0.1527--measures-on-declarable-commodities.csv"
UK_CSV = (
    "commodity__code,commodity__description,measure__sid,measure__type__id,measure__duty_expression,"
    "measure__effective_start_date,measure__effective_end_date,measure__geographical_area__id,"
    "measure__geographical_area__description,measure__excluded_geographical_areas__ids\n"
    "6109100010,T-shirts,1,103,12.00%,2021-01-01,#NA,1011,ERGA OMNES,#NA\n"
    "6109100010,T-shirts,2,142,0.00%,2021-01-01,#NA,1032,Economic Partnership Agreements,#NA\n"
)


def test_imported_origin_groups_give_a_group_preference_to_its_members_only(
    own_database: str, tmp_path: Path, services: Services
) -> None:
    schedule = tmp_path / UK_CSV_NAME
    schedule.write_text(UK_CSV, encoding="utf-8")
    areas = UK_FIXTURES / "geographical_areas_2021-08-12.json"
    bad = tmp_path / "areas.json"
    bad.write_text('[{"id": "1032", "description": "EPA"}]', encoding="utf-8")
    refused = orderhub(own_database, tmp_path, "tariff", "import", str(bad), "--source", "uk-geographical-areas")
    assert refused.returncode == 2
    error = json.loads(refused.stderr.strip().splitlines()[-1])
    assert (error["errors"][0]["row"], error["errors"][0]["field"]) == (1, "children_geographical_areas")
    loaded = orderhub(
        own_database, tmp_path, "tariff", "import", str(areas), "--source", "uk-geographical-areas", "--json"
    )
    assert loaded.returncode == 0, loaded.stderr
    report = json.loads(loaded.stdout)
    assert (report["groups"], report["group_ids"], report["revision"]) == (2, ["1032", "2200"], "2021-08-12")
    assert (
        orderhub(own_database, tmp_path, "tariff", "import", str(schedule), "--source", "uk-trade-tariff").returncode
        == 0
    )
    (key,) = make_tenants(own_database, tmp_path, "groups-a", currency="GBP")

    def duty(base: str, origin: str) -> dict[str, object]:
        body = {
            "origin_country": origin,
            "destination_country": "GB",
            "currency": "GBP",
            "date": "2026-11-27",
            "claim_preferential_origin": True,
            "lines": [{"hs_code": "6109100010", "quantity": 1, "unit_price": "200.00", "origin_country": origin}],
        }
        quoted = httpx.post(f"{base}/v1/landed-cost/quotes", json=body, headers={"Authorization": f"Bearer {key}"})
        assert quoted.status_code == 201, quoted.text
        answer: dict[str, object] = quoted.json()
        return answer

    with served_hub(own_database, tmp_path, services.redis_url) as base:
        kenya, china = duty(base, "KE"), duty(base, "CN")
        assert kenya["lines"][0]["duty"]["amount"] == "0.00"  # type: ignore[index]
        assert kenya["lines"][0]["duty_match"]["preference"] is not None  # type: ignore[index]
        assert china["lines"][0]["duty"]["amount"] != "0.00"  # type: ignore[index]
        # A tenant's own upload is parsed with the imported groups too.
        uploaded = httpx.post(
            f"{base}/v1/tariff-schedules",
            params={"source": "uk-trade-tariff", "file_name": UK_CSV_NAME},
            content=UK_CSV.replace("12.00%", "10.00%").encode(),
            headers={"Authorization": f"Bearer {key}", "content-type": "text/csv"},
            timeout=30,
        )
        assert uploaded.status_code == 201, uploaded.text
        assert duty(base, "KE")["lines"][0]["duty"]["amount"] == "0.00"  # type: ignore[index]
        assert duty(base, "CN")["lines"][0]["duty"]["amount"] == "20.00"  # type: ignore[index]


EU_FIXTURES = US_FILE.parents[1] / "eu"


def test_eu_origin_groups_from_taric3_give_the_gsp_preferences_to_their_members(
    own_database: str, tmp_path: Path, services: Services
) -> None:
    areas = EU_FIXTURES / "geographical_areas_taric3.xml"
    bad = tmp_path / "areas.xml"
    bad.write_bytes(
        areas.read_bytes().replace(b"<oub:validity.start.date>2014-01-01", b"<oub:validity.start.date>x", 1)
    )
    refused = orderhub(own_database, tmp_path, "tariff", "import", str(bad), "--source", "eu-geographical-areas")
    assert refused.returncode == 2
    error = json.loads(refused.stderr.strip().splitlines()[-1])
    assert error["errors"][0]["field"] == "validity.start.date"
    assert error["errors"][0]["row"] == 27  # the first membership record, after 13 areas and their descriptions
    loaded = orderhub(
        own_database, tmp_path, "tariff", "import", str(areas), "--source", "eu-geographical-areas",
        "--as-of", "2026-12-01", "--json",
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    report = json.loads(loaded.stdout)
    assert (report["destination"], report["group_ids"]) == ("EU", ["1011", "2005", "2020"])
    assert report["revision"] == "envelope 260001, members on 2026-12-01"
    duties = EU_FIXTURES / "duties_import_01-99.csv"
    assert orderhub(own_database, tmp_path, "tariff", "import", str(duties), "--source", "eu-taric").returncode == 0
    (key,) = make_tenants(own_database, tmp_path, "eu-groups", currency="EUR")

    def duty(base: str, origin: str) -> dict[str, Any]:
        body = {
            "origin_country": origin,
            "destination_country": "DE",
            "currency": "EUR",
            "date": "2026-11-27",
            "claim_preferential_origin": True,
            "lines": [{"hs_code": "6109100000", "quantity": 1, "unit_price": "200.00", "origin_country": origin}],
        }
        quoted = httpx.post(f"{base}/v1/landed-cost/quotes", json=body, headers={"Authorization": f"Bearer {key}"})
        assert quoted.status_code == 201, quoted.text
        line: dict[str, Any] = quoted.json()["lines"][0]
        return line

    with served_hub(own_database, tmp_path, services.redis_url) as base:
        bangladesh, india, china = duty(base, "BD"), duty(base, "IN"), duty(base, "CN")
    assert bangladesh["duty_rate"] == "0"  # EBA, group 2005
    assert bangladesh["duty_match"]["preference"] is not None
    assert india["duty_rate"] == "9.6"  # GSP general arrangements, group 2020
    assert china["duty_rate"] == "12"  # left the GSP in 2015
    assert china["duty_match"]["preference"] is None
