"""Reports (issue #15): daily rollups kept exact by dirty-day marks, and the indexes the live reports read.

A year of a busy tenant is about a million orders; aggregating them on every report read took more
than a second. Each report of that size reads a rollup instead: one row per tenant, local day (in the
tenant's time zone, named in the row) and the report's dimensions, with counts, sums and, for
percentiles, the raw durations of that day (``seconds`` arrays) or an hour histogram (transit).

The rollups are never stale. A statement trigger on each source table marks the UTC days its rows
touch in ``report_dirty_days`` (``INSERT ... ON CONFLICT DO NOTHING``: a mark that already exists
costs one index probe and takes no lock). A report first takes the marks of its period (``DELETE
... RETURNING``), recomputes the local days they overlap from the source tables, and then reads the
rollup, all in the tenant's transaction. A write that commits meanwhile leaves its own mark for the
next read. The triggers on ``shipments`` and ``landed_cost_quotes`` are in the carriers and customs
migrations of the same time (those tables are created after the hub's).

Work items, returns and change requests are a few percent of the orders: those reports aggregate the
source rows live, through the ``(tenant_id, <time>)`` indexes created here.

The marks for data that exists already are set here, so that the first read computes its days.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-12-05T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report rollups, dirty-day marks and report indexes"

SQL = f"""
-- Which UTC days of which report have changed since their rollup rows were computed.
CREATE TABLE report_dirty_days (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    report text NOT NULL CHECK (report IN ('orders', 'reviews', 'landed-cost', 'shipping')),
    day date NOT NULL,
    PRIMARY KEY (tenant_id, report, day)
);
{rls_sql("report_dirty_days")}
{grant_sql("report_dirty_days", "SELECT, INSERT, DELETE")}

-- Orders received per local day by channel, status (now) and currency.
CREATE TABLE report_orders_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    timezone text NOT NULL,
    day date NOT NULL,
    channel text NOT NULL,
    status text NOT NULL,
    currency varchar(3) NOT NULL,
    orders bigint NOT NULL,
    total numeric NOT NULL,
    PRIMARY KEY (tenant_id, timezone, day, channel, status, currency)
);
{rls_sql("report_orders_daily")}
{grant_sql("report_orders_daily", "SELECT, INSERT, DELETE")}

-- Counted facts per local day, for reports whose dimensions vary: ``metric`` names the fact and
-- ``key`` its value. Reviews (by the day of the timeline event): 'outcome' (key: the status the intake
-- review gave), 'hold_reason' (key: a blocking finding code of a held order's intake review),
-- 'approved' (a person approved; ``seconds``: each approval's lead time from intake) and 'rejected'.
-- Shipping (by the day the shipment was created): 'exception_reason' (key: a reason its exceptions gave).
CREATE TABLE report_counts_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    report text NOT NULL,
    timezone text NOT NULL,
    day date NOT NULL,
    metric text NOT NULL,
    key text NOT NULL,
    count bigint NOT NULL,
    seconds integer[] NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (tenant_id, report, timezone, day, metric, key)
);
{rls_sql("report_counts_daily")}
{grant_sql("report_counts_daily", "SELECT, INSERT, DELETE")}

-- The latest stored quote of each order received that local day, per destination, currency and
-- payer; orders without a quote are counted with ``quoted`` false (currency and payer '').
CREATE TABLE report_landed_cost_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    timezone text NOT NULL,
    day date NOT NULL,
    quoted boolean NOT NULL,
    destination text NOT NULL,
    currency text NOT NULL,
    payer text NOT NULL,
    orders bigint NOT NULL,
    customs_value numeric NOT NULL,
    duty numeric NOT NULL,
    tax numeric NOT NULL,
    fee numeric NOT NULL,
    landed_cost numeric NOT NULL,
    PRIMARY KEY (tenant_id, timezone, day, quoted, destination, currency, payer)
);
{rls_sql("report_landed_cost_daily")}
{grant_sql("report_landed_cost_daily", "SELECT, INSERT, DELETE")}

-- The lines of those quotes by HS chapter (the first two digits) and currency.
CREATE TABLE report_landed_cost_chapters_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    timezone text NOT NULL,
    day date NOT NULL,
    chapter text NOT NULL,
    currency text NOT NULL,
    lines bigint NOT NULL,
    customs_value numeric NOT NULL,
    duty numeric NOT NULL,
    PRIMARY KEY (tenant_id, timezone, day, chapter, currency)
);
{rls_sql("report_landed_cost_chapters_daily")}
{grant_sql("report_landed_cost_chapters_daily", "SELECT, INSERT, DELETE")}

-- Shipments created that local day per carrier, destination and status (now).
CREATE TABLE report_shipping_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    timezone text NOT NULL,
    day date NOT NULL,
    carrier text NOT NULL,
    destination text NOT NULL,
    status text NOT NULL,
    shipments bigint NOT NULL,
    delivered bigint NOT NULL,
    with_promise bigint NOT NULL,
    on_time bigint NOT NULL,
    exceptions bigint NOT NULL,
    customs_holds bigint NOT NULL,
    PRIMARY KEY (tenant_id, timezone, day, carrier, destination, status)
);
{rls_sql("report_shipping_daily")}
{grant_sql("report_shipping_daily", "SELECT, INSERT, DELETE")}

-- Their delivered shipments' transit (booking to delivery) as an hour histogram: a year holds about a
-- million deliveries, and a percentile over a few thousand (hours, count) rows reads in milliseconds.
CREATE TABLE report_transit_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    timezone text NOT NULL,
    day date NOT NULL,
    carrier text NOT NULL,
    destination text NOT NULL,
    hours integer NOT NULL,
    shipments bigint NOT NULL,
    PRIMARY KEY (tenant_id, timezone, day, carrier, destination, hours)
);
{rls_sql("report_transit_daily")}
{grant_sql("report_transit_daily", "SELECT, INSERT, DELETE")}

-- What the day recomputations and the live reports range over.
CREATE INDEX orders_created ON orders (tenant_id, created_at) INCLUDE (channel, status, currency, total);
CREATE INDEX order_events_report ON order_events (tenant_id, at)
    WHERE kind IN ('order.status_changed', 'order.approved', 'order.rejected');
CREATE INDEX change_requests_created ON change_requests (tenant_id, created_at);
CREATE INDEX work_items_opened ON work_items (tenant_id, opened_at);
CREATE INDEX work_items_resolved ON work_items (tenant_id, resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX returns_requested ON returns (tenant_id, requested_at);

"""

MARKS_SQL = """
-- Marks: statement triggers over the transition table, one row per tenant and UTC day touched.
CREATE FUNCTION report_mark_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT DISTINCT n.tenant_id, r.report, (n.created_at AT TIME ZONE 'UTC')::date
    FROM new_rows n CROSS JOIN (VALUES ('orders'), ('landed-cost')) AS r (report)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER orders_report_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_mark_orders();
-- An update marks the day a row was on as well as the one it is on now (created_at never changes in
-- the hub, but a rollup must not depend on that).
CREATE FUNCTION report_mark_orders_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT DISTINCT c.tenant_id, r.report, (c.created_at AT TIME ZONE 'UTC')::date
    FROM (SELECT tenant_id, created_at FROM new_rows UNION SELECT tenant_id, created_at FROM old_rows) AS c
    CROSS JOIN (VALUES ('orders'), ('landed-cost')) AS r (report)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER orders_report_update AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_mark_orders_update();

CREATE FUNCTION report_mark_order_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT DISTINCT n.tenant_id, 'reviews', (n.at AT TIME ZONE 'UTC')::date
    FROM new_rows n
    WHERE n.kind IN ('order.status_changed', 'order.approved', 'order.rejected')
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER order_events_report_insert AFTER INSERT ON order_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_mark_order_events();

-- Existing data: mark its days. The owner running this reads every tenant's rows, so FORCE is lifted
-- for the owner inside this transaction only, as in the tenants migration of 2026-12-05.
ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
ALTER TABLE order_events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE report_dirty_days NO FORCE ROW LEVEL SECURITY;
INSERT INTO report_dirty_days (tenant_id, report, day)
SELECT DISTINCT o.tenant_id, r.report, (o.created_at AT TIME ZONE 'UTC')::date
FROM orders o CROSS JOIN (VALUES ('orders'), ('landed-cost')) AS r (report)
ON CONFLICT DO NOTHING;
INSERT INTO report_dirty_days (tenant_id, report, day)
SELECT DISTINCT e.tenant_id, 'reviews', (e.at AT TIME ZONE 'UTC')::date
FROM order_events e WHERE e.kind IN ('order.status_changed', 'order.approved', 'order.rejected')
ON CONFLICT DO NOTHING;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
ALTER TABLE order_events FORCE ROW LEVEL SECURITY;
ALTER TABLE report_dirty_days FORCE ROW LEVEL SECURITY;
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL + MARKS_SQL)
