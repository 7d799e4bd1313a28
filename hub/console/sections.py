"""The order page's fulfilment sections: landed cost, documents, shipments with tracking, attachments.

Read through the same services the API uses (``landed_cost.history``, ``documents.list_for_order``,
``attachments.list_for_order``, ``carriers.accounts``, ``carriers.shipments``); shipments of an order through
:mod:`hub.console.queries`. Also the pure helpers the templates need (durations, a document's JSON
content as rows).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from carriers import accounts as carrier_accounts
from carriers import shipments as carrier_shipments
from carriers.registry import CARRIERS
from carriers.schemas import CarrierAccountRead, ShipmentRead, TrackingEventRead
from customs.documents.snapshot import DOC_TYPES
from customs.schemas import StoredQuote
from hub.console import queries
from hub.core.settings import Settings
from hub.orders import attachments, documents, landed_cost
from hub.orders.documents import DocumentRead
from hub.orders.schemas import AttachmentRead
from hub.orders.status import BOOKABLE
from tenants.roles import Permission, allows
from tenants.schemas import Principal

DOCUMENT_LOCALES: tuple[str, ...] = ("en", "zh_Hans", "de", "fr", "es", "ja")
ATTACHMENT_KINDS: tuple[str, ...] = attachments.KINDS


@dataclass
class ShipmentView:
    shipment: ShipmentRead
    events: list[TrackingEventRead]
    """Oldest first."""


@dataclass
class OrderSections:
    quote: StoredQuote | None
    quote_count: int
    documents: list[DocumentRead]
    shipments: list[ShipmentView]
    attachments: list[AttachmentRead]
    accounts: list[CarrierAccountRead] = field(default_factory=list)
    """Carrier accounts that book labels (only when the order may be booked by this user)."""
    bookable: bool = False
    doc_types: tuple[str, ...] = DOC_TYPES
    doc_locales: tuple[str, ...] = DOCUMENT_LOCALES
    attachment_kinds: tuple[str, ...] = ATTACHMENT_KINDS


async def bookable_accounts(tenant_id: uuid.UUID, settings: Settings) -> list[CarrierAccountRead]:
    page = await carrier_accounts.list_accounts(tenant_id, settings=settings, limit=200)
    return [
        a
        for a in page.items
        if a.disabled_at is None and a.carrier in CARRIERS and "book" in CARRIERS[a.carrier].capabilities
    ]


async def order_sections(principal: Principal, order_id: uuid.UUID, status: str, settings: Settings) -> OrderSections:
    tenant_id = principal.tenant_id
    quotes = await landed_cost.history(tenant_id, order_id)
    shipments = [
        ShipmentView(shipment=s, events=await carrier_shipments.list_shipment_events(tenant_id, s.id))
        for s in await queries.shipments_for_order(tenant_id, order_id)
    ]
    bookable = status in BOOKABLE and allows(principal.role, Permission.WRITE)
    return OrderSections(
        quote=quotes[-1] if quotes else None,
        quote_count=len(quotes),
        documents=await documents.list_for_order(tenant_id, order_id),
        shipments=shipments,
        attachments=await attachments.list_for_order(tenant_id, order_id),
        accounts=await bookable_accounts(tenant_id, settings) if bookable else [],
        bookable=bookable,
    )


def services_of(accounts: list[CarrierAccountRead]) -> list[str]:
    """Service names the accounts' carriers offer, for the booking form's list."""
    found: list[str] = []
    for account in accounts:
        for name in CARRIERS[account.carrier].services:
            if name not in found:
                found.append(name)
    return found or ["standard"]


def duration_parts(seconds: int) -> tuple[int, int, int]:
    """Days, hours, minutes."""
    minutes = max(0, seconds) // 60
    return minutes // 1440, (minutes % 1440) // 60, minutes % 60


def _display(value: Any) -> str:
    if isinstance(value, dict):
        if "display" in value and isinstance(value["display"], str):
            return value["display"]
        return ", ".join(f"{k}: {_display(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "; ".join(_display(v) for v in value)
    if isinstance(value, bool):
        return "✓" if value else "—"
    return "" if value is None else str(value)


FIRST_FIELDS = (
    "title",
    "order_number",
    "invoice_number",
    "invoice_date_display",
    "currency",
    "incoterm",
    "destination_name",
    "reason_display",
    "item_category_display",
    "exporter",
    "importer",
    "totals",
    "duties",
)
FIRST_COLUMNS = (
    "position",
    "sku",
    "description",
    "hs_code",
    "origin_country",
    "quantity_display",
    "unit_value",
    "line_value",
    "net_weight",
    "gross_weight",
)


def _ordered(keys: list[str], first: tuple[str, ...]) -> list[str]:
    """``first`` in its order (those present), then the rest as stored (PostgreSQL's jsonb key order)."""
    return [k for k in first if k in keys] + [k for k in keys if k not in first]


def content_rows(content: dict[str, Any] | None) -> tuple[list[tuple[str, str]], list[str], list[list[str]]]:
    """A document's JSON content as (field rows, line columns, line rows) for a preview table."""
    if not content:
        return [], [], []
    fields: list[tuple[str, str]] = []
    for key in _ordered(list(content), FIRST_FIELDS):
        value = content[key]
        if key == "lines":
            continue
        if isinstance(value, dict) and "display" not in value:
            for inner, item in value.items():
                shown = _display(item)
                if shown:
                    fields.append((f"{key}.{inner}", shown))
            continue
        shown = _display(value)
        if shown:
            fields.append((key, shown))
    lines = content.get("lines") or []
    columns: list[str] = []
    for line in lines:
        if isinstance(line, dict):
            columns.extend(k for k in line if k not in columns)
    columns = _ordered(columns, FIRST_COLUMNS)
    rows = [[_display(line.get(c)) for c in columns] for line in lines if isinstance(line, dict)]
    return fields, columns, rows
