"""API-key usage is counted in memory, written through the outbox at most once per interval, and
flushed at shutdown so a key that went quiet is still recorded."""

from __future__ import annotations

import json

import httpx

from hub import auth
from hub.core.database import fetch, tenant_tx
from tenants import service as tenant_service
from tests.conftest import TenantHandle


async def test_counts_are_batched_and_flushed(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    del client
    principal = await tenant_service.authenticate(tenant.keys[next(iter(tenant.keys))])
    assert principal is not None
    recorder = auth.UsageRecorder(interval_seconds=3600)
    for _ in range(3):
        await recorder.note(principal)

    async def recorded() -> list[int]:
        async with tenant_tx(tenant.id):
            rows = await fetch(
                "SELECT payload FROM outbox WHERE tenant_id = {} AND job = 'record_api_key_use' "
                "AND payload->>'key_id' = {} ORDER BY id",
                tenant.id,
                str(principal.key_id),
            )
        return [
            int((r["payload"] if isinstance(r["payload"], dict) else json.loads(r["payload"]))["uses"]) for r in rows
        ]

    assert await recorded() == [1]  # the first use is written at once, the next two are held back
    await recorder.flush()
    assert await recorded() == [1, 2]
    await recorder.flush()
    assert await recorded() == [1, 2]
