"""Data access for an order's customs documents (``order_documents``).

Every statement names ``tenant_id``; the service holds the transaction. Rows come back typed so a
misspelt column is a type error here, not a ``KeyError`` in the service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, NamedTuple

from customs.documents.snapshot import DocType
from hub.core.database import fetch


class DocumentRow(NamedTuple):
    """A document as listed and shown (everything but the PDF bytes and the snapshot)."""

    id: uuid.UUID
    order_id: uuid.UUID
    type: str
    locale: str
    version: int
    status: Literal["pending", "ready", "failed"]
    sha256: str | None
    error: str | None
    findings: Any
    """JSON as the driver returns it (text or decoded); the service decodes it."""
    previous_id: uuid.UUID | None
    superseded_at: datetime | None
    created_at: datetime
    rendered_at: datetime | None
    content: Any


def _document(row: dict[str, Any]) -> DocumentRow:
    return DocumentRow(
        id=row["id"],
        order_id=row["order_id"],
        type=row["type"],
        locale=row["locale"],
        version=row["version"],
        status=row["status"],
        sha256=row["sha256"],
        error=row["error"],
        findings=row["findings"],
        previous_id=row["previous_id"],
        superseded_at=row["superseded_at"],
        created_at=row["created_at"],
        rendered_at=row["rendered_at"],
        content=row["content"],
    )


class LatestVersion(NamedTuple):
    id: uuid.UUID
    version: int


async def lock_latest_version(tenant_id: uuid.UUID, order_id: uuid.UUID, doc_type: str) -> LatestVersion | None:
    """The newest document of ``doc_type`` for the order, locked so two requests cannot take one version."""
    rows = await fetch(
        "SELECT id, version FROM order_documents WHERE tenant_id = {} AND order_id = {} AND type = {} "
        "ORDER BY version DESC LIMIT 1 FOR UPDATE",
        tenant_id,
        order_id,
        doc_type,
    )
    return LatestVersion(rows[0]["id"], rows[0]["version"]) if rows else None


async def insert_document(
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    order_id: uuid.UUID,
    doc_type: str,
    locale: str,
    version: int,
    order_version: int,
    snapshot_json: str,
    findings_json: str,
    previous_id: uuid.UUID | None,
    created_by: str,
) -> None:
    await fetch(
        "INSERT INTO order_documents (tenant_id, id, order_id, type, locale, version, order_version, snapshot, "
        "findings, previous_id, created_by) VALUES ({}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}::jsonb, {}, {})",
        tenant_id,
        document_id,
        order_id,
        doc_type,
        locale,
        version,
        order_version,
        snapshot_json,
        findings_json,
        previous_id,
        created_by,
    )


async def supersede_document(tenant_id: uuid.UUID, document_id: uuid.UUID) -> None:
    """Mark one document superseded, keeping the first time it was."""
    await fetch(
        "UPDATE order_documents SET superseded_at = coalesce(superseded_at, now()) WHERE tenant_id = {} AND id = {}",
        tenant_id,
        document_id,
    )


async def get_document(tenant_id: uuid.UUID, document_id: uuid.UUID) -> DocumentRow | None:
    rows = await fetch("SELECT * FROM order_documents WHERE tenant_id = {} AND id = {}", tenant_id, document_id)
    return _document(rows[0]) if rows else None


async def read_back(tenant_id: uuid.UUID, document_id: uuid.UUID) -> DocumentRow:
    """A document this transaction has just inserted (so it is there)."""
    rows = await fetch("SELECT * FROM order_documents WHERE tenant_id = {} AND id = {}", tenant_id, document_id)
    return _document(rows[0])


class PendingRender(NamedTuple):
    type: DocType
    locale: str
    snapshot: Any
    status: str
    order_id: uuid.UUID


async def lock_for_render(tenant_id: uuid.UUID, document_id: uuid.UUID) -> PendingRender | None:
    """The document's snapshot, locked so a redelivered job waits and then sees it rendered."""
    rows = await fetch(
        "SELECT type, locale, snapshot, status, order_id FROM order_documents WHERE tenant_id = {} AND id = {} "
        "FOR UPDATE",
        tenant_id,
        document_id,
    )
    if not rows:
        return None
    row = rows[0]
    return PendingRender(row["type"], row["locale"], row["snapshot"], row["status"], row["order_id"])


async def mark_failed(tenant_id: uuid.UUID, document_id: uuid.UUID, error: str) -> None:
    await fetch(
        "UPDATE order_documents SET status = 'failed', error = {}, rendered_at = now() "
        "WHERE tenant_id = {} AND id = {}",
        error,
        tenant_id,
        document_id,
    )


async def mark_ready(tenant_id: uuid.UUID, document_id: uuid.UUID, pdf: bytes, content_json: str, sha256: str) -> None:
    await fetch(
        "UPDATE order_documents SET status = 'ready', pdf = {}, content = {}::jsonb, sha256 = {}, rendered_at = now() "
        "WHERE tenant_id = {} AND id = {}",
        pdf,
        content_json,
        sha256,
        tenant_id,
        document_id,
    )


async def supersede_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> None:
    await fetch(
        "UPDATE order_documents SET superseded_at = now() WHERE tenant_id = {} AND order_id = {} "
        "AND superseded_at IS NULL",
        tenant_id,
        order_id,
    )


class DocumentPdf(NamedTuple):
    status: str
    pdf: bytes | None
    type: str
    version: int
    error: str | None


async def get_pdf(tenant_id: uuid.UUID, document_id: uuid.UUID) -> DocumentPdf | None:
    rows = await fetch(
        "SELECT status, pdf, type, version, error FROM order_documents WHERE tenant_id = {} AND id = {}",
        tenant_id,
        document_id,
    )
    if not rows:
        return None
    row = rows[0]
    return DocumentPdf(row["status"], row["pdf"], row["type"], row["version"], row["error"])


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[DocumentRow]:
    rows = await fetch(
        "SELECT * FROM order_documents WHERE tenant_id = {} AND order_id = {} ORDER BY id", tenant_id, order_id
    )
    return [_document(row) for row in rows]
