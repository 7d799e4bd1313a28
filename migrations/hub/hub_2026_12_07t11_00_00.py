"""``hub_expect(ok, message)``: a statement that must not go on unless ``ok`` raises instead.

Intake writes a group's orders with one statement each, pipelined in one round trip, and gets no
rows back. Each statement ends in ``hub_expect(...)`` so that an order that no longer fits (its stock
moved, its reference is taken, its number is not the one the group counted on) fails the pipeline,
and the group is rolled back and written order by order. SQLSTATE ``HB001`` tells that refusal apart.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-07T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_expect(): a statement's own refusal"

SQL = """
CREATE FUNCTION hub_expect(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = 'HB001';
    END IF;
    RETURN true;
END
$fn$;
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
