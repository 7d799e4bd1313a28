"""The arq worker: job functions, cron, the outbox relay loop and the report rollups' refresh loop."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from typing import Any

from arq.connections import ArqRedis
from arq.constants import default_queue_name
from arq.cron import CronJob
from arq.worker import Function, Worker, func
from redis.exceptions import RedisError

from carriers.jobs import CRON_JOBS as CARRIER_CRON_JOBS
from carriers.jobs import JOBS as CARRIER_JOBS
from customs.jobs import JOBS as CUSTOMS_JOBS
from hub.core import database, outbox
from hub.core.bootstrap import Services
from hub.orders.jobs import JOBS as ORDER_JOBS
from hub.queue import deserialize, open_pool, redis_settings, serialize
from hub.reports.refresh import refresh_forever
from tenants.jobs import record_api_key_use

logger = logging.getLogger("hub.worker")

RELAY_INTERVAL_SECONDS = 0.5
REDIS_RETRY_SECONDS = 1.0

JOBS: list[Function] = [
    func(outbox.outbox_job(record_api_key_use), name="record_api_key_use", max_tries=5),
    *ORDER_JOBS,
    *CUSTOMS_JOBS,
    *CARRIER_JOBS,
]


CRON_JOBS = [*CARRIER_CRON_JOBS]


def fresh_cron_jobs() -> list[CronJob]:
    """Copies of :data:`CRON_JOBS` with no schedule state.

    arq keeps a cron job's next run time on the ``CronJob`` object itself; a second worker built in
    the same process from the shared objects inherited the first one's stale ``next_run`` and ran a
    cron job the moment it started (seen as an extra job in a burst worker of the test suite).
    """
    return [dataclasses.replace(job, next_run=None) for job in CRON_JOBS]


async def relay_forever(pool: ArqRedis, interval: float = RELAY_INTERVAL_SECONDS) -> None:
    """Move due outbox rows to arq until cancelled; survives Redis and database outages."""
    while True:
        try:
            moved = await outbox.relay_once(pool)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("outbox relay failed, will retry: %s", type(exc).__name__)
            moved = 0
        if moved == 0:
            await asyncio.sleep(interval)


# Every way a lost Redis connection surfaces: redis-py turns one inside a WATCH into a WatchError,
# and a Redis that is still loading answers with BusyLoadingError (a ConnectionError).
REDIS_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


class ResilientWorker(Worker):
    """An arq Worker that waits for Redis to come back instead of exiting.

    arq's poll loop lets a Redis connection error escape, which ends ``Worker.run()`` and with it
    the ``orderhub worker`` process (and the worker ``orderhub up`` starts, which nothing restarts).
    The work itself is safe in the outbox either way; this keeps the process that does it alive.
    Jobs already running go on meanwhile; only their results, kept in Redis, may be lost.
    """

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_OUTAGE_ERRORS as exc:
            logger.warning("Redis is unreachable, polling again in %s s: %s", REDIS_RETRY_SECONDS, type(exc).__name__)
            await asyncio.sleep(REDIS_RETRY_SECONDS)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """arq's ``start_jobs``, one job at a time, giving back the slot a failed start took.

        arq takes a job slot (its semaphore and ``job_counter``) before it asks Redis whether the job
        is free, and only a started job's task gives the slot back. A Redis error in between leaks
        the slot for good: after ``max_jobs`` such errors the worker would poll forever and start
        nothing. For a single job id every error that escapes comes after that one slot was taken.
        """
        for job_id in job_ids:
            earlier_task = self.tasks.get(job_id.decode())
            try:
                await super().start_jobs([job_id])
            except REDIS_OUTAGE_ERRORS:
                if self.tasks.get(job_id.decode()) is earlier_task:  # no task started: the slot is ours to return
                    self.job_counter -= 1
                    self.sem.release()
                raise


def build_worker(
    services: Services,
    *,
    burst: bool = False,
    start_relay: bool = True,
    manage_pool: bool = True,
    queue_name: str = default_queue_name,
) -> Worker:
    """An arq Worker over ``services`` with the relay and the report refresh running beside it
    (both only with ``start_relay``: a burst worker of a test runs its jobs and nothing else).

    ``manage_pool=False`` leaves the database pool to the caller (a process that already runs the
    API's pool, or a test); ``queue_name`` keeps workers that share one Redis apart.
    """
    relay_task: dict[str, asyncio.Task[None]] = {}
    refresh_task: dict[str, asyncio.Task[None]] = {}

    async def on_startup(ctx: dict[str, Any]) -> None:
        if manage_pool:
            database.configure(services.app_database_url)
            await database.start_pool(size=5)
        if start_relay:
            relay_pool = await open_pool(services.redis_url)
            relay_pool.default_queue_name = queue_name
            ctx["relay_pool"] = relay_pool
            relay_task["task"] = asyncio.create_task(relay_forever(relay_pool))
            refresh_task["task"] = asyncio.create_task(refresh_forever())

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        for tasks in (relay_task, refresh_task):
            task = tasks.pop("task", None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if "relay_pool" in ctx:
            await ctx["relay_pool"].aclose()
        if manage_pool:
            await database.close_pool()

    return ResilientWorker(
        functions=JOBS,
        cron_jobs=fresh_cron_jobs(),
        queue_name=queue_name,
        redis_settings=redis_settings(services.redis_url),
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        job_serializer=serialize,
        job_deserializer=deserialize,
        burst=burst,
        poll_delay=0.2,
        handle_signals=not burst,
        max_jobs=20,
        keep_result=3600,
    )


async def _start_from_environment(ctx: dict[str, Any]) -> None:
    from hub.core.bootstrap import resolve_services  # noqa: PLC0415
    from hub.core.settings import get_settings  # noqa: PLC0415

    services = resolve_services(get_settings())
    database.configure(services.app_database_url)
    await database.start_pool(size=5)
    relay_pool = await open_pool(services.redis_url)
    ctx["relay_pool"] = relay_pool
    ctx["relay_task"] = asyncio.create_task(relay_forever(relay_pool))
    ctx["refresh_task"] = asyncio.create_task(refresh_forever())


async def _stop_from_environment(ctx: dict[str, Any]) -> None:
    for name in ("relay_task", "refresh_task"):
        task: asyncio.Task[None] | None = ctx.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if "relay_pool" in ctx:
        await ctx["relay_pool"].aclose()
    await database.close_pool()


class WorkerSettings:
    """For arq's own command line, ``arq hub.worker.WorkerSettings``, with ``DATABASE_URL`` and
    ``REDIS_URL`` set; ``orderhub worker`` builds the same worker through :func:`build_worker`.
    """

    functions = JOBS
    cron_jobs = CRON_JOBS
    redis_settings = redis_settings(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    job_serializer = staticmethod(serialize)
    job_deserializer = staticmethod(deserialize)
    on_startup = staticmethod(_start_from_environment)
    on_shutdown = staticmethod(_stop_from_environment)
    max_jobs = 20
    keep_result = 3600
