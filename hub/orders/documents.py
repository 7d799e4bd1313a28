"""Customs documents of an order: snapshot, pre-flight, render by a job, version, supersede.

The orders domain builds the :class:`~customs.documents.snapshot.DocumentSnapshot` (it owns the
mapping from its tables); ``customs.documents`` checks and renders it. A request answers 202 with the
document ``pending``; the ``render_document`` job makes it ``ready`` with its PDF, JSON and SHA-256,
or ``failed`` with the reason, never a hung ``pending``. A change to the order marks its documents
superseded; the next version links to the one before.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec

from customs.documents.preflight import Finding as PreflightFinding
from customs.documents.preflight import preflight, raise_for_blocking
from customs.documents.render import render_json, render_pdf
from customs.documents.sdr import load_sdr_rates
from customs.documents.snapshot import (
    Address,
    DocType,
    DocumentLine,
    DocumentSnapshot,
    ItemCategory,
    LandedCostFigures,
    Party,
    ReasonForExport,
    Signatory,
)
from customs.quotes import list_quotes_for_order
from hub.core import outbox
from hub.core.database import fetch, tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound
from hub.core.ids import new_id
from hub.core.validation import raise_if
from hub.orders import timeline
from hub.orders.codec import decode_json, format_number
from hub.orders.repository import orders as repo
from i18n import normalize_locale
from tenants.schemas import Principal


class DocumentRequest(msgspec.Struct, kw_only=True):
    type: DocType
    locale: str = "en"
    reason_for_export: ReasonForExport = "sale"
    item_category: ItemCategory | None = None
    exporter: Party | None = None
    """Defaults to the tenant's ``settings.exporter``."""
    signatory: Signatory | None = None
    importer_is_business: bool = False
    importer_eori: str = ""
    importer_vat_number: str = ""
    seller_collects_vat: bool = False


class DocumentRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    type: str
    locale: str
    version: int
    status: Literal["pending", "ready", "failed"]
    sha256: str | None
    error: str | None
    findings: list[dict[str, Any]]
    previous_id: uuid.UUID | None
    superseded: bool
    created_at: datetime
    rendered_at: datetime | None
    content: dict[str, Any] | None = None


def _read(row: dict[str, Any], *, with_content: bool = False) -> DocumentRead:
    return DocumentRead(
        id=row["id"],
        order_id=row["order_id"],
        type=row["type"],
        locale=row["locale"],
        version=row["version"],
        status=row["status"],
        sha256=row["sha256"],
        error=row["error"],
        findings=decode_json(row["findings"]),
        previous_id=row["previous_id"],
        superseded=row["superseded_at"] is not None,
        created_at=row["created_at"],
        rendered_at=row["rendered_at"],
        content=decode_json(row["content"]) if with_content and row["content"] is not None else None,
    )


def _exporter(principal: Principal, request: DocumentRequest) -> Party:
    if request.exporter is not None:
        return request.exporter
    stored = principal.settings.get("exporter")
    if stored is None:
        raise_if(
            [
                FieldError(
                    "exporter", "send the exporter (name, address, EORI/VAT/IOSS) or set it in the tenant settings"
                )
            ]
        )
    return msgspec.convert(stored, Party)


def build_snapshot(
    principal: Principal,
    request: DocumentRequest,
    order: dict[str, Any],
    lines: list[dict[str, Any]],
    quote: Any | None,
) -> DocumentSnapshot:
    ship_to = decode_json(order["ship_to"])
    customer = decode_json(order["customer"])
    currency = order["currency"]
    invoice_lines = []
    for line in lines:
        weight = None if line["weight_kg"] is None else Decimal(line["weight_kg"]) * line["quantity"]
        invoice_lines.append(
            DocumentLine(
                sku=line["sku"] or "",
                description=line["name"],
                hs_code=line["hs_code"] or "",
                origin_country=line["origin_country"] or "",
                quantity=line["quantity"],
                unit_value=Decimal(line["line_total"]) / line["quantity"],
                line_value=Decimal(line["line_total"]),
                net_weight_kg=weight,
                gross_weight_kg=weight,
            )
        )
    importer = Party(
        name=ship_to.get("name") or customer.get("name") or "",
        company=ship_to.get("company") or "",
        address=Address(
            line1=ship_to.get("line1") or "",
            line2=ship_to.get("line2") or "",
            city=ship_to.get("city") or "",
            region=ship_to.get("region") or "",
            postal_code=ship_to.get("postal_code") or "",
            country=ship_to.get("country") or "",
        ),
        phone=customer.get("phone") or "",
        email=customer.get("email") or "",
        eori=request.importer_eori,
        vat_number=request.importer_vat_number,
        is_business=request.importer_is_business,
    )
    landed = None
    if quote is not None:
        landed = LandedCostFigures(
            duty_total=quote.duty_total,
            tax_total=quote.tax_total,
            fee_total=quote.fee_total,
            payer="seller" if quote.payer == "seller" else "buyer",
            quote_reference=str(quote.id),
            rules_version=quote.rules_version,
        )
    number = format_number(order["number"])
    return DocumentSnapshot(
        order_number=number,
        invoice_number=f"INV-{number}",
        invoice_date=datetime.now(UTC).date(),
        currency=currency,
        exporter=_exporter(principal, request),
        importer=importer,
        destination_country=ship_to.get("country") or "",
        lines=invoice_lines,
        incoterm=order["incoterm"],
        reason_for_export=request.reason_for_export,
        item_category=request.item_category,
        freight=Decimal(order["shipping"]),
        invoice_total=Decimal(order["total"]),
        seller_collects_vat=request.seller_collects_vat,
        duties_paid_by="seller" if order["incoterm"] == "DDP" else "buyer",
        landed_cost=landed,
        signatory=request.signatory,
        signature_date=datetime.now(UTC).date(),
    )


async def request_document(principal: Principal, order_id: uuid.UUID, request: DocumentRequest) -> DocumentRead:
    """Pre-flight now (409 with the findings if anything blocks), render later in a job (202)."""
    locale = normalize_locale(request.locale)
    if locale is None:
        raise_if([FieldError("locale", f"unsupported locale {request.locale!r}: en, zh_Hans, de, fr, es, ja")])
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await repo.get_order_row(tenant_id, order_id)
        if order is None:
            raise NotFound("no such order")
        if order["status"] in ("cancelled", "rejected"):
            raise Conflict(f"order {format_number(order['number'])} is {order['status']}")
        lines = await repo.get_lines(tenant_id, order_id)
        quotes = await list_quotes_for_order(tenant_id, order_id)
        snapshot = build_snapshot(principal, request, order, lines, quotes[-1] if quotes else None)
        findings: list[PreflightFinding] = preflight(snapshot, request.type, sdr_rates=load_sdr_rates())
        raise_for_blocking(findings)
        previous = await fetch(
            "SELECT id, version FROM order_documents WHERE tenant_id = {} AND order_id = {} AND type = {} "
            "ORDER BY version DESC LIMIT 1 FOR UPDATE",
            tenant_id,
            order_id,
            request.type,
        )
        document_id = new_id()
        await fetch(
            "INSERT INTO order_documents (tenant_id, id, order_id, type, locale, version, order_version, snapshot, "
            "findings, previous_id, created_by) VALUES ({}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}::jsonb, {}, {})",
            tenant_id,
            document_id,
            order_id,
            request.type,
            locale,
            (previous[0]["version"] + 1) if previous else 1,
            order["version"],
            msgspec.json.encode(snapshot).decode(),
            msgspec.json.encode(findings).decode(),
            previous[0]["id"] if previous else None,
            principal.actor,
        )
        if previous:
            await fetch(
                "UPDATE order_documents SET superseded_at = coalesce(superseded_at, now()) "
                "WHERE tenant_id = {} AND id = {}",
                tenant_id,
                previous[0]["id"],
            )
        await outbox.enqueue(tenant_id, "render_document", {"document_id": str(document_id)})
        await timeline.record(
            tenant_id,
            order_id,
            principal.actor,
            "document.requested",
            {"document_id": str(document_id), "type": request.type, "locale": locale},
        )
        rows = await fetch("SELECT * FROM order_documents WHERE tenant_id = {} AND id = {}", tenant_id, document_id)
        return _read(rows[0])


async def render_document(ctx: dict[str, Any], tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Outbox job body: render the stored snapshot; any failure is recorded, never left pending."""
    del ctx
    document_id = uuid.UUID(payload["document_id"])
    rows = await fetch(
        "SELECT type, locale, snapshot, status, order_id FROM order_documents WHERE tenant_id = {} AND id = {} "
        "FOR UPDATE",
        tenant_id,
        document_id,
    )
    if not rows or rows[0]["status"] != "pending":
        return
    row = rows[0]
    try:
        snapshot = msgspec.convert(decode_json(row["snapshot"]), DocumentSnapshot)
        pdf = render_pdf(snapshot, row["type"], row["locale"])
        content = render_json(snapshot, row["type"], row["locale"])
    except Exception as exc:
        await fetch(
            "UPDATE order_documents SET status = 'failed', error = {}, rendered_at = now() "
            "WHERE tenant_id = {} AND id = {}",
            f"{type(exc).__name__}: {exc}"[:2000],
            tenant_id,
            document_id,
        )
        await timeline.record(
            tenant_id, row["order_id"], "system:documents", "document.failed", {"document_id": str(document_id)}
        )
        return
    await fetch(
        "UPDATE order_documents SET status = 'ready', pdf = {}, content = {}::jsonb, sha256 = {}, rendered_at = now() "
        "WHERE tenant_id = {} AND id = {}",
        pdf,
        msgspec.json.encode(content).decode(),
        hashlib.sha256(pdf).hexdigest(),
        tenant_id,
        document_id,
    )
    await timeline.record(
        tenant_id,
        row["order_id"],
        "system:documents",
        "document.ready",
        {"document_id": str(document_id), "type": row["type"], "sha256": hashlib.sha256(pdf).hexdigest()},
    )


async def supersede_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> None:
    """Called when the order changes: documents issued for the old version no longer describe it."""
    await fetch(
        "UPDATE order_documents SET superseded_at = now() WHERE tenant_id = {} AND order_id = {} "
        "AND superseded_at IS NULL",
        tenant_id,
        order_id,
    )


async def get_document(tenant_id: uuid.UUID, document_id: uuid.UUID) -> DocumentRead:
    async with tenant_tx(tenant_id):
        rows = await fetch("SELECT * FROM order_documents WHERE tenant_id = {} AND id = {}", tenant_id, document_id)
    if not rows:
        raise NotFound("no such document")
    return _read(rows[0], with_content=True)


async def document_pdf(tenant_id: uuid.UUID, document_id: uuid.UUID) -> tuple[bytes, str]:
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT status, pdf, type, version, error FROM order_documents WHERE tenant_id = {} AND id = {}",
            tenant_id,
            document_id,
        )
    if not rows:
        raise NotFound("no such document")
    row = rows[0]
    if row["status"] != "ready":
        raise Conflict(
            f"the document is {row['status']}" + (f": {row['error']}" if row["error"] else ""),
            extra={"current_status": row["status"]},
        )
    return bytes(row["pdf"]), f"{row['type']}-v{row['version']}.pdf"


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[DocumentRead]:
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        rows = await fetch(
            "SELECT * FROM order_documents WHERE tenant_id = {} AND order_id = {} ORDER BY id", tenant_id, order_id
        )
    return [_read(row) for row in rows]
