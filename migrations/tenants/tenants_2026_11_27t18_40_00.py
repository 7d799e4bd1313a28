"""Tenants, users, API keys; the application role; row-level security."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import APP_ROLE, grant_sql, rls_sql, sql_migration

ID = "2026-11-27T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tenants, users, api keys, application role, RLS"

SQL = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$;
GRANT USAGE ON SCHEMA public TO {APP_ROLE};

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    base_currency varchar(3) NOT NULL,
    origin_country varchar(2) NOT NULL,
    default_locale text NOT NULL DEFAULT 'en',
    timezone text NOT NULL DEFAULT 'UTC',
    settings jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_tenant ON tenants
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenants_system_authenticate ON tenants FOR SELECT
    USING (current_setting('app.system', true) IN ('authenticate', 'tenant-directory'));
{grant_sql("tenants", "SELECT, INSERT, UPDATE")}

CREATE TABLE users (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    email text NOT NULL,
    display_name text NOT NULL,
    password_hash text,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'clerk', 'approver', 'viewer')),
    locale text,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);
{rls_sql("users", system_paths={"authenticate": "SELECT"})}
{grant_sql("users", "SELECT, INSERT, UPDATE")}

CREATE TABLE api_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash bytea NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'clerk', 'approver', 'viewer')),
    user_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz,
    use_count bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
-- The bearer token names no tenant: authentication finds the key by its hash alone.
CREATE INDEX api_keys_key_hash ON api_keys (key_hash);
{rls_sql("api_keys", system_paths={"authenticate": "SELECT"})}
{grant_sql("api_keys", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "tenants", DESCRIPTION, SQL)
