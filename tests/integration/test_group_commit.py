"""Group commit against the real database: shared transactions, per-caller answers, isolation of a bad row."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from hub.core.batching import GroupCommit
from hub.core.database import fetch, tenant_tx
from hub.core.ids import new_id
from tests.conftest import TenantHandle


class _Recorder:
    """A writer that inserts outbox rows (a real tenant table) and notes each batch it was given."""

    def __init__(self) -> None:
        self.batches: list[list[uuid.UUID]] = []
        self.active = self.most_active = 0

    async def write(self, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[str]:
        self.batches.append(list(ids))
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            return await self._insert(tenant_id, ids)
        finally:
            self.active -= 1

    async def _insert(self, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[str]:
        await fetch(
            "INSERT INTO outbox (tenant_id, id, job, payload) "
            "SELECT {}, u.id, 'group-commit-test', jsonb_build_object() FROM unnest({}::uuid[]) AS u(id)",
            tenant_id,
            ids,
        )
        # The transaction id proves which callers shared a transaction.
        rows = await fetch("SELECT txid_current()::text AS tx")
        return [rows[0]["tx"]] * len(ids)


async def _stored(tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    async with tenant_tx(tenant_id):
        rows = await fetch("SELECT id FROM outbox WHERE tenant_id = {} AND id = ANY({}::uuid[])", tenant_id, ids)
    return {row["id"] for row in rows}


async def test_concurrent_callers_share_transactions_and_each_row_is_stored_before_its_answer(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    recorder = _Recorder()
    writer: GroupCommit[uuid.UUID, str] = GroupCommit("test", recorder.write)
    ids = [new_id() for _ in range(40)]

    async def one(row_id: uuid.UUID) -> str:
        tx = await writer.submit(tenant.id, row_id)
        # Answered means committed: a fresh transaction already sees the row.
        assert row_id in await _stored(tenant.id, [row_id])
        return tx

    transactions = await asyncio.gather(*(one(i) for i in ids))
    assert await _stored(tenant.id, ids) == set(ids)
    assert sorted(i for batch in recorder.batches for i in batch) == sorted(ids)
    # 40 concurrent callers: the first is written alone, the others queue behind it and share.
    assert len(recorder.batches) < len(ids)
    assert len(set(transactions)) == len(recorder.batches)
    assert recorder.most_active == 1  # one writer: one transaction at a time


async def test_two_writers_overlap_and_every_caller_is_answered_once(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    recorder = _Recorder()
    writer: GroupCommit[uuid.UUID, str] = GroupCommit("test", recorder.write, writers=2, max_batch=10)
    ids = [new_id() for _ in range(60)]
    transactions = await asyncio.gather(*(writer.submit(tenant.id, i) for i in ids))
    assert await _stored(tenant.id, ids) == set(ids)
    written = [i for batch in recorder.batches for i in batch]
    assert sorted(written) == sorted(ids)  # each row written exactly once
    assert [len(batch) for batch in recorder.batches] == [10] * 6  # max_batch bounds a transaction
    assert len(set(transactions)) == 6
    assert recorder.most_active == 2  # two transactions were open at once
    await writer.drain()
    assert not writer._tasks  # both writers finished with nothing left queued


async def test_a_bad_row_fails_only_its_caller(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    del client
    recorder = _Recorder()
    writer: GroupCommit[uuid.UUID, str] = GroupCommit("test", recorder.write)
    existing = new_id()
    await writer.submit(tenant.id, existing)
    fresh = [new_id() for _ in range(5)]
    # Submitted together: the first goes alone, the rest (with a duplicate key among them) share a
    # batch, which fails and is retried row by row.
    results = await asyncio.gather(
        *(writer.submit(tenant.id, i) for i in [fresh[0], fresh[1], existing, *fresh[2:]]), return_exceptions=True
    )
    assert isinstance(results[2], asyncpg.UniqueViolationError)
    assert all(isinstance(r, str) for i, r in enumerate(results) if i != 2)
    assert await _stored(tenant.id, fresh) == set(fresh)


async def test_each_tenant_is_written_in_its_own_transaction(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    del client
    recorder = _Recorder()
    writer: GroupCommit[uuid.UUID, str] = GroupCommit("test", recorder.write)
    mine, theirs = [new_id() for _ in range(3)], [new_id() for _ in range(3)]
    await asyncio.gather(
        *(writer.submit(tenant.id, i) for i in mine), *(writer.submit(other_tenant.id, i) for i in theirs)
    )
    # Row-level security would have refused a row written under the wrong tenant.
    assert await _stored(tenant.id, mine + theirs) == set(mine)
    assert await _stored(other_tenant.id, mine + theirs) == set(theirs)


async def test_a_caller_inside_a_transaction_is_written_in_it(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    del client
    recorder = _Recorder()
    writer: GroupCommit[uuid.UUID, str] = GroupCommit("test", recorder.write)
    row_id = new_id()

    async def work_then_fail() -> None:
        async with tenant_tx(tenant.id):
            await writer.submit(tenant.id, row_id)
            assert await _stored(tenant.id, [row_id]) == {row_id}  # visible inside the caller's transaction
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        await work_then_fail()
    # The caller's rollback took the row with it: it was not committed on its own.
    assert await _stored(tenant.id, [row_id]) == set()


async def test_a_row_queued_just_as_the_writer_finishes_is_still_written(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Regression: a row queued after a writer left its loop but before its task's done-callbacks
    ran waited for ever (the webhook benchmark hung). Letting the loop turn 0..3 times between
    submits puts one submit exactly in that window."""
    del client
    recorder = _Recorder()
    writer: GroupCommit[uuid.UUID, str] = GroupCommit("test", recorder.write)
    written: list[uuid.UUID] = []

    async def submit_with_pauses() -> None:
        # submit() awaited directly: wrapping each call in wait_for() would run it in a task of its
        # own, one loop turn later, and step over the window.
        for turns in range(4):
            for _ in range(2):
                row_id = new_id()
                await writer.submit(tenant.id, row_id)
                written.append(row_id)
                for _ in range(turns):
                    await asyncio.sleep(0)

    await asyncio.wait_for(submit_with_pauses(), timeout=10)
    assert await _stored(tenant.id, written) == set(written)
