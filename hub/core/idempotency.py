"""``Idempotency-Key`` for POSTs that create: same key and body, same response; other body, 409.

The key row is written in the same tenant transaction as the business change (services nest their
``tenant_tx`` inside it), so a crash leaves either both or neither. A concurrent request with the
same key waits on the key's unique index and then replays the committed response.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec

from hub.core.database import fetch, tenant_tx
from hub.core.errors import Conflict, ValidationFailed

R = TypeVar("R")

MAX_KEY_LENGTH = 255


async def run_idempotent(
    tenant_id: uuid.UUID,
    key: str | None,
    scope: str,
    request: object,
    response_type: type[R],
    produce: Callable[[], Awaitable[R]],
) -> R:
    """Run ``produce`` once per (tenant, scope, key); replay its response for a repeat."""
    if key is None:
        return await produce()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.single("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} printable characters")
    request_hash = hashlib.sha256(msgspec.json.encode(request)).digest()
    async with tenant_tx(tenant_id):
        inserted = await fetch(
            """
            INSERT INTO idempotency_keys (tenant_id, key, scope, request_hash) VALUES ({}, {}, {}, {})
            ON CONFLICT DO NOTHING RETURNING key
            """,
            tenant_id,
            key,
            scope,
            request_hash,
        )
        if not inserted:
            rows = await fetch(
                "SELECT request_hash, response_body FROM idempotency_keys "
                "WHERE tenant_id = {} AND scope = {} AND key = {}",
                tenant_id,
                scope,
                key,
            )
            existing = rows[0]
            if bytes(existing["request_hash"]) != request_hash:
                raise Conflict(
                    "this Idempotency-Key was used with a different request body",
                    extra={"field": "Idempotency-Key"},
                )
            return msgspec.json.decode(existing["response_body"], type=response_type)
        result = await produce()
        await fetch(
            "UPDATE idempotency_keys SET status_code = 201, response_body = {} "
            "WHERE tenant_id = {} AND scope = {} AND key = {}",
            msgspec.json.encode(result),
            tenant_id,
            scope,
            key,
        )
        return result
