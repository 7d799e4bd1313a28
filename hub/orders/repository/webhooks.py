"""Data access for outbound seller webhooks: endpoints, deliveries and their attempt log.

Every statement names ``tenant_id`` besides RLS; the caller (``hub.orders.webhooks``) holds the
transaction. Rows come back typed, one NamedTuple per row kind.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from hub.core.database import fetch
from hub.orders.schemas import AttemptRead, DeliveryRead, EndpointRead


class SendRow(NamedTuple):
    """A delivery with what sending it needs from its endpoint."""

    body: bytes
    delivered_at: datetime | None
    url: str
    secret_encrypted: str
    disabled_at: datetime | None
    """The endpoint's: set once it is deleted."""


class EndpointState(NamedTuple):
    disabled_at: datetime | None


def _endpoint(row: dict[str, Any]) -> EndpointRead:
    return EndpointRead(id=row["id"], url=row["url"], events=row["events"], created_at=row["created_at"])


async def insert_endpoint(
    tenant_id: uuid.UUID, endpoint_id: uuid.UUID, url: str, secret_encrypted: str, events: list[str]
) -> EndpointRead:
    rows = await fetch(
        "INSERT INTO webhook_endpoints (tenant_id, id, url, secret_encrypted, events) VALUES ({}, {}, {}, {}, {}) "
        "RETURNING id, url, events, created_at",
        tenant_id,
        endpoint_id,
        url,
        secret_encrypted,
        events,
    )
    return _endpoint(rows[0])


async def set_secret(tenant_id: uuid.UUID, endpoint_id: uuid.UUID, secret_encrypted: str) -> EndpointRead | None:
    """The endpoint with its new secret; None if there is no such endpoint or it is deleted."""
    rows = await fetch(
        "UPDATE webhook_endpoints SET secret_encrypted = {} WHERE tenant_id = {} AND id = {} "
        "AND disabled_at IS NULL RETURNING id, url, events, created_at",
        secret_encrypted,
        tenant_id,
        endpoint_id,
    )
    return _endpoint(rows[0]) if rows else None


async def list_endpoints(tenant_id: uuid.UUID) -> list[EndpointRead]:
    rows = await fetch(
        "SELECT id, url, events, created_at FROM webhook_endpoints WHERE tenant_id = {} AND disabled_at IS NULL "
        "ORDER BY id",
        tenant_id,
    )
    return [_endpoint(row) for row in rows]


async def disable_endpoint(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> bool:
    """Soft-delete the endpoint (the first deletion's time is kept); False if there is no such endpoint."""
    rows = await fetch(
        "UPDATE webhook_endpoints SET disabled_at = coalesce(disabled_at, now()) "
        "WHERE tenant_id = {} AND id = {} RETURNING id",
        tenant_id,
        endpoint_id,
    )
    return bool(rows)


async def endpoint_exists(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> bool:
    """Deleted endpoints included: their deliveries stay readable."""
    rows = await fetch(
        "SELECT 1 AS found FROM webhook_endpoints WHERE tenant_id = {} AND id = {}", tenant_id, endpoint_id
    )
    return bool(rows)


async def lock_endpoint(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> EndpointState | None:
    """The endpoint's state under a share lock (a deletion waits for the caller's commit); None if unknown."""
    rows = await fetch(
        "SELECT disabled_at FROM webhook_endpoints WHERE tenant_id = {} AND id = {} FOR SHARE",
        tenant_id,
        endpoint_id,
    )
    return EndpointState(disabled_at=rows[0]["disabled_at"]) if rows else None


async def subscribed_endpoint_ids(tenant_id: uuid.UUID, event: str) -> list[uuid.UUID]:
    """The live endpoints subscribed to ``event``."""
    rows = await fetch(
        "SELECT id FROM webhook_endpoints WHERE tenant_id = {} AND disabled_at IS NULL AND {} = ANY(events)",
        tenant_id,
        event,
    )
    return [row["id"] for row in rows]


async def list_deliveries(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> list[DeliveryRead]:
    """The endpoint's deliveries, newest first, at most 200."""
    rows = await fetch(
        "SELECT id, endpoint_id, event, attempts, last_status, last_error, delivered_at, created_at "
        "FROM webhook_deliveries WHERE tenant_id = {} AND endpoint_id = {} ORDER BY id DESC LIMIT 200",
        tenant_id,
        endpoint_id,
    )
    return msgspec.convert(rows, list[DeliveryRead])


async def delivery_exists(tenant_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> bool:
    rows = await fetch(
        "SELECT 1 AS found FROM webhook_deliveries WHERE tenant_id = {} AND endpoint_id = {} AND id = {}",
        tenant_id,
        endpoint_id,
        delivery_id,
    )
    return bool(rows)


async def insert_delivery(
    tenant_id: uuid.UUID, delivery_id: uuid.UUID, endpoint_id: uuid.UUID, event: str, body: bytes
) -> None:
    await fetch(
        "INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event, body) VALUES ({}, {}, {}, {}, {})",
        tenant_id,
        delivery_id,
        endpoint_id,
        event,
        body,
    )


async def delivery_to_send(tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> SendRow | None:
    rows = await fetch(
        "SELECT d.body, d.delivered_at, e.url, e.secret_encrypted, e.disabled_at FROM webhook_deliveries d "
        "JOIN webhook_endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id "
        "WHERE d.tenant_id = {} AND d.id = {}",
        tenant_id,
        delivery_id,
    )
    if not rows:
        return None
    row = rows[0]
    return SendRow(
        body=bytes(row["body"]),
        delivered_at=row["delivered_at"],
        url=row["url"],
        secret_encrypted=row["secret_encrypted"],
        disabled_at=row["disabled_at"],
    )


async def record_attempt(
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    started_at: datetime,
    duration_ms: int,
    status: int | None,
    error: str | None,
    excerpt: str | None,
) -> int:
    """Count the attempt on the delivery and log it; returns the delivery's attempts.

    The UPDATE comes first and locks the delivery row, so two sends of one delivery settling at
    once number their attempts one after the other.
    """
    counted = await fetch(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = {}, last_error = {}, "
        "delivered_at = CASE WHEN {} THEN now() ELSE NULL END WHERE tenant_id = {} AND id = {} RETURNING attempts",
        status,
        error,
        error is None,
        tenant_id,
        delivery_id,
    )
    await fetch(
        "INSERT INTO webhook_delivery_attempts "
        "(tenant_id, delivery_id, attempt, started_at, duration_ms, status, error, response_excerpt) "
        "SELECT {}, {}, coalesce(max(attempt), 0) + 1, {}, {}, {}, {}, {} FROM webhook_delivery_attempts "
        "WHERE tenant_id = {} AND delivery_id = {}",
        tenant_id,
        delivery_id,
        started_at,
        duration_ms,
        status,
        error,
        excerpt,
        tenant_id,
        delivery_id,
    )
    return int(counted[0]["attempts"])


async def list_attempts(tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> list[AttemptRead]:
    """A delivery's attempts, newest first, at most 200."""
    rows = await fetch(
        "SELECT attempt, started_at, duration_ms, status, error, response_excerpt FROM webhook_delivery_attempts "
        "WHERE tenant_id = {} AND delivery_id = {} ORDER BY attempt DESC LIMIT 200",
        tenant_id,
        delivery_id,
    )
    return msgspec.convert(rows, list[AttemptRead])


async def reset_delivery(tenant_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> bool:
    """Make the delivery undelivered with no attempts counted (its log is kept); False if unknown."""
    rows = await fetch(
        "UPDATE webhook_deliveries SET delivered_at = NULL, attempts = 0 "
        "WHERE tenant_id = {} AND endpoint_id = {} AND id = {} RETURNING id",
        tenant_id,
        endpoint_id,
        delivery_id,
    )
    return bool(rows)
