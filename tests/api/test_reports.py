"""Reports (issue #15): real orders, reviews, quotes, shipments, work items and returns made through the
API, then every figure of ``GET /v1/reports/...`` checked exactly, in JSON and parsed back from CSV and
XLSX; another tenant sees none of it; bad parameters are a 422 naming the field; empty periods are zeros.

Where a test needs a moment in the past (a day boundary, a transit time, an overdue item) it moves the
stored timestamp as the schema owner, which also checks that the rollups follow an ``UPDATE``.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import msgspec
import openpyxl
import pytest

from carriers.units import ShipmentStatus, TrackingReason
from hub.core.database import fetch, tenant_tx
from hub.reports import service
from tenants import service as tenant_service
from tenants import users
from tenants.roles import Role
from tenants.schemas import NewUser, TenantCreate
from tests.api.test_orders import _catalog, _order, file_and_approve
from tests.api.test_returns import _request, _shipped
from tests.api.test_shipping_flow import PARCELS, _setup
from tests.api.test_work_items import _event, _post_events
from tests.conftest import TenantHandle, make_tenant, run_outbox_jobs

pytestmark = pytest.mark.api

REPORTS = ("orders", "reviews", "landed-cost", "shipping", "work-items")


def _eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def _report(
    client: httpx.AsyncClient,
    tenant: TenantHandle,
    name: str,
    params: dict[str, str] | None = None,
    *,
    role: Role = Role.VIEWER,
) -> dict[str, Any]:
    response = await client.get(f"/v1/reports/{name}", params=params, headers=tenant.headers(role))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


async def _tenant_in(zone: str) -> TenantHandle:
    """A tenant in time zone ``zone`` with an owner and a viewer key."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    tenant, owner_key = await tenant_service.create_tenant(
        TenantCreate(slug=slug, name=f"Tenant {slug}", timezone=zone),
        owner=NewUser(email=f"owner@{slug}.example", display_name="Owner Person"),
    )
    viewer = await users.create_user(tenant.id, f"viewer@{slug}.example", "viewer person", Role.VIEWER, None)
    viewer_key = (await tenant_service.create_api_key(tenant.id, Role.VIEWER, "viewer key", viewer)).api_key
    return TenantHandle(tenant.id, slug, {Role.OWNER: owner_key, Role.VIEWER: viewer_key})


async def _order_id(client: httpx.AsyncClient, tenant: TenantHandle, **changes: Any) -> dict[str, Any]:
    created = await client.post("/v1/orders", json=_order(**changes), headers=tenant.headers())
    assert created.status_code == 201, created.text
    order: dict[str, Any] = created.json()
    return order


def _usd_order(ref: str) -> dict[str, Any]:
    return {
        "external_ref": ref,
        "currency": "USD",
        "shipping": {"amount": "2.50", "currency": "USD"},
        "lines": [
            {
                "name": "Mug",
                "quantity": 3,
                "unit_price": {"amount": "5.00", "currency": "USD"},
                "hs_code": "610910",
                "origin_country": "CN",
                "weight_kg": "0.3",
            }
        ],
    }


# --- orders -------------------------------------------------------------------------------------


async def test_orders_by_day_channel_status_and_revenue_per_currency(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    api_eur = await _order_id(client, tenant)  # 2 x 19.90 + 12.00 = 51.80
    manual = await _order_id(
        client,
        tenant,
        external_ref="PHONE-1",
        channel="manual",
        channel_detail="phone",
        lines=[{"sku": "TS-RED-M", "quantity": 1}],
    )  # 19.90 + 12.00 = 31.90
    usd = await _order_id(client, tenant, **_usd_order("USD-1"))  # 3 x 5.00 + 2.50 = 17.50
    assert (api_eur["status"], manual["status"], usd["status"]) == ("approved", "approved", "approved")
    today = datetime.now(UTC).date().isoformat()

    before = await _report(client, tenant, "orders")
    assert before["orders"] == 3
    assert before["revenue"] == [_eur("83.70"), {"amount": "17.50", "currency": "USD"}]

    cancelled = await client.post(
        f"/v1/orders/{manual['id']}/cancel", json={"reason": "customer called back"}, headers=tenant.headers()
    )
    assert cancelled.status_code == 200, cancelled.text

    report = await _report(client, tenant, "orders")
    assert report["period"]["to"] == today
    assert report["period"]["days"] == service.DEFAULT_DAYS
    assert report["interval"] == "day"
    assert report["orders"] == 3
    # The cancelled order is counted, its money is not; the currencies stay apart.
    assert report["revenue"] == [_eur("51.80"), {"amount": "17.50", "currency": "USD"}]
    assert len(report["series"]) == service.DEFAULT_DAYS
    assert report["series"][-1] == {
        "start": today,
        "orders": 3,
        "revenue": [_eur("51.80"), {"amount": "17.50", "currency": "USD"}],
    }
    assert all(bucket["orders"] == 0 and bucket["revenue"] == [] for bucket in report["series"][:-1])
    assert report["by_channel"] == [
        {"channel": "api", "orders": 2, "revenue": [_eur("51.80"), {"amount": "17.50", "currency": "USD"}]},
        {"channel": "manual", "orders": 1, "revenue": []},
    ]
    assert report["by_status"] == [{"key": "approved", "count": 2}, {"key": "cancelled", "count": 1}]

    weekly = await _report(client, tenant, "orders", {"interval": "week", "from": today, "to": today})
    monday = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
    assert weekly["series"] == [
        {"start": monday.isoformat(), "orders": 3, "revenue": [_eur("51.80"), {"amount": "17.50", "currency": "USD"}]}
    ]


async def test_days_are_the_tenants_days_daylight_saving_included(
    client: httpx.AsyncClient, owner: asyncpg.Connection
) -> None:
    berlin = await _tenant_in("Europe/Berlin")
    await _catalog(client, berlin)
    # 2026-03-29 is 23 hours long in Berlin: 2026-03-28T23:00Z to 2026-03-29T22:00Z.
    moments = {
        "2026-03-28T22:30:00+00:00": "2026-03-28",  # 23:30 CET
        "2026-03-28T23:30:00+00:00": "2026-03-29",  # 00:30 CET
        "2026-03-29T21:30:00+00:00": "2026-03-29",  # 23:30 CEST
        "2026-03-29T22:30:00+00:00": "2026-03-30",  # 00:30 CEST
    }
    for n, moment in enumerate(moments):
        order = await _order_id(client, berlin, external_ref=f"DST-{n}")
        await owner.execute(
            "UPDATE orders SET created_at = $1 WHERE tenant_id = $2 AND id = $3",
            datetime.fromisoformat(moment),
            berlin.id,
            uuid.UUID(order["id"]),
        )
    report = await _report(client, berlin, "orders", {"from": "2026-03-28", "to": "2026-03-30"})
    assert report["period"]["timezone"] == "Europe/Berlin"
    assert report["period"]["start"] == "2026-03-27T23:00:00Z"
    assert report["period"]["end"] == "2026-03-30T22:00:00Z"
    assert [(b["start"], b["orders"]) for b in report["series"]] == [
        ("2026-03-28", 1),
        ("2026-03-29", 2),
        ("2026-03-30", 1),
    ]
    assert report["orders"] == 4
    assert (await _report(client, berlin, "orders", {"from": "2026-03-29", "to": "2026-03-29"}))["orders"] == 2


# --- reviews ------------------------------------------------------------------------------------


async def _approved_at(client: httpx.AsyncClient, tenant: TenantHandle, order_id: str) -> int:
    """The approval's lead time in whole seconds, from the order's timeline and its intake time."""
    order = (await client.get(f"/v1/orders/{order_id}", headers=tenant.headers())).json()
    events = (await client.get(f"/v1/orders/{order_id}/events", headers=tenant.headers())).json()
    approved = next(e for e in events if e["kind"] == "order.approved")
    lead = datetime.fromisoformat(approved["at"]) - datetime.fromisoformat(order["created_at"])
    return int(lead.total_seconds() // 1)


async def test_review_outcomes_hold_reasons_lead_time_and_change_requests(
    client: httpx.AsyncClient, tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    await _catalog(client, tenant)
    clean = await _order_id(client, tenant, external_ref="R-CLEAN")
    rush = await _order_id(client, tenant, external_ref="R-RUSH", rush=True)
    no_postcode = await _order_id(
        client,
        tenant,
        external_ref="R-POST",
        ship_to={"name": "Anna", "line1": "Hauptstr. 5", "city": "Berlin", "country": "DE"},
    )
    custom = await _order_id(client, tenant, external_ref="R-CUSTOM", rush=True, customization=True)
    assert [o["status"] for o in (clean, rush, no_postcode, custom)] == [
        "approved",
        "awaiting_approval",
        "on_hold",
        "awaiting_approval",
    ]
    # Entered two hours ago: the approval's lead time is hours, not the test's milliseconds.
    await owner.execute(
        "UPDATE orders SET created_at = created_at - interval '2 hours' WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        uuid.UUID(rush["id"]),
    )
    approved = await client.post(
        f"/v1/orders/{rush['id']}/approve", json={"reason": "rush agreed"}, headers=tenant.headers(Role.APPROVER)
    )
    assert approved.status_code == 200, approved.text
    rejected = await client.post(
        f"/v1/orders/{no_postcode['id']}/reject", json={"reason": "no address"}, headers=tenant.headers(Role.APPROVER)
    )
    assert rejected.status_code == 200, rejected.text
    await file_and_approve(
        client,
        tenant,
        clean["id"],
        {"kind": "delivery_date", "reason": "later please", "requested_delivery_date": "2030-12-24"},
    )
    pending = await client.post(
        f"/v1/orders/{custom['id']}/change-requests",
        json={"kind": "delivery_date", "reason": "even later", "requested_delivery_date": "2030-12-28"},
        headers=tenant.headers(Role.CLERK),
    )
    assert pending.status_code == 201, pending.text
    refused = await client.post(
        f"/v1/orders/{custom['id']}/change-requests",
        json={"kind": "cancel", "reason": "maybe not"},
        headers=tenant.headers(Role.CLERK),
    )
    assert refused.status_code == 201, refused.text
    decided = await client.post(
        f"/v1/change-requests/{refused.json()['id']}/reject",
        json={"reason": "no"},
        headers=tenant.headers(Role.APPROVER),
    )
    assert decided.status_code == 200, decided.text
    lead = await _approved_at(client, tenant, rush["id"])
    assert 7200 <= lead < 7300

    report = await _report(client, tenant, "reviews")
    assert report["reviewed"] == 4
    assert report["auto_approved"] == 1
    assert report["held"] == 3
    assert report["outcomes"] == [
        {"key": "approved", "count": 1},
        {"key": "awaiting_approval", "count": 2},
        {"key": "on_hold", "count": 1},
    ]
    assert report["hold_reasons"] == [
        {"key": "rush", "count": 2},
        {"key": "customization", "count": 1},
        {"key": "postal_code_missing", "count": 1},
    ]
    assert report["approval_lead_time"] == {"count": 1, "p50_seconds": lead, "p90_seconds": lead}
    assert report["rejected"] == 1
    kinds = {row["kind"]: row for row in report["change_requests"]}
    assert kinds["delivery_date"] == {
        "kind": "delivery_date",
        "requested": 2,
        "applied": 1,
        "rejected": 0,
        "pending": 1,
    }
    assert kinds["cancel"] == {"kind": "cancel", "requested": 1, "applied": 0, "rejected": 1, "pending": 0}
    assert kinds["address"]["requested"] == 0


# --- landed cost --------------------------------------------------------------------------------


def _amount(quote: dict[str, Any], field: str) -> Decimal:
    return Decimal(quote[field]["amount"])


async def test_landed_cost_by_destination_and_chapter_from_each_orders_latest_quote(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    ddp = await _order_id(client, tenant, external_ref="LC-DDP")
    dap = await _order_id(
        client, tenant, external_ref="LC-DAP", incoterm="DAP", lines=[{"sku": "TS-RED-M", "quantity": 3}]
    )
    await _order_id(client, tenant, external_ref="LC-NONE")
    quotes = {}
    for order, options in ((ddp, {"date": "2026-11-27"}), (dap, {"date": "2026-11-27"})):
        quoted = await client.post(f"/v1/orders/{order['id']}/landed-cost", json=options, headers=tenant.headers())
        assert quoted.status_code == 201, quoted.text
        quotes[order["id"]] = quoted.json()
    # Quoted again with insurance: only this latest quote of the order counts.
    again = await client.post(
        f"/v1/orders/{ddp['id']}/landed-cost", json={"date": "2026-11-27", "insurance": "40"}, headers=tenant.headers()
    )
    assert again.status_code == 201, again.text
    assert again.json()["customs_value"] != quotes[ddp["id"]]["customs_value"]
    quotes[ddp["id"]] = again.json()
    latest = list(quotes.values())
    assert {q["currency"] for q in latest} == {"EUR"}
    assert {q["payer"] for q in latest} == {"seller", "buyer"}

    report = await _report(client, tenant, "landed-cost")
    assert report["orders_quoted"] == 2
    assert report["orders_unquoted"] == 1

    def total(field: str, quotes: list[dict[str, Any]]) -> dict[str, str]:
        return _eur(format(sum((_amount(q, field) for q in quotes), Decimal(0)), "f"))

    assert report["by_destination"] == [
        {
            "destination": "DE",
            "currency": "EUR",
            "orders": 2,
            "customs_value": total("customs_value", latest),
            "duty": total("duty_total", latest),
            "tax": total("tax_total", latest),
            "fee": total("fee_total", latest),
            "landed_cost": total("landed_cost_total", latest),
        }
    ]
    lines = [line for q in latest for line in q["lines"]]
    assert {line["hs_code"][:2] for line in lines} == {"61"}
    assert report["by_chapter"] == [
        {
            "chapter": "61",
            "currency": "EUR",
            "lines": len(lines),
            "customs_value": _eur(format(sum(Decimal(ln["customs_value"]["amount"]) for ln in lines), "f")),
            "duty": _eur(format(sum(Decimal(ln["duty"]["amount"]) for ln in lines), "f")),
        }
    ]
    seller = quotes[ddp["id"]]
    assert seller["payer"] == "seller"
    borne = _amount(seller, "duty_total") + _amount(seller, "tax_total") + _amount(seller, "fee_total")
    assert borne > 0
    assert report["seller_borne"] == [
        {
            "currency": "EUR",
            "orders": 1,
            "duty": seller["duty_total"],
            "tax": seller["tax_total"],
            "fee": seller["fee_total"],
            "total": _eur(format(borne, "f")),
        }
    ]


# --- shipping -----------------------------------------------------------------------------------


async def test_shipping_on_time_transit_exceptions_customs_holds_and_stale(
    client: httpx.AsyncClient, tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    first, account, path = await _setup(client, tenant, quoted=True)
    second = await _order_id(client, tenant, external_ref="SHIP-2")
    third = await _order_id(client, tenant, external_ref="SHIP-3")
    shipments = []
    for order in (first, second, third):
        if order is not first:
            quoted = await client.post(
                f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
            )
            assert quoted.status_code == 201, quoted.text
        booked = await client.post(
            "/v1/shipments",
            json={
                "order_id": order["id"],
                "carrier_account_id": account["id"],
                "service": "standard",
                "parcels": PARCELS,
            },
            headers=tenant.headers(),
        )
        assert booked.status_code == 201, booked.text
        shipments.append(booked.json())
    await run_outbox_jobs(tenant.id)
    delivered, held, quiet = shipments
    # Booked five days ago on the hour; delivered 50 hours later; the third has heard nothing for 8 days.
    base = (datetime.now(UTC) - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    await owner.execute(
        "UPDATE shipments SET booked_at = $1 WHERE tenant_id = $2 AND id = $3",
        base,
        tenant.id,
        uuid.UUID(delivered["id"]),
    )
    await owner.execute(
        "UPDATE shipments SET booked_at = $1 WHERE tenant_id = $2 AND id = $3",
        datetime.now(UTC) - timedelta(days=8),
        tenant.id,
        uuid.UUID(quiet["id"]),
    )
    tracking = delivered["tracking_number"]
    in_transit = _event(tracking, "PICKED_UP", ShipmentStatus.IN_TRANSIT, None, 1)
    arrived = _event(tracking, "DELIVERED", ShipmentStatus.DELIVERED, None, 2)
    in_transit = msgspec.structs.replace(in_transit, occurred_at=base + timedelta(hours=10))
    arrived = msgspec.structs.replace(arrived, occurred_at=base + timedelta(hours=50))
    await _post_events(client, tenant, path, [in_transit, arrived])
    await _post_events(
        client,
        tenant,
        path,
        [
            _event(held["tracking_number"], "PICKED_UP", ShipmentStatus.IN_TRANSIT, None, 1),
            _event(held["tracking_number"], "CUSTOMS_HELD", ShipmentStatus.EXCEPTION, TrackingReason.CUSTOMS_HOLD, 2),
        ],
    )

    report = await _report(client, tenant, "shipping")
    assert report["shipments"] == 3
    assert report["delivered"] == 1
    assert report["with_promise"] == 1  # the order asked for 2030-12-20
    assert report["on_time"] == 1
    assert report["on_time_rate"] == "1.0000"
    assert report["transit"] == {"count": 1, "p50_seconds": 50 * 3600, "p90_seconds": 50 * 3600}
    assert report["by_carrier_destination"] == [
        {
            "carrier": "sandbox",
            "destination": "DE",
            "shipments": 3,
            "delivered": 1,
            "with_promise": 1,
            "on_time": 1,
            "on_time_rate": "1.0000",
            "transit": {"count": 1, "p50_seconds": 50 * 3600, "p90_seconds": 50 * 3600},
            "exceptions": 1,
            "customs_holds": 1,
        }
    ]
    assert report["by_status"] == [
        {"key": "booked", "count": 1},
        {"key": "delivered", "count": 1},
        {"key": "exception", "count": 1},
    ]
    assert report["exceptions"] == [{"key": "customs_hold", "count": 1}]
    assert report["exception_shipments"] == 1
    assert report["customs_holds"] == 1
    assert report["stale"] == 1
    assert report["stale_after_hours"] == 168

    # A delivery after the requested date is late: the date moves back before the delivery day.
    await owner.execute(
        "UPDATE orders SET requested_delivery_date = $1 WHERE tenant_id = $2 AND id = $3",
        (base + timedelta(hours=26)).date(),
        tenant.id,
        uuid.UUID(first["id"]),
    )
    late = await _report(client, tenant, "shipping")
    assert (late["with_promise"], late["on_time"], late["on_time_rate"]) == (1, 0, "0.0000")


# --- work items and returns ---------------------------------------------------------------------


async def test_work_items_by_sla_and_clerk_and_returns_with_refunds(
    client: httpx.AsyncClient, tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    order, _, _ = await _shipped(client, tenant)  # 3 shirts, 59.70 + 12.00 shipping, delivered
    items = []
    for text in ("Print peels off", "Wrong colour", "Seam open"):
        created = await client.post(
            "/v1/work-items",
            json={"order_id": order["id"], "kind": "quality", "description": text},
            headers=tenant.headers(Role.CLERK),
        )
        assert created.status_code == 201, created.text
        items.append(created.json())
    # The first was opened four days ago: past its 72-hour SLA, then resolved (late) by the clerk.
    await owner.execute(
        "UPDATE work_items SET opened_at = opened_at - interval '4 days', due_at = due_at - interval '4 days' "
        "WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        uuid.UUID(items[0]["id"]),
    )
    for item, role in ((items[0], Role.CLERK), (items[1], Role.ADMIN)):
        resolved = await client.post(
            f"/v1/work-items/{item['id']}/resolve", json={"resolution": "refunded"}, headers=tenant.headers(role)
        )
        assert resolved.status_code == 200, resolved.text
    async with tenant_tx(tenant.id):
        rows = await fetch(
            "SELECT id, resolved_by, extract(epoch FROM resolved_at - opened_at) AS took FROM work_items "
            "WHERE tenant_id = {} AND status = 'resolved'",
            tenant.id,
        )
    took = {row["resolved_by"]: row["took"] for row in rows}
    clerk = next(actor for actor, seconds in took.items() if seconds > 3 * 86400)

    whole = await _request(client, tenant, order["id"], [{"line_no": 1, "quantity": 3, "condition": "damaged"}])
    assert whole.status_code == 201, whole.text
    rma = whole.json()
    url = f"/v1/returns/{rma['id']}"
    approved = await client.post(f"{url}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER))
    assert approved.status_code == 200, approved.text
    labelled = await client.post(f"{url}/label", headers=tenant.headers(Role.CLERK))
    assert labelled.status_code == 200, labelled.text
    received = await client.post(
        f"{url}/receive",
        json={"lines": [{"line_no": 1, "quantity": 3, "disposition": "restock"}]},
        headers=tenant.headers(Role.CLERK),
    )
    assert received.status_code == 200, received.text
    assert received.json()["refund"] == _eur("71.70")
    assert received.json()["refund_shipping"] == _eur("12.00")

    report = await _report(client, tenant, "work-items")
    assert report["opened"] == 3
    assert report["resolved"] == 2
    assert report["breached"] == 1  # resolved a day after it was due
    quality = next(row for row in report["open_by_sla"] if row["kind"] == "quality")
    assert quality == {"kind": "quality", "sla_hours": 72, "open": 1, "breached": 0}
    assert {row["kind"] for row in report["open_by_sla"] if row["open"]} == {"quality"}

    def seconds(value: Decimal) -> int:
        return int(value.quantize(Decimal(1), rounding="ROUND_HALF_UP"))

    admin = next(actor for actor in took if actor != clerk)
    assert sorted(report["by_clerk"], key=lambda row: row["clerk"]) == sorted(
        [
            {
                "clerk": clerk,
                "name": "clerk person",
                "resolved": 1,
                "breached": 1,
                "resolution_time": {
                    "count": 1,
                    "p50_seconds": seconds(took[clerk]),
                    "p90_seconds": seconds(took[clerk]),
                },
            },
            {
                "clerk": admin,
                "name": "admin person",
                "resolved": 1,
                "breached": 0,
                "resolution_time": {
                    "count": 1,
                    "p50_seconds": seconds(took[admin]),
                    "p90_seconds": seconds(took[admin]),
                },
            },
        ],
        key=lambda row: row["clerk"],
    )
    low, high = sorted(took.values())
    assert report["resolution_time"] == {
        "count": 2,
        "p50_seconds": seconds(low + (high - low) * Decimal("0.5")),
        "p90_seconds": seconds(low + (high - low) * Decimal("0.9")),
    }
    assert report["returns"] == [
        {
            "currency": "EUR",
            "requested": 1,
            "refunded": 1,
            "refund_amount": _eur("71.70"),
            "refund_shipping": _eur("12.00"),
        }
    ]
    assert report["returns_by_status"] == [{"key": "received", "count": 1}]
    # The return label is a shipment too, but not an outbound one.
    assert (await _report(client, tenant, "shipping"))["shipments"] == 1


# --- exports --------------------------------------------------------------------------------------


def _csv_sections(content: bytes) -> dict[str, list[dict[str, str]]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    found: dict[str, list[dict[str, str]]] = {}
    for block in text.lstrip("\ufeff").split("\r\n\r\n"):
        if not block.strip():
            continue
        rows = list(csv.reader(io.StringIO(block)))
        assert rows[0][0].startswith("# ")
        header = rows[1]
        found[rows[0][0][2:]] = [dict(zip(header, row, strict=True)) for row in rows[2:]]
    return found


def _xlsx_sections(content: bytes) -> dict[str, list[dict[str, Any]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    try:
        found = {}
        for sheet in workbook.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            header = [str(cell) for cell in rows[0]]
            # A row's empty trailing cells are not stored: pad them back.
            padded = [(*row, *([None] * (len(header) - len(row)))) for row in rows[1:]]
            found[sheet.title] = [dict(zip(header, row, strict=True)) for row in padded]
        return found
    finally:
        workbook.close()


def _decimal(value: Any) -> Decimal:
    """A number as a spreadsheet gives it back (XLSX numbers are read as float or int)."""
    return Decimal(str(value))


async def _exports(
    client: httpx.AsyncClient, tenant: TenantHandle, name: str, params: dict[str, str]
) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]], dict[str, list[dict[str, Any]]]]:
    report = await _report(client, tenant, name, params)
    as_csv = await client.get(f"/v1/reports/{name}", params={**params, "format": "csv"}, headers=tenant.headers())
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"].startswith(f'attachment; filename="{name}-')
    as_xlsx = await client.get(f"/v1/reports/{name}", params={**params, "format": "xlsx"}, headers=tenant.headers())
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return report, _csv_sections(as_csv.content), _xlsx_sections(as_xlsx.content)


async def test_csv_and_xlsx_exports_parse_back_to_the_same_numbers(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    eur = await _order_id(client, tenant, external_ref="EX-1")
    await _order_id(client, tenant, **_usd_order("EX-2"))
    quoted = await client.post(
        f"/v1/orders/{eur['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert quoted.status_code == 201, quoted.text
    today = datetime.now(UTC).date().isoformat()

    orders, csv_orders, xlsx_orders = await _exports(client, tenant, "orders", {"from": today, "to": today})
    for sections in (csv_orders, xlsx_orders):
        assert {row["field"]: row["value"] for row in sections["period"]}["from"] == today
        summary = {(row["metric"], row["currency"] or None): row["value"] for row in sections["summary"]}
        assert int(summary[("orders", None)]) == orders["orders"] == 2
        assert _decimal(summary[("revenue", "EUR")]) == Decimal("51.80")
        assert _decimal(summary[("revenue", "USD")]) == Decimal("17.50")
        (day,) = sections["series"]
        assert day["start"] == today
        assert int(day["orders"]) == 2
        assert (_decimal(day["revenue_EUR"]), _decimal(day["revenue_USD"])) == (Decimal("51.80"), Decimal("17.50"))
        (api,) = sections["by_channel"]
        assert (api["channel"], int(api["orders"])) == ("api", 2)
        assert {row["status"]: int(row["orders"]) for row in sections["by_status"]} == {"approved": 2}
    assert csv_orders["series"][0]["revenue_EUR"] == "51.80", "CSV keeps the amount's text"

    cost, csv_cost, xlsx_cost = await _exports(client, tenant, "landed-cost", {"from": today, "to": today})
    (destination,) = cost["by_destination"]
    for sections in (csv_cost, xlsx_cost):
        (row,) = sections["by_destination"]
        assert (row["destination"], row["currency"], int(row["orders"])) == ("DE", "EUR", 1)
        for field in ("customs_value", "duty", "tax", "fee", "landed_cost"):
            assert _decimal(row[field]) == Decimal(destination[field]["amount"]), field
        (chapter,) = sections["by_chapter"]
        assert chapter["chapter"] == "61"
        assert _decimal(chapter["duty"]) == Decimal(cost["by_chapter"][0]["duty"]["amount"])
        counts = {row["metric"]: int(row["value"]) for row in sections["summary"]}
        assert counts == {"orders_quoted": 1, "orders_unquoted": 1}

    for name in ("reviews", "shipping", "work-items"):
        report, as_csv, as_xlsx = await _exports(client, tenant, name, {"from": today, "to": today})
        for sections in (as_csv, as_xlsx):
            values = {row["metric"]: row["value"] for row in sections["summary"]}
            for metric, value in values.items():
                expected = report
                for part in _summary_path(metric):
                    expected = expected[part]
                assert (None if value in ("", None) else _decimal(value)) == (
                    None if expected is None else Decimal(str(expected))
                ), (name, metric)


def _summary_path(metric: str) -> list[str]:
    """Where a summary row's value lives in the JSON: ``transit_p50_seconds`` is transit.p50_seconds."""
    for prefix in ("approval_lead_time", "transit", "resolution_time"):
        if metric.startswith(prefix + "_"):
            return [prefix, metric.removeprefix(prefix + "_")]
    return [metric]


async def test_a_formula_in_a_persons_name_is_defused_in_the_csv(client: httpx.AsyncClient) -> None:
    tenant = await make_tenant()
    await _catalog(client, tenant)
    order = await _order_id(client, tenant)
    person = await users.create_user(tenant.id, f"evil@{tenant.slug}.example", "=HYPERLINK(1)", Role.CLERK, None)
    key = (await tenant_service.create_api_key(tenant.id, Role.CLERK, "k", person)).api_key
    headers = {"Authorization": f"Bearer {key}"}
    item = await client.post(
        "/v1/work-items", json={"order_id": order["id"], "kind": "quality", "description": "x"}, headers=headers
    )
    assert item.status_code == 201, item.text
    resolved = await client.post(
        f"/v1/work-items/{item.json()['id']}/resolve", json={"resolution": "ok"}, headers=headers
    )
    assert resolved.status_code == 200, resolved.text
    exported = await client.get("/v1/reports/work-items", params={"format": "csv"}, headers=tenant.headers())
    (row,) = _csv_sections(exported.content)["by_clerk"]
    assert row["name"] == "'=HYPERLINK(1)"


# --- the edges ----------------------------------------------------------------------------------


async def test_another_tenant_sees_none_of_it(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    order = await _order_id(client, tenant)
    quoted = await client.post(
        f"/v1/orders/{order['id']}/landed-cost", json={"date": "2026-11-27"}, headers=tenant.headers()
    )
    assert quoted.status_code == 201, quoted.text
    item = await client.post(
        "/v1/work-items",
        json={"order_id": order["id"], "kind": "quality", "description": "x"},
        headers=tenant.headers(Role.CLERK),
    )
    assert item.status_code == 201, item.text
    mine = await _report(client, tenant, "orders")
    assert mine["orders"] == 1
    assert (await _report(client, tenant, "landed-cost"))["orders_quoted"] == 1
    assert (await _report(client, tenant, "work-items"))["opened"] == 1

    theirs = {name: await _report(client, other_tenant, name) for name in REPORTS}
    assert theirs["orders"]["orders"] == 0
    assert theirs["orders"]["revenue"] == []
    assert theirs["orders"]["by_channel"] == theirs["orders"]["by_status"] == []
    assert theirs["reviews"]["reviewed"] == 0
    assert theirs["landed-cost"]["orders_quoted"] == theirs["landed-cost"]["orders_unquoted"] == 0
    assert theirs["shipping"]["shipments"] == 0
    assert theirs["work-items"]["opened"] == 0
    assert all(row["open"] == 0 for row in theirs["work-items"]["open_by_sla"])
    # And the rollups hold no row of A's under B's name, nor any row at all without a tenant set.
    async with tenant_tx(other_tenant.id):
        rows = await fetch("SELECT count(*) AS n FROM report_orders_daily")
    assert rows[0]["n"] == 0
    rows = await fetch("SELECT count(*) AS n FROM report_orders_daily")
    assert rows[0]["n"] == 0


async def test_an_empty_period_answers_zeros_in_every_format(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    params = {"from": "2001-02-01", "to": "2001-02-28"}
    for name in REPORTS:
        report = await _report(client, tenant, name, params)
        assert report["period"]["from"] == "2001-02-01"
        assert report["period"]["days"] == 28
        for fmt in ("csv", "xlsx"):
            exported = await client.get(
                f"/v1/reports/{name}", params={**params, "format": fmt}, headers=tenant.headers()
            )
            assert exported.status_code == 200, exported.text
    orders = await _report(client, tenant, "orders", params)
    assert orders["orders"] == 0
    assert orders["revenue"] == []
    assert [b["orders"] for b in orders["series"]] == [0] * 28
    reviews = await _report(client, tenant, "reviews", params)
    assert (reviews["reviewed"], reviews["held"], reviews["hold_reasons"]) == (0, 0, [])
    assert reviews["approval_lead_time"] == {"count": 0, "p50_seconds": None, "p90_seconds": None}
    shipping = await _report(client, tenant, "shipping", params)
    assert (shipping["shipments"], shipping["on_time_rate"], shipping["transit"]["p50_seconds"]) == (0, None, None)
    work = await _report(client, tenant, "work-items", params)
    assert (work["opened"], work["resolved"], work["returns"]) == (0, 0, [])


YEAR_AGO = (datetime.now(UTC).date() - timedelta(days=400)).isoformat()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"from": "2026-13-01"}, "from", id="from-month-13"),
        pytest.param({"from": "20260101"}, "from", id="from-not-yyyy-mm-dd"),
        pytest.param({"to": "2026-02-30"}, "to", id="to-30-february"),
        pytest.param({"to": "9999-01-01"}, "to", id="to-year-9999"),
        pytest.param({"from": "1999-12-31", "to": "2000-01-01"}, "from", id="from-before-2000"),
        pytest.param({"from": "2026-03-10", "to": "2026-03-09"}, "to", id="to-before-from"),
        pytest.param({"from": "2025-01-01", "to": "2026-01-02"}, "to", id="367-days"),
        pytest.param({"from": YEAR_AGO}, "to", id="from-400-days-ago-to-today"),
        pytest.param({"format": "pdf"}, "format", id="format-unknown"),
        pytest.param({"from": "x" * 300}, "from", id="from-too-long"),
        pytest.param({"from": "2026-01-01\u0000"}, "from", id="from-nul"),
    ],
)
@pytest.mark.parametrize("name", REPORTS)
async def test_a_bad_parameter_is_a_422_naming_it(
    client: httpx.AsyncClient, tenant: TenantHandle, name: str, params: dict[str, str], field: str
) -> None:
    response = await client.get(f"/v1/reports/{name}", params=params, headers=tenant.headers())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field], response.text


async def test_interval_is_day_or_week_and_every_bad_parameter_is_named_at_once(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    response = await client.get(
        "/v1/reports/orders",
        params={"interval": "month", "from": "2026-02-30", "format": "ods"},
        headers=tenant.headers(),
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["from", "format", "interval"]
    assert (await _report(client, tenant, "orders", {"interval": "week"}))["interval"] == "week"


async def test_a_full_year_is_the_longest_period(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    report = await _report(client, tenant, "orders", {"from": "2024-01-01", "to": "2024-12-31"})
    assert report["period"]["days"] == 366
    assert len(report["series"]) == 366


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_that_reads_orders_reads_reports(
    client: httpx.AsyncClient, tenant: TenantHandle, role: Role
) -> None:
    for name in REPORTS:
        await _report(client, tenant, name, role=role)


async def test_reports_need_a_key(client: httpx.AsyncClient) -> None:
    for name in REPORTS:
        response = await client.get(f"/v1/reports/{name}")
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_day_changed_after_it_was_read_is_read_again(
    client: httpx.AsyncClient, tenant: TenantHandle, owner: asyncpg.Connection
) -> None:
    """The rollup of a past day follows a change to that day's orders (the dirty-day marks)."""
    await _catalog(client, tenant)
    order = await _order_id(client, tenant)
    old = date(2026, 6, 15)
    await owner.execute(
        "UPDATE orders SET created_at = $1 WHERE tenant_id = $2 AND id = $3",
        datetime(2026, 6, 15, 12, tzinfo=UTC),
        tenant.id,
        uuid.UUID(order["id"]),
    )
    june = {"from": old.isoformat(), "to": old.isoformat()}
    assert (await _report(client, tenant, "orders", june))["revenue"] == [_eur("51.80")]
    cancelled = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=tenant.headers())
    assert cancelled.status_code == 200, cancelled.text
    again = await _report(client, tenant, "orders", june)
    assert again["revenue"] == []
    assert again["by_status"] == [{"key": "cancelled", "count": 1}]
    # Nothing is left to recompute for that day, and its rollup rows are there.
    async with tenant_tx(tenant.id):
        marks = await fetch(
            "SELECT count(*) AS n FROM report_dirty_days WHERE tenant_id = {} AND report = 'orders' AND day = {}",
            tenant.id,
            old,
        )
        rows = await fetch(
            "SELECT count(*) AS n FROM report_orders_daily WHERE tenant_id = {} AND day = {}", tenant.id, old
        )
    assert marks[0]["n"] == 0
    assert rows[0]["n"] == 1
