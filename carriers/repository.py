"""Data access of the carriers package; the only importer of :mod:`carriers.tables`.

Every function runs inside the transaction its caller (a service or a job) opened and takes the
tenant explicitly; the single cross-tenant reads (:func:`find_account_by_token`,
:func:`list_active_accounts`) run in the ``webhook-endpoint`` system transaction.
"""

# ruff: noqa: S608  -- SQL text is built only from column lists in this module; values are bound.
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from carriers.base import Message, Parcel, TrackingEvent, enc_hook
from carriers.schemas import CarrierAccountRead, ShipmentRead, TrackingEventRead
from carriers.tables import Shipment
from carriers.units import ShipmentPurpose
from hub.core.database import Statement, fetch
from hub.core.money import MoneyWire

Row = dict[str, Any]


def json_value(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return msgspec.json.decode(value)
    return value


@dataclass(frozen=True, slots=True)
class InboundRow:
    """A verified tracking webhook, as it is stored before anything reads it."""

    id: uuid.UUID
    carrier_account_id: uuid.UUID
    carrier: str
    headers: dict[str, str]
    raw_body: bytes


def _encode(value: Any) -> str:
    return msgspec.json.encode(value, enc_hook=enc_hook).decode()


# -- carrier accounts ----------------------------------------------------------------------------

_ACCOUNT_COLUMNS = (
    "tenant_id, id, carrier, name, credentials_encrypted, webhook_secret_encrypted, options, endpoint_token, "
    "created_at, disabled_at"
)


def account_read(row: Row, webhook_url: str) -> CarrierAccountRead:
    return CarrierAccountRead(
        id=row["id"],
        carrier=row["carrier"],
        name=row["name"],
        options=json_value(row["options"]),
        webhook_url=webhook_url,
        webhook_secret_set=row["webhook_secret_encrypted"] is not None,
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )


async def insert_account(
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    *,
    carrier: str,
    name: str,
    credentials_encrypted: str | None,
    webhook_secret_encrypted: str | None,
    options: dict[str, Any],
    endpoint_token: str,
) -> Row:
    rows = await fetch(
        f"INSERT INTO carrier_accounts (tenant_id, id, carrier, name, credentials_encrypted, "
        f"webhook_secret_encrypted, options, endpoint_token) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, "
        f"{{}}::jsonb, {{}}) RETURNING {_ACCOUNT_COLUMNS}",
        tenant_id,
        account_id,
        carrier,
        name,
        credentials_encrypted,
        webhook_secret_encrypted,
        _encode(options),
        endpoint_token,
    )
    return rows[0]


async def list_accounts(tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Row]:
    return await fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM carrier_accounts WHERE tenant_id = {{}} "
        "AND ({}::uuid IS NULL OR id > {}) ORDER BY id LIMIT {}",
        tenant_id,
        after,
        after,
        limit,
    )


async def get_account(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Row | None:
    rows = await fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM carrier_accounts WHERE tenant_id = {{}} AND id = {{}}",
        tenant_id,
        account_id,
    )
    return rows[0] if rows else None


async def find_account_by_token(endpoint_token: str) -> Row | None:
    """Call inside ``system_tx(SystemPath.WEBHOOK_ENDPOINT)``."""
    rows = await fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM carrier_accounts WHERE endpoint_token = {{}} AND disabled_at IS NULL",
        endpoint_token,
    )
    return rows[0] if rows else None


async def list_active_accounts(carriers: list[str] | None = None) -> list[Row]:
    """Every enabled account of every tenant (``carrier-sweep`` system transaction; cron sweeps)."""
    return await fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM carrier_accounts WHERE disabled_at IS NULL "
        "AND ({}::text[] IS NULL OR carrier = ANY({}::text[])) ORDER BY tenant_id, id",
        carriers,
        carriers,
    )


# -- inbound events ------------------------------------------------------------------------------


def inbound_batch_statement(
    tenant_id: uuid.UUID, events: Sequence[InboundRow], *, job: str, outbox_id: uuid.UUID
) -> Statement:
    """Several raw webhooks and the one outbox job that processes them, in one statement."""
    return Statement(
        """
        WITH stored AS (
            INSERT INTO inbound_events (tenant_id, id, carrier_account_id, carrier, headers, raw_body)
            SELECT {}, e.id, e.account_id, e.carrier, e.headers::jsonb, e.body
            FROM unnest({}::uuid[], {}::uuid[], {}::text[], {}::text[], {}::bytea[])
                AS e(id, account_id, carrier, headers, body)
            RETURNING id
        )
        INSERT INTO outbox (tenant_id, id, job, payload)
        SELECT {}, {}, {}, jsonb_build_object('inbound_event_ids', jsonb_agg(stored.id::text ORDER BY stored.id))
        FROM stored
        """,
        (
            tenant_id,
            [event.id for event in events],
            [event.carrier_account_id for event in events],
            [event.carrier for event in events],
            [_encode(event.headers) for event in events],
            [event.raw_body for event in events],
            tenant_id,
            outbox_id,
            job,
        ),
    )


async def lock_inbound(tenant_id: uuid.UUID, event_id: uuid.UUID) -> Row | None:
    rows = await fetch(
        "SELECT id, carrier_account_id, carrier, raw_body, status, error FROM inbound_events "
        "WHERE tenant_id = {} AND id = {} FOR UPDATE",
        tenant_id,
        event_id,
    )
    return rows[0] if rows else None


async def get_inbound(tenant_id: uuid.UUID, event_id: uuid.UUID) -> Row | None:
    rows = await fetch(
        "SELECT id, carrier_account_id, carrier, headers, raw_body, status, error, received_at, processed_at "
        "FROM inbound_events WHERE tenant_id = {} AND id = {}",
        tenant_id,
        event_id,
    )
    return rows[0] if rows else None


async def finish_inbound(tenant_id: uuid.UUID, event_id: uuid.UUID, status: str, error: str | None) -> None:
    await fetch(
        "UPDATE inbound_events SET status = {}, error = {}, processed_at = now() WHERE tenant_id = {} AND id = {}",
        status,
        error,
        tenant_id,
        event_id,
    )


# -- shipments -----------------------------------------------------------------------------------

_SHIPMENT_COLUMNS = (
    "id, order_id, carrier_account_id, carrier, service, provider, status, reached, status_reason, "
    "tracking_number, carrier_shipment_id, rate_ref, label_pdf IS NOT NULL AS has_label, label_url, "
    "idempotency_key, purpose, request_hash, request, parcels, rate, messages, booked_at, last_event_at, "
    "tracking_retired_at, book_attempts, created_at"
)

_UPDATABLE = frozenset(
    {
        "status",
        "reached",
        "status_reason",
        "tracking_number",
        "carrier_shipment_id",
        "rate_ref",
        "label_pdf",
        "label_url",
        "provider",
        "rate",
        "messages",
        "booked_at",
        "last_event_at",
        "tracking_retired_at",
        "cancelled_at",
        "book_attempts",
    }
)
_JSON_COLUMNS = frozenset({"rate", "messages"})


def shipment_read(row: Row) -> ShipmentRead:
    rate = json_value(row["rate"])
    return ShipmentRead(
        id=row["id"],
        order_id=row["order_id"],
        carrier_account_id=row["carrier_account_id"],
        carrier=row["carrier"],
        service=row["service"],
        status=row["status"],
        status_reason=row["status_reason"],
        tracking_number=row["tracking_number"],
        carrier_shipment_id=row["carrier_shipment_id"],
        provider=row["provider"],
        parcels=msgspec.convert(json_value(row["parcels"]), list[Parcel]),
        rate=msgspec.convert(rate, MoneyWire) if rate else None,
        label_available=bool(row["has_label"]),
        label_url=row["label_url"],
        booked_at=row["booked_at"],
        last_event_at=row["last_event_at"],
        created_at=row["created_at"],
        messages=msgspec.convert(json_value(row["messages"]), list[Message]),
    )


async def insert_pending_shipment(
    tenant_id: uuid.UUID,
    shipment_id: uuid.UUID,
    *,
    order_id: uuid.UUID,
    carrier_account_id: uuid.UUID,
    carrier: str,
    service: str,
    provider: str | None,
    idempotency_key: str,
    purpose: ShipmentPurpose,
    request_hash: bytes,
    request: Any,
    parcels: list[Parcel],
) -> bool:
    """Insert the 'pending' row; False when the idempotency key has a row already."""
    rows = await fetch(
        "INSERT INTO shipments (tenant_id, id, order_id, carrier_account_id, carrier, service, provider, "
        "idempotency_key, purpose, request_hash, request, parcels) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}::jsonb) "
        "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id",
        tenant_id,
        shipment_id,
        order_id,
        carrier_account_id,
        carrier,
        service,
        provider,
        idempotency_key,
        purpose,
        request_hash,
        _encode(request),
        _encode(parcels),
    )
    return bool(rows)


async def get_shipment(tenant_id: uuid.UUID, shipment_id: uuid.UUID, *, lock: bool = False) -> Row | None:
    rows = await fetch(
        f"SELECT {_SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND id = {{}}"
        + (" FOR UPDATE" if lock else ""),
        tenant_id,
        shipment_id,
    )
    return rows[0] if rows else None


async def get_shipment_by_key(tenant_id: uuid.UUID, idempotency_key: str, *, lock: bool = False) -> Row | None:
    rows = await fetch(
        f"SELECT {_SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND idempotency_key = {{}}"
        + (" FOR UPDATE" if lock else ""),
        tenant_id,
        idempotency_key,
    )
    return rows[0] if rows else None


_SUMMARY_COLUMNS = (
    "id, order_id, carrier_account_id, carrier, service, provider, purpose, status, status_reason, "
    "tracking_number, booked_at, last_event_at, created_at"
)


async def get_summary_row(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> Row | None:
    rows = await fetch(
        f"SELECT {_SUMMARY_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND id = {{}}", tenant_id, shipment_id
    )
    return rows[0] if rows else None


async def outbound_of_order(
    tenant_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    statuses: Sequence[str] | None = None,
    excluding: Sequence[str] = (),
    newest: bool,
) -> Row | None:
    """The order's newest (or oldest) outbound shipment whose status is one of ``statuses`` (any
    when None) and none of ``excluding``."""
    rows = await fetch(
        f"SELECT {_SUMMARY_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND order_id = {{}} "
        "AND purpose = 'outbound' AND ({}::text[] IS NULL OR status = ANY({}::text[])) "
        "AND status <> ALL({}::text[]) ORDER BY id " + ("DESC " if newest else "") + "LIMIT 1",
        tenant_id,
        order_id,
        None if statuses is None else list(statuses),
        None if statuses is None else list(statuses),
        list(excluding),
    )
    return rows[0] if rows else None


async def list_order_shipments(tenant_id: uuid.UUID, order_id: uuid.UUID, *, limit: int) -> list[Row]:
    """Every shipment of the order (outbound and return labels), oldest first."""
    return await fetch(
        f"SELECT {_SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND order_id = {{}} "
        "ORDER BY created_at, id LIMIT {}",
        tenant_id,
        order_id,
        limit,
    )


async def list_exceptions(tenant_id: uuid.UUID, *, limit: int) -> list[Row]:
    """Shipments in ``exception``, the longest-waiting first."""
    return await fetch(
        f"SELECT {_SUMMARY_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND status = 'exception' "
        "ORDER BY coalesce(last_event_at, created_at), id LIMIT {}",
        tenant_id,
        limit,
    )


async def get_label(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> bytes | None:
    row = await (
        Shipment.select(Shipment.label_pdf)
        .where((Shipment.tenant_id == tenant_id) & (Shipment.id == shipment_id))
        .first()
    )
    return bytes(row["label_pdf"]) if row and row["label_pdf"] is not None else None


async def update_shipment(tenant_id: uuid.UUID, shipment_id: uuid.UUID, **values: Any) -> None:
    unknown = set(values) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets: list[str] = []
    args: list[Any] = []
    for column, value in values.items():
        if column in _JSON_COLUMNS:
            sets.append(f"{column} = {{}}::jsonb")
            args.append(None if value is None else _encode(value))
        else:
            sets.append(f"{column} = {{}}")
            args.append(value)
    await fetch(
        f"UPDATE shipments SET {', '.join(sets)}, updated_at = now() WHERE tenant_id = {{}} AND id = {{}}",
        *args,
        tenant_id,
        shipment_id,
    )


async def find_shipments_by_tracking(tenant_id: uuid.UUID, tracking_number: str) -> list[Row]:
    """Shipments carrying ``tracking_number`` (newest first), locked for the status update."""
    return await fetch(
        f"SELECT {_SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND upper(tracking_number) = upper({{}}) "
        "ORDER BY id DESC FOR UPDATE",
        tenant_id,
        tracking_number,
    )


async def list_trackable(tenant_id: uuid.UUID, carrier_account_id: uuid.UUID, *, limit: int) -> list[Row]:
    """Shipments of one account still followed by polling, least recently heard from first."""
    return await fetch(
        "SELECT id, tracking_number FROM shipments WHERE tenant_id = {} AND carrier_account_id = {} "
        "AND tracking_retired_at IS NULL AND tracking_number IS NOT NULL "
        "AND status NOT IN ('pending', 'failed', 'delivered', 'returned', 'cancelled') "
        "ORDER BY last_event_at NULLS FIRST, id LIMIT {}",
        tenant_id,
        carrier_account_id,
        limit,
    )


async def lock_stale_shipments(tenant_id: uuid.UUID, cutoff: datetime) -> list[Row]:
    return await fetch(
        f"SELECT {_SHIPMENT_COLUMNS} FROM shipments WHERE tenant_id = {{}} AND tracking_retired_at IS NULL "
        "AND status IN ('booked', 'in_transit', 'out_for_delivery') "
        "AND coalesce(last_event_at, booked_at, created_at) < {} FOR UPDATE SKIP LOCKED",
        tenant_id,
        cutoff,
    )


async def retire_trackers(tenant_id: uuid.UUID, cutoff: datetime) -> int:
    rows = await fetch(
        "UPDATE shipments SET tracking_retired_at = now(), updated_at = now() WHERE tenant_id = {} "
        "AND tracking_retired_at IS NULL AND (status IN ('delivered', 'returned', 'cancelled', 'failed') "
        "OR coalesce(booked_at, created_at) < {}) RETURNING id",
        tenant_id,
        cutoff,
    )
    return len(rows)


# -- tracking events -----------------------------------------------------------------------------


async def insert_tracking_event(
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    event: TrackingEvent,
    *,
    shipment_id: uuid.UUID | None,
    carrier_account_id: uuid.UUID | None,
    inbound_event_id: uuid.UUID | None,
    source: str,
) -> bool:
    """Store one event; False when its ``dedup_key`` was stored before (a replay)."""
    rows = await fetch(
        "INSERT INTO tracking_events (tenant_id, id, shipment_id, carrier_account_id, inbound_event_id, "
        "tracking_number, carrier, dedup_key, status, reason, description, occurred_at, location, carrier_code, "
        "source, payload) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb) "
        "ON CONFLICT (tenant_id, dedup_key) DO NOTHING RETURNING id",
        tenant_id,
        event_id,
        shipment_id,
        carrier_account_id,
        inbound_event_id,
        event.tracking_number,
        event.carrier,
        event.dedup_key(),
        event.status.value,
        event.reason.value if event.reason else None,
        event.description,
        event.occurred_at,
        event.location,
        event.raw_code or event.carrier_code,
        source,
        _encode(event),
    )
    return bool(rows)


def tracking_event_read(row: Row) -> TrackingEventRead:
    return TrackingEventRead(
        id=row["id"],
        status=row["status"],
        reason=row["reason"],
        description=row["description"],
        occurred_at=row["occurred_at"],
        location=row["location"],
        carrier_code=row["carrier_code"],
        source=row["source"],
        tracking_number=row["tracking_number"],
    )


_EVENT_COLUMNS = (
    "id, shipment_id, tracking_number, carrier, status, reason, description, occurred_at, location, "
    "carrier_code, source, carrier_account_id"
)


async def list_events(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> list[Row]:
    return await fetch(
        f"SELECT {_EVENT_COLUMNS} FROM tracking_events WHERE tenant_id = {{}} AND shipment_id = {{}} "
        "ORDER BY occurred_at, id",
        tenant_id,
        shipment_id,
    )


async def lock_unmatched(tenant_id: uuid.UUID, tracking_number: str) -> list[Row]:
    return await fetch(
        f"SELECT {_EVENT_COLUMNS} FROM tracking_events WHERE tenant_id = {{}} AND shipment_id IS NULL "
        "AND upper(tracking_number) = upper({}) ORDER BY occurred_at, id FOR UPDATE",
        tenant_id,
        tracking_number,
    )


async def attach_events(tenant_id: uuid.UUID, event_ids: list[uuid.UUID], shipment_id: uuid.UUID) -> None:
    await fetch(
        "UPDATE tracking_events SET shipment_id = {} WHERE tenant_id = {} AND id = ANY({}::uuid[])",
        shipment_id,
        tenant_id,
        event_ids,
    )
