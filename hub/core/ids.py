"""Identifiers: UUIDv7, time-ordered so b-tree inserts stay local and ids sort by creation."""

from __future__ import annotations

import uuid

from uuid_utils import compat


def new_id() -> uuid.UUID:
    """A fresh UUIDv7 as a standard-library ``uuid.UUID`` (what asyncpg and msgspec expect).

    uuid_utils' ``compat`` module builds the standard ``UUID`` itself, at 0.9 against 1.6 us for a
    copy through ``bytes``: an intake takes a dozen ids.
    """
    return compat.uuid7()


def parse_uuid(value: str) -> uuid.UUID | None:
    """Parse a client-sent id; None for anything that is not a UUID (the caller answers 404)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def path_id(value: str, missing: str) -> uuid.UUID:
    """An id from a URL path; anything that is not a UUID is simply not found (``missing`` says what)."""
    from hub.core.errors import NotFound  # noqa: PLC0415  (errors imports nothing of ours; keep ids leaf-light)

    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound(missing)
    return parsed
