"""Group commit: concurrent requests' rows written in one transaction, each caller answered after it.

A hot write path (a tracking webhook's raw event, a stored landed-cost quote) costs three round
trips on its own: ``BEGIN``, the insert, ``COMMIT``. Under load most of a request's time is spent
there, not in the work. :class:`GroupCommit` queues the rows of callers that arrive while a write is
in flight and writes them together, one transaction per tenant, so the cost is shared.

Nothing is answered early: :meth:`GroupCommit.submit` returns only after the transaction holding the
caller's row has committed, so "answered 2xx" still means "stored". If a batch fails, its rows are
retried one by one so that one bad row fails only its own caller. There is no timer: a batch is
whatever queued while the previous one was being written, so an idle hub writes at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from hub.core.database import DB, tenant_tx

T = TypeVar("T")
R = TypeVar("R")

Writer = Callable[[uuid.UUID, list[T]], Awaitable[list[R]]]

_INSTANCES: weakref.WeakSet[GroupCommit[object, object]] = weakref.WeakSet()


@dataclass(slots=True)
class _Entry(Generic[T, R]):
    tenant_id: uuid.UUID
    item: T
    future: asyncio.Future[R]


class GroupCommit(Generic[T, R]):
    """Writes items with ``write(tenant_id, items) -> results`` (one result per item, in order).

    ``write`` runs inside a ``tenant_tx`` opened here. A caller already inside a transaction is
    written in that transaction instead (its row must commit or roll back with the caller's work).
    """

    def __init__(self, name: str, write: Writer[T, R], *, max_batch: int = 128, writers: int = 1) -> None:
        self.name = name
        self._write = write
        self._max_batch = max_batch
        self._writers = writers
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Entry[T, R]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Writers still inside their loop. Not len(_tasks): a finished task leaves that set only in
        # a later callback, and a row queued in between would wait for a writer that never comes.
        self._running = 0
        _INSTANCES.add(self)  # type: ignore[arg-type]

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

    async def _write_group(self, tenant_id: uuid.UUID, entries: list[_Entry[T, R]]) -> None:
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
        for entry, result in zip(entries, results, strict=True):
            if not entry.future.done():
                entry.future.set_result(result)


async def drain_all() -> None:
    """Wait for every group-commit writer of this process to finish what it holds."""
    for instance in list(_INSTANCES):
        await instance.drain()
