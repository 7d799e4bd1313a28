"""Each worker schedules its cron jobs afresh: arq keeps the next run time on the CronJob object."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.core.bootstrap import Services
from hub.worker import CRON_JOBS, build_worker

SERVICES = Services(
    owner_database_url="postgresql://unused@127.0.0.1:1/unused",
    app_database_url="postgresql://unused@127.0.0.1:1/unused",
    redis_url="redis://127.0.0.1:1/0",
    embedded_database=False,
    embedded_redis=False,
)


async def test_a_second_worker_does_not_inherit_the_first_ones_cron_schedule() -> None:
    # async: arq's Worker takes the running loop (a sync test made it open and leak a new one)
    first = build_worker(SERVICES, burst=True, start_relay=False, manage_pool=False)
    second = build_worker(SERVICES, burst=True, start_relay=False, manage_pool=False)
    assert first.cron_jobs
    assert len(first.cron_jobs) == len(CRON_JOBS)
    for job in first.cron_jobs:
        # what arq does on the first poll of the first worker
        job.calculate_next(datetime(2026, 1, 1, tzinfo=UTC))
    assert all(job.next_run is not None for job in first.cron_jobs)
    assert all(job.next_run is None for job in second.cron_jobs)
    assert all(job.next_run is None for job in CRON_JOBS)
    assert [job.name for job in second.cron_jobs] == [job.name for job in CRON_JOBS]
