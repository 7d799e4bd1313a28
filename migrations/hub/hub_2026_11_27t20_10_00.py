"""Shopify connections: per-tenant webhook secret and an unguessable endpoint token."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "shopify connections"

SQL = f"""
CREATE TABLE shopify_connections (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    shop_domain text NOT NULL,
    secret_encrypted text NOT NULL,
    endpoint_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, shop_domain)
);
-- The webhook names no tenant: the router finds the connection by its token alone.
CREATE UNIQUE INDEX shopify_connections_token ON shopify_connections (endpoint_token);
{rls_sql("shopify_connections", system_paths={"webhook-endpoint": "SELECT"})}
{grant_sql("shopify_connections", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
