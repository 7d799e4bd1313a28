"""Piccolo migrations, one subfolder per Piccolo app; schema, roles and RLS as plain SQL.

Hand-written SQL rather than auto-migrations because every key must lead with ``tenant_id`` (Piccolo
has no composite keys) and row-level security, roles and grants are DDL Piccolo does not model.
``tests/integration/test_schema.py`` checks that the Piccolo tables and this SQL agree.
"""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from hub.core.database import DB

APP_ROLE = "orderhub_app"


def rls_sql(table: str, *, system_paths: dict[str, str] | None = None) -> str:
    """Enable and force row-level security on ``table`` with the tenant policy.

    ``system_paths`` maps a system path name (see ``hub.core.system``) to the commands it may run,
    e.g. ``{"authenticate": "SELECT"}``.
    """
    tenant = "nullif(current_setting('app.tenant_id', true), '')::uuid"
    parts = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY;",
        f"CREATE POLICY {table}_tenant ON {table} USING (tenant_id = {tenant}) WITH CHECK (tenant_id = {tenant});",
    ]
    for path, command in (system_paths or {}).items():
        name = f"{table}_system_{path.replace('-', '_')}"
        check = "current_setting('app.system', true) = '" + path + "'"
        if command == "INSERT":
            parts.append(f"CREATE POLICY {name} ON {table} FOR INSERT WITH CHECK ({check});")
        elif command == "SELECT":
            parts.append(f"CREATE POLICY {name} ON {table} FOR SELECT USING ({check});")
        else:
            parts.append(f"CREATE POLICY {name} ON {table} FOR {command} USING ({check}) WITH CHECK ({check});")
    return "\n".join(parts)


def grant_sql(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> str:
    return f"GRANT {privileges} ON {table} TO {APP_ROLE};"


def sql_migration(migration_id: str, app_name: str, description: str, forward: str) -> MigrationManager:
    """A migration manager whose only step runs ``forward`` (several statements allowed)."""
    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def run() -> None:
        transaction = DB.current_transaction.get()
        if transaction is not None:
            await transaction.connection.execute(forward)
        else:
            async with DB.transaction() as new_transaction:
                await new_transaction.connection.execute(forward)

    manager.add_raw(run)
    return manager
