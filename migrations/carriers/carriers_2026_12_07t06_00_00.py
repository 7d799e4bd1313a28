"""An index for the shipping report's count of stale shipments.

The count (``hub.reports.repository.stale_shipments``) runs live on every shipping report: outbound
shipments still followed, in a status that expects news, whose last sign of life is older than the
stale age. Without an index it scanned the tenant's whole ``shipments`` table (a third of a second at
a million orders, most of the report's time); this partial index holds only the rows it can count,
ordered by the same expression, so the count reads just the stale ones.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-07T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial index of followed outbound shipments by their last sign of life (stale count)"

SQL = """
CREATE INDEX shipments_followed_last_seen ON shipments (tenant_id, (coalesce(last_event_at, booked_at, created_at)))
    WHERE tracking_retired_at IS NULL AND purpose = 'outbound'
      AND status IN ('booked', 'in_transit', 'out_for_delivery', 'exception');
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "carriers", DESCRIPTION, SQL)
