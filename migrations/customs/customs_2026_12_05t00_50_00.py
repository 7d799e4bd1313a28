"""Origin groups of a tariff and their member countries, imported from the tariff's own list.

A measure on a group (``1060`` the UK DCTS comprehensive preferences, ``1033`` CARIFORUM) covers the
group's members; the UK bulk CSV names the group only. ``orderhub tariff import FILE --source
uk-geographical-areas`` loads the UK Online Trade Tariff's geographical areas here (reference data,
written by the schema owner, read by every tenant), and later schedule imports of that tariff read
them. An import replaces the destination's groups in one transaction.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import APP_ROLE, sql_migration

ID = "2026-12-05T00:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "origin groups and their members (reference data)"

SQL = f"""
CREATE TABLE tariff_origin_groups (
    destination text NOT NULL CHECK (destination ~ '^[A-Z]{{2}}$'),
    group_id text NOT NULL CHECK (group_id ~ '^[A-Z0-9]{{2,4}}$'),
    description text NOT NULL,
    members text[] NOT NULL,
    source text NOT NULL CHECK (source IN ('uk-geographical-areas')),
    revision text NOT NULL,
    file_name text NOT NULL,
    file_sha256 text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL,
    PRIMARY KEY (destination, group_id)
);
GRANT SELECT ON tariff_origin_groups TO {APP_ROLE};
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
