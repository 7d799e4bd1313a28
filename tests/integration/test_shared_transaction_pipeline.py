"""A group of SharedTransaction units that start with a statement (``run_after``), against the real
database: which first statements travel together, that each unit gets its own statement's row, in
order, in the group's one transaction, and that a failed pipeline fails only its own unit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from hub.core.batching import SharedTransaction
from hub.core.database import Statement, fetch
from tests.conftest import TenantHandle

ECHO = "SELECT {}::int AS n, txid_current()::text AS tx"
OTHER = "SELECT {}::int AS n, txid_current()::text AS tx, 'other' AS kind"
# One row, or a division by zero for n = 0: a statement that fails inside a pipeline.
FAILS_AT_ZERO = "SELECT 10 / {}::int AS n, txid_current()::text AS tx"

Row = dict[str, Any]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("never happened")


async def _group(
    shared: SharedTransaction, tenant_id: uuid.UUID, units: list[tuple[Statement | None, int]]
) -> list[Row | BaseException]:
    """Run ``units`` as one group: the first is held until the rest have queued behind it."""
    release = asyncio.Event()

    async def held(row: Row | None) -> Row:
        del row
        await release.wait()
        return {"n": -1, "tx": (await fetch("SELECT txid_current()::text AS tx"))[0]["tx"]}

    def then_for(value: int) -> Callable[[Row | None], Awaitable[Row]]:
        async def then(row: Row | None) -> Row:
            if row is None:  # no first statement: the unit's own work
                return {"n": value, "tx": (await fetch("SELECT txid_current()::text AS tx"))[0]["tx"]}
            return row

        return then

    first = asyncio.create_task(shared.run_after(tenant_id, None, held))
    await _until(lambda: shared.busy(tenant_id))
    tasks = []
    for statement, value in units:
        tasks.append(asyncio.create_task(shared.run_after(tenant_id, statement, then_for(value))))
        await asyncio.sleep(0)  # queued in this order
    await _until(lambda: shared.waiting(tenant_id) == len(units))
    release.set()
    await first
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def test_consecutive_units_of_one_statement_travel_together_and_each_gets_its_row(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    shared = SharedTransaction("test")
    units: list[tuple[Statement | None, int]] = [
        (Statement(ECHO, (1,)), 1),
        (Statement(ECHO, (2,)), 2),
        (Statement(ECHO, (3,)), 3),
        (None, 4),  # ends the run
        (Statement(ECHO, (5,)), 5),  # alone between two breaks: sent on its own
        (Statement(OTHER, (6,)), 6),  # another statement: a run of its own
        (Statement(OTHER, (7,)), 7),
    ]
    results = await _group(shared, tenant.id, units)
    rows = [r for r in results if isinstance(r, dict)]
    assert [row["n"] for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert len({row["tx"] for row in rows}) == 1  # all in the group's one transaction
    assert shared.pipelined == 3 + 2  # the ECHO run of three and the OTHER run of two
    assert shared.groups == 2  # the held unit's, then everything queued behind it


async def test_a_failed_statement_in_a_pipeline_fails_its_unit_alone(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    shared = SharedTransaction("test")
    values = [5, 2, 0, 1, 10]
    units: list[tuple[Statement | None, int]] = [(Statement(FAILS_AT_ZERO, (v,)), v) for v in values]
    results = await _group(shared, tenant.id, units)
    assert isinstance(results[2], asyncpg.DivisionByZeroError)
    assert [r["n"] for r in results if isinstance(r, dict)] == [2, 5, 10, 1]
    # The first attempt went out together and failed whole (not counted). Run again unpipelined, the
    # failing unit split the group: the two before it and the two after went out together again.
    assert shared.pipelined == 2 + 2
