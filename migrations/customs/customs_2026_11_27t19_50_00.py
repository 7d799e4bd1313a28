"""Landed-cost storage: immutable stored quotes, tenant tariff rows, tenant FX rates, data revisions."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "landed cost quotes (immutable), tenant tariff rows, tenant FX rates, customs data revisions"

SQL = f"""
-- A stored quote is evidence of what the hub said and why: written once, never changed. The app role
-- gets SELECT and INSERT only, and a trigger refuses UPDATE and DELETE even for the owner.
CREATE TABLE landed_cost_quotes (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    order_id uuid,
    request jsonb NOT NULL,
    response jsonb NOT NULL,
    rules_version text NOT NULL,
    destination_country varchar(2) NOT NULL,
    currency varchar(3) NOT NULL,
    landed_cost_total numeric NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX landed_cost_quotes_order ON landed_cost_quotes (tenant_id, order_id, id) WHERE order_id IS NOT NULL;
CREATE FUNCTION landed_cost_quotes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'landed_cost_quotes rows are immutable' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER landed_cost_quotes_immutable BEFORE UPDATE OR DELETE ON landed_cost_quotes
    FOR EACH ROW EXECUTE FUNCTION landed_cost_quotes_immutable();
{rls_sql("landed_cost_quotes")}
{grant_sql("landed_cost_quotes", "SELECT, INSERT")}

-- A tenant's own schedule rows (duty, tax, threshold, fee, notice, destination), layered over the
-- starter tables; ``row_id`` is the row's own ``id`` (a later upload with the same id replaces it).
CREATE TABLE tariff_rows (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    row_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('destination', 'duty', 'tax', 'threshold', 'fee', 'notice')),
    row jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, row_id)
);
{rls_sql("tariff_rows")}
{grant_sql("tariff_rows", "SELECT, INSERT, UPDATE")}

-- FX rates a tenant keyed in or imported (ECB XML): ``rate`` units of ``quote`` for one ``base``.
CREATE TABLE fx_rates (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    base varchar(3) NOT NULL,
    quote varchar(3) NOT NULL,
    rate numeric NOT NULL CHECK (rate > 0),
    rate_date date NOT NULL,
    source text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, base, quote, rate_date, source),
    CHECK (base <> quote)
);
{rls_sql("fx_rates")}
{grant_sql("fx_rates", "SELECT, INSERT, UPDATE")}

-- One counter per tenant, bumped in the transaction that changes its tariff rows or FX rates. API
-- processes cache the merged tables per tenant and check the counter in the quote's own INSERT.
CREATE TABLE customs_data_revisions (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    revision bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id)
);
{rls_sql("customs_data_revisions")}
{grant_sql("customs_data_revisions", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
