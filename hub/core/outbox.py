"""The transactional outbox: background work is written in the business transaction, then relayed.

A service calls :func:`enqueue` inside its ``tenant_tx``; the row commits or rolls back with the
business change. The worker's relay loop (:func:`relay_once`) moves due rows to arq. A row stays
pending until its job marks it done (:func:`mark_done`), and a row dispatched but not done within
the lease is dispatched again, so Redis being down, restarted or emptied loses no work. Jobs may
therefore run more than once and must be idempotent.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec

from hub.core.database import fetch, system_tx, tenant_tx
from hub.core.ids import new_id
from hub.core.settings import get_settings
from hub.core.system import SystemPath

LEASE = timedelta(minutes=5)
"""The default lease; ``ORDERHUB_OUTBOX_LEASE_SECONDS`` sets another (:func:`lease`)."""


def lease() -> timedelta:
    """How long a dispatched row waits for its job before it is dispatched again.

    Long enough for the slowest job (a document render, 120 s) to finish, so a job is not normally
    run twice; short enough that work a dead worker or an emptied Redis held is not waited on for long.
    """
    return timedelta(seconds=get_settings().outbox_lease_seconds)


class JobQueue(Protocol):
    async def enqueue_job(self, function: str, *args: Any, _job_id: str | None = None) -> object: ...


class OutboxMessage(msgspec.Struct, frozen=True):
    tenant_id: uuid.UUID
    id: uuid.UUID
    job: str
    payload: dict[str, Any]
    dispatch_count: int


async def enqueue(
    tenant_id: uuid.UUID, job: str, payload: dict[str, Any], *, available_at: datetime | None = None
) -> uuid.UUID:
    """Write a job request in the current transaction (call inside ``tenant_tx``)."""
    outbox_id = new_id()
    await fetch(
        "INSERT INTO outbox (tenant_id, id, job, payload, available_at) "
        "VALUES ({}, {}, {}, {}::jsonb, coalesce({}, now()))",
        tenant_id,
        outbox_id,
        job,
        msgspec.json.encode(payload).decode(),
        available_at,
    )
    return outbox_id


async def enqueue_many(tenant_id: uuid.UUID, jobs: list[tuple[str, dict[str, Any]]]) -> list[uuid.UUID]:
    """Several job requests in one statement (call inside ``tenant_tx``)."""
    if not jobs:
        return []
    ids = [new_id() for _ in jobs]
    await fetch(
        "INSERT INTO outbox (tenant_id, id, job, payload) "
        "SELECT {}, j.id, j.job, j.payload::jsonb "
        "FROM unnest({}::uuid[], {}::text[], {}::text[]) AS j(id, job, payload)",
        tenant_id,
        ids,
        [job for job, _ in jobs],
        [msgspec.json.encode(payload).decode() for _, payload in jobs],
    )
    return ids


async def relay_once(queue: JobQueue, *, batch: int = 200, lease_for: timedelta | None = None) -> int:
    """Dispatch due outbox rows to arq; returns how many were dispatched.

    A row dispatched more than ``lease_for`` (default :func:`lease`) ago and still not done is due
    again. If Redis refuses, the exception rolls the transaction back and every row stays due.
    """
    async with system_tx(SystemPath.OUTBOX_RELAY):
        rows = await fetch(
            """
            SELECT tenant_id, id, job, payload, dispatch_count FROM outbox
            WHERE completed_at IS NULL AND available_at <= now()
              AND (dispatched_at IS NULL OR dispatched_at < now() - {}::interval)
            ORDER BY available_at
            LIMIT {}
            FOR UPDATE SKIP LOCKED
            """,
            lease_for if lease_for is not None else lease(),
            batch,
        )
        for row in rows:
            message = OutboxMessage(
                tenant_id=row["tenant_id"],
                id=row["id"],
                job=row["job"],
                payload=msgspec.json.decode(row["payload"]) if isinstance(row["payload"], str) else row["payload"],
                dispatch_count=row["dispatch_count"],
            )
            await queue.enqueue_job(
                message.job,
                str(message.tenant_id),
                str(message.id),
                message.payload,
                _job_id=f"outbox:{message.id}:{message.dispatch_count}",
            )
        if rows:
            await fetch(
                "UPDATE outbox SET dispatched_at = now(), dispatch_count = dispatch_count + 1 "
                "WHERE (tenant_id, id) IN (SELECT unnest({}::uuid[]), unnest({}::uuid[]))",
                [r["tenant_id"] for r in rows],
                [r["id"] for r in rows],
            )
    return len(rows)


async def mark_done(tenant_id: uuid.UUID, outbox_id: uuid.UUID, *, error: str | None = None) -> None:
    async with tenant_tx(tenant_id):
        await fetch(
            "UPDATE outbox SET completed_at = now(), last_error = {} WHERE tenant_id = {} AND id = {}",
            error,
            tenant_id,
            outbox_id,
        )


async def reschedule(tenant_id: uuid.UUID, outbox_id: uuid.UUID, delay: timedelta, *, error: str | None = None) -> None:
    """Leave the row pending and make it due again after ``delay``: a retry that outlives Redis.

    The relay dispatches it anew then (with the next ``dispatch_count``, hence a fresh arq job id).
    """
    async with tenant_tx(tenant_id):
        await fetch(
            "UPDATE outbox SET available_at = now() + {}::interval, dispatched_at = NULL, last_error = {} "
            "WHERE tenant_id = {} AND id = {} AND completed_at IS NULL",
            delay,
            error,
            tenant_id,
            outbox_id,
        )


async def is_done(tenant_id: uuid.UUID, outbox_id: uuid.UUID) -> bool:
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT completed_at IS NOT NULL AS done FROM outbox WHERE tenant_id = {} AND id = {}", tenant_id, outbox_id
        )
    return bool(rows and rows[0]["done"])


JobBody = Any  # Callable[[dict[str, Any], uuid.UUID, dict[str, Any]], Awaitable[None]]


def outbox_job(body: JobBody, *, name: str | None = None) -> Any:
    """Wrap ``body(ctx, tenant_id, payload)`` as an arq function that runs it exactly once in effect.

    The outbox row is locked and the body runs in the same tenant transaction that marks the row
    done, so a job that arq runs twice (a retry, a re-dispatch after a lost Redis) finds the row done
    and does nothing. Bodies with effects outside PostgreSQL must be idempotent themselves. The body's
    ``ctx`` carries the row's id as ``outbox_id``: a stable id for whatever the row stands for.
    """

    async def run(ctx: dict[str, Any], tenant_id: str, outbox_id: str, payload: dict[str, Any]) -> str:
        tenant = uuid.UUID(tenant_id)
        row_id = uuid.UUID(outbox_id)
        async with tenant_tx(tenant):
            rows = await fetch(
                "SELECT completed_at FROM outbox WHERE tenant_id = {} AND id = {} FOR UPDATE", tenant, row_id
            )
            if not rows or rows[0]["completed_at"] is not None:
                return "already done"
            await body({**ctx, "outbox_id": row_id}, tenant, payload)
            await fetch("UPDATE outbox SET completed_at = now() WHERE tenant_id = {} AND id = {}", tenant, row_id)
        return "done"

    run.__qualname__ = run.__name__ = name or body.__name__
    return run
