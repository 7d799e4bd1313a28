"""A transaction whose connection dies (its backend terminated, as a restart or failover does) gives
its connection back and leaves no current transaction behind, so the pool keeps its size and the same
task's next transaction works: the worker's outbox relay failed for ever after one PostgreSQL restart.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from hub.core import database
from hub.core.bootstrap import Services
from hub.core.database import fetch, read_in_scope, system_tx, tenant_tx
from hub.core.system import SystemPath
from tests.conftest import TenantHandle


async def _terminate(services: Services, pid: int) -> None:
    owner = await asyncpg.connect(services.owner_database_url)
    try:
        await owner.fetch("SELECT pg_terminate_backend($1)", pid)
    finally:
        await owner.close()


async def _pool_serves_its_full_size() -> None:
    """All of the pool's connections at once: a connection leaked per failure would block here."""
    assert database.DB.pool is not None
    size = database.DB.pool.get_max_size()
    started = asyncio.Event()
    inside = 0

    async def hold() -> None:
        nonlocal inside
        async with system_tx(SystemPath.OUTBOX_RELAY):
            inside += 1
            if inside == size:
                started.set()
            await asyncio.wait_for(started.wait(), 5)
            await fetch("SELECT 1 AS ok")

    await asyncio.wait_for(asyncio.gather(*(hold() for _ in range(size))), 10)


async def _killed_mid_transaction(tenant: TenantHandle, services: Services) -> None:
    async with tenant_tx(tenant.id):
        [row] = await fetch("SELECT pg_backend_pid() AS pid")
        await _terminate(services, row["pid"])
        await asyncio.sleep(0.05)  # the server's goodbye reaches the client, as in a restart
        await fetch("SELECT 1 AS ok")


async def test_a_connection_killed_mid_transaction_is_given_back(
    client: httpx.AsyncClient, tenant: TenantHandle, services: Services
) -> None:
    del client
    assert database.DB.pool is not None
    for _ in range(database.DB.pool.get_max_size() + 2):
        with pytest.raises((asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError)):
            await _killed_mid_transaction(tenant, services)
        assert database.DB.current_transaction.get() is None  # the task is not left "inside" it
    async with tenant_tx(tenant.id):  # the same task goes on
        assert (await fetch("SELECT 1 AS ok")) == [{"ok": 1}]
    await _pool_serves_its_full_size()


async def test_a_transaction_after_the_server_closed_an_idle_connection_begins_on_another(
    client: httpx.AsyncClient, tenant: TenantHandle, services: Services
) -> None:
    """What a restart leaves in the pool: connections the server closed while they were idle."""
    del client
    for _ in range(20):
        async with tenant_tx(tenant.id):  # at least one idle connection in the pool
            [row] = await fetch("SELECT pg_backend_pid() AS pid")
        await _terminate(services, row["pid"])  # its goodbye may reach the client before, during or after BEGIN
        async with tenant_tx(tenant.id):
            assert (await fetch("SELECT 1 AS ok")) == [{"ok": 1}]
    await _pool_serves_its_full_size()


async def test_a_scoped_read_after_the_server_closed_an_idle_connection_runs_on_another(
    client: httpx.AsyncClient, services: Services
) -> None:
    """``read_in_scope`` runs outside a transaction, so it has no ``BEGIN`` to retry: its read is retried."""
    del client
    for _ in range(20):
        [row] = await read_in_scope("SELECT pg_backend_pid() AS pid")
        await _terminate(services, row["pid"])
        assert await read_in_scope("SELECT 1 AS ok") == [{"ok": 1}]
    await _pool_serves_its_full_size()
