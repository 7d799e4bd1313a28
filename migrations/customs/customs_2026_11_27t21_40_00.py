"""HS nomenclature as reference data shared by every tenant (imported, never shipped)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import APP_ROLE, sql_migration

ID = "2026-11-27T21:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hs nomenclature reference table"

SQL = f"""
-- Not tenant data: the same public nomenclature for everyone, so no tenant_id and no RLS. The
-- application role may only read it; imports run as the owner (orderhub hs import).
CREATE TABLE hs_codes (
    nomenclature text NOT NULL,
    code text NOT NULL,
    description text NOT NULL,
    level integer NOT NULL,
    parent text,
    section text,
    source text NOT NULL,
    rates jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nomenclature, code)
);
CREATE INDEX hs_codes_code ON hs_codes (code);
GRANT SELECT ON hs_codes TO {APP_ROLE};
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
