"""Piccolo tables of the carriers package. Keys and policies live in migrations/carriers (SQL)."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Bytea, Integer, Text, Timestamptz
from piccolo.table import Table

from hub.core.database import DB


class CarrierAccount(Table, tablename="carrier_accounts", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    carrier = Text()
    name = Text()
    credentials_encrypted = Text(null=True, default=None)
    webhook_secret_encrypted = Text(null=True, default=None)
    options = JSONB(default="{}")
    endpoint_token = Text(unique=True)
    created_at = Timestamptz()
    disabled_at = Timestamptz(null=True, default=None)


class InboundEvent(Table, tablename="inbound_events", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    carrier_account_id = UUID()
    carrier = Text()
    received_at = Timestamptz()
    headers = JSONB(default="{}")
    raw_body = Bytea()
    status = Text(default="received")
    error = Text(null=True, default=None)
    processed_at = Timestamptz(null=True, default=None)


class Shipment(Table, tablename="shipments", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    order_id = UUID()
    carrier_account_id = UUID()
    carrier = Text()
    service = Text()
    provider = Text(null=True, default=None)
    status = Text(default="pending")
    reached = Text(default="pending")
    status_reason = Text(null=True, default=None)
    tracking_number = Text(null=True, default=None)
    carrier_shipment_id = Text(null=True, default=None)
    rate_ref = Text(null=True, default=None)
    label_pdf = Bytea(null=True, default=None)
    label_url = Text(null=True, default=None)
    idempotency_key = Text()
    purpose = Text(default="outbound")
    request_hash = Bytea()
    request = JSONB()
    parcels = JSONB(default="[]")
    rate = JSONB(null=True, default=None)
    messages = JSONB(default="[]")
    booked_at = Timestamptz(null=True, default=None)
    last_event_at = Timestamptz(null=True, default=None)
    tracking_retired_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    book_attempts = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TrackingEventRow(Table, tablename="tracking_events", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    shipment_id = UUID(null=True, default=None)
    carrier_account_id = UUID(null=True, default=None)
    inbound_event_id = UUID(null=True, default=None)
    tracking_number = Text()
    carrier = Text()
    dedup_key = Text()
    status = Text()
    reason = Text(null=True, default=None)
    description = Text(default="")
    occurred_at = Timestamptz()
    location = Text(null=True, default=None)
    carrier_code = Text(null=True, default=None)
    source = Text()
    payload = JSONB(default="{}")
    received_at = Timestamptz()


TABLES: list[type[Table]] = [CarrierAccount, InboundEvent, Shipment, TrackingEventRow]
