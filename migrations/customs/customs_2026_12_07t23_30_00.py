"""The HS nomenclature's version, for intake's kept reads (issue #14; see the hub migration of 2026-12-07T23:30).

One row for the public nomenclature (no tenant, like ``hs_codes``; the application reads it only),
given a new value of ``catalog_version_seq`` by every transaction that writes ``hs_codes`` (once, at
its first such statement; an import is a delete and thousands of inserts), a value no earlier read saw.
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
-- Once per transaction: an import's thousands of INSERT statements would otherwise update the one
-- row thousands of times (each update walking the row's growing chain of versions). The new value
-- becomes visible with the transaction's commit, together with every row it wrote; the flag is
-- transaction-local, and a rolled-back savepoint restores it with the update it undoes.
CREATE FUNCTION nomenclature_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hub.nomenclature_bumped', true) = 'yes' THEN
        RETURN NULL;
    END IF;
    UPDATE nomenclature_version SET version = nextval('catalog_version_seq');
    PERFORM set_config('hub.nomenclature_bumped', 'yes', true);
    RETURN NULL;
END $$;
CREATE TRIGGER hs_codes_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hs_codes
    FOR EACH STATEMENT EXECUTE FUNCTION nomenclature_version_bump();
""" + grant_sql("nomenclature_version", "SELECT")  # noqa: S608  (DDL from constants, no input)


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
