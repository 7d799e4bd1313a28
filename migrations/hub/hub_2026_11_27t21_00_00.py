"""Aftercare: clerk work items with an SLA (shipment exceptions, customs holds, quality complaints)
and returns (RMA) linked to the original export."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-11-27T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "work items and returns"

SQL = f"""
CREATE TABLE work_items (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('shipment_exception', 'customs_hold', 'delay', 'address_problem',
        'damage', 'lost', 'quality', 'other')),
    order_id uuid NOT NULL,
    shipment_id uuid,
    carrier_reason text,
    -- Set on items opened from a shipment exception: one item per shipment and reason.
    auto_key text,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved')),
    description text NOT NULL DEFAULT '',
    details jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    opened_by text NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL,
    assignee text,
    resolution text,
    resolved_by text,
    resolved_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, auto_key),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX work_items_queue ON work_items (tenant_id, status, due_at, id);
CREATE INDEX work_items_order ON work_items (tenant_id, order_id);
{rls_sql("work_items")}
{grant_sql("work_items", "SELECT, INSERT, UPDATE")}

CREATE TABLE returns (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    order_id uuid NOT NULL,
    shipment_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'rejected',
        'label_issued', 'received', 'closed')),
    reason text NOT NULL,
    lines jsonb NOT NULL,
    currency varchar(3) NOT NULL,
    refund_amount numeric(19, 4) NOT NULL CHECK (refund_amount >= 0),
    refund_shipping numeric(19, 4) NOT NULL DEFAULT 0 CHECK (refund_shipping >= 0),
    relief jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    order_status_before text NOT NULL,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_by text,
    decided_at timestamptz,
    decision_reason text,
    label_shipment_id uuid,
    label_tracking_number text,
    label_issued_at timestamptz,
    received_by text,
    received_at timestamptz,
    closed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX returns_order ON returns (tenant_id, order_id);
{rls_sql("returns")}
{grant_sql("returns", "SELECT, INSERT, UPDATE")}
"""


async def forwards() -> MigrationManager:
    return sql_migration(ID, "hub", DESCRIPTION, SQL)
