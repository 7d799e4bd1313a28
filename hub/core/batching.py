"""Group commit: concurrent requests' rows written in one transaction, each caller answered after it.

A hot write path (a tracking webhook's raw event, a stored landed-cost quote) costs three round
trips on its own: ``BEGIN``, the insert, ``COMMIT``. Under load most of a request's time is spent
there, not in the work. :class:`GroupCommit` queues the rows of callers that arrive while a write is
in flight and writes them together, one transaction per tenant, so the cost is shared.

Nothing is answered early: :meth:`GroupCommit.submit` returns only after the transaction holding the
caller's row has committed, so "answered 2xx" still means "stored". If a batch fails, its rows are
retried one by one so that one bad row fails only its own caller. There is no timer: a batch is
whatever queued while the previous one was being written, so an idle hub writes at once.

:class:`SharedTransaction` does the same for whole units of work (an order's intake: several
statements, a Python review between them): one tenant's concurrent units run one after another in
one transaction, so the tenant's hot rows (its order-number counter, a hot SKU's stock row) are
locked and committed once per group instead of once per unit, and the units no longer queue on
each other's row locks from their insert to their COMMIT. A unit may name its first statement
(:class:`Statement`); a group sends the first statements of consecutive units that share one SQL
text together, in one round trip (:func:`hub.core.database.fetch_pipelined`), and then runs each
unit's remaining work with its statement's row.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import asyncpg

from hub.core.database import (
    DB,
    Statement,
    TenantSession,
    fetch,
    fetch_pipelined,
    tenant_session,
    tenant_tx,
)

T = TypeVar("T")
R = TypeVar("R")

Writer = Callable[[uuid.UUID, list[T]], Awaitable[list[R]]]


class _Drains(Protocol):
    async def drain(self) -> None: ...


_INSTANCES: weakref.WeakSet[_Drains] = weakref.WeakSet()


@dataclass(slots=True)
class _Entry(Generic[T, R]):
    tenant_id: uuid.UUID
    item: T
    future: asyncio.Future[R]


Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class OneStatement(Generic[T, R]):
    """A batch's write as one statement: built from the items, its rows read back into results.

    ``GroupCommit`` then sends it on a tenant session (:class:`hub.core.database.TenantSession`)
    as a statement that commits on its own: one round trip where ``BEGIN``, the statement and
    ``COMMIT`` cost three. It must write the same as the batch's ``write`` would.
    """

    statement: Callable[[uuid.UUID, list[T]], Statement]
    results: Callable[[list[Row], list[T]], list[R]]

    async def write(self, tenant_id: uuid.UUID, items: list[T]) -> list[R]:
        """The statement in the current transaction: the batch's write where no session serves."""
        statement = self.statement(tenant_id, items)
        return self.results(await fetch(statement.sql, *statement.args), items)


class _SessionSlots:
    """At most ``capacity`` tenant sessions for a :class:`GroupCommit`'s writers, kept while they run.

    A session of another tenant is scoped anew (one round trip) rather than another connection taken:
    the writers never hold more than ``capacity`` of the pool's connections beyond their usual one.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._open = 0
        self._idle: list[tuple[uuid.UUID, contextlib.AsyncExitStack, TenantSession]] = []

    async def take(self, tenant_id: uuid.UUID) -> tuple[contextlib.AsyncExitStack, TenantSession] | None:
        for index, (owner, stack, session) in enumerate(self._idle):
            if owner == tenant_id:
                del self._idle[index]
                return stack, session
        if self._idle:
            _, stack, session = self._idle.pop()
            try:
                await session.rescope(tenant_id)
            except Exception:
                await self._close(stack)
                return None
            return stack, session
        if self._open >= self._capacity:
            return None
        stack = contextlib.AsyncExitStack()
        self._open += 1
        try:
            session = await stack.enter_async_context(tenant_session(tenant_id))
        except Exception:
            self._open -= 1
            return None
        return stack, session

    def give_back(self, tenant_id: uuid.UUID, stack: contextlib.AsyncExitStack, session: TenantSession) -> None:
        self._idle.append((tenant_id, stack, session))

    async def discard(self, stack: contextlib.AsyncExitStack) -> None:
        await self._close(stack)

    async def close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for _, stack, _ in idle:
            await self._close(stack)

    async def _close(self, stack: contextlib.AsyncExitStack) -> None:
        self._open -= 1
        with contextlib.suppress(Exception):  # a connection that could not be cleared was closed
            await stack.aclose()


class GroupCommit(Generic[T, R]):
    """Writes items with ``write(tenant_id, items) -> results`` (one result per item, in order).

    ``write`` runs inside a ``tenant_tx`` opened here. A caller already inside a transaction is
    written in that transaction instead (its row must commit or roll back with the caller's work).
    A :class:`OneStatement` for ``write`` is first sent on a tenant session, committed on its own;
    if that fails (nothing of it was committed, or a lost connection leaves it unknown, as a lost
    ``COMMIT`` does) or no session can be had, the batch is written as above.
    """

    def __init__(
        self, name: str, write: Writer[T, R] | OneStatement[T, R], *, max_batch: int = 128, writers: int = 1
    ) -> None:
        self.name = name
        self._one_statement = write if isinstance(write, OneStatement) else None
        self._write = write.write if isinstance(write, OneStatement) else write
        self._sessions = _SessionSlots(writers)
        self.committed = 0
        """Batches written as one statement on a tenant session (a figure for tests and benchmarks)."""
        self._max_batch = max_batch
        self._writers = writers
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Entry[T, R]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Writers still inside their loop. Not len(_tasks): a finished task leaves that set only in
        # a later callback, and a row queued in between would wait for a writer that never comes.
        self._running = 0
        _INSTANCES.add(self)

    async def submit(self, tenant_id: uuid.UUID, item: T) -> R:
        if DB.current_transaction.get() is not None:
            return (await self._write(tenant_id, [item]))[0]
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests, a restarted worker): start afresh
            self._loop, self._pending, self._tasks, self._running = loop, [], set(), 0
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append(_Entry(tenant_id, item, future))
        if self._running < self._writers:
            # With ``writers`` > 1 another transaction starts while the first waits on PostgreSQL,
            # so heavy rows keep both the database and this process busy. A fresh context: a writer
            # must not inherit the first caller's ContextVars (Piccolo keeps the transaction in one).
            self._running += 1
            task = loop.create_task(self._run(), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (at shutdown)."""
        if self._tasks and self._loop is asyncio.get_running_loop():
            await asyncio.shield(asyncio.gather(*self._tasks))

    async def _run(self) -> None:
        try:
            while self._pending:  # no await between this test failing and the decrement below
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                groups: dict[uuid.UUID, list[_Entry[T, R]]] = {}
                for entry in batch:
                    groups.setdefault(entry.tenant_id, []).append(entry)
                await asyncio.gather(*(self._write_group(tenant_id, entries) for tenant_id, entries in groups.items()))
        except BaseException as exc:  # cancelled at shutdown: nobody may wait for ever
            for entry in self._pending:
                if not entry.future.done():
                    entry.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("writer stopped"))
            self._pending = []
            raise
        finally:
            self._running -= 1
            if self._running == 0:  # the last writer out gives the sessions back to the pool
                await self._sessions.close_idle()

    async def _write_group(self, tenant_id: uuid.UUID, entries: list[_Entry[T, R]]) -> None:
        if self._one_statement is not None and await self._write_committed(tenant_id, entries, self._one_statement):
            return
        try:
            async with tenant_tx(tenant_id):
                results = await self._write(tenant_id, [entry.item for entry in entries])
                if len(results) != len(entries):  # a writer bug: roll back rather than answer wrongly
                    raise RuntimeError(f"{self.name}: {len(results)} results for {len(entries)} rows")
        except Exception as exc:
            if len(entries) == 1:
                if not entries[0].future.done():
                    entries[0].future.set_exception(exc)
                return
            # One bad row must not fail its neighbours: write each alone, each caller gets its own answer.
            for entry in entries:
                await self._write_group(tenant_id, [entry])
            return
        except BaseException as exc:
            for entry in entries:
                if not entry.future.done():
                    entry.future.set_exception(RuntimeError(f"{self.name} writer stopped: {exc!r}"))
            raise
        _answer(entries, results)

    async def _write_committed(
        self, tenant_id: uuid.UUID, entries: list[_Entry[T, R]], one: OneStatement[T, R]
    ) -> bool:
        """Write the batch as one statement on a tenant session; False if it was not written so."""
        taken = await self._sessions.take(tenant_id)
        if taken is None:
            return False
        stack, session = taken
        items = [entry.item for entry in entries]
        try:
            statement = one.statement(tenant_id, items)
            rows = await session.fetch_committed(statement.sql, [statement.args])
        except Exception:
            await self._sessions.discard(stack)
            return False
        self._sessions.give_back(tenant_id, stack, session)
        self.committed += 1
        # Committed: from here on the batch is answered, never written again.
        try:
            results = one.results(rows, items)
            if len(results) != len(entries):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(entries)} rows")
        except Exception as exc:  # a writer bug
            for entry in entries:
                if not entry.future.done():
                    entry.future.set_exception(exc)
            return True
        _answer(entries, results)
        return True


def _answer(entries: list[_Entry[T, R]], results: list[R]) -> None:
    for entry, result in zip(entries, results, strict=True):
        if not entry.future.done():
            entry.future.set_result(result)


@dataclass(slots=True)
class _Unit:
    first: Statement | None
    then: Callable[[Row | None], Awaitable[Any]]
    """The unit's work, given its first statement's row (None: it has no first statement)."""
    future: asyncio.Future[Any]
    done_by: Callable[[Row], bool] | None = None
    """Whether the first statement's row finishes the unit: ``then(row)`` then needs no transaction."""
    attempts: int = field(default=0)


class _Abort(Exception):
    """Raised inside a group's transaction to roll it back after a unit failed."""


class _PipelineFailed(Exception):
    """Raised inside a group's transaction when one of its pipelined statements failed."""


DEADLOCK_RETRIES = 3
"""How often a unit run alone is retried after PostgreSQL chose it as a deadlock's victim.

Within one process a tenant's units never wait on each other (one group at a time per tenant); a
deadlock needs a second holder of the tenant's rows: another API process's group, or a unit run
inside a caller's own transaction. The victim's work was rolled back whole, so running it again is
safe."""


class SharedTransaction:
    """Runs one tenant's concurrent units of work one after another in one transaction.

    ``await shared.run(tenant_id, work)`` returns ``work()``'s result once the transaction holding
    its writes has committed, or raises what ``work()`` raised, with nothing of it written. ``work``
    runs inside a ``tenant_tx`` of ``tenant_id`` opened here (so it must not open its own) and must
    touch nothing but the database: it may run more than once, only its last run committing.

    A group is whatever queued for the tenant while its previous group ran (at most ``max_group``);
    an idle hub runs a unit at once. When a unit raises, the group's transaction is rolled back and
    nobody else is answered from it: the units before the failing one run again as a group, the
    failing one alone (its own answer, as if it had never been grouped) and the rest as a group, so
    one bad unit fails only its own caller. A caller already inside a transaction runs ``work`` in
    that transaction (re-scoped to the tenant): its work commits or rolls back with the caller's.
    """

    def __init__(self, name: str, *, max_group: int = 32) -> None:
        self.name = name
        self._max_group = max_group
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[uuid.UUID, list[_Unit]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.groups = 0
        """Transactions opened (a figure for tests and benchmarks)."""
        self.pipelined = 0
        """First statements sent together with others (a figure for tests and benchmarks)."""
        self.committed = 0
        """Groups sent as one committed pipeline, without ``BEGIN`` or ``COMMIT`` (likewise)."""
        _INSTANCES.add(self)

    async def run(self, tenant_id: uuid.UUID, work: Callable[[], Awaitable[R]]) -> R:
        async def then(row: Row | None) -> R:
            del row
            return await work()

        return await self.run_after(tenant_id, None, then)

    async def run_after(
        self,
        tenant_id: uuid.UUID,
        first: Statement | None,
        then: Callable[[Row | None], Awaitable[R]],
        *,
        done_by: Callable[[Row], bool] | None = None,
    ) -> R:
        """As :meth:`run`, for a unit that starts with ``first``: ``then(row)`` is its work after it.

        The group runs ``first`` (with the first statements of the neighbours that share its SQL,
        in one round trip) and passes its row; ``then`` runs in the group's transaction, after
        ``first`` and before the next unit's work. A caller already inside a transaction gets
        ``then(None)`` at once, in its transaction: ``then`` runs ``first`` itself.

        ``done_by(row)`` says that a row finishes the unit: ``then(row)`` then touches no database.
        A group of two or more such units with one SQL text is sent as one committed pipeline
        (:meth:`hub.core.database.TenantSession.fetch_committed`: one round trip, no ``BEGIN`` or
        ``COMMIT``); a unit whose row does not finish it wrote nothing (its statement must see to
        that) and runs again in an ordinary group.
        """
        if DB.current_transaction.get() is not None:
            async with tenant_tx(tenant_id):
                return await then(None)
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests, a restarted worker): start afresh
            self._loop, self._pending, self._tasks = loop, {}, set()
        future: asyncio.Future[R] = loop.create_future()
        queue = self._pending.get(tenant_id)
        unit = _Unit(first, then, future, done_by)
        if queue is not None:  # the tenant's writer is running and takes it with its next group
            queue.append(unit)
        else:
            self._pending[tenant_id] = [unit]
            # A fresh context: the writer must not inherit the first caller's ContextVars (Piccolo
            # keeps the transaction in one).
            task = loop.create_task(self._writer(tenant_id), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        # Shielded: a caller that goes away (a client disconnect) must not cancel a group's work
        # half-done; its unit still runs and commits, as it would have without grouping.
        return await asyncio.shield(future)

    def busy(self, tenant_id: uuid.UUID) -> bool:
        """Whether ``tenant_id``'s writer is running a group now (a new unit would queue for the next)."""
        return tenant_id in self._pending

    def waiting(self, tenant_id: uuid.UUID) -> int:
        """Units of ``tenant_id`` queued for its next group (not yet running)."""
        return len(self._pending.get(tenant_id) or ())

    async def drain(self) -> None:
        """Wait until everything submitted so far has run (at shutdown)."""
        if self._tasks and self._loop is asyncio.get_running_loop():
            await asyncio.shield(asyncio.gather(*self._tasks))

    async def _writer(self, tenant_id: uuid.UUID) -> None:
        sessions = _SessionSlots(1)  # the writer's session, kept over its burst
        try:
            # The queue stays in _pending while a group runs, so newcomers join it; once it is empty
            # it is removed with no await in between, and the next caller starts a new writer.
            while queue := self._pending[tenant_id]:
                group, self._pending[tenant_id] = queue[: self._max_group], queue[self._max_group :]
                if _committable(group) and (taken := await sessions.take(tenant_id)) is not None:
                    group = await self._run_committed(tenant_id, group, taken[1])
                    sessions.give_back(tenant_id, *taken)
                    if not group:
                        continue
                # An ordinary group takes a connection of its own: the session goes back first, so
                # a writer never holds two of the pool's connections.
                await sessions.close_idle()
                await self._run_group(tenant_id, group)
            del self._pending[tenant_id]
        except BaseException as exc:  # cancelled at shutdown: nobody may wait for ever
            for unit in self._pending.pop(tenant_id, []):
                if not unit.future.done():
                    unit.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("writer stopped"))
            raise
        finally:
            await sessions.close_idle()

    async def _run_committed(self, tenant_id: uuid.UUID, units: list[_Unit], session: TenantSession) -> list[_Unit]:
        """Send the units' first statements as one committed pipeline and finish those their row
        finishes; the units left to run in an ordinary group (all of them if the pipeline failed)."""
        statements = [unit.first for unit in units if unit.first is not None]
        try:
            rows = await session.fetch_committed(statements[0].sql, [statement.args for statement in statements])
        except Exception:
            # A statement failed, so none was committed; or the connection was lost, and whether
            # they were is not known, which _run_group treats as it treats a lost COMMIT. Either
            # way the units run again in an ordinary group.
            return units
        if len(rows) != len(units):  # a caller's bug, found after the commit: nothing may run again
            for unit in units:
                if not unit.future.done():
                    unit.future.set_exception(RuntimeError(f"{len(rows)} rows for {len(units)} statements"))
            return []
        self.groups += 1
        self.committed += 1
        self.pipelined += len(units)
        left: list[_Unit] = []
        for unit, row in zip(units, rows, strict=True):
            if unit.done_by is None or not unit.done_by(row):
                left.append(unit)
                continue
            try:
                result = await unit.then(row)
            except Exception as exc:  # its row is committed; what then() refused is its answer
                if not unit.future.done():
                    unit.future.set_exception(exc)
            else:
                if not unit.future.done():
                    unit.future.set_result(result)
        return left

    async def _run_group(self, tenant_id: uuid.UUID, units: list[_Unit], *, pipeline: bool = True) -> None:
        results: list[Any] = []
        failed: BaseException | None = None
        try:
            self.groups += 1
            async with tenant_tx(tenant_id):
                results, failed = await self._run_units(units, pipeline)
                if failed is not None:
                    raise _Abort from failed
        except _Abort:
            pass
        except _PipelineFailed:
            # Which statement failed is not known: the group again, each unit sending its own.
            await self._run_group(tenant_id, units, pipeline=False)
            return
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of the group is known to be stored
            await (
                self._each_alone(tenant_id, units) if len(units) > 1 else self._failed_alone(tenant_id, units[0], exc)
            )
            return
        except BaseException as exc:
            for unit in units:
                if not unit.future.done():
                    unit.future.set_exception(RuntimeError(f"{self.name} writer stopped: {exc!r}"))
            raise
        if failed is None:
            for unit, result in zip(units, results, strict=True):
                if not unit.future.done():
                    unit.future.set_result(result)
            return
        await self._split(tenant_id, units, len(results), failed)

    async def _run_units(self, units: list[_Unit], pipeline: bool) -> tuple[list[Any], Exception | None]:
        """Each unit's work in the current transaction, in order, until one raises: the results so far
        and what it raised. A failed pipeline is not a unit's failure and is raised as it is."""
        results: list[Any] = []
        for unit, first_row in self._first_rows(units, pipeline):
            try:
                results.append(await unit.then(await first_row()))
            except _PipelineFailed:
                raise
            except Exception as exc:
                return results, exc
        return results, None

    def _first_rows(
        self, units: list[_Unit], pipeline: bool
    ) -> list[tuple[_Unit, Callable[[], Awaitable[Row | None]]]]:
        """Each unit with what gives its first statement's row, in the units' order.

        A run of two or more consecutive units whose first statements share one SQL text is sent
        together when the run's first unit comes to run; the others' rows are then at hand.
        """
        pairs: list[tuple[_Unit, Callable[[], Awaitable[Row | None]]]] = []
        start = 0
        while start < len(units):
            first = units[start].first
            end = start + 1
            while pipeline and first is not None and end < len(units):
                after = units[end].first
                if after is None or after.sql != first.sql:
                    break
                end += 1
            if first is None:
                pairs.append((units[start], _no_row))
            elif end - start == 1:
                pairs.append((units[start], functools.partial(_one_row, first)))
            else:
                rows = _Rows(self, [unit.first for unit in units[start:end] if unit.first is not None])
                pairs.extend((unit, functools.partial(rows.row, index)) for index, unit in enumerate(units[start:end]))
            start = end
        return pairs

    async def _each_alone(self, tenant_id: uuid.UUID, units: list[_Unit]) -> None:
        for unit in units:
            await self._run_group(tenant_id, [unit])

    async def _split(self, tenant_id: uuid.UUID, units: list[_Unit], at: int, failed: BaseException) -> None:
        """Run a group again around its unit ``at``, which raised ``failed``; the group was rolled back."""
        if at == 0:
            # The first unit of a fresh transaction failed: exactly what it would have done alone.
            await self._failed_alone(tenant_id, units[0], failed)
        else:
            await self._run_group(tenant_id, units[:at])
            await self._run_group(tenant_id, [units[at]])
        if at + 1 < len(units):
            await self._run_group(tenant_id, units[at + 1 :])

    async def _failed_alone(self, tenant_id: uuid.UUID, unit: _Unit, exc: BaseException) -> None:
        """Answer a unit that failed in a transaction of its own (a deadlock's victim runs again)."""
        if isinstance(exc, asyncpg.DeadlockDetectedError) and unit.attempts < DEADLOCK_RETRIES:
            unit.attempts += 1
            await self._run_group(tenant_id, [unit])
        elif not unit.future.done():
            unit.future.set_exception(exc)


def _committable(units: list[_Unit]) -> bool:
    """Whether ``units`` may go as one committed pipeline: two or more, each finished by its first
    statement's row, all with one SQL text."""
    if len(units) < 2 or units[0].first is None:
        return False
    sql = units[0].first.sql
    return all(unit.first is not None and unit.first.sql == sql and unit.done_by is not None for unit in units)


async def _no_row() -> Row | None:
    return None


async def _one_row(statement: Statement) -> Row | None:
    [row] = await fetch(statement.sql, *statement.args)
    return row


class _Rows:
    """The rows of a run of first statements, sent together when the first of them is asked for."""

    def __init__(self, shared: SharedTransaction, statements: list[Statement]) -> None:
        self._shared = shared
        self._statements = statements
        self._rows: list[Row] | None = None

    async def row(self, index: int) -> Row | None:
        if self._rows is None:
            try:
                self._rows = await fetch_pipelined(self._statements[0].sql, [s.args for s in self._statements])
            except Exception as exc:  # the transaction is aborted; which statement failed is not known
                raise _PipelineFailed from exc
            if len(self._rows) != len(self._statements):  # a caller's bug: roll back rather than answer wrongly
                raise RuntimeError(f"{len(self._rows)} rows for {len(self._statements)} statements")
            self._shared.pipelined += len(self._statements)
        return self._rows[index]


async def drain_all() -> None:
    """Wait for every group-commit writer of this process to finish what it holds."""
    for instance in list(_INSTANCES):
        await instance.drain()
