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
from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from hub.core.ids import new_id
from hub.core.validation import raise_if
from hub.orders import timeline
from hub.orders.codec import decode_json, format_number
from hub.orders.repository import documents as documents_repo
from hub.orders.repository import orders as repo
from hub.orders.repository.documents import DocumentRow
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


def _read(row: DocumentRow, *, with_content: bool = False) -> DocumentRead:
    return DocumentRead(
        id=row.id,
        order_id=row.order_id,
        type=row.type,
        locale=row.locale,
        version=row.version,
        status=row.status,
        sha256=row.sha256,
        error=row.error,
        findings=decode_json(row.findings),
        previous_id=row.previous_id,
        superseded=row.superseded_at is not None,
        created_at=row.created_at,
        rendered_at=row.rendered_at,
        content=decode_json(row.content) if with_content and row.content is not None else None,
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
        raise ValidationFailed.single("locale", f"unsupported locale {request.locale!r}: en, zh_Hans, de, fr, es, ja")
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
        previous = await documents_repo.lock_latest_version(tenant_id, order_id, request.type)
        document_id = new_id()
        await documents_repo.insert_document(
            tenant_id,
            document_id,
            order_id,
            request.type,
            locale,
            (previous.version + 1) if previous else 1,
            order["version"],
            msgspec.json.encode(snapshot).decode(),
            msgspec.json.encode(findings).decode(),
            previous.id if previous else None,
            principal.actor,
        )
        if previous:
            await documents_repo.supersede_document(tenant_id, previous.id)
        await outbox.enqueue(tenant_id, "render_document", {"document_id": str(document_id)})
        await timeline.record(
            tenant_id,
            order_id,
            principal.actor,
            "document.requested",
            {"document_id": str(document_id), "type": request.type, "locale": locale},
        )
        return _read(await documents_repo.read_back(tenant_id, document_id))


async def render_document(ctx: dict[str, Any], tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Outbox job body: render the stored snapshot; any failure is recorded, never left pending."""
    del ctx
    document_id = uuid.UUID(payload["document_id"])
    row = await documents_repo.lock_for_render(tenant_id, document_id)
    if row is None or row.status != "pending":
        return
    try:
        snapshot = msgspec.convert(decode_json(row.snapshot), DocumentSnapshot)
        pdf = render_pdf(snapshot, row.type, row.locale)
        content = render_json(snapshot, row.type, row.locale)
    except Exception as exc:
        await documents_repo.mark_failed(tenant_id, document_id, f"{type(exc).__name__}: {exc}"[:2000])
        await timeline.record(
            tenant_id, row.order_id, "system:documents", "document.failed", {"document_id": str(document_id)}
        )
        return
    await documents_repo.mark_ready(
        tenant_id, document_id, pdf, msgspec.json.encode(content).decode(), hashlib.sha256(pdf).hexdigest()
    )
    await timeline.record(
        tenant_id,
        row.order_id,
        "system:documents",
        "document.ready",
        {"document_id": str(document_id), "type": row.type, "sha256": hashlib.sha256(pdf).hexdigest()},
    )


async def supersede_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> None:
    """Called when the order changes: documents issued for the old version no longer describe it."""
    await documents_repo.supersede_for_order(tenant_id, order_id)


async def get_document(tenant_id: uuid.UUID, document_id: uuid.UUID) -> DocumentRead:
    async with tenant_tx(tenant_id):
        row = await documents_repo.get_document(tenant_id, document_id)
    if row is None:
        raise NotFound("no such document")
    return _read(row, with_content=True)


async def document_pdf(tenant_id: uuid.UUID, document_id: uuid.UUID) -> tuple[bytes, str]:
    async with tenant_tx(tenant_id):
        pdf = await documents_repo.get_pdf(tenant_id, document_id)
    if pdf is None:
        raise NotFound("no such document")
    if pdf.status != "ready":
        raise Conflict(
            f"the document is {pdf.status}" + (f": {pdf.error}" if pdf.error else ""),
            extra={"current_status": pdf.status},
        )
    if pdf.pdf is None:  # mark_ready writes both in one statement: a broken row, a server error
        raise RuntimeError(f"document {document_id} is ready without its PDF")
    return bytes(pdf.pdf), f"{pdf.type}-v{pdf.version}.pdf"


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[DocumentRead]:
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        rows = await documents_repo.list_for_order(tenant_id, order_id)
    return [_read(row) for row in rows]
