"""The cron sweeps: poll carriers that do not push, mark silent shipments stale, retire old trackers.

Each sweep lists carrier accounts across tenants on its own system path (``carrier-sweep``: SELECT
on ``carrier_accounts`` and nothing else); everything it then does per account runs in that tenant's
``tenant_tx``. Touches the database.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from carriers import repository
from carriers.accounts import gateway_for, options_of
from carriers.base import CarrierGateway
from carriers.registry import CARRIERS
from carriers.repository import Row
from carriers.tracking import announce_status, ingest_events
from carriers.units import TrackingReason
from hub.core.database import system_tx, tenant_tx
from hub.core.settings import Settings
from hub.core.system import SystemPath

logger = logging.getLogger("carriers.sweeps")

STALE_AFTER = timedelta(days=7)
RETIRE_AFTER = timedelta(days=90)


async def _accounts(carriers: list[str] | None = None) -> list[Row]:
    # The sweeps' own system path: SELECT on carrier_accounts across tenants and nothing else;
    # everything they then do per account runs in that tenant's transaction.
    async with system_tx(SystemPath.CARRIER_SWEEP):
        return await repository.list_active_accounts(carriers)


async def poll_trackers(
    *,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
    batch_size: int = 50,
    max_per_account: int = 500,
    pause_seconds: float = 1.0,
) -> int:
    """Ask carriers that do not push (no webhook secret, or ``options.poll``) for news; events ingested."""
    trackable = [name for name, info in CARRIERS.items() if "track" in info.capabilities]
    total = 0
    for account in await _accounts(trackable):
        if account["webhook_secret_encrypted"] and not options_of(account).get("poll"):
            continue  # this account pushes its events
        tenant_id: uuid.UUID = account["tenant_id"]
        async with tenant_tx(tenant_id):
            rows = await repository.list_trackable(tenant_id, account["id"], limit=max_per_account)
        if not rows:
            continue
        try:
            gateway = gateway_for(account, settings, http_client)
        except ValueError:
            logger.warning("carrier account unusable for polling", extra={"account_id": str(account["id"])})
            continue
        try:
            total += await _poll_account(tenant_id, account["id"], gateway, rows, batch_size, pause_seconds)
        except Exception:
            # One tenant's carrier failing in a way its adapter did not foresee must not stop the
            # sweep for every account after it; what was ingested before the failure is kept.
            logger.exception("polling a carrier account failed", extra={"account_id": str(account["id"])})
    return total


async def _poll_account(
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    gateway: CarrierGateway,
    rows: list[Row],
    batch_size: int,
    pause_seconds: float,
) -> int:
    stored = 0
    for start in range(0, len(rows), batch_size):
        if start:
            await asyncio.sleep(pause_seconds)  # rate limit per account between batches
        numbers = [r["tracking_number"] for r in rows[start : start + batch_size]]
        updates = await gateway.track(numbers)
        async with tenant_tx(tenant_id):
            for update in updates:
                outcome = await ingest_events(tenant_id, update.events, carrier_account_id=account_id, source="poll")
                stored += outcome.stored
    return stored


async def _tenants() -> list[uuid.UUID]:
    seen: dict[uuid.UUID, None] = {}
    for account in await _accounts():
        seen.setdefault(account["tenant_id"], None)
    return list(seen)


async def mark_stale_shipments(*, stale_after: timedelta = STALE_AFTER, now: datetime | None = None) -> int:
    """Shipments with no event for ``stale_after`` become ``exception`` with reason ``delay``."""
    cutoff = (now or datetime.now(UTC)) - stale_after
    marked = 0
    for tenant_id in await _tenants():
        async with tenant_tx(tenant_id):
            for row in await repository.lock_stale_shipments(tenant_id, cutoff):
                await repository.update_shipment(
                    tenant_id, row["id"], status="exception", status_reason=TrackingReason.DELAY.value
                )
                await announce_status(tenant_id, row, "exception", TrackingReason.DELAY.value)
                marked += 1
    return marked


async def retire_trackers(*, max_age: timedelta = RETIRE_AFTER, now: datetime | None = None) -> int:
    """Stop following delivered, returned or cancelled shipments, and any older than ``max_age``."""
    cutoff = (now or datetime.now(UTC)) - max_age
    retired = 0
    for tenant_id in await _tenants():
        async with tenant_tx(tenant_id):
            retired += await repository.retire_trackers(tenant_id, cutoff)
    return retired
