"""Inbound tracking webhooks: find the account by its endpoint token, verify, store raw, process later.

:func:`receive_webhook` answers the carrier only once the raw body is committed (group-committed
with the others that arrived together, and one ``process_inbound_event`` job for them); the job
calls :func:`process_inbound_event`, which parses the body with the account's adapter and hands the
events to :func:`carriers.tracking.ingest_events`. The endpoint token is resolved on the
``webhook-endpoint`` system path, the one cross-tenant read here. Touches the database.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from carriers import repository
from carriers.accounts import gateway_for, webhook_secret_of
from carriers.base import CarrierGateway
from carriers.errors import MalformedWebhook
from carriers.repository import Row
from carriers.schemas import InboundAccepted
from carriers.tracking import ingest_events
from hub.core.batching import GroupCommit, OneStatement
from hub.core.database import Statement, system_tx, tenant_tx
from hub.core.errors import InvalidSignature, NotFound, PayloadTooLarge
from hub.core.ids import new_id
from hub.core.settings import Settings
from hub.core.system import SystemPath

logger = logging.getLogger("carriers.inbound")

MAX_WEBHOOK_BODY = 256 * 1024
"""Inbound tracking webhooks larger than this are refused with 413."""
PROCESS_INBOUND_JOB = "process_inbound_event"
KEPT_HEADERS = frozenset({"content-type", "content-length", "user-agent", "x-request-id", "x-forwarded-for"})
"""Headers kept with a raw inbound event: nothing that signs or authenticates."""


# Endpoint tokens resolved recently, per process: a carrier posts bursts to one endpoint, and the
# lookup is a cross-tenant transaction of its own (and two Fernet decryptions). An account changed or
# disabled in another process is seen here within ACCOUNT_CACHE_SECONDS.
ACCOUNT_CACHE_SECONDS = 10.0
_ACCOUNT_CACHE_MAX = 5_000


@dataclass(frozen=True, slots=True)
class _Endpoint:
    account: Row
    secret: str | None
    gateway: CarrierGateway


_endpoint_cache: dict[str, tuple[float, _Endpoint]] = {}


async def _endpoint_for_token(endpoint_token: str, settings: Settings) -> _Endpoint | None:
    now = time.monotonic()
    cached = _endpoint_cache.get(endpoint_token)
    if cached is not None and cached[0] > now:
        return cached[1]
    async with system_tx(SystemPath.WEBHOOK_ENDPOINT):
        account = await repository.find_account_by_token(endpoint_token)
    if account is None:
        _endpoint_cache.pop(endpoint_token, None)
        return None
    endpoint = _Endpoint(account, webhook_secret_of(account, settings), gateway_for(account, settings))
    if len(_endpoint_cache) >= _ACCOUNT_CACHE_MAX:
        _endpoint_cache.clear()
    _endpoint_cache[endpoint_token] = (now + ACCOUNT_CACHE_SECONDS, endpoint)
    return endpoint


async def receive_webhook(
    carrier: str, endpoint_token: str, headers: Mapping[str, str], body: bytes, *, settings: Settings
) -> InboundAccepted:
    """Verify a carrier's webhook and store it raw; processing happens in ``process_inbound_event``."""
    if len(body) > MAX_WEBHOOK_BODY:
        raise PayloadTooLarge(f"tracking webhooks are limited to {MAX_WEBHOOK_BODY} bytes")
    endpoint = await _endpoint_for_token(endpoint_token, settings)
    if endpoint is None or endpoint.account["carrier"] != carrier:
        raise NotFound("unknown webhook endpoint")
    account = endpoint.account
    if endpoint.secret is None:
        raise InvalidSignature("this carrier account has no webhook secret; set one to receive webhooks")
    if not endpoint.gateway.verify_webhook(headers, body, endpoint.secret):
        raise InvalidSignature("the webhook signature is missing or does not match the body")
    event = repository.InboundRow(
        id=new_id(),
        carrier_account_id=account["id"],
        carrier=carrier,
        headers={k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS},
        raw_body=body,
    )
    await _inbound_writer.submit(account["tenant_id"], event)
    return InboundAccepted(id=event.id, status="received")


def _inbound_statement(tenant_id: uuid.UUID, events: list[repository.InboundRow]) -> Statement:
    """The raw webhooks that arrived together, and one job to process them, in one statement."""
    return repository.inbound_batch_statement(tenant_id, events, job=PROCESS_INBOUND_JOB, outbox_id=new_id())


def _stored(rows: list[Row], events: list[repository.InboundRow]) -> list[None]:
    del rows  # the statement returns none: stored is all there is to say
    return [None] * len(events)


# Webhooks arrive in bursts from a handful of carriers; storing them together is what lets the
# endpoint keep up (benchmarks/bench_webhooks.py). Each is still answered only once it is committed.
# Two writers, batches of at most 8 (as for quotes): a burst goes out as two transactions side by
# side instead of one while this process waits (0.32-0.33 of /health before, 0.36-0.40 after).
# A batch is one statement, sent on a tenant session as a statement that commits on its own (one
# round trip, not BEGIN, INSERT and COMMIT); see hub.core.batching.OneStatement.
_inbound_writer: GroupCommit[repository.InboundRow, None] = GroupCommit(
    "inbound-webhooks", OneStatement(_inbound_statement, _stored), writers=2, max_batch=8
)


async def process_inbound_event(tenant_id: uuid.UUID, inbound_event_id: uuid.UUID, *, settings: Settings) -> str:
    """Parse a stored webhook and ingest its events (call inside the job's ``tenant_tx``).

    Idempotent: an event already processed is left alone. A body the adapter cannot read is
    marked ``failed`` with the reason; it never raises for bad input.
    """
    row = await repository.lock_inbound(tenant_id, inbound_event_id)
    if row is None or row["status"] != "received":
        return "nothing to do"
    account = await repository.get_account(tenant_id, row["carrier_account_id"])
    try:
        if account is None:
            raise ValueError("the carrier account is gone")
        events = gateway_for(account, settings).parse_webhook(bytes(row["raw_body"]))
    except MalformedWebhook as exc:
        await repository.finish_inbound(tenant_id, inbound_event_id, "failed", exc.detail)
        return "failed"
    except ValueError as exc:
        await repository.finish_inbound(tenant_id, inbound_event_id, "failed", str(exc))
        return "failed"
    except Exception as exc:  # an adapter bug must not retry forever: keep the body, say why
        logger.exception("tracking webhook could not be parsed", extra={"inbound_event_id": str(inbound_event_id)})
        await repository.finish_inbound(tenant_id, inbound_event_id, "failed", f"unreadable: {type(exc).__name__}")
        return "failed"
    outcome = await ingest_events(
        tenant_id, events, carrier_account_id=row["carrier_account_id"], source="webhook", inbound_event_id=row["id"]
    )
    status = "unmatched" if outcome.unmatched and not outcome.matched else "processed"
    await repository.finish_inbound(tenant_id, inbound_event_id, status, None)
    return status


async def get_inbound_event(tenant_id: uuid.UUID, inbound_event_id: uuid.UUID) -> Row | None:
    async with tenant_tx(tenant_id):
        return await repository.get_inbound(tenant_id, inbound_event_id)
