"""Cursor pagination over UUIDv7 ids (time-ordered): the cursor is the last id seen, opaque to clients."""

from __future__ import annotations

import base64
import uuid
from typing import Generic, Protocol, TypeVar

import msgspec

from hub.core.errors import ValidationFailed


class HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


T = TypeVar("T", bound=HasId)

MAX_LIMIT = 200


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, TypeError):
        raise ValidationFailed.single("cursor", "not a cursor this API returned") from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.single("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def page_of(items: list[T], limit: int) -> Page[T]:
    """Build a page from up to ``limit + 1`` fetched items (the extra one says there is more)."""
    more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(items[-1].id) if more and items else None
    return Page(items=items, next_cursor=next_cursor)
