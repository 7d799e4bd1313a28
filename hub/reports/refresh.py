"""The worker's side of the rollups: recompute the marked days shortly after the writes that marked them.

A report recomputes the marked days of its period before it reads (:mod:`hub.reports.service`), so
it is exact whether this ran or not; this keeps that work small. Without it, the first read after a
bulk load (or after the migration that created the rollups) rebuilt a year of days for a tenant of a
million orders, tens of seconds. The worker's loop (:func:`refresh_forever`, every few seconds) lists the
tenants with marks on the ``report-refresh`` system path, then takes each tenant's marks, oldest day
first, a batch of days per tenant transaction, with the same lock and the same recompute a report
uses: a read waits for at most one batch, and a write that commits meanwhile leaves its own mark.
Touches the database.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from hub.core.database import system_tx, tenant_tx
from hub.core.system import SystemPath
from hub.reports import repository as repo
from hub.reports.service import RECOMPUTE, local_days, zone_name

logger = logging.getLogger("hub.reports.refresh")

REFRESH_SECONDS = 5.0
"""How often the worker looks for marks."""

BATCH_DAYS = 31
"""UTC days recomputed per transaction: a month of a busy tenant's orders is a fraction of a second."""


async def refresh_tenant(tenant_id: uuid.UUID, *, batch_days: int = BATCH_DAYS) -> int:
    """Recompute every marked day of the tenant's rollups in its own time zone; the days taken."""
    taken = 0
    for report, recompute in RECOMPUTE.items():
        while True:
            async with tenant_tx(tenant_id):
                await repo.lock_report(tenant_id, report)
                timezone = zone_name(await repo.tenant_timezone(tenant_id))
                days = await repo.take_oldest_marks(tenant_id, report, batch_days)
                if days:
                    await recompute(tenant_id, timezone, local_days(days, timezone))
            taken += len(days)
            if len(days) < batch_days:
                break
    return taken


async def refresh_all(*, batch_days: int = BATCH_DAYS) -> int:
    """:func:`refresh_tenant` for every tenant with marks; the days taken in all. One tenant failing
    is logged and does not stop the others (its marks stay for the next run and for its reads)."""
    async with system_tx(SystemPath.REPORT_REFRESH):
        tenants = await repo.marked_tenants()
    taken = 0
    for tenant_id in tenants:
        try:
            taken += await refresh_tenant(tenant_id, batch_days=batch_days)
        except Exception:
            logger.exception("refreshing report rollups failed", extra={"tenant_id": str(tenant_id)})
    return taken


async def refresh_forever(interval: float = REFRESH_SECONDS) -> None:
    """:func:`refresh_all` every ``interval`` seconds until cancelled; survives database outages.

    The worker process runs it beside the outbox relay (``hub.worker``). Several workers may run it
    at once: the report lock serializes them per tenant and report, and a mark is taken only once.
    """
    while True:
        try:
            await refresh_all()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("report refresh failed, will retry: %s", type(exc).__name__)
        await asyncio.sleep(interval)
