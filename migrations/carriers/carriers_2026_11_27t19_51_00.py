"""Carrier accounts, raw inbound webhook events, shipments and normalised tracking events."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T19:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "carrier accounts, inbound tracking events, shipments, tracking events"

SQL = f"""
-- A tenant's account with one carrier. Credentials and the webhook secret are Fernet ciphertexts
-- (hub.core.crypto); the endpoint token is the unguessable part of the inbound webhook URL, looked up
-- across tenants by the webhook router through the ``webhook-endpoint`` system path (SELECT only).
CREATE TABLE carrier_accounts (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    carrier text NOT NULL,
    name text NOT NULL,
    credentials_encrypted text,
    webhook_secret_encrypted text,
    options jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    endpoint_token text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
{rls_sql("carrier_accounts", system_paths={"webhook-endpoint": "SELECT"})}
{grant_sql("carrier_accounts", "SELECT, INSERT, UPDATE")}

-- Every verified webhook delivery, stored raw before anything parses it, so nothing is lost.
CREATE TABLE inbound_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    carrier_account_id uuid NOT NULL,
    carrier text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    headers jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    raw_body bytea NOT NULL,
    status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'failed', 'unmatched')),
    error text,
    processed_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, carrier_account_id) REFERENCES carrier_accounts (tenant_id, id)
);
CREATE INDEX inbound_events_pending ON inbound_events (tenant_id, received_at) WHERE status = 'received';
{rls_sql("inbound_events")}
{grant_sql("inbound_events", "SELECT, INSERT, UPDATE")}

-- A label booked (or being booked) for an order. The row is written 'pending' with the caller's
-- idempotency key before the carrier is called, so a retry finds it and books no second label.
-- ``reached`` is the furthest progress status (the forward-only rule's high-water mark).
CREATE TABLE shipments (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    order_id uuid NOT NULL,
    carrier_account_id uuid NOT NULL,
    carrier text NOT NULL,
    service text NOT NULL,
    provider text,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'booked', 'in_transit',
        'out_for_delivery', 'delivered', 'exception', 'returned', 'cancelled', 'failed')),
    reached text NOT NULL DEFAULT 'pending',
    status_reason text,
    tracking_number text,
    carrier_shipment_id text,
    rate_ref text,
    label_pdf bytea,
    label_url text,
    idempotency_key text NOT NULL,
    request_hash bytea NOT NULL,
    request jsonb NOT NULL,
    parcels jsonb NOT NULL DEFAULT '[]'::jsonb,
    rate jsonb,
    messages jsonb NOT NULL DEFAULT '[]'::jsonb,
    booked_at timestamptz,
    last_event_at timestamptz,
    tracking_retired_at timestamptz,
    cancelled_at timestamptz,
    book_attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key),
    FOREIGN KEY (tenant_id, carrier_account_id) REFERENCES carrier_accounts (tenant_id, id)
);
CREATE INDEX shipments_order ON shipments (tenant_id, order_id);
CREATE INDEX shipments_tracking ON shipments (tenant_id, tracking_number) WHERE tracking_number IS NOT NULL;
CREATE INDEX shipments_active ON shipments (tenant_id, carrier_account_id)
    WHERE tracking_retired_at IS NULL AND tracking_number IS NOT NULL;
{rls_sql("shipments")}
{grant_sql("shipments", "SELECT, INSERT, UPDATE")}

-- Normalised tracking events, append-only; one row per carrier event (``dedup_key``). An event
-- whose tracking number matches no shipment yet is kept with ``shipment_id`` NULL and matched
-- when the shipment appears.
CREATE TABLE tracking_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    shipment_id uuid,
    carrier_account_id uuid,
    inbound_event_id uuid,
    tracking_number text NOT NULL,
    carrier text NOT NULL,
    dedup_key text NOT NULL,
    status text NOT NULL,
    reason text,
    description text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    location text,
    carrier_code text,
    source text NOT NULL CHECK (source IN ('webhook', 'poll', 'sandbox')),
    payload jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, dedup_key),
    FOREIGN KEY (tenant_id, shipment_id) REFERENCES shipments (tenant_id, id)
);
CREATE INDEX tracking_events_shipment ON tracking_events (tenant_id, shipment_id, occurred_at)
    WHERE shipment_id IS NOT NULL;
CREATE INDEX tracking_events_unmatched ON tracking_events (tenant_id, tracking_number) WHERE shipment_id IS NULL;
{rls_sql("tracking_events")}
{grant_sql("tracking_events", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "carriers", DESCRIPTION, SQL)
