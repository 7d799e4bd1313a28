"""The HS nomenclature's version, for intake's kept reads (issue #14; see the hub migration of 2026-12-07T23:30).

One row for the public nomenclature (no tenant, like ``hs_codes``; the application reads it only),
given a new value of ``catalog_version_seq`` by every statement that writes ``hs_codes``: an import
is a delete and many inserts, so it changes many times, and ends at a value no earlier read saw.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, sql_migration

ID = "2026-12-07T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "nomenclature_version: changed by every write of hs_codes"

SQL = """
-- Not tenant data, like hs_codes: one row, no RLS, the application reads it only.
CREATE TABLE nomenclature_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL
);
INSERT INTO nomenclature_version (version) VALUES (nextval('catalog_version_seq'));
CREATE FUNCTION nomenclature_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE nomenclature_version SET version = nextval('catalog_version_seq');
    RETURN NULL;
END $$;
CREATE TRIGGER hs_codes_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hs_codes
    FOR EACH STATEMENT EXECUTE FUNCTION nomenclature_version_bump();
""" + grant_sql("nomenclature_version", "SELECT")  # noqa: S608  (DDL from constants, no input)


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
