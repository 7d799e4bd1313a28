"""The EU tariff's origin groups too: ``orderhub tariff import FILE --source eu-geographical-areas``.

The groups' members come from a TARIC3 XML extraction of DG TAXUD's geographical areas and
memberships (customs.schedules.parsers.areas.parse_eu_taric3_areas), stored under the
destination ``EU`` beside the UK's ``GB``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import sql_migration

ID = "2026-12-05T12:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "origin groups from the EU TARIC as well"

SQL = """
ALTER TABLE tariff_origin_groups DROP CONSTRAINT tariff_origin_groups_source_check;
ALTER TABLE tariff_origin_groups
    ADD CONSTRAINT tariff_origin_groups_source_check
    CHECK (source IN ('uk-geographical-areas', 'eu-geographical-areas'));
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "customs", DESCRIPTION, SQL)
