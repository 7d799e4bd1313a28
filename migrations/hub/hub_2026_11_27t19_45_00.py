"""The orders domain: customers, stock, orders, lines, timeline, change requests, attachments, webhooks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T19:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers, stock, orders, order lines, events, change requests, attachments, webhook endpoints"

SQL = f"""
CREATE TABLE customers (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    email text,
    phone text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);
{rls_sql("customers")}
{grant_sql("customers", "SELECT, INSERT, UPDATE")}

-- Stock can never go negative nor be over-reserved: the database refuses it, whatever the code does.
CREATE TABLE stock (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    sku text NOT NULL,
    on_hand integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    incoming integer NOT NULL DEFAULT 0 CHECK (incoming >= 0),
    incoming_eta date,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sku),
    CHECK (reserved <= on_hand)
);
{rls_sql("stock")}
{grant_sql("stock", "SELECT, INSERT, UPDATE")}

-- One row per tenant; the row lock serializes number allocation, and a rollback gives the number back.
CREATE TABLE order_counters (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    last_number bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id)
);
{rls_sql("order_counters")}
{grant_sql("order_counters", "SELECT, INSERT, UPDATE")}

CREATE TABLE orders (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    number bigint NOT NULL,
    channel text NOT NULL,
    channel_detail text,
    external_ref text,
    status text NOT NULL,
    customer_id uuid NOT NULL,
    customer jsonb NOT NULL,
    ship_to jsonb NOT NULL,
    bill_to jsonb,
    currency varchar(3) NOT NULL,
    incoterm varchar(3) NOT NULL,
    requested_delivery_date date,
    rush boolean NOT NULL DEFAULT false,
    customization boolean NOT NULL DEFAULT false,
    special_terms text NOT NULL DEFAULT '',
    discounts jsonb NOT NULL DEFAULT '[]'::jsonb,
    subtotal numeric(19, 4) NOT NULL,
    discount_total numeric(19, 4) NOT NULL,
    shipping numeric(19, 4) NOT NULL,
    total numeric(19, 4) NOT NULL,
    findings jsonb NOT NULL DEFAULT '[]'::jsonb,
    backorder_eta date,
    version integer NOT NULL DEFAULT 1,
    entered_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
-- The same order from the same channel can never get in twice, even under concurrency.
CREATE UNIQUE INDEX orders_channel_external_ref ON orders (tenant_id, channel, external_ref)
    WHERE external_ref IS NOT NULL;
CREATE INDEX orders_status ON orders (tenant_id, status, id);
{rls_sql("orders")}
{grant_sql("orders", "SELECT, INSERT, UPDATE")}

CREATE TABLE order_lines (
    tenant_id uuid NOT NULL,
    order_id uuid NOT NULL,
    line_no integer NOT NULL,
    sku text,
    product_id uuid,
    name text NOT NULL,
    spec text NOT NULL DEFAULT '',
    hs_code varchar(10),
    origin_country varchar(2),
    weight_kg numeric(12, 3),
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(19, 4) NOT NULL CHECK (unit_price >= 0),
    list_price numeric(19, 4),
    discount numeric(19, 4) NOT NULL DEFAULT 0,
    line_total numeric(19, 4) NOT NULL,
    reserved_qty integer NOT NULL DEFAULT 0 CHECK (reserved_qty >= 0),
    PRIMARY KEY (tenant_id, order_id, line_no),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX order_lines_sku ON order_lines (tenant_id, sku);
{rls_sql("order_lines")}
{grant_sql("order_lines", "SELECT, INSERT, UPDATE, DELETE")}

-- Append-only: the application role may read and add, never change or remove.
CREATE TABLE order_events (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    order_id uuid NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX order_events_order ON order_events (tenant_id, order_id, id);
{rls_sql("order_events")}
{grant_sql("order_events", "SELECT, INSERT")}

CREATE TABLE change_requests (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    order_id uuid NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    reason text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    requested_by text NOT NULL,
    decided_by text,
    decided_at timestamptz,
    decision_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
{rls_sql("change_requests")}
{grant_sql("change_requests", "SELECT, INSERT, UPDATE")}

CREATE TABLE attachments (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    order_id uuid NOT NULL,
    kind text NOT NULL DEFAULT 'other',
    filename text NOT NULL,
    content_type text NOT NULL,
    size_bytes bigint NOT NULL,
    sha256 text NOT NULL,
    uploaded_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
{rls_sql("attachments")}
{grant_sql("attachments", "SELECT, INSERT")}

CREATE TABLE webhook_endpoints (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    url text NOT NULL,
    secret_encrypted text NOT NULL,
    events text[] NOT NULL,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
{rls_sql("webhook_endpoints")}
{grant_sql("webhook_endpoints", "SELECT, INSERT, UPDATE")}

CREATE TABLE webhook_deliveries (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    event text NOT NULL,
    body bytea NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id)
);
{rls_sql("webhook_deliveries")}
{grant_sql("webhook_deliveries", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
