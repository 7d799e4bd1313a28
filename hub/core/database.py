"""The PostgreSQL engine and the two kinds of transaction: tenant and system.

The engine is created unconfigured (``piccolo_conf`` imports it) and pointed at a server by
:func:`configure` once the settings (or the embedded server) are known. Migrations connect as the
owner; the API and the worker connect as :data:`~hub.core.settings.APP_DB_ROLE`, which owns no table
and is not a superuser, so row-level security applies to every query they run.

The tenant is set with ``set_config('app.tenant_id', ..., true)`` inside the transaction that a
service opens (never in a Litestar dependency: those run in other tasks, and Piccolo keeps its
transaction in a ContextVar).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

DB = PostgresEngine(config={}, extensions=())


def configure(url: str) -> None:
    """Point the engine at ``url`` (an asyncpg DSN). Call before starting the pool."""
    DB.config = {"dsn": url, "command_timeout": 60}


async def start_pool(size: int = 10) -> None:
    await DB.start_connection_pool(min_size=1, max_size=size)


async def close_pool() -> None:
    if DB.pool is not None:
        await DB.close_connection_pool()


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run raw SQL with ``{}`` placeholders inside the current transaction (if any)."""
    rows = await DB.run_querystring(QueryString(sql, *args))
    # Inside a transaction Piccolo hands back asyncpg Records; callers get plain dicts either way.
    return [row if isinstance(row, dict) else dict(row) for row in rows]


@asynccontextmanager
async def tenant_tx(tenant_id: uuid.UUID) -> AsyncIterator[None]:
    """A transaction in which row-level security shows only ``tenant_id``'s rows."""
    async with DB.transaction():
        await fetch("SELECT set_config('app.tenant_id', {}, true)", str(tenant_id))
        yield


@asynccontextmanager
async def system_tx(path: str) -> AsyncIterator[None]:
    """A transaction for one of the named cross-tenant paths listed in :mod:`hub.core.system`.

    ``app.system`` opens only the policies written for system paths (API-key lookup, the outbox
    relay, webhook endpoint tokens); every other table stays walled.
    """
    async with DB.transaction():
        await fetch("SELECT set_config('app.system', {}, true)", path)
        yield
