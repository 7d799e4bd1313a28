"""Reports (issue #15): dirty-day marks a write can never lose, and the worker's report-refresh path.

1. ``report_dirty_days`` is keyed by a mark id, no longer by ``(tenant_id, report, day)``. With
   that key a write whose day was already marked added nothing (``ON CONFLICT DO NOTHING`` on the
   committed mark, no lock): a refresh that took that mark and recomputed the day before the write
   committed left the write out of the rollup with no mark to say so. Keyed by ``(tenant_id,
   mark_id)`` each write statement leaves a mark of its own, invisible to a refresh until it
   commits, so a refresh either sees the write's rows or leaves its mark standing. The triggers are
   unchanged (``ON CONFLICT DO NOTHING`` on a fresh identity never conflicts); the marks are few
   because the worker takes them every few seconds (``hub.reports.refresh``).
2. The system path ``report-refresh`` may list the marks of every tenant (SELECT only): the worker
   finds the tenants with marks there, then refreshes each in its own tenant transaction.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-06T19:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report marks keyed by mark id; report-refresh system path"

SQL = """
ALTER TABLE report_dirty_days DROP CONSTRAINT report_dirty_days_pkey;
ALTER TABLE report_dirty_days ADD COLUMN mark_id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE report_dirty_days ADD PRIMARY KEY (tenant_id, mark_id);
CREATE INDEX report_dirty_days_marks ON report_dirty_days (tenant_id, report, day);
CREATE POLICY report_dirty_days_system_report_refresh ON report_dirty_days FOR SELECT
    USING (current_setting('app.system', true) = 'report-refresh');
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
