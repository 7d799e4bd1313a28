"""Official tariff schedules: imported files, their duty measures, and the reference revision.

A schedule is one imported file (UK Trade Tariff, USITC HTS, EU TARIC), dated and sourced; its
measures keep each duty expression as published with the row it came from. ``tenant_id`` NULL is
reference data, loaded by the operator (``orderhub tariff import``, as the schema owner) and read by
every tenant; a tenant's own upload (``POST /v1/tariff-schedules``) carries its ``tenant_id`` and is
seen by that tenant alone. Row-level security is enabled and forced: the application role reads
reference rows and its tenant's rows and writes only its tenant's; only the schema owner (the role
running this migration) writes reference rows.

A load is one transaction: the new schedule's measures are inserted, then it becomes the active one
for its scope and destination in the same transaction, so a quote sees the old schedule or the new
one, never half of either. Superseded schedules stay for the record (quotes name them).

Codes are ``COLLATE "C"`` so a prefix range (``code >= '610910' AND code < '610911'``) uses the key.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import APP_ROLE, sql_migration

ID = "2026-12-04T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "official tariff schedules and their measures (reference data and tenant uploads)"

_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def _policies(table: str) -> str:
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_read ON {table} FOR SELECT USING (tenant_id IS NULL OR tenant_id = {_TENANT});
CREATE POLICY {table}_insert ON {table} FOR INSERT TO {APP_ROLE} WITH CHECK (tenant_id = {_TENANT});
CREATE POLICY {table}_update ON {table} FOR UPDATE TO {APP_ROLE}
    USING (tenant_id = {_TENANT}) WITH CHECK (tenant_id = {_TENANT});
DO $$ BEGIN
    EXECUTE format('CREATE POLICY {table}_reference ON {table} FOR ALL TO %I '
                   'USING (tenant_id IS NULL) WITH CHECK (tenant_id IS NULL)', current_user);
END $$;
"""


SQL = f"""
CREATE TABLE tariff_schedules (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id),
    destination text NOT NULL CHECK (destination ~ '^[A-Z]{{2}}$'),
    source text NOT NULL CHECK (source IN ('uk-trade-tariff', 'us-hts', 'eu-taric')),
    revision text NOT NULL,
    valid_from date NOT NULL,
    publisher text NOT NULL,
    file_name text NOT NULL,
    file_sha256 text NOT NULL,
    rows_read integer NOT NULL,
    measure_count integer NOT NULL,
    uncomputable_count integer NOT NULL,
    skipped jsonb NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL,
    active boolean NOT NULL DEFAULT false
);
-- One active schedule per scope (reference, or one tenant) and destination.
CREATE UNIQUE INDEX tariff_schedules_one_active
    ON tariff_schedules ((coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)), destination)
    WHERE active;
CREATE INDEX tariff_schedules_tenant ON tariff_schedules (tenant_id, destination, imported_at);
{_policies("tariff_schedules")}
GRANT SELECT, INSERT, UPDATE ON tariff_schedules TO {APP_ROLE};

CREATE TABLE tariff_schedule_measures (
    schedule_id uuid NOT NULL REFERENCES tariff_schedules (id) ON DELETE CASCADE,
    tenant_id uuid,
    code text COLLATE "C" NOT NULL CHECK (code ~ '^[0-9]{{2,10}}$'),
    seq integer NOT NULL,
    measure_type text NOT NULL CHECK (measure_type IN ('third_country', 'preferential', 'column2', 'additional')),
    origin_group text NOT NULL,
    origins text[],
    excluded_origins text[] NOT NULL,
    program text,
    expression text NOT NULL,
    -- The expression as the engine reads it (customs.schedules.expressions), or NULL with the reason.
    parsed jsonb,
    uncomputable text,
    valid_from date,
    valid_to date,
    file_row integer NOT NULL,
    note text,
    description text,
    PRIMARY KEY (schedule_id, code, seq)
);
{_policies("tariff_schedule_measures")}
GRANT SELECT, INSERT ON tariff_schedule_measures TO {APP_ROLE};

-- Bumped by every reference-schedule load. A cached tenant's data carries the sum of its own
-- revision and this one; a stored quote's INSERT checks that sum (customs.repository.insert_quotes).
CREATE TABLE customs_reference_revision (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision bigint NOT NULL DEFAULT 0
);
GRANT SELECT ON customs_reference_revision TO {APP_ROLE};
"""
SQL += "INSERT INTO customs_reference_revision (singleton, revision) VALUES (true, 0);\n"


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
