"""Attachments (contracts, confirmations): stored under the data dir by content hash, size-limited,
type-checked by their bytes (not by the name or the type the client claims), tenant-isolated.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from pathlib import Path

from hub.core.database import tenant_tx
from hub.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from hub.core.ids import new_id
from hub.orders import timeline
from hub.orders.repository import attachments as attachments_repo
from hub.orders.repository import orders as repo
from hub.orders.schemas import AttachmentRead

KINDS = ("contract", "confirmation", "invoice", "photo", "other")


MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # legacy .doc / .xls
)
OFFICE = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)


def _office(content: bytes) -> str | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for prefix, kind in OFFICE if any(n.startswith(prefix) for n in names)), None)


def sniff(content: bytes) -> str | None:
    """The media type the bytes really are, among those we accept; None for anything else."""
    for magic, kind in MAGIC:
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"PK\x03\x04"):
        return _office(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain" if "\x00" not in text else None


def _path(data_dir: Path, tenant_id: uuid.UUID, digest: str) -> Path:
    return data_dir / "attachments" / str(tenant_id) / digest[:2] / digest


def _safe_name(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip() or "attachment"
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')[:200] or "attachment"


async def add(
    tenant_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    filename: str,
    content: bytes,
    kind: str,
    actor: str,
    data_dir: Path,
    max_bytes: int,
) -> AttachmentRead:
    if kind not in KINDS:
        raise ValidationFailed.single("kind", f"one of {', '.join(KINDS)}")
    if not content:
        raise ValidationFailed.single("file", "the upload is empty")
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"attachments are limited to {max_bytes} bytes")
    content_type = sniff(content)
    if content_type is None:
        raise UnsupportedMediaType("accepted: PDF, PNG, JPEG, WebP, Word/Excel/PowerPoint, plain text")
    digest = hashlib.sha256(content).hexdigest()
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        path = _path(data_dir, tenant_id, digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
            temporary.write_bytes(content)
            temporary.replace(path)  # atomic: a reader never sees half a file
        attachment_id = new_id()
        row = await attachments_repo.insert(
            tenant_id,
            attachment_id,
            order_id,
            kind,
            _safe_name(filename),
            content_type,
            len(content),
            digest,
            actor,
        )
        await timeline.record(
            tenant_id,
            order_id,
            actor,
            "attachment.added",
            {"attachment_id": str(attachment_id), "kind": kind, "filename": _safe_name(filename), "sha256": digest},
        )
    return row


async def get(tenant_id: uuid.UUID, attachment_id: uuid.UUID) -> AttachmentRead:
    async with tenant_tx(tenant_id):
        row = await attachments_repo.get(tenant_id, attachment_id)
    if row is None:
        raise NotFound("no such attachment")
    return row


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[AttachmentRead]:
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        return await attachments_repo.list_for_order(tenant_id, order_id)


def file_path(data_dir: Path, tenant_id: uuid.UUID, attachment: AttachmentRead) -> Path:
    path = _path(data_dir, tenant_id, attachment.sha256)
    if not path.exists():
        raise NotFound("the attachment's file is missing from storage")
    return path
