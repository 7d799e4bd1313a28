"""The PostgreSQL engine and the two kinds of transaction: tenant and system.

The engine is created unconfigured (``piccolo_conf`` imports it) and pointed at a server by
:func:`configure` once the settings (or the embedded server) are known. Migrations connect as the
owner; the API and the worker connect as :data:`~hub.core.settings.APP_DB_ROLE`, which owns no table
and is not a superuser, so row-level security applies to every query they run.

The tenant is set with ``set_config('app.tenant_id', ..., true)`` inside the transaction that a
service opens (never in a Litestar dependency: those run in other tasks, and Piccolo keeps its
transaction in a ContextVar). The one exception is :func:`tenant_session`, a connection that a
group-commit writer holds for statements that commit on their own: its session is scoped, and
cleared (or the connection closed) before it goes back to the pool.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.querystring import QueryString

DB = PostgresEngine(config={}, extensions=())

_PLACEHOLDER = re.compile(r"\{\}")

STALE_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08, closed in the middle of an operation
    asyncpg.AdminShutdownError,  # the backend was terminated (a restart, pg_terminate_backend)
    asyncpg.InterfaceError,
    # A pooled connection whose server said goodbye while it sat idle: asyncpg has not yet seen
    # the close and refuses the next statement ("cannot switch to state ...").
    asyncpg.InternalClientError,
    ConnectionError,
)
"""What ``BEGIN`` on a pooled connection raises when the server closed it behind the pool's back."""

_T = TypeVar("_T")


async def _once_more_if_stale(start: Callable[[], Awaitable[_T]]) -> _T:
    """``start()``, and once more if it raised one of :data:`STALE_CONNECTION_ERRORS`.

    ``start`` takes a connection from the pool and runs the first statement on it. A connection the
    server closed while it sat in the pool fails there, before anything ran, so a second try (on
    another connection, a fresh one after a restart) is safe. If the server is still down,
    connecting fails and the caller answers 503.
    """
    try:
        return await start()
    except STALE_CONNECTION_ERRORS:
        return await start()


def configure(url: str) -> None:
    """Point the engine at ``url`` (an asyncpg DSN). Call before starting the pool."""
    DB.config = {"dsn": url, "command_timeout": 60}


async def _keep_session(connection: Any) -> None:
    """Pool reset hook: nothing to undo.

    asyncpg's default reset sends ``RESET ALL`` and friends on every release, one round trip per
    transaction. The hub keeps no session state: the tenant is set with ``set_config(..., true)``,
    local to its transaction, and asyncpg still rolls back any transaction left open.
    """
    del connection


async def start_pool(size: int = 10) -> None:
    await DB.start_connection_pool(min_size=1, max_size=size, reset=_keep_session)


async def close_pool() -> None:
    if DB.pool is not None:
        await DB.close_connection_pool()


@lru_cache(maxsize=4096)
def _numbered(sql: str) -> str:
    """``{}`` placeholders (Piccolo's style) to asyncpg's ``$1, $2, ...``, once per statement text."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run raw SQL with ``{}`` placeholders inside the current transaction (if any).

    Statements go straight to the transaction's asyncpg connection (prepared and cached by asyncpg),
    skipping Piccolo's per-call query-string parsing, which cost more CPU than the query itself.
    """
    transaction = DB.current_transaction.get()
    if transaction is not None:
        records = await transaction.connection.fetch(_numbered(sql), *args)
    elif DB.pool is not None:
        async with DB.pool.acquire() as connection:
            records = await connection.fetch(_numbered(sql), *args)
    else:
        return [dict(row) for row in await DB.run_querystring(QueryString(sql, *args))]
    return [dict(record) for record in records]


class Statement(NamedTuple):
    """One SQL statement with ``{}`` placeholders and its arguments."""

    sql: str
    args: Sequence[Any]


async def fetch_pipelined(sql: str, arguments: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Run ``sql`` once per argument list, in order, inside the current transaction, all in one round trip.

    asyncpg sends every execution before it reads an answer (``fetchmany``), so N statements cost one
    round trip and one write each way instead of N. The rows of all executions come back in order.
    If one execution fails, the transaction is aborted and nothing of the others can be kept: the
    caller rolls back. Only inside a transaction, so that all or none of them commit.
    """
    transaction = DB.current_transaction.get()
    if transaction is None:
        raise RuntimeError("fetch_pipelined runs inside a transaction")
    records = await transaction.connection.fetchmany(_numbered(sql), arguments)
    return [dict(record) for record in records]


class TenantSession:
    """A pooled connection whose session is scoped to one tenant, held by one holder.

    For statements that commit on their own: :meth:`fetch_committed` sends a pipeline that
    PostgreSQL runs as one implicit transaction (asyncpg writes every execution, then one Sync),
    committed before its rows come back, so a group's writes cost one round trip where ``BEGIN``
    with the scope, the pipeline and ``COMMIT`` cost three. The scope is a session setting
    (``set_config(..., false)``), so it outlives each of those transactions; :func:`tenant_session`
    clears it before the connection goes back to the pool, and closes a connection it could not
    clear, so no other user of the pool ever runs in it.
    """

    def __init__(self, connection: PoolConnectionProxy[asyncpg.Record]) -> None:
        self._connection = connection

    async def rescope(self, tenant_id: uuid.UUID) -> None:
        """Scope the session to another tenant (its holder has finished with the first)."""
        await self._connection.execute(_session_scope(tenant_id))

    async def fetch_committed(self, sql: str, arguments: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        """Run ``sql`` once per argument list, all or none committed, in one round trip.

        If one execution fails, none of them is committed and the error is raised. If the
        connection is lost, whether they were committed is not known (as for a lost ``COMMIT``).
        """
        records = await self._connection.fetchmany(_numbered(sql), arguments)
        return [dict(record) for record in records]


def _session_scope(tenant_id: uuid.UUID) -> str:
    return f"SELECT set_config('app.tenant_id', '{_literal(str(tenant_id))}', false)"


@asynccontextmanager
async def tenant_session(tenant_id: uuid.UUID) -> AsyncIterator[TenantSession]:
    """A :class:`TenantSession` of ``tenant_id`` (outside any transaction of the caller's)."""
    pool = DB.pool
    if pool is None or DB.current_transaction.get() is not None:
        raise RuntimeError("a tenant session needs the pool and no transaction of the caller's")
    scope = _session_scope(tenant_id)

    async def scoped_connection() -> PoolConnectionProxy[asyncpg.Record]:
        connection = await pool.acquire()
        try:
            await connection.execute(scope)
        except BaseException:
            connection.terminate()
            await pool.release(connection)
            raise
        return connection

    connection = await _once_more_if_stale(scoped_connection)
    try:
        yield TenantSession(connection)
    finally:
        try:
            await connection.execute("SELECT set_config('app.tenant_id', '', false)")
        except BaseException:
            connection.terminate()  # a connection still scoped must not go back to the pool
            raise
        finally:
            await pool.release(connection)


async def read_in_scope(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run a read that scopes itself (a database function that calls ``set_config`` first).

    Outside a transaction it is its own implicit transaction on a pooled connection: one round trip,
    where a ``tenant_tx`` around it costs three. Only a read may come here: a connection the server
    closed while it sat in the pool is retried once on another, as ``BEGIN`` is. Inside a
    transaction it joins it, as :func:`fetch` does.
    """
    pool = DB.pool
    if DB.current_transaction.get() is not None or pool is None:
        return await fetch(sql, *args)

    async def read() -> list[asyncpg.Record]:
        async with pool.acquire() as connection:
            records: list[asyncpg.Record] = await connection.fetch(_numbered(sql), *args)
            return records

    return [dict(record) for record in await _once_more_if_stale(read)]


class _ScopedTransaction(PostgresTransaction):
    """A Piccolo transaction whose ``BEGIN`` carries the ``set_config`` that scopes it.

    Both statements travel in one simple-protocol message, one round trip instead of two for every
    transaction the hub opens. The value is interpolated, so only values checked by
    :func:`_literal` (a UUID's text or a system path name) are ever passed here.

    Entering and leaving survive a lost connection (a database restart, a failover, a backend
    terminated): whatever fails, the connection goes back to the pool (which discards a closed one)
    and the task's current transaction is cleared. Piccolo's own ``__aexit__`` skips both when the
    ``ROLLBACK`` or ``COMMIT`` raises, and ``__aenter__`` keeps the connection when ``BEGIN`` raises:
    the pool then shrinks by one connection per failure, and a long-lived task (the worker's outbox
    relay) keeps the dead transaction as its current one, so every later transaction it opens is
    taken for a nested one on a closed connection and fails for ever. A ``BEGIN`` that fails on a
    connection the server closed while it sat in the pool is tried once more on another, so the
    first requests after a database restart are not refused for the pool's stale connections.
    """

    def __init__(self, engine: PostgresEngine, setting: str, value: str) -> None:
        super().__init__(engine)
        self._begin_sql = f"BEGIN; SELECT set_config('{setting}', '{_literal(value)}', true)"

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        await _once_more_if_stale(self._begin_on_a_connection)
        self.context = self.engine.current_transaction.set(self)
        return self

    async def _begin_on_a_connection(self) -> None:
        """Take a connection and ``BEGIN`` on it; if that fails, the connection is given back closed."""
        self.connection = await self.get_connection()  # type: ignore[no-untyped-call]
        try:
            await self.begin()
        except BaseException:
            await self._give_back(broken=True)
            raise

    async def __aexit__(self, exception_type: Any, exception: BaseException | None, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        broken = False
        try:
            if exception is not None:
                if not self._rolled_back:
                    try:
                        await self.rollback()
                    except Exception:
                        # The connection is gone or unusable; the caller's own error is the one to raise.
                        broken = True
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            broken = True
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back(broken=broken)
        return exception is None

    async def _give_back(self, *, broken: bool) -> None:
        """Return the connection to the pool; one whose state is unknown is closed first."""
        # A connection that closed under us may be back in the pool already (its proxy then
        # refuses every call, and releasing it again does nothing).
        with contextlib.suppress(asyncpg.InterfaceError):
            if broken and not self.connection.is_closed():
                self.connection.terminate()
        if self.engine.pool:
            await self.engine.pool.release(self.connection)
        elif not self.connection.is_closed():
            await self.connection.close()

    async def begin(self) -> None:
        await self.connection.execute(self._begin_sql)

    async def commit(self) -> None:
        await self.connection.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        await self.connection.execute("ROLLBACK")
        self._rolled_back = True


_SAFE_LITERAL = re.compile(r"^[0-9a-z-]{1,64}$")


def _literal(value: str) -> str:
    if not _SAFE_LITERAL.match(value):
        raise ValueError(f"not a safe scope value: {value!r}")
    return value


@asynccontextmanager
async def _scoped(setting: str, value: str) -> AsyncIterator[None]:
    if DB.current_transaction.get() is not None:
        # Nested: re-scope the caller's transaction, as before.
        await fetch(f"SELECT set_config('{setting}', {{}}, true)", value)
        yield
        return
    async with _ScopedTransaction(DB, setting, value):
        yield


@asynccontextmanager
async def tenant_tx(tenant_id: uuid.UUID) -> AsyncIterator[None]:
    """A transaction in which row-level security shows only ``tenant_id``'s rows."""
    async with _scoped("app.tenant_id", str(tenant_id)):
        yield


_SAVEPOINT_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@asynccontextmanager
async def savepoint(name: str) -> AsyncIterator[None]:
    """A savepoint in the current transaction: what the block wrote is undone if it raises.

    The exception still propagates, but the transaction goes on as it was before the block, so a
    caller may catch it and carry on (a document request refused inside a job that must still commit).
    """
    if not _SAVEPOINT_NAME.match(name):
        raise ValueError(f"not a savepoint name: {name!r}")
    if DB.current_transaction.get() is None:
        raise RuntimeError("a savepoint needs a transaction")
    await fetch(f"SAVEPOINT {name}")
    try:
        yield
    except Exception:
        await fetch(f"ROLLBACK TO SAVEPOINT {name}")
        raise
    await fetch(f"RELEASE SAVEPOINT {name}")


@asynccontextmanager
async def system_tx(path: str) -> AsyncIterator[None]:
    """A transaction for one of the named cross-tenant paths listed in :mod:`hub.core.system`.

    ``app.system`` opens only the policies written for system paths (API-key lookup, the outbox
    relay, webhook endpoint tokens); every other table stays walled.
    """
    async with _scoped("app.system", path):
        yield
