"""A system path of its own for the carrier cron sweeps (polling, stale shipments, tracker retirement)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-11-27T21:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "carrier-sweep system path"

SQL = """
CREATE POLICY carrier_accounts_system_carrier_sweep ON carrier_accounts FOR SELECT
    USING (current_setting('app.system', true) = 'carrier-sweep');
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "carriers", DESCRIPTION, SQL)
