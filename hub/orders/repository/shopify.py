"""Data access for Shopify connections and the deliveries recorded on order timelines.

The caller (``hub.orders.shopify``) holds the transaction: ``tenant_tx`` for a tenant's own rows,
``system_tx(SystemPath.WEBHOOK_ENDPOINT)`` for the lookup by token, which names no tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from hub.core.database import fetch


class ConnectionInserted(NamedTuple):
    id: uuid.UUID
    created_at: datetime


class ConnectionSecret(NamedTuple):
    """What verifying a delivery to a connection's endpoint needs."""

    tenant_id: uuid.UUID
    shop_domain: str
    secret_encrypted: str


async def insert_connection(
    tenant_id: uuid.UUID, connection_id: uuid.UUID, shop_domain: str, secret_encrypted: str, endpoint_token: str
) -> ConnectionInserted | None:
    """None when the tenant has connected this shop already (nothing is written)."""
    rows = await fetch(
        "INSERT INTO shopify_connections (tenant_id, id, shop_domain, secret_encrypted, endpoint_token) "
        "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (tenant_id, shop_domain) DO NOTHING RETURNING id, created_at",
        tenant_id,
        connection_id,
        shop_domain,
        secret_encrypted,
        endpoint_token,
    )
    return ConnectionInserted(id=rows[0]["id"], created_at=rows[0]["created_at"]) if rows else None


async def connection_by_token(endpoint_token: str) -> ConnectionSecret | None:
    """The live connection whose endpoint ``endpoint_token`` names, of whichever tenant (a system path)."""
    rows = await fetch(
        "SELECT tenant_id, shop_domain, secret_encrypted FROM shopify_connections WHERE endpoint_token = {} "
        "AND disabled_at IS NULL",
        endpoint_token,
    )
    if not rows:
        return None
    row = rows[0]
    return ConnectionSecret(
        tenant_id=row["tenant_id"], shop_domain=row["shop_domain"], secret_encrypted=row["secret_encrypted"]
    )


async def webhook_recorded(tenant_id: uuid.UUID, order_id: uuid.UUID, webhook_id: str) -> bool:
    """True when an event of the order's timeline names this ``X-Shopify-Webhook-Id``."""
    rows = await fetch(
        "SELECT 1 FROM order_events WHERE tenant_id = {} AND order_id = {} AND payload->>'shopify_webhook_id' = {}",
        tenant_id,
        order_id,
        webhook_id,
    )
    return bool(rows)
