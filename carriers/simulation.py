"""The sandbox carrier's tracking simulation: a booked sandbox label gets a timeline of events.

:func:`schedule_sandbox_timeline` writes one outbox row per event, due when the event happens (sped
up by the account's ``time_scale``); the ``sandbox_post_event`` job calls :func:`post_sandbox_event`,
which posts it, signed, to the hub's own public webhook URL, so the sandbox goes through the real
inbound path like any carrier. Touches the database (``tenant_tx``, the outbox).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import msgspec

from carriers import repository
from carriers.accounts import options_of, webhook_secret_of, webhook_url
from carriers.base import TrackingEvent
from carriers.repository import Row
from carriers.sandbox import mapper as sandbox_mapper
from carriers.schemas import ShipmentBookingInput
from carriers.signatures import sign_hub
from hub.core import outbox
from hub.core.database import tenant_tx
from hub.core.settings import Settings

SANDBOX_POST_JOB = "sandbox_post_event"


async def schedule_sandbox_timeline(
    tenant_id: uuid.UUID, row: Row, tracking_number: str, booked_at: datetime, account: Row
) -> None:
    """One outbox row per event, due when the event happens; each posts a signed webhook to us."""
    options = options_of(account)
    request = msgspec.convert(repository.json_value(row["request"]), ShipmentBookingInput)
    speedup = float(options.get("time_scale", 1) or 1)
    timeline = sandbox_mapper.event_timeline(
        tracking_number,
        booked_at,
        shipper=request.ship_from,
        recipient=request.ship_to,
        service=request.service,
        scenario=str(options.get("scenario", "delivered")),
    )
    for event in timeline:
        offset = (event.occurred_at - booked_at) / max(speedup, 1.0)
        due = booked_at + offset
        scheduled = msgspec.structs.replace(event, occurred_at=due)
        await outbox.enqueue(
            tenant_id,
            SANDBOX_POST_JOB,
            {
                "carrier_account_id": str(account["id"]),
                "shipment_id": str(row["id"]),
                "event": msgspec.json.decode(msgspec.json.encode(scheduled)),
            },
            available_at=due,
        )


async def post_sandbox_event(
    tenant_id: uuid.UUID,
    payload: dict[str, Any],
    *,
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
) -> str:
    """POST one scheduled sandbox event, signed, to the hub's own public webhook URL.

    Goes through the real inbound path (signature, raw storage, the processing job) so the sandbox
    behaves like a carrier. Raises on network trouble and 5xx so the job is retried.
    """
    async with tenant_tx(tenant_id):
        account = await repository.get_account(tenant_id, uuid.UUID(payload["carrier_account_id"]))
    if account is None or account["disabled_at"] is not None:
        return "account gone"
    secret = webhook_secret_of(account, settings)
    if secret is None:
        return "no webhook secret"
    event = msgspec.convert(payload["event"], TrackingEvent, strict=False)
    body = sandbox_mapper.build_webhook_body([event])
    url = webhook_url(settings, account["carrier"], account["endpoint_token"])
    headers = {"Content-Type": "application/json", "Hub-Signature": sign_hub(secret, body)}
    if http_client is not None:
        response = await http_client.post(url, content=body, headers=headers)
    else:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, content=body, headers=headers)
    if response.status_code >= 500:
        raise RuntimeError(f"the hub answered {response.status_code} to a sandbox event")
    return "posted" if response.is_success else f"refused {response.status_code}"
