"""arq jobs of the tenants package (bodies run through ``hub.core.outbox.outbox_job``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tenants import repository


async def record_api_key_use(ctx: dict[str, Any], tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Apply an API-key usage record (inside the outbox job's tenant transaction)."""
    del ctx
    await repository.touch_api_key(
        tenant_id, uuid.UUID(payload["key_id"]), datetime.fromisoformat(payload["used_at"]), int(payload["uses"])
    )
