"""Reports: a transaction marks each (tenant, report, day) once, not once per statement.

The statement triggers of 2026-12-05 (``report_mark_orders``, ``report_mark_order_events``) wrote
a dirty-day mark for every statement that inserted orders or timeline events: three marks per
intake. Intake's group commit runs many intakes' statements in one transaction, and a mark is
invisible to a refresh until that transaction commits, together with every row of it. A mark
written by the transaction's first statement therefore covers its later statements as well:
a refresh that takes the mark sees all of them, or leaves the mark standing.

``report_mark_days`` writes the marks the transaction has not written yet and remembers them in
the transaction-local setting ``hub.report_marks``. The setting ends with the transaction, and a
rolled-back savepoint restores it with the marks it undoes, so no write is left without a mark.
On 2026-12-07 the marks were a fifth of the database's CPU per intake (0.2-0.25 of 1.1-1.3 ms,
sequential intakes with and without the insert triggers).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-07T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report marks once per transaction"

SQL = """
-- marks: 'tenant/report/YYYY-MM-DD' keys (to_char: independent of DateStyle). The setting holds
-- ';key;key;...;'; neither a UUID, a report name nor a date holds a '/' or a ';'.
CREATE FUNCTION report_mark_days(marks text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    written text := coalesce(nullif(current_setting('hub.report_marks', true), ''), ';');
    fresh text[];
BEGIN
    SELECT array_agg(m) INTO fresh FROM unnest(marks) AS m WHERE strpos(written, ';' || m || ';') = 0;
    IF fresh IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO report_dirty_days (tenant_id, report, day)
    SELECT split_part(m, '/', 1)::uuid, split_part(m, '/', 2), to_date(split_part(m, '/', 3), 'YYYY-MM-DD')
    FROM unnest(fresh) AS m;
    PERFORM set_config('hub.report_marks', written || array_to_string(fresh, ';') || ';', true);
END $$;

CREATE OR REPLACE FUNCTION report_mark_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark_days(ARRAY(
        SELECT DISTINCT n.tenant_id::text || '/' || r.report || '/' || to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
        FROM new_rows n CROSS JOIN (VALUES ('orders'), ('landed-cost')) AS r (report)));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION report_mark_order_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark_days(ARRAY(
        SELECT DISTINCT n.tenant_id::text || '/reviews/' || to_char(n.at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
        FROM new_rows n
        WHERE n.kind IN ('order.status_changed', 'order.approved', 'order.rejected')));
    RETURN NULL;
END $$;
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
