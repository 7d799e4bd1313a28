"""Intake's reads in one round trip: ``intake_reads(tenant, skus, hs_codes)`` (issue #14).

A read scoped to a tenant cost three round trips: ``BEGIN`` with the ``set_config`` that scopes it,
the query, ``COMMIT``. This function sets the scope and runs the query in one statement, so a call
outside a transaction is its own implicit transaction: one round trip. The scope is set with
``is_local`` true, so it ends with that transaction; inside a caller's transaction it re-scopes it
to the same tenant, as a nested ``tenant_tx`` does. SECURITY INVOKER (the default): row-level
security applies to the caller, as for any other query, and the scope is set before the query is
executed, statement by statement.

Each SKU asked for gives one row (a product, a stock row, both or neither; one row with no SKU when
none are asked for), each with the HS answer: whether any nomenclature is loaded, and which 6-digit
subheadings of ``hs_codes`` and of the products' codes it does not know. The product is returned as
the table's row type, so a column added to ``products`` later needs no change here.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-07T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "intake_reads(): the scope and intake's reads in one statement"

SQL = """
CREATE FUNCTION intake_reads(p_tenant uuid, p_skus text[], p_hs_codes text[])
RETURNS TABLE (wanted_sku text, product products, available integer, incoming_eta date, has_stock boolean,
    hs_loaded boolean, hs_unknown text[])
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
    WITH wanted AS (
        SELECT * FROM unnest(p_skus) AS w(sku)
    ), hs AS (
        SELECT left(c.code, 6) AS code FROM unnest(p_hs_codes) AS c(code) WHERE c.code <> ''
        UNION
        SELECT left(p.hs_code, 6) FROM products p JOIN wanted w ON p.tenant_id = p_tenant AND p.sku = w.sku
        WHERE p.hs_code <> ''
    )
    SELECT w.sku, CASE WHEN p.id IS NULL THEN NULL ELSE p END, s.on_hand - s.reserved, s.incoming_eta,
        s.sku IS NOT NULL,
        EXISTS (SELECT 1 FROM hs_codes),
        ARRAY(SELECT hs.code FROM hs WHERE NOT EXISTS (SELECT 1 FROM hs_codes h WHERE h.code = hs.code))
    FROM (SELECT 1) AS one
    LEFT JOIN wanted w ON true
    LEFT JOIN products p ON p.tenant_id = p_tenant AND p.sku = w.sku
    LEFT JOIN stock s ON s.tenant_id = p_tenant AND s.sku = w.sku;
END
$fn$;
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
