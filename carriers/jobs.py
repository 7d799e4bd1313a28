"""arq jobs of the carriers package (registered by hub.worker through JOBS; cron through CRON_JOBS).

Context keys the jobs read, all optional: ``settings`` (a :class:`hub.core.settings.Settings`;
default :func:`hub.core.settings.get_settings`) and ``carrier_http_client`` (an
``httpx.AsyncClient`` for carrier APIs and the sandbox's posts to the hub; tests pass one over
``httpx.MockTransport`` or the app's ASGI transport).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from arq.cron import CronJob, cron
from arq.worker import Function, func

from carriers import inbound, simulation, sweeps
from hub.core import outbox
from hub.core.settings import Settings, get_settings


def _settings(ctx: dict[str, Any]) -> Settings:
    configured = ctx.get("settings")
    return configured if isinstance(configured, Settings) else get_settings()


def _http(ctx: dict[str, Any]) -> httpx.AsyncClient | None:
    client = ctx.get("carrier_http_client")
    return client if isinstance(client, httpx.AsyncClient) else None


async def process_inbound_event(ctx: dict[str, Any], tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Outbox body: parse stored webhooks, de-duplicate, match, advance shipments.

    The receiving endpoint writes the webhooks that arrived together with one job naming them all
    (``inbound_event_ids``); a job naming one (``inbound_event_id``) is read too.
    """
    ids = payload.get("inbound_event_ids") or [payload["inbound_event_id"]]
    for inbound_event_id in sorted(ids):  # ids are UUIDv7: arrival order
        await inbound.process_inbound_event(tenant_id, uuid.UUID(inbound_event_id), settings=_settings(ctx))


async def sandbox_post_event(ctx: dict[str, Any], tenant_id: str, outbox_id: str, payload: dict[str, Any]) -> str:
    """Post one simulated sandbox event to the hub's own webhook URL, then mark its outbox row done.

    Not wrapped in :func:`hub.core.outbox.outbox_job`: that holds a transaction open around the
    body, and this body makes an HTTP call. Posting twice is harmless (events are de-duplicated).
    """
    tenant = uuid.UUID(tenant_id)
    row_id = uuid.UUID(outbox_id)
    if await outbox.is_done(tenant, row_id):
        return "already done"
    result = await simulation.post_sandbox_event(tenant, payload, settings=_settings(ctx), http_client=_http(ctx))
    await outbox.mark_done(tenant, row_id, error=None if result == "posted" else result)
    return result


async def poll_trackers(ctx: dict[str, Any]) -> int:
    return await sweeps.poll_trackers(settings=_settings(ctx), http_client=_http(ctx))


async def mark_stale_shipments(ctx: dict[str, Any]) -> int:
    del ctx
    return await sweeps.mark_stale_shipments()


async def retire_trackers(ctx: dict[str, Any]) -> int:
    del ctx
    return await sweeps.retire_trackers()


JOBS: list[Function] = [
    func(outbox.outbox_job(process_inbound_event), name=inbound.PROCESS_INBOUND_JOB, max_tries=5),
    func(sandbox_post_event, name=simulation.SANDBOX_POST_JOB, max_tries=5),
]

CRON_JOBS: list[CronJob] = [
    cron(poll_trackers, name="carriers_poll_trackers", minute={0, 15, 30, 45}, unique=True, timeout=600),
    cron(mark_stale_shipments, name="carriers_mark_stale_shipments", minute={5}, unique=True, timeout=300),
    cron(retire_trackers, name="carriers_retire_trackers", hour={3}, minute={30}, unique=True, timeout=300),
]
