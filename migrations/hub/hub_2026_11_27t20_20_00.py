"""Customs documents of an order: versioned, rendered by a job, stored with their SHA-256."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T20:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "order documents"

SQL = f"""
CREATE TABLE order_documents (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    order_id uuid NOT NULL,
    type text NOT NULL,
    locale text NOT NULL,
    version integer NOT NULL,
    order_version integer NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    snapshot jsonb NOT NULL,
    findings jsonb NOT NULL DEFAULT '[]'::jsonb,
    content jsonb,
    pdf bytea,
    sha256 text,
    error text,
    previous_id uuid,
    superseded_at timestamptz,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    rendered_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, order_id, type, version),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
{rls_sql("order_documents")}
{grant_sql("order_documents", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
