"""Seller webhooks: every delivery attempt logged, append-only (a delivery row keeps the last one only)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T23:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook delivery attempts"

SQL = f"""
CREATE TABLE webhook_delivery_attempts (
    tenant_id uuid NOT NULL,
    delivery_id uuid NOT NULL,
    -- Numbered per delivery across replays (a replay resets the delivery's count, not this).
    attempt integer NOT NULL CHECK (attempt >= 1),
    started_at timestamptz NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    -- NULL when no HTTP answer came (connection refused, timeout, or not sent at all).
    status integer,
    error text CHECK (length(error) <= 300),
    response_excerpt text CHECK (length(response_excerpt) <= 1024),
    PRIMARY KEY (tenant_id, delivery_id, attempt),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id)
);
{rls_sql("webhook_delivery_attempts")}
{grant_sql("webhook_delivery_attempts", "SELECT, INSERT")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
