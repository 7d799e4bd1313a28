"""Reports (issue #15): a shipment's change marks its day for the shipping report's rollup.

See ``migrations/hub/hub_2026_12_05t20_10_00.py`` for the rollups and the marks. Here because the
hub's migrations run before this app creates ``shipments``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-05T20:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "shipping report marks"

SQL = """
CREATE INDEX shipments_created ON shipments (tenant_id, created_at);

CREATE FUNCTION report_mark_shipments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT DISTINCT n.tenant_id, 'shipping', (n.created_at AT TIME ZONE 'UTC')::date FROM new_rows n
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER shipments_report_insert AFTER INSERT ON shipments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_mark_shipments();
CREATE TRIGGER shipments_report_update AFTER UPDATE ON shipments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_mark_shipments();

ALTER TABLE shipments NO FORCE ROW LEVEL SECURITY;
ALTER TABLE report_dirty_days NO FORCE ROW LEVEL SECURITY;
INSERT INTO report_dirty_days (tenant_id, report, day)
SELECT DISTINCT tenant_id, 'shipping', (created_at AT TIME ZONE 'UTC')::date FROM shipments
ON CONFLICT DO NOTHING;
ALTER TABLE shipments FORCE ROW LEVEL SECURITY;
ALTER TABLE report_dirty_days FORCE ROW LEVEL SECURITY;
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "carriers", DESCRIPTION, SQL)
