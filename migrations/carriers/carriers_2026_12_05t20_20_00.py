"""Reports (issue #15): a shipment's change (or its order's promised date's) marks its day for the shipping rollup.

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
CREATE FUNCTION report_mark_shipments_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT DISTINCT c.tenant_id, 'shipping', (c.created_at AT TIME ZONE 'UTC')::date
    FROM (SELECT tenant_id, created_at FROM new_rows UNION SELECT tenant_id, created_at FROM old_rows) AS c
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER shipments_report_update AFTER UPDATE ON shipments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_mark_shipments_update();

-- A shipment counts as on time against its order's requested delivery date: a change of that date
-- (a change request) marks the days of the order's shipments too.
CREATE FUNCTION report_mark_order_promises() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT DISTINCT s.tenant_id, 'shipping', (s.created_at AT TIME ZONE 'UTC')::date
    FROM new_rows n
    JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
    JOIN shipments s ON s.tenant_id = n.tenant_id AND s.order_id = n.id
    WHERE o.requested_delivery_date IS DISTINCT FROM n.requested_delivery_date
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER orders_report_shipping_update AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_mark_order_promises();

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
