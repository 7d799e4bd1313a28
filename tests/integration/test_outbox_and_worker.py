"""The outbox loses no work: Redis down, Redis emptied, a job run twice.

The relay and an in-process arq worker (``hub.worker.build_worker``) run against the real Redis on
a queue of their own, so test runs sharing one Redis never take each other's jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from arq.connections import ArqRedis, create_pool
from arq.worker import func
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import WatchError

from carriers import inbound as carrier_inbound
from hub.core import outbox
from hub.core.bootstrap import Services
from hub.core.settings import Settings
from hub.queue import deserialize, open_pool, redis_settings, serialize
from hub.worker import JOBS, ResilientWorker, build_worker
from tenants import service as tenant_service
from tenants.roles import Role
from tenants.schemas import Principal
from tests.api.test_tracking_webhooks import book_sandbox, sandbox_account, sandbox_body, timeline
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration

DEAD_REDIS = "redis://127.0.0.1:1/0"


class RecordingQueue:
    """A queue that accepts everything: stands in for a relay that already took older rows."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, str | None]] = []

    async def enqueue_job(self, function: str, *args: Any, _job_id: str | None = None) -> object:
        del args
        self.jobs.append((function, _job_id))
        return object()


@contextlib.asynccontextmanager
async def owner_connection(services: Services) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(services.owner_database_url)
    try:
        yield connection
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def private_queue(services: Services) -> AsyncIterator[tuple[ArqRedis, str]]:
    """An arq pool on the real Redis whose default queue is this test's alone."""
    name = f"arq:test:{uuid.uuid4().hex}"
    pool = await create_pool(
        redis_settings(services.redis_url),
        job_serializer=serialize,
        job_deserializer=deserialize,
        default_queue_name=name,
    )
    try:
        yield pool, name
    finally:
        await pool.delete(name)
        await pool.aclose()


async def forget_jobs(pool: ArqRedis, outbox_id: uuid.UUID) -> None:
    """Drop arq's job and result keys of one outbox row (they would expire, but a shared Redis is tidier)."""
    keys = [key async for key in pool.scan_iter(match=f"arq:*outbox:{outbox_id}:*")]
    if keys:
        await pool.delete(*keys)


async def dead_queue() -> ArqRedis:
    """An arq pool on a port nothing listens on; if opening fails, a lazily connecting one."""
    try:
        return await open_pool(DEAD_REDIS)
    except (RedisConnectionError, OSError):
        pass  # expected: nothing answers there
    return ArqRedis(
        host="127.0.0.1",
        port=1,
        socket_connect_timeout=0.5,
        job_serializer=serialize,
        job_deserializer=deserialize,
    )


async def run_worker(services: Services, queue_name: str) -> tuple[int, int]:
    """Run the real worker in burst mode on ``queue_name``; returns (completed, failed)."""
    worker = build_worker(services, burst=True, start_relay=False, manage_pool=False, queue_name=queue_name)
    try:
        await worker.async_run()
    finally:
        with warnings.catch_warnings():
            # arq's Worker.close() still calls redis' deprecated close(); nothing of ours.
            warnings.filterwarnings("ignore", message="Call to deprecated close", category=DeprecationWarning)
            await worker.close()
    return worker.jobs_complete, worker.jobs_failed


async def key_usage(owner: asyncpg.Connection, tenant_id: uuid.UUID, key_id: uuid.UUID) -> asyncpg.Record:
    row = await owner.fetchrow(
        "SELECT last_used_at, use_count FROM api_keys WHERE tenant_id = $1 AND id = $2", tenant_id, key_id
    )
    assert row is not None
    return row


async def outbox_row(owner: asyncpg.Connection, tenant_id: uuid.UUID) -> asyncpg.Record:
    rows = await owner.fetch(
        "SELECT id, payload, dispatched_at, dispatch_count, completed_at FROM outbox "
        "WHERE tenant_id = $1 AND job = 'record_api_key_use'",
        tenant_id,
    )
    assert len(rows) == 1, rows
    return rows[0]


def job_function(name: str) -> Any:
    return next(f.coroutine for f in JOBS if f.name == name)


async def test_work_written_while_redis_is_down_runs_once_redis_is_back(
    client: httpx.AsyncClient, services: Services
) -> None:
    del client  # the app's lifespan owns the database pool the services use
    # Older due rows (other tests' usage records) are taken by another relay first, so the rows
    # relayed below are this test's alone.
    await outbox.relay_once(RecordingQueue(), batch=10_000)

    tenant = await make_tenant()
    principal = await tenant_service.authenticate(tenant.keys[Role.CLERK])
    assert isinstance(principal, Principal)
    assert principal.key_id is not None
    used_at = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    await tenant_service.request_key_use_record(principal, used_at, 3)

    async with owner_connection(services) as owner:
        row = await outbox_row(owner, tenant.id)
        assert row["completed_at"] is None
        assert row["dispatched_at"] is None
        before = await key_usage(owner, tenant.id, principal.key_id)
        assert before["last_used_at"] is None
        assert before["use_count"] == 0

        # 1. Redis is down: the relay fails and the row stays pending, not dispatched.
        dead = await dead_queue()
        try:
            with pytest.raises((RedisConnectionError, OSError)):
                await outbox.relay_once(dead)
        finally:
            await dead.aclose()
        row = await outbox_row(owner, tenant.id)
        assert row["dispatched_at"] is None
        assert row["dispatch_count"] == 0
        assert row["completed_at"] is None

        async with private_queue(services) as (pool, queue_name):
            # 2. Redis is back: the relay moves the row to arq, once.
            assert await outbox.relay_once(pool) == 1
            assert await outbox.relay_once(pool) == 0, "a dispatched row is leased, not sent again"
            job_id = f"outbox:{row['id']}:0"
            assert await pool.zrange(queue_name, 0, -1) == [job_id.encode()]
            row = await outbox_row(owner, tenant.id)
            assert row["dispatch_count"] == 1
            assert row["dispatched_at"] is not None

            # 3. Redis is emptied before the worker ran: after the lease the row goes out again.
            await pool.delete(queue_name, f"arq:job:{job_id}")
            assert await outbox.relay_once(pool) == 0
            await owner.execute(
                "UPDATE outbox SET dispatched_at = now() - $1::interval WHERE tenant_id = $2 AND id = $3",
                outbox.LEASE + timedelta(minutes=1),
                tenant.id,
                row["id"],
            )
            assert await outbox.relay_once(pool) == 1
            assert await pool.zrange(queue_name, 0, -1) == [f"outbox:{row['id']}:1".encode()]

            # 4. The real worker runs the job: the key's use is recorded and the row completed.
            completed, failed = await run_worker(services, queue_name)
            assert (completed, failed) == (1, 0)
            after = await key_usage(owner, tenant.id, principal.key_id)
            assert after["last_used_at"] == used_at
            assert after["use_count"] == 3
            row = await outbox_row(owner, tenant.id)
            assert row["completed_at"] is not None

            # 5. arq runs it again (a retry, a stale re-dispatch): nothing changes.
            payload = row["payload"] if isinstance(row["payload"], dict) else deserialize(row["payload"].encode())
            await pool.enqueue_job(
                "record_api_key_use", str(tenant.id), str(row["id"]), payload, _job_id=f"outbox:{row['id']}:9"
            )
            assert await run_worker(services, queue_name) == (1, 0)
            assert await key_usage(owner, tenant.id, principal.key_id) == after
            assert await outbox.relay_once(pool) == 0, "a completed row is never relayed again"
            await forget_jobs(pool, row["id"])

    # 6. And called directly, the wrapped job says so and changes nothing.
    run = job_function("record_api_key_use")
    assert await run({}, str(tenant.id), str(row["id"]), payload) == "already done"
    async with owner_connection(services) as owner:
        assert await key_usage(owner, tenant.id, principal.key_id) == after
    assert await outbox.is_done(tenant.id, row["id"])


async def test_outbox_job_runs_its_body_once_and_rolls_back_with_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    """A body that fails leaves the row pending (to be retried); one that succeeds runs once."""
    del client
    tenant = await make_tenant()
    principal = await tenant_service.authenticate(tenant.keys[Role.OWNER])
    assert isinstance(principal, Principal)
    calls: list[dict[str, Any]] = []
    fail = True

    async def body(ctx: dict[str, Any], tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
        del ctx
        calls.append(payload)
        await tenant_service.repository.touch_api_key(
            tenant_id, uuid.UUID(payload["key_id"]), datetime.fromisoformat(payload["used_at"]), 5
        )
        if fail:
            raise RuntimeError("the body failed after writing")

    run = outbox.outbox_job(body, name="flaky")
    await tenant_service.request_key_use_record(principal, datetime.now(UTC), 5)
    async with owner_connection(services) as owner:
        row = await outbox_row(owner, tenant.id)
        payload = deserialize(row["payload"].encode()) if isinstance(row["payload"], str) else row["payload"]
        with pytest.raises(RuntimeError):
            await run({}, str(tenant.id), str(row["id"]), payload)
        assert (await outbox_row(owner, tenant.id))["completed_at"] is None
        assert principal.key_id is not None
        assert (await key_usage(owner, tenant.id, principal.key_id))["use_count"] == 0, "the write rolled back"

        fail = False
        assert await run({}, str(tenant.id), str(row["id"]), payload) == "done"
        assert await run({}, str(tenant.id), str(row["id"]), payload) == "already done"
        assert len(calls) == 2
        assert (await key_usage(owner, tenant.id, principal.key_id))["use_count"] == 5
        # A job for a row of another tenant finds nothing (RLS) and does nothing.
        other = await make_tenant()
        assert await run({}, str(other.id), str(row["id"]), payload) == "already done"
        assert len(calls) == 2


async def test_relay_survives_a_redis_outage(client: httpx.AsyncClient, services: Services) -> None:
    """``relay_forever``'s unit of work: a failed relay is retried later with nothing lost."""
    del client
    tenant = await make_tenant()
    principal = await tenant_service.authenticate(tenant.keys[Role.OWNER])
    assert isinstance(principal, Principal)
    await tenant_service.request_key_use_record(principal, datetime.now(UTC), 1)
    dead = await dead_queue()
    try:
        for _ in range(2):
            with pytest.raises((RedisConnectionError, OSError)):
                await outbox.relay_once(dead)
    finally:
        await dead.aclose()
    sink = RecordingQueue()
    assert await outbox.relay_once(sink, batch=10_000) >= 1
    async with owner_connection(services) as owner:
        row = await outbox_row(owner, tenant.id)
    assert ("record_api_key_use", f"outbox:{row['id']}:0") in sink.jobs
    assert row["dispatch_count"] == 1


async def test_tracking_events_survive_redis_going_away_mid_stream(
    client: httpx.AsyncClient, services: Services, test_settings: Settings
) -> None:
    """Carrier webhooks keep arriving while Redis is emptied and then down: none is lost."""
    await outbox.relay_once(RecordingQueue(), batch=10_000)  # older rows belong to other tests
    tenant = handle = await make_tenant()
    account, path = await sandbox_account(client, handle)
    shipment = await book_sandbox(handle, account["id"], test_settings)
    assert shipment.tracking_number is not None
    events = timeline(shipment.tracking_number)
    assert len(events) >= 4

    async def post(batch: list[Any]) -> None:
        body, headers = sandbox_body(batch)
        assert (await client.post(path, content=body, headers=headers)).status_code == 202

    async with private_queue(services) as (pool, queue_name):
        # 1. The first scan arrives and is relayed; then Redis is emptied (a restart without
        #    persistence) before any worker took the job.
        await post(events[:1])
        assert await outbox.relay_once(pool) >= 1
        await pool.delete(queue_name)
        # 2. More scans arrive while Redis is unreachable: the relay fails, the rows stay due.
        await post(events[1:3])
        dead = await dead_queue()
        try:
            with pytest.raises((RedisConnectionError, OSError)):
                await outbox.relay_once(dead)
        finally:
            await dead.aclose()
        await post(events[3:])
        # 3. Redis is back. The emptied job's lease runs out and it is dispatched again with the rest.
        async with owner_connection(services) as owner:
            await owner.execute(
                "UPDATE outbox SET dispatched_at = now() - $1::interval "
                "WHERE tenant_id = $2 AND dispatched_at IS NOT NULL",
                outbox.LEASE + timedelta(minutes=1),
                tenant.id,
            )
        await outbox.relay_once(pool)
        await run_worker(services, queue_name)
        async with owner_connection(services) as owner:
            statuses = await owner.fetch("SELECT status FROM inbound_events WHERE tenant_id = $1", tenant.id)
            stuck = await owner.fetchval(
                "SELECT count(*) FROM outbox WHERE tenant_id = $1 AND job = $2 AND completed_at IS NULL",
                tenant.id,
                carrier_inbound.PROCESS_INBOUND_JOB,
            )
    assert [row["status"] for row in statuses] == ["processed"] * len(statuses)
    assert len(statuses) == 3  # one stored raw webhook per post
    assert stuck == 0
    got = (await client.get(f"/v1/shipments/{shipment.id}/events", headers=handle.headers())).json()
    assert len(got) == len(events)  # every scan, none lost, none doubled
    assert (await client.get(f"/v1/shipments/{shipment.id}", headers=handle.headers())).json()["status"] == "delivered"


async def test_worker_outlives_a_connection_lost_mid_watch_and_keeps_its_job_slot(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis killed while arq WATCHes a job's key: redis-py reports a WatchError, not a
    ConnectionError. The worker must poll on (it once exited, seen in the faults suite) and give
    back the job slot arq took before the failed call, or with ``max_jobs=1`` it never starts a job."""
    ran: list[str] = []

    async def note(ctx: dict[str, Any], word: str) -> None:
        del ctx
        ran.append(word)

    async with private_queue(services) as (pool, name):
        await pool.enqueue_job("note", "delivered", _queue_name=name)
        real_pipeline = pool.pipeline
        lost = {"left": 1}

        def pipeline(transaction: bool = True) -> Any:
            pipe = real_pipeline(transaction=transaction)
            real_zscore = pipe.zscore

            async def zscore(*args: Any, **kwargs: Any) -> Any:
                if lost["left"]:
                    lost["left"] -= 1
                    raise WatchError("A ConnectionError occurred on while watching one or more keys")
                return await real_zscore(*args, **kwargs)

            pipe.zscore = zscore  # type: ignore[method-assign]
            return pipe

        monkeypatch.setattr(pool, "pipeline", pipeline)
        worker = ResilientWorker(
            functions=[func(note, name="note")],
            queue_name=name,
            redis_pool=pool,
            burst=True,
            max_jobs=1,
            poll_delay=0.05,
            handle_signals=False,
            job_serializer=serialize,
            job_deserializer=deserialize,
        )
        await asyncio.wait_for(worker.async_run(), timeout=30)
        assert lost["left"] == 0, "the lost connection was never injected"
        assert ran == ["delivered"]
        assert (worker.jobs_complete, worker.job_counter) == (1, 0)
