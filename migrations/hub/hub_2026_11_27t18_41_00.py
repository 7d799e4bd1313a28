"""Kernel tables (outbox, idempotency records) and the product catalog."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T18:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox, idempotency keys, products"

SQL = f"""
CREATE TABLE outbox (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    job text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    available_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    completed_at timestamptz,
    dispatch_count integer NOT NULL DEFAULT 0,
    last_error text,
    PRIMARY KEY (tenant_id, id)
);
-- The relay scans only work that is not done yet.
CREATE INDEX outbox_pending ON outbox (available_at) WHERE completed_at IS NULL;
{rls_sql("outbox", system_paths={"outbox-relay": "ALL"})}
{grant_sql("outbox", "SELECT, INSERT, UPDATE")}

CREATE TABLE idempotency_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    key text NOT NULL,
    scope text NOT NULL,
    request_hash bytea NOT NULL,
    status_code integer,
    response_body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, scope, key)
);
{rls_sql("idempotency_keys")}
{grant_sql("idempotency_keys", "SELECT, INSERT, UPDATE, DELETE")}

CREATE TABLE products (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    sku text NOT NULL,
    name text NOT NULL,
    spec text NOT NULL DEFAULT '',
    customs_description text NOT NULL DEFAULT '',
    hs_code varchar(10),
    origin_country varchar(2),
    unit_price_amount numeric(19, 4) NOT NULL CHECK (unit_price_amount >= 0),
    unit_price_currency varchar(3) NOT NULL,
    weight_kg numeric(12, 3) CHECK (weight_kg >= 0),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, sku)
);
CREATE INDEX products_hs_heading ON products (tenant_id, left(hs_code, 4));
{rls_sql("products")}
{grant_sql("products", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
