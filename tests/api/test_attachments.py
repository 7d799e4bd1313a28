"""Attachments: content-addressed storage, type checked by bytes, size limit, timeline, tenant walls."""

from __future__ import annotations

import hashlib

import httpx

from tenants.roles import Role
from tests.api.test_orders import _catalog, _order
from tests.conftest import TenantHandle

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def _order_id(client: httpx.AsyncClient, tenant: TenantHandle) -> str:
    await _catalog(client, tenant)
    return str((await client.post("/v1/orders", json=_order(), headers=tenant.headers())).json()["id"])


async def test_upload_download_and_timeline(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    order_id = await _order_id(client, tenant)
    uploaded = await client.post(
        f"/v1/orders/{order_id}/attachments",
        params={"kind": "contract"},
        files={"data": ("../../etc/contract.pdf", PDF, "application/pdf")},
        headers=tenant.headers(Role.CLERK),
    )
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()
    assert meta["filename"] == "contract.pdf"
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert meta["content_type"] == "application/pdf"
    download = await client.get(f"/v1/attachments/{meta['id']}/file", headers=tenant.headers(Role.VIEWER))
    assert download.status_code == 200
    assert download.content == PDF
    # Stored bytes are the tenant's: a browser must not sniff a "PDF" into HTML and run it.
    assert download.headers["x-content-type-options"] == "nosniff"
    events = (await client.get(f"/v1/orders/{order_id}/events", headers=tenant.headers())).json()
    assert any(e["kind"] == "attachment.added" for e in events)
    for path in (
        f"/v1/attachments/{meta['id']}",
        f"/v1/attachments/{meta['id']}/file",
        f"/v1/orders/{order_id}/attachments",
    ):
        assert (await client.get(path, headers=other_tenant.headers())).status_code == 404


async def test_refuses_wrong_types_empty_files_and_viewers(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order_id = await _order_id(client, tenant)
    exe = await client.post(
        f"/v1/orders/{order_id}/attachments",
        files={"data": ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")},
        headers=tenant.headers(),
    )
    assert exe.status_code == 415
    empty = await client.post(
        f"/v1/orders/{order_id}/attachments", files={"data": ("a.pdf", b"")}, headers=tenant.headers()
    )
    assert empty.status_code == 422
    kind = await client.post(
        f"/v1/orders/{order_id}/attachments",
        params={"kind": "weird"},
        files={"data": ("a.pdf", PDF)},
        headers=tenant.headers(),
    )
    assert kind.status_code == 422
    viewer = await client.post(
        f"/v1/orders/{order_id}/attachments", files={"data": ("a.pdf", PDF)}, headers=tenant.headers(Role.VIEWER)
    )
    assert viewer.status_code == 403


async def test_size_limit(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order_id = await _order_id(client, tenant)
    big = PDF + b"0" * (1_048_576 + 10)  # test_settings.max_upload_bytes is 1 MiB
    response = await client.post(
        f"/v1/orders/{order_id}/attachments", files={"data": ("big.pdf", big)}, headers=tenant.headers()
    )
    assert response.status_code == 413
