"""Reports (issue #15): a stored quote of an order marks the order's day for the landed-cost rollup.

See ``migrations/hub/hub_2026_12_05t20_10_00.py`` for the rollups and the marks. Here because the
hub's migrations run before this app creates ``landed_cost_quotes``. A quote counts on the day its
order was received (the report shows each order's latest quote), so the mark is that day's.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-05T20:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "landed-cost report marks"

SQL = """
CREATE FUNCTION report_mark_landed_cost_quotes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT DISTINCT o.tenant_id, 'landed-cost', (o.created_at AT TIME ZONE 'UTC')::date
    FROM new_rows n JOIN orders o ON o.tenant_id = n.tenant_id AND o.id = n.order_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER landed_cost_quotes_report_insert AFTER INSERT ON landed_cost_quotes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_mark_landed_cost_quotes();
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
