"""Console fulfilment pages through the ASGI app: landed cost, documents, labels, tracking, attachments,
exceptions and settings, with their refusals (roles, other tenants' ids, bad form input, CSRF)."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from pypdf import PdfReader

from carriers.base import TrackingEvent
from carriers.sandbox import mapper as sandbox_mapper
from carriers.signatures import sign_hub
from carriers.units import ShipmentStatus, TrackingReason
from tenants.roles import Role
from tests.api.test_console import csrf_of, make_user, sign_in
from tests.api.test_documents import EXPORTER
from tests.api.test_orders import _catalog, _order
from tests.api.test_tracking_webhooks import SANDBOX_SECRET
from tests.conftest import TenantHandle, run_outbox_jobs

FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')


@pytest.fixture
async def viewer_browser(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as own:
        yield own


async def signed_in(browser: httpx.AsyncClient, tenant: TenantHandle, role: Role = Role.OWNER) -> str:
    """Sign a new user of ``role`` in; returns a CSRF token of the session."""
    assert (await sign_in(browser, tenant, await make_user(tenant, role))).status_code == 303
    return csrf_of((await browser.get("/console/exceptions")).text)


async def approved_order(client: httpx.AsyncClient, tenant: TenantHandle, **changes: Any) -> dict[str, Any]:
    """A clean DDP order to Berlin, approved on entry (catalog and stock first)."""
    await _catalog(client, tenant)
    response = await client.post("/v1/orders", json=_order(**changes), headers=tenant.headers())
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    assert order["status"] == "approved"
    return order


async def set_exporter(browser: httpx.AsyncClient, csrf: str) -> None:
    address = cast(dict[str, str], EXPORTER["address"])
    form = {
        "csrf_token": csrf,
        "exporter.name": EXPORTER["name"],
        "exporter.company": EXPORTER["company"],
        "exporter.email": EXPORTER["email"],
        **{f"exporter.address.{k}": v for k, v in address.items()},
    }
    saved = await browser.post("/console/settings/exporter", data=form)
    assert saved.status_code == 303, saved.text


async def sandbox_account_via_console(browser: httpx.AsyncClient, csrf: str) -> str:
    created = await browser.post(
        "/console/settings/carrier-accounts",
        data={
            "csrf_token": csrf,
            "carrier": "sandbox",
            "name": "Sandbox DE",
            "webhook_secret": SANDBOX_SECRET,
            "options": '{"simulate_tracking": false}',
        },
    )
    assert created.status_code == 303, created.text
    page = (await browser.get("/console/settings")).text
    assert "Sandbox DE" in page
    assert SANDBOX_SECRET not in page  # write-only
    found = re.search(r"/webhooks/tracking/sandbox/[A-Za-z0-9_-]+", page)
    assert found
    return found.group(0)


async def account_id_of(browser: httpx.AsyncClient, order_id: str) -> str:
    page = (await browser.get(f"/console/orders/{order_id}")).text
    found = re.search(r'<select id="book-account" name="carrier_account_id"><option value="([^"]+)"', page)
    assert found, "no booking form"
    return found.group(1)


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_quote_then_commercial_invoice_rendered_and_downloaded(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    csrf = await signed_in(browser, tenant, Role.OWNER)
    order = await approved_order(client, tenant)
    page_url = f"/console/orders/{order['id']}"

    # No exporter yet: the service's field error is shown on the order page.
    no_exporter = await browser.post(
        f"{page_url}/documents", data={"csrf_token": csrf, "type": "commercial_invoice", "locale": "en"}
    )
    assert no_exporter.status_code == 422
    assert "exporter" in no_exporter.text
    await set_exporter(browser, csrf)

    # DDP across a border: the pre-flight wants the duty figures first.
    early = await browser.post(
        f"{page_url}/documents", data={"csrf_token": csrf, "type": "commercial_invoice", "locale": "en"}
    )
    assert early.status_code == 409
    assert "landed_cost" in early.text

    quoted = await browser.post(f"{page_url}/quote", data={"csrf_token": csrf})
    assert quoted.status_code == 303, quoted.text
    page = (await browser.get(page_url)).text
    assert "Duties and taxes quoted." in page
    assert 'data-testid="landed-total"' in page
    assert 'data-testid="explanation"><li>' in page
    assert 'data-testid="de-minimis"' in page
    assert "Seller" in page  # DDP: the seller pays

    requested = await browser.post(
        f"{page_url}/documents", data={"csrf_token": csrf, "type": "commercial_invoice", "locale": "en"}
    )
    assert requested.status_code == 303, requested.text
    page = (await browser.get(page_url)).text
    assert 'data-testid="document-status">Pending<' in page
    assert "render_document" in await run_outbox_jobs(tenant.id, only="render_document")
    page = (await browser.get(page_url)).text
    assert 'data-testid="document-status">Ready<' in page
    document_id = re.search(r'data-document-id="([^"]+)"', page)
    assert document_id
    pdf = await browser.get(f"/console/documents/{document_id.group(1)}/file")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert order["number"] in _pdf_text(pdf.content)
    preview = await browser.get(f"/console/documents/{document_id.group(1)}")
    assert preview.status_code == 200
    assert 'data-testid="document-content"' in preview.text
    assert order["number"] in preview.text
    assert 'data-testid="document-lines"' in preview.text

    # A second version supersedes the first.
    again = await browser.post(
        f"{page_url}/documents", data={"csrf_token": csrf, "type": "commercial_invoice", "locale": "zh_Hans"}
    )
    assert again.status_code == 303
    page = (await browser.get(page_url)).text
    assert "superseded" in page
    assert "v2" in page


async def test_book_label_once_then_tracking_and_an_exception_to_resolve(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    csrf = await signed_in(browser, tenant, Role.OWNER)
    await set_exporter(browser, csrf)
    order = await approved_order(client, tenant, incoterm="DAP")
    webhook_path = await sandbox_account_via_console(browser, csrf)
    page_url = f"/console/orders/{order['id']}"
    page = (await browser.get(page_url)).text
    form_id = FORM_ID.search(page)
    assert form_id
    account_id = await account_id_of(browser, order["id"])
    booking = {
        "csrf_token": csrf,
        "form_id": form_id.group(1),
        "carrier_account_id": account_id,
        "service": "standard",
        "weight_kg": "0.8",
    }
    first = await browser.post(f"{page_url}/shipments", data=booking)
    assert first.status_code == 303, first.text
    twice = await browser.post(f"{page_url}/shipments", data=booking)  # the same form sent again
    assert twice.status_code == 303, twice.text
    page = (await browser.get(page_url)).text
    assert page.count("data-shipment-id=") == 1
    tracking = re.search(r'data-testid="tracking-number">([^<]+)<', page)
    assert tracking
    label = re.search(r'href="(/console/shipments/[^"]+/label)"', page)
    assert label
    assert (await browser.get(label.group(1))).content.startswith(b"%PDF")

    booked_at = datetime.now(UTC) - timedelta(hours=30)
    events = [
        TrackingEvent(
            carrier="sandbox",
            tracking_number=tracking.group(1),
            status=ShipmentStatus.IN_TRANSIT,
            occurred_at=booked_at + timedelta(hours=2),
            description="Picked up",
            location="Shenzhen, CN",
            carrier_event_id=f"{tracking.group(1)}-01",
            raw_code="PICKED_UP",
        ),
        TrackingEvent(
            carrier="sandbox",
            tracking_number=tracking.group(1),
            status=ShipmentStatus.EXCEPTION,
            reason=TrackingReason.CUSTOMS_HOLD,
            occurred_at=booked_at + timedelta(hours=5),
            description="Held by customs",
            location="DE",
            carrier_event_id=f"{tracking.group(1)}-02",
            raw_code="CUSTOMS_HELD",
        ),
    ]
    body = sandbox_mapper.build_webhook_body(events)
    posted = await client.post(webhook_path, content=body, headers={"Hub-Signature": sign_hub(SANDBOX_SECRET, body)})
    assert posted.status_code == 202, posted.text
    await run_outbox_jobs(tenant.id)
    await run_outbox_jobs(tenant.id)
    page = (await browser.get(page_url)).text
    timeline = page[page.index('data-testid="tracking"') :]
    assert timeline.index("Picked up") < timeline.index("Held by customs")  # oldest first
    assert "Customs hold" in timeline
    assert "Shenzhen, CN" in timeline

    exceptions = await browser.get("/console/exceptions")
    assert exceptions.status_code == 200
    item = re.search(r'data-work-item-id="([^"]+)"', exceptions.text)
    assert item, exceptions.text
    assert 'data-testid="sla-age"' in exceptions.text
    assert 'data-testid="exception-shipments"' in exceptions.text
    assert tracking.group(1) in exceptions.text
    empty = await browser.post(f"/console/work-items/{item.group(1)}/resolve", data={"csrf_token": csrf})
    assert empty.status_code == 422
    assert f'data-field="resolution:{item.group(1)}"' in empty.text
    resolved = await browser.post(
        f"/console/work-items/{item.group(1)}/resolve",
        data={"csrf_token": csrf, "resolution": "invoice sent to the broker"},
    )
    assert resolved.status_code == 303
    after = (await browser.get("/console/exceptions")).text
    assert item.group(1) not in after
    again = await browser.post(
        f"/console/work-items/{item.group(1)}/resolve", data={"csrf_token": csrf, "resolution": "twice"}
    )
    assert again.status_code == 409


async def test_overdue_work_items_are_highlighted(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    from hub.core.database import fetch, tenant_tx  # noqa: PLC0415

    csrf = await signed_in(browser, tenant, Role.CLERK)
    del csrf
    order = await approved_order(client, tenant)
    created = await client.post(
        "/v1/work-items",
        json={"order_id": order["id"], "kind": "quality", "description": "customer says the mug is chipped"},
        headers=tenant.headers(),
    )
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    async with tenant_tx(tenant.id):
        await fetch(
            "UPDATE work_items SET opened_at = now() - interval '100 hours', due_at = now() - interval '28 hours' "
            "WHERE tenant_id = {} AND id = {}",
            tenant.id,
            uuid.UUID(item_id),
        )
    page = (await browser.get("/console/exceptions")).text
    row = page[page.index(f'data-work-item-id="{item_id}"') - 40 :]
    assert row.startswith('<tr class="overdue"') or 'class="overdue"' in row[:60]
    assert 'data-testid="overdue"' in page
    assert "4 d 4 h" in page


async def test_attachments_upload_list_download_and_refuse_bad_files(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    csrf = await signed_in(browser, tenant, Role.CLERK)
    order = await approved_order(client, tenant)
    page_url = f"/console/orders/{order['id']}"
    content = b"%PDF-1.4\n% a signed contract\n"
    uploaded = await browser.post(
        f"{page_url}/attachments",
        data={"csrf_token": csrf, "kind": "contract"},
        files={"file": ("contract.pdf", content, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text
    page = (await browser.get(page_url)).text
    assert "contract.pdf" in page
    link = re.search(r'href="(/console/attachments/[^"]+/file)"', page)
    assert link
    download = await browser.get(link.group(1))
    assert download.status_code == 200
    assert download.content == content

    no_file = await browser.post(f"{page_url}/attachments", data={"csrf_token": csrf, "kind": "contract"})
    assert no_file.status_code == 422
    assert 'data-field="attachment.file"' in no_file.text
    binary = await browser.post(
        f"{page_url}/attachments",
        data={"csrf_token": csrf, "kind": "photo"},
        files={"file": ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream")},
    )
    assert binary.status_code == 415
    assert 'data-field="attachment.file"' in binary.text
    too_big = await browser.post(
        f"{page_url}/attachments",
        data={"csrf_token": csrf, "kind": "photo"},
        files={"file": ("big.txt", b"x" * (1_048_576 + 1), "text/plain")},
    )
    assert too_big.status_code == 413
    assert 'data-field="attachment.file"' in too_big.text
    bad_kind = await browser.post(
        f"{page_url}/attachments",
        data={"csrf_token": csrf, "kind": "secret"},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    assert bad_kind.status_code == 422
    assert 'data-field="attachment.kind"' in bad_kind.text


async def test_viewer_sees_but_cannot_quote_generate_book_upload_or_resolve(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, viewer_browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    owner_csrf = await signed_in(browser, tenant, Role.OWNER)
    await set_exporter(browser, owner_csrf)
    order = await approved_order(client, tenant, incoterm="DAP")
    await sandbox_account_via_console(browser, owner_csrf)
    account_id = await account_id_of(browser, order["id"])
    item = await client.post(
        "/v1/work-items",
        json={"order_id": order["id"], "kind": "quality", "description": "chipped"},
        headers=tenant.headers(),
    )
    assert item.status_code == 201

    csrf = await signed_in(viewer_browser, tenant, Role.VIEWER)
    page_url = f"/console/orders/{order['id']}"
    page = (await viewer_browser.get(page_url)).text
    for marker in ("generate-document", "book-label", "upload-attachment", 'data-testid="quote"'):
        assert marker not in page
    refusals = [
        (f"{page_url}/quote", {}),
        (f"{page_url}/documents", {"type": "commercial_invoice", "locale": "en"}),
        (
            f"{page_url}/shipments",
            {"carrier_account_id": account_id, "service": "standard", "weight_kg": "1", "form_id": "x"},
        ),
        (f"{page_url}/attachments", {"kind": "other"}),
        (f"/console/work-items/{item.json()['id']}/resolve", {"resolution": "not mine to do"}),
        ("/console/settings/policy", {"max_discount_percent": "50"}),
        ("/console/settings/exporter", {"exporter.name": "X"}),
        ("/console/settings/carrier-accounts", {"carrier": "sandbox", "name": "mine"}),
        ("/console/settings/webhook-endpoints", {"url": "https://example.com/h", "secret": "s" * 20}),
    ]
    for path, form in refusals:
        refused = await viewer_browser.post(path, data={"csrf_token": csrf, **form})
        assert refused.status_code == 403, (path, refused.status_code)
    assert (await viewer_browser.get("/console/settings")).status_code == 403
    assert "data-work-item-id" in (await viewer_browser.get("/console/exceptions")).text
    api = (await client.get(f"/v1/orders/{order['id']}/documents", headers=tenant.headers())).json()
    assert api == []
    quotes = (await client.get(f"/v1/orders/{order['id']}/landed-cost", headers=tenant.headers())).json()
    assert quotes == []
    shipments = await client.get(f"/v1/orders/{order['id']}/attachments", headers=tenant.headers())
    assert shipments.json() == []


async def test_another_tenants_ids_are_not_found(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    csrf = await signed_in(browser, tenant, Role.OWNER)
    theirs = await approved_order(client, other_tenant, incoterm="DAP")
    await client.patch("/v1/tenant/settings", json={"exporter": EXPORTER}, headers=other_tenant.headers())
    document = await client.post(
        f"/v1/orders/{theirs['id']}/documents", json={"type": "packing_list"}, headers=other_tenant.headers()
    )
    assert document.status_code == 202, document.text
    await run_outbox_jobs(other_tenant.id, only="render_document")
    attachment = await client.post(
        f"/v1/orders/{theirs['id']}/attachments",
        files={"data": ("a.txt", b"hello", "text/plain")},
        headers=other_tenant.headers(),
    )
    assert attachment.status_code == 201, attachment.text
    item = await client.post(
        "/v1/work-items",
        json={"order_id": theirs["id"], "kind": "quality", "description": "theirs"},
        headers=other_tenant.headers(),
    )
    assert item.status_code == 201
    document_id, attachment_id = document.json()["id"], attachment.json()["id"]

    for path in (
        f"/console/orders/{theirs['id']}",
        f"/console/documents/{document_id}",
        f"/console/documents/{document_id}/file",
        f"/console/attachments/{attachment_id}/file",
        f"/console/shipments/{uuid.uuid4()}/label",
        "/console/documents/not-a-uuid",
    ):
        assert (await browser.get(path)).status_code == 404, path
    for path, form in (
        (f"/console/orders/{theirs['id']}/quote", {}),
        (f"/console/orders/{theirs['id']}/documents", {"type": "packing_list", "locale": "en"}),
        (f"/console/orders/{theirs['id']}/shipments", {"carrier_account_id": str(uuid.uuid4()), "weight_kg": "1"}),
        (f"/console/work-items/{item.json()['id']}/resolve", {"resolution": "done"}),
    ):
        assert (await browser.post(path, data={"csrf_token": csrf, **form})).status_code == 404, path
    upload = await browser.post(
        f"/console/orders/{theirs['id']}/attachments",
        data={"csrf_token": csrf, "kind": "other"},
        files={"file": ("b.txt", b"hi", "text/plain")},
    )
    assert upload.status_code == 404
    listed = (await client.get(f"/v1/orders/{theirs['id']}/attachments", headers=other_tenant.headers())).json()
    assert len(listed) == 1


async def test_bad_form_input_is_shown_next_to_the_field(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    csrf = await signed_in(browser, tenant, Role.OWNER)
    order = await approved_order(client, tenant, incoterm="DAP")
    await sandbox_account_via_console(browser, csrf)
    page_url = f"/console/orders/{order['id']}"
    no_exporter = await browser.post(
        f"{page_url}/shipments",
        data={"csrf_token": csrf, "carrier_account_id": str(uuid.uuid4()), "service": "standard", "weight_kg": "1"},
    )
    assert no_exporter.status_code == 422
    assert "exporter" in no_exporter.text
    await set_exporter(browser, csrf)
    bad_type = await browser.post(f"{page_url}/documents", data={"csrf_token": csrf, "type": "letter", "locale": "xx"})
    assert bad_type.status_code == 422
    assert 'data-field="document.type"' in bad_type.text
    assert 'data-field="document.locale"' in bad_type.text
    bad_booking = await browser.post(
        f"{page_url}/shipments", data={"csrf_token": csrf, "carrier_account_id": "nope", "weight_kg": "heavy"}
    )
    assert bad_booking.status_code == 422
    for name in ("book.carrier_account_id", "book.service", "book.weight_kg"):
        assert f'data-field="{name}"' in bad_booking.text
    assert 'value="heavy"' in bad_booking.text  # what was typed is kept
    unknown_account = await browser.post(
        f"{page_url}/shipments",
        data={"csrf_token": csrf, "carrier_account_id": str(uuid.uuid4()), "service": "standard", "weight_kg": "1"},
    )
    assert unknown_account.status_code == 422
    assert 'data-field="book.carrier_account_id"' in unknown_account.text

    policy = await browser.post("/console/settings/policy", data={"csrf_token": csrf, "max_discount_percent": "200"})
    assert policy.status_code == 422
    assert 'data-field="policy.max_discount_percent"' in policy.text
    exporter = await browser.post(
        "/console/settings/exporter",
        data={"csrf_token": csrf, "exporter.name": "Bright", "exporter.address.country": "China"},
    )
    assert exporter.status_code == 422
    for name in ("exporter.address.line1", "exporter.address.city", "exporter.address.country"):
        assert f'data-field="{name}"' in exporter.text
    assert 'value="Bright"' in exporter.text
    account = await browser.post(
        "/console/settings/carrier-accounts",
        data={"csrf_token": csrf, "carrier": "sandbox", "name": "S", "options": "not json", "webhook_secret": "hush-1"},
    )
    assert account.status_code == 422
    assert 'data-field="account.options"' in account.text
    assert "hush-1" not in account.text
    nameless = await browser.post(
        "/console/settings/carrier-accounts", data={"csrf_token": csrf, "carrier": "sandbox", "name": "", "options": ""}
    )
    assert nameless.status_code == 422
    assert 'data-field="account.name"' in nameless.text
    easypost = await browser.post(
        "/console/settings/carrier-accounts",
        data={"csrf_token": csrf, "carrier": "easypost", "name": "EP", "options": "{}"},
    )
    assert easypost.status_code == 422
    assert 'data-field="account.credentials"' in easypost.text
    endpoint = await browser.post(
        "/console/settings/webhook-endpoints", data={"csrf_token": csrf, "url": "ftp://x", "secret": "short"}
    )
    assert endpoint.status_code == 422
    assert 'data-field="endpoint.secret"' in endpoint.text
    assert 'data-field="endpoint.events"' in endpoint.text
    bad_url = await browser.post(
        "/console/settings/webhook-endpoints",
        data={"csrf_token": csrf, "url": "not a url", "secret": "s" * 20, "event.order.created": "on"},
    )
    assert bad_url.status_code == 422
    assert 'data-field="endpoint.url"' in bad_url.text


async def test_settings_save_policy_exporter_accounts_and_endpoints(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    csrf = await signed_in(browser, tenant, Role.ADMIN)
    saved = await browser.post(
        "/console/settings/policy",
        data={"csrf_token": csrf, "max_discount_percent": "15", "auto_approve_clean_orders": "on"},
    )
    assert saved.status_code == 303
    await set_exporter(browser, csrf)
    await sandbox_account_via_console(browser, csrf)
    endpoint = await browser.post(
        "/console/settings/webhook-endpoints",
        data={
            "csrf_token": csrf,
            "url": "https://erp.example.com/hooks",
            "secret": "endpoint-secret-0123456789",
            "event.order.status_changed": "on",
        },
    )
    assert endpoint.status_code == 303, endpoint.text
    page = (await browser.get("/console/settings")).text
    assert 'value="15"' in page
    assert 'name="auto_approve_clean_orders" checked' in page
    assert 'value="88 Keji Road"' in page
    assert "https://erp.example.com/hooks" in page
    assert "endpoint-secret-0123456789" not in page
    tenant_json = (await client.get("/v1/tenant", headers=tenant.headers())).json()
    assert tenant_json["settings"]["max_discount_percent"] == "15"
    assert tenant_json["settings"]["exporter"]["address"]["city"] == "Shenzhen"
    hooks = (await client.get("/v1/webhook-endpoints", headers=tenant.headers())).json()
    assert [h["events"] for h in hooks] == [["order.status_changed"]]
    accounts = (await client.get("/v1/carrier-accounts", headers=tenant.headers())).json()["items"]
    assert accounts[0]["webhook_secret_set"] is True
    assert accounts[0]["options"] == {"simulate_tracking": False}

    zh = await browser.get("/console/lang/zh_Hans", params={"next": "/console/settings"})
    assert zh.status_code == 303
    page = (await browser.get("/console/settings")).text
    assert "承运商账户" in page
    assert "出口商" in page


async def test_new_posts_need_the_csrf_token(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await signed_in(browser, tenant, Role.OWNER)
    order = await approved_order(client, tenant)
    for path, form in (
        (f"/console/orders/{order['id']}/quote", {}),
        (f"/console/orders/{order['id']}/documents", {"type": "packing_list", "locale": "en"}),
        ("/console/settings/policy", {"max_discount_percent": "50"}),
    ):
        assert (await browser.post(path, data=form)).status_code == 403
    assert (await client.get(f"/v1/orders/{order['id']}/landed-cost", headers=tenant.headers())).json() == []


async def test_unapproved_orders_are_not_booked_and_failed_documents_say_why(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    from hub.core.database import fetch, tenant_tx  # noqa: PLC0415

    csrf = await signed_in(browser, tenant, Role.OWNER)
    await set_exporter(browser, csrf)
    await approved_order(client, tenant, incoterm="DAP")
    rush = await client.post(
        "/v1/orders", json=_order(external_ref="RUSH-1", rush=True, incoterm="DAP"), headers=tenant.headers()
    )
    assert rush.json()["status"] == "awaiting_approval"
    page_url = f"/console/orders/{rush.json()['id']}"
    await sandbox_account_via_console(browser, csrf)
    page = (await browser.get(page_url)).text
    assert "book-label" not in page  # no form for an order that may not ship
    forged = await browser.post(
        f"{page_url}/shipments",
        data={"csrf_token": csrf, "carrier_account_id": str(uuid.uuid4()), "service": "standard", "weight_kg": "1"},
    )
    assert forged.status_code == 409
    assert "only approved orders are shipped" in forged.text

    requested = await browser.post(
        f"{page_url}/documents", data={"csrf_token": csrf, "type": "proforma_invoice", "locale": "de"}
    )
    assert requested.status_code == 303, requested.text
    async with tenant_tx(tenant.id):
        await fetch(
            "UPDATE order_documents SET status = 'failed', error = 'RenderError: font missing', rendered_at = now() "
            "WHERE tenant_id = {} AND order_id = {}",
            tenant.id,
            uuid.UUID(rush.json()["id"]),
        )
    page = (await browser.get(page_url)).text
    assert 'data-testid="document-status">Failed<' in page
    assert "RenderError: font missing" in page
    assert "download-pdf" not in page
    document_id = re.search(r'data-document-id="([^"]+)"', page)
    assert document_id
    refused = await browser.get(f"/console/documents/{document_id.group(1)}/file")
    assert refused.status_code == 409


async def test_where_a_tax_is_collected_is_labelled_in_the_clerks_language(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The tax table printed the quote's raw value ('checkout', 'border') on a Chinese page."""
    csrf = await signed_in(browser, tenant, Role.CLERK)
    order = await approved_order(client, tenant)
    assert (await browser.post(f"/console/orders/{order['id']}/quote", data={"csrf_token": csrf})).status_code == 303
    await browser.get("/console/lang/zh_Hans")
    page = (await browser.get(f"/console/orders/{order['id']}")).text
    taxes = page[page.index("征收环节") : page.index('data-testid="explanation"')]
    assert "<td>checkout</td>" not in taxes
    assert "<td>border</td>" not in taxes
    assert "结账时" in taxes or "入境时" in taxes
    assert "19 %" in taxes  # the rate says it is a percentage


async def test_dates_and_sizes_read_in_the_clerks_format(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The order page printed ISO dates (2030-01-15) and attachment sizes in bytes."""
    csrf = await signed_in(browser, tenant, Role.CLERK)
    order = await approved_order(client, tenant, requested_delivery_date="2030-01-15")
    page_url = f"/console/orders/{order['id']}"
    content = b"%PDF-1.4\n" + b"0" * 12_340
    uploaded = await browser.post(
        f"{page_url}/attachments",
        data={"csrf_token": csrf, "kind": "contract"},
        files={"file": ("contract.pdf", content, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text
    english = (await browser.get(page_url)).text
    assert "Requested delivery: Jan 15, 2030" in english  # a date input keeps ISO, as browsers want
    assert "12.3 KB" in english  # 12,349 bytes
    await browser.get("/console/lang/zh_Hans")
    chinese = (await browser.get(page_url)).text
    assert "2030年1月15日" in chinese
    assert "Requested delivery: 2030-01-15" not in english
