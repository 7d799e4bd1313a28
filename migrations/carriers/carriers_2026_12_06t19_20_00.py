"""A shipment says what it is for: ``purpose`` is ``outbound`` (the order leaving) or ``return`` (a return label).

Until now a return label was told apart only by its idempotency key (``rma:<return id>``, see
:mod:`hub.orders.returns`), and every reader of ``shipments`` repeated ``idempotency_key NOT LIKE
'rma:%'``. Existing rows are backfilled from that key; from now on booking sets the column.

The partial index serves the orders domain's reads of an order's outbound shipments (the newest
export a return names, the live label that blocks a cancel), through :mod:`carriers.shipments`.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-06T19:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "shipments.purpose (outbound or return), backfilled from the return-label key"

# Separate so that tests can run the backfill against a legacy-shaped table.
PURPOSE_SQL = """
-- The backfill updates every tenant's rows: lift FORCE for the owner running this migration only,
-- inside this transaction, and put it back below. The update marks the rows' report days dirty
-- (the trigger of carriers_2026_12_05t20_20_00), hence report_dirty_days too.
ALTER TABLE shipments NO FORCE ROW LEVEL SECURITY;
ALTER TABLE report_dirty_days NO FORCE ROW LEVEL SECURITY;

ALTER TABLE shipments ADD COLUMN purpose text NOT NULL DEFAULT 'outbound';
UPDATE shipments SET purpose = 'return' WHERE idempotency_key LIKE 'rma:%';
ALTER TABLE shipments ADD CONSTRAINT shipments_purpose CHECK (purpose IN ('outbound', 'return'));
CREATE INDEX shipments_order_outbound ON shipments (tenant_id, order_id, id) WHERE purpose = 'outbound';

ALTER TABLE shipments FORCE ROW LEVEL SECURITY;
ALTER TABLE report_dirty_days FORCE ROW LEVEL SECURITY;
"""

SQL = PURPOSE_SQL


async def forwards() -> MigrationManager:
    return sql_migration(ID, "carriers", DESCRIPTION, SQL)
