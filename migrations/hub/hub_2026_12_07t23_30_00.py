"""Catalog and nomenclature versions, so intake may reuse what it read (issue #14).

Intake read the catalog, stock and HS answers of every order in a round trip of its own
(``intake_reads``): a fifth of the API's CPU per order on 2026-12-07. The API now keeps those reads
(``hub.orders.intake_reads``) and checks, in the order's own insert statement, that they still
hold. Stock was checked there already; this migration adds what the catalog and the nomenclature
need for the same check:

* ``catalog_versions``: one row per tenant whose ``version`` takes a new value of
  ``catalog_version_seq`` with every statement that writes its products (statement triggers, so a
  bulk import costs one update). A sequence, not ``version + 1``: a version a rolled-back
  transaction took is never taken again, so a version read inside a transaction that later rolled
  back can never match a committed one. No row: the tenant's products were never written.
* ``nomenclature_version`` (the customs migration of the same time, since ``hs_codes`` is the
  customs app's and migrates after this one): one row for the public HS nomenclature.
* ``intake_reads`` returns both versions, read in the same statement as the rows they cover.

The triggers run as the writer: a product write passes the tenant policy of ``products`` only in
that tenant's scope, which is what the tenant policy of ``catalog_versions`` asks.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import APP_ROLE, grant_sql, rls_sql, sql_migration

ID = "2026-12-07T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalog and nomenclature versions; intake_reads returns them"

SQL = f"""
CREATE SEQUENCE catalog_version_seq;
-- Started at random: an API process that outlives a database recreated under it (a test run, a
-- restore) keeps versions of the old one, which must not match the new one's.
SELECT setval('catalog_version_seq', 1 + floor(random() * 1e15)::bigint);
GRANT USAGE ON SEQUENCE catalog_version_seq TO {APP_ROLE};

CREATE TABLE catalog_versions (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    version bigint NOT NULL
);
{rls_sql("catalog_versions")}
{grant_sql("catalog_versions", "SELECT, INSERT, UPDATE")}

-- One function for the three triggers: each names its transition table changed_rows (the new rows
-- of an insert or update, the old rows of a delete).
CREATE FUNCTION catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_versions (tenant_id, version)
    SELECT t.tenant_id, nextval('catalog_version_seq') FROM (SELECT DISTINCT tenant_id FROM changed_rows) AS t
    ON CONFLICT (tenant_id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$;
CREATE TRIGGER products_version_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER products_version_update AFTER UPDATE ON products
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER products_version_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();

DROP FUNCTION intake_reads(uuid, text[], text[]);
CREATE FUNCTION intake_reads(p_tenant uuid, p_skus text[], p_hs_codes text[])
RETURNS TABLE (wanted_sku text, product products, available integer, incoming_eta date, has_stock boolean,
    hs_loaded boolean, hs_unknown text[], catalog_version bigint, nomenclature_version bigint)
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
        ARRAY(SELECT hs.code FROM hs WHERE NOT EXISTS (SELECT 1 FROM hs_codes h WHERE h.code = hs.code)),
        (SELECT v.version FROM catalog_versions v WHERE v.tenant_id = p_tenant),
        (SELECT n.version FROM nomenclature_version n)
    FROM (SELECT 1) AS one
    LEFT JOIN wanted w ON true
    LEFT JOIN products p ON p.tenant_id = p_tenant AND p.sku = w.sku
    LEFT JOIN stock s ON s.tenant_id = p_tenant AND s.sku = w.sku;
END
$fn$;
"""  # noqa: S608  (DDL from constants, no input)


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
