"""The migration that gave every API key a person: run against tables shaped as before it.

The backfill statements of ``migrations/tenants/tenants_2026_12_05t00_10_00.py`` run, as the schema
owner, on copies of ``users`` and ``api_keys`` without the new column, in a scratch schema that the
test's transaction rolls back.
"""

from __future__ import annotations

import importlib
import uuid

import asyncpg
import pytest

from hub.core.bootstrap import Services

pytestmark = pytest.mark.integration

MIGRATION = importlib.import_module("migrations.tenants.tenants_2026_12_05t00_10_00")


async def test_old_keys_go_to_the_first_enabled_owner_or_become_integrations(services: Services) -> None:
    connection = await asyncpg.connect(services.owner_database_url)
    try:
        transaction = connection.transaction()
        await transaction.start()
        try:
            await _check(connection)
        finally:
            await transaction.rollback()
    finally:
        await connection.close()


async def _check(connection: asyncpg.Connection) -> None:
    schema = f"legacy_{uuid.uuid4().hex[:8]}"
    await connection.execute(
        f"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.users (LIKE public.users INCLUDING DEFAULTS);
        CREATE TABLE {schema}.api_keys (LIKE public.api_keys INCLUDING DEFAULTS);
        ALTER TABLE {schema}.api_keys DROP COLUMN kind;
        SET LOCAL search_path = {schema};
        """
    )
    with_owner, without_owner, two_owners = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    gone, owner, clerk, lone_clerk, first, second = (uuid.uuid4() for _ in range(6))
    users = [
        # tenant, user id, role, created at, disabled at
        (with_owner, gone, "owner", "2026-01-01", "2026-02-01"),
        (with_owner, owner, "owner", "2026-01-02", None),
        (with_owner, clerk, "clerk", "2025-12-01", None),
        (without_owner, lone_clerk, "clerk", "2026-01-01", None),
        (two_owners, second, "owner", "2026-03-02", None),
        (two_owners, first, "owner", "2026-03-01", None),
    ]
    for tenant_id, user_id, role, created, disabled in users:
        await connection.execute(
            "INSERT INTO users (tenant_id, id, email, display_name, role, created_at, disabled_at) "
            "VALUES ($1, $2, $3, 'x', $4, $5::text::timestamptz, $6::text::timestamptz)",
            tenant_id,
            user_id,
            f"{user_id}@example.com",
            role,
            created,
            disabled,
        )
    keys = {tenant_id: [uuid.uuid4(), uuid.uuid4()] for tenant_id in (with_owner, without_owner, two_owners)}
    for tenant_id, key_ids in keys.items():
        for key_id in key_ids:
            await connection.execute(
                "INSERT INTO api_keys (tenant_id, id, name, prefix, key_hash, role) "
                "VALUES ($1, $2, 'k', 'p', $3, 'admin')",
                tenant_id,
                key_id,
                key_id.bytes,
            )

    await connection.execute(MIGRATION.KEY_OWNERS_SQL)

    rows = await connection.fetch("SELECT tenant_id, id, kind, user_id, role, key_hash FROM api_keys")
    found = {row["id"]: row for row in rows}
    assert len(found) == 6, "no key is lost"
    for key_id in keys[with_owner]:
        assert (found[key_id]["kind"], found[key_id]["user_id"]) == ("user", owner), "the enabled owner"
    for key_id in keys[without_owner]:
        assert (found[key_id]["kind"], found[key_id]["user_id"]) == ("integration", None)
    for key_id in keys[two_owners]:
        assert found[key_id]["user_id"] == first, "the first owner"
    for row in rows:
        assert row["role"] == "admin"
        assert bytes(row["key_hash"]) == row["id"].bytes, "the key still authenticates"
    # The new rule holds from now on: a person's key names its person, an integration names none.
    with pytest.raises(asyncpg.CheckViolationError):
        await connection.execute(
            "INSERT INTO api_keys (tenant_id, id, name, prefix, key_hash, role, kind) "
            "VALUES ($1, $2, 'k', 'p', $3, 'admin', 'user')",
            with_owner,
            uuid.uuid4(),
            b"unowned",
        )
