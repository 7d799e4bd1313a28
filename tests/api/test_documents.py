"""Customs documents of an order: pre-flight refusal, 202 then a job renders, PDF text, versions, walls."""

from __future__ import annotations

import io
import unicodedata
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from pypdf import PdfReader

from customs.documents.pdf import clear_font_caches
from hub.core.bootstrap import Services
from tenants.roles import Role
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle, run_outbox_jobs

EXPORTER = {
    "name": "Shenzhen Bright Trading Co., Ltd.",
    "company": "深圳明亮贸易有限公司",
    "address": {"line1": "88 Keji Road", "city": "Shenzhen", "postal_code": "518057", "country": "CN"},
    "email": "export@bright.example",
}


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def _order_with_chinese_goods(client: httpx.AsyncClient, tenant: TenantHandle) -> dict[str, Any]:
    await _catalog(client, tenant)
    body = _order(
        lines=[
            {"sku": "TS-RED-M", "quantity": 2, "unit_price": {"amount": "19.90", "currency": "EUR"}},
            {
                "name": "陶瓷茶杯 Ceramic tea cup",
                "hs_code": "691200",
                "origin_country": "CN",
                "weight_kg": "0.35",
                "quantity": 4,
                "unit_price": {"amount": "6.50", "currency": "EUR"},
            },
        ]
    )
    response = await client.post("/v1/orders", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_commercial_invoice_is_rendered_by_the_job(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order = await _order_with_chinese_goods(client, tenant)
    # DDP: the seller pays duty, so the invoice needs the landed-cost figures first (pre-flight says so).
    early = await client.post(
        f"/v1/orders/{order['id']}/documents",
        json={"type": "commercial_invoice", "exporter": EXPORTER},
        headers=tenant.headers(),
    )
    assert early.status_code == 409
    assert "landed_cost" in [f["field"] for f in early.json()["findings"]]
    quoted = await client.post(
        f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert quoted.status_code == 201, quoted.text
    requested = await client.post(
        f"/v1/orders/{order['id']}/documents",
        json={"type": "commercial_invoice", "locale": "zh_Hans", "exporter": EXPORTER},
        headers=tenant.headers(Role.CLERK),
    )
    assert requested.status_code == 202, requested.text
    document = requested.json()
    assert document["status"] == "pending"
    assert "render_document" in await run_outbox_jobs(tenant.id, only="render_document")
    ready = (await client.get(f"/v1/documents/{document['id']}", headers=tenant.headers(Role.VIEWER))).json()
    assert ready["status"] == "ready", ready
    assert len(ready["sha256"]) == 64
    # Unit values keep the currency's two decimals (19.90, never 19.9000 or 19.9).
    assert [line["unit_value"]["amount"] for line in ready["content"]["lines"]] == ["19.90", "6.50"]
    assert ready["content"]["totals"]["freight"]["amount"] == "12.00"
    assert ready["content"]["totals"]["invoice_total"]["amount"] == "77.80"
    pdf = await client.get(f"/v1/documents/{document['id']}/file", headers=tenant.headers())
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for expected in ("陶瓷茶杯", "691200", "610910", order["number"]):
        assert expected in text, expected
    assert "77.80" in text  # 39.80 + 26.00 goods + 12.00 freight
    events = [
        e["kind"] for e in (await client.get(f"/v1/orders/{order['id']}/events", headers=tenant.headers())).json()
    ]
    assert "document.requested" in events
    assert "document.ready" in events


async def test_a_discounted_line_prints_a_readable_unit_value(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    # 3 cups at 10.00 less 1.00 off the order: the line is 29.00, its unit value 29.00 / 3. The
    # invoice printed all 28 digits of 9.666..., wrapped over three lines of the unit value column.
    cup = {
        "name": "Ceramic tea cup, porcelain",
        "hs_code": "69120010",
        "origin_country": "CN",
        "weight_kg": "0.35",
        "quantity": 3,
        "unit_price": {"amount": "10.00", "currency": "EUR"},
    }
    body = _order(
        external_ref="DISCOUNT",
        incoterm="DAP",
        lines=[cup],
        discounts=[{"type": "fixed", "amount": {"amount": "1.00", "currency": "EUR"}}],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    assert order["totals"]["total"] == {"amount": "41.00", "currency": "EUR"}
    requested = await client.post(
        f"/v1/orders/{order['id']}/documents",
        json={"type": "commercial_invoice", "exporter": EXPORTER},
        headers=tenant.headers(),
    )
    assert requested.status_code == 202, requested.text
    await run_outbox_jobs(tenant.id, only="render_document")
    document = (await client.get(f"/v1/documents/{requested.json()['id']}", headers=tenant.headers())).json()
    assert document["status"] == "ready", document
    line = document["content"]["lines"][0]
    assert line["unit_value"]["amount"] == "9.6667"
    assert line["unit_value"]["display"] == "€9.6667"
    assert line["line_value"]["amount"] == "29.00"
    # Money at the currency's minor unit (API.md), not numeric(19,4)'s padding ("12.0000").
    totals = document["content"]["totals"]
    assert {k: totals[k]["amount"] for k in ("goods", "freight", "insurance", "invoice_total")} == {
        "goods": "29.00",
        "freight": "12.00",
        "insurance": "0.00",
        "invoice_total": "41.00",
    }
    text = _pdf_text((await client.get(f"/v1/documents/{document['id']}/file", headers=tenant.headers())).content)
    assert "€9.6667\n€29.00" in text
    assert "666666" not in text
    assert "€41.00" in text


async def test_vague_description_refuses_the_document(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    body = _order(
        external_ref="VAGUE",
        lines=[
            {
                "name": "gift",
                "hs_code": "950300",
                "origin_country": "CN",
                "weight_kg": "0.5",
                "quantity": 1,
                "unit_price": {"amount": "10.00", "currency": "EUR"},
            }
        ],
    )
    order = (await client.post("/v1/orders", json=body, headers=tenant.headers())).json()
    refused = await client.post(
        f"/v1/orders/{order['id']}/documents",
        json={"type": "commercial_invoice", "exporter": EXPORTER},
        headers=tenant.headers(),
    )
    assert refused.status_code == 409, refused.text
    assert any(f["severity"] == "blocking" for f in refused.json()["findings"])
    assert (await client.get(f"/v1/orders/{order['id']}/documents", headers=tenant.headers())).json() == []


async def test_versions_supersede_and_walls(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    order = await _order_with_chinese_goods(client, tenant)
    request = {"type": "packing_list", "exporter": EXPORTER}
    first = (await client.post(f"/v1/orders/{order['id']}/documents", json=request, headers=tenant.headers())).json()
    not_ready = await client.get(f"/v1/documents/{first['id']}/file", headers=tenant.headers())
    assert not_ready.status_code == 409
    second = (await client.post(f"/v1/orders/{order['id']}/documents", json=request, headers=tenant.headers())).json()
    assert second["version"] == 2
    assert second["previous_id"] == first["id"]
    listed = (await client.get(f"/v1/orders/{order['id']}/documents", headers=tenant.headers())).json()
    assert [d["superseded"] for d in listed] == [True, False]
    for path in (f"/v1/documents/{second['id']}", f"/v1/documents/{second['id']}/file"):
        assert (await client.get(path, headers=other_tenant.headers())).status_code == 404
    missing_exporter = await client.post(
        f"/v1/orders/{order['id']}/documents", json={"type": "cn23"}, headers=tenant.headers()
    )
    assert missing_exporter.status_code == 422
    assert missing_exporter.json()["errors"][0]["field"] == "exporter"
    bad_locale = await client.post(
        f"/v1/orders/{order['id']}/documents", json={**request, "locale": "xx-YY"}, headers=tenant.headers()
    )
    assert bad_locale.status_code == 422


async def test_a_rendering_failure_ends_failed_with_the_reason(
    client: httpx.AsyncClient, tenant: TenantHandle, services: Services
) -> None:
    order = await _order_with_chinese_goods(client, tenant)
    document = (
        await client.post(
            f"/v1/orders/{order['id']}/documents",
            json={"type": "packing_list", "exporter": EXPORTER},
            headers=tenant.headers(),
        )
    ).json()
    # Break the stored snapshot behind the service's back (as the owner), as a bad deploy or data bug would.
    owner = await asyncpg.connect(services.owner_database_url)
    try:
        await owner.execute(
            "UPDATE order_documents SET snapshot = '{\"order_number\": 5}'::jsonb WHERE id = $1",
            uuid.UUID(document["id"]),
        )
    finally:
        await owner.close()
    await run_outbox_jobs(tenant.id, only="render_document")
    failed = (await client.get(f"/v1/documents/{document['id']}", headers=tenant.headers())).json()
    assert failed["status"] == "failed"
    assert "ValidationError" in failed["error"]
    download = await client.get(f"/v1/documents/{document['id']}/file", headers=tenant.headers())
    assert download.status_code == 409


async def test_arabic_goods_without_an_arabic_font_are_a_warning_for_the_clerk(
    client: httpx.AsyncClient, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _catalog(client, tenant)
    body = _order(
        lines=[
            {
                "name": "دلة قهوة نحاسية Copper coffee pot",
                "hs_code": "741810",
                "origin_country": "CN",
                "weight_kg": "0.80",
                "quantity": 1,
                "unit_price": {"amount": "24.00", "currency": "EUR"},
            }
        ]
    )
    created = await client.post("/v1/orders", json=body, headers=tenant.headers())
    assert created.status_code == 201, created.text
    order = created.json()
    quoted = await client.post(
        f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert quoted.status_code == 201, quoted.text
    # A server without fonts-noto-core: the document is still produced, but the clerk is told that
    # the Arabic product name would print unreadable, and where it is.
    monkeypatch.setenv("ORDERHUB_ARABIC_FONT", "/nonexistent/NotoSansArabic-Regular.ttf")
    clear_font_caches()
    try:
        requested = await client.post(
            f"/v1/orders/{order['id']}/documents",
            json={"type": "commercial_invoice", "exporter": EXPORTER},
            headers=tenant.headers(Role.CLERK),
        )
    finally:
        monkeypatch.undo()
        clear_font_caches()
    assert requested.status_code == 202, requested.text
    warnings = [f for f in requested.json()["findings"] if f["code"] == "text.font_missing"]
    assert [(f["field"], f["severity"]) for f in warnings] == [("lines[0].description", "warning")]
    assert "ORDERHUB_ARABIC_FONT" in warnings[0]["message"]
    # With the font (this machine has it), the job prints the name shaped, in the embedded Noto TTF.
    assert "render_document" in await run_outbox_jobs(tenant.id, only="render_document")
    pdf = await client.get(f"/v1/documents/{requested.json()['id']}/file", headers=tenant.headers())
    assert pdf.status_code == 200
    text = unicodedata.normalize("NFKC", _pdf_text(pdf.content))
    assert "دلة قهوة نحاسية" in text
    assert b"NotoSansArabic" in pdf.content
