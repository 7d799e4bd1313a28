"""Data access for orders, customers, stock, timeline and change requests (SQL through Piccolo's engine).

Plain SQL rather than the query builder here: these statements lean on row locks, partial unique
indexes and ``ON CONFLICT`` that the builder does not express, and every one names ``tenant_id``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from hub.core.database import Statement, fetch, read_in_scope
from hub.core.ids import new_id
from hub.orders.repository.products import product_read
from hub.orders.rows import OrderDraft
from hub.orders.schemas import ProductRead


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


class OrderRef(NamedTuple):
    """Which order a ``(channel, external_ref)`` names."""

    id: uuid.UUID
    number: int


async def find_by_external_ref(tenant_id: uuid.UUID, channel: str, external_ref: str) -> OrderRef | None:
    rows = await fetch(
        "SELECT id, number FROM orders WHERE tenant_id = {} AND channel = {} AND external_ref = {}",
        tenant_id,
        channel,
        external_ref,
    )
    return OrderRef(rows[0]["id"], int(rows[0]["number"])) if rows else None


class StockSeen(NamedTuple):
    """A stock row as read without a lock: a guess that the locked statement checks again."""

    available: int
    incoming_eta: date | None


class ReadVersions(NamedTuple):
    """The versions of the tenant's catalog and of the HS nomenclature that a read saw.

    Each is a value of ``catalog_version_seq`` (migrations 2026-12-07T23:30), None when never written:
    every statement that writes the tenant's products takes a new one, and every transaction that
    writes the nomenclature.
    """

    catalog: int | None
    nomenclature: int | None


class IntakeReads(NamedTuple):
    catalog: dict[str, ProductRead]
    stock: dict[str, StockSeen]
    unknown_subheadings: frozenset[str] | None
    """Of the given codes and the products' codes, the 6-digit subheadings no loaded nomenclature
    knows; None when no nomenclature is loaded (then nothing can be said)."""
    versions: ReadVersions
    """What the catalog and nomenclature answers were read at."""


async def intake_reads(tenant_id: uuid.UUID, skus: list[str], hs_codes: list[str]) -> IntakeReads:
    """The catalog entries and unlocked stock rows of ``skus`` and which HS subheadings are unknown,
    in one round trip and without a lock (intake reads them before it joins its tenant's group).

    The database function ``intake_reads`` (migration 2026-12-07T23:30) scopes its own statement to
    the tenant, so outside a transaction this is one round trip, not a ``BEGIN`` with the scope, the
    query and a ``COMMIT``. A SKU may have a product, a stock row, both or neither; there is one row
    per distinct SKU (and one with no SKU when there are none) and each carries the HS answer, which
    is that of :func:`customs.hs_codes.unknown_subheadings` for ``hs_codes`` and the products' codes,
    and the versions of the catalog and the nomenclature, read in the same statement.
    """
    rows = await read_in_scope(
        "SELECT * FROM intake_reads({}, {}::text[], {}::text[])", tenant_id, sorted(set(skus)), hs_codes
    )
    first = rows[0]
    return IntakeReads(
        {row["wanted_sku"]: product_read(row["product"]) for row in rows if row["product"] is not None},
        {row["wanted_sku"]: StockSeen(row["available"], row["incoming_eta"]) for row in rows if row["has_stock"]},
        frozenset(first["hs_unknown"]) if first["hs_loaded"] else None,
        ReadVersions(first["catalog_version"], first["nomenclature_version"]),
    )


class Reservation(NamedTuple):
    """What one SKU's stock row gave an order: units taken and the row's incoming ETA."""

    taken: int
    incoming_eta: date | None


async def reserve_stock(tenant_id: uuid.UUID, wanted: dict[str, tuple[int, int]]) -> dict[str, Reservation]:
    """Reserve per SKU ``(requested, held)`` in one statement; SKUs without a stock row are left out.

    ``held`` is what the order holds now; it is released and up to ``requested`` taken again, as much
    as the row allows. The rows are locked in SKU order (no deadlocks between orders) and only rows
    whose ``reserved`` changes are written.
    """
    if not wanted:
        return {}
    skus = sorted(wanted)
    rows = await fetch(
        """
        WITH wanted AS (
            SELECT * FROM unnest({}::text[], {}::bigint[], {}::bigint[]) AS w(sku, requested, held)
        ), locked AS (
            SELECT s.sku, s.on_hand, s.reserved, s.incoming_eta FROM stock s
            WHERE s.tenant_id = {} AND s.sku = ANY({}::text[]) ORDER BY s.sku FOR UPDATE
        ), taken AS (
            SELECT l.sku, l.incoming_eta, w.held,
                LEAST(w.requested, GREATEST(0, l.on_hand - l.reserved + w.held)) AS taken
            FROM locked l JOIN wanted w USING (sku)
        ), changed AS (
            UPDATE stock s SET reserved = s.reserved - t.held + t.taken, updated_at = now()
            FROM taken t WHERE s.tenant_id = {} AND s.sku = t.sku AND t.taken <> t.held
        )
        SELECT sku, taken, incoming_eta FROM taken
        """,
        skus,
        [wanted[sku][0] for sku in skus],
        [wanted[sku][1] for sku in skus],
        tenant_id,
        skus,
        tenant_id,
    )
    return {row["sku"]: Reservation(int(row["taken"]), row["incoming_eta"]) for row in rows}


# The columns of an order line as intake and change requests write them, in one order; the
# unnest() arrays come from _line_arrays(), and the statements are built once, here.
_LINE_FIELDS = (
    ("line_no", "int"),
    ("sku", "text"),
    ("product_id", "uuid"),
    ("name", "text"),
    ("spec", "text"),
    ("hs_code", "text"),
    ("origin_country", "text"),
    ("weight_kg", "numeric"),
    ("quantity", "int"),
    ("unit_price", "numeric"),
    ("list_price", "numeric"),
    ("discount", "numeric"),
    ("line_total", "numeric"),
    ("reserved_qty", "int"),
)


def _with_line_columns(sql: str) -> str:
    columns = ", ".join(name for name, _ in _LINE_FIELDS)
    arrays = "unnest(" + ", ".join(f"{{}}::{kind}[]" for _, kind in _LINE_FIELDS) + ")"
    return sql.replace(":line_columns:", columns).replace(":line_unnest:", arrays)


def _event_arrays(events: Sequence[tuple[str, str, dict[str, Any]]]) -> list[list[Any]]:
    """(id, actor, kind, payload) arrays for an unnest() of timeline events."""
    return [[new_id() for _ in events], [e[0] for e in events], [e[1] for e in events], [_json(e[2]) for e in events]]


def _line_arrays(lines: list[dict[str, Any]]) -> list[list[Any]]:
    return [[line[name] for line in lines] for name, _ in _LINE_FIELDS]


_INSERT_ORDER_SQL = _with_line_columns(
    """
        WITH wanted AS (
            SELECT * FROM unnest({}::text[], {}::bigint[], {}::date[]) AS w(sku, requested, eta)
        ), locked AS (
            SELECT s.sku, s.on_hand, s.reserved, s.incoming_eta FROM stock s
            WHERE s.tenant_id = {} AND s.sku = ANY({}::text[]) ORDER BY s.sku FOR UPDATE
        ), versions AS (
            SELECT NOT {}::boolean OR (
                (SELECT v.version FROM catalog_versions v WHERE v.tenant_id = {}) IS NOT DISTINCT FROM {}::bigint
                AND (SELECT n.version FROM nomenclature_version n) IS NOT DISTINCT FROM {}::bigint) AS held
        ), ok AS (
            SELECT count(*) = {} AND coalesce(bool_and(w.sku IS NOT NULL AND l.on_hand - l.reserved >= w.requested
                AND l.incoming_eta IS NOT DISTINCT FROM w.eta), true) AND (SELECT held FROM versions) AS ok
            FROM locked l LEFT JOIN wanted w USING (sku)
        ), customer AS (
            INSERT INTO customers (tenant_id, id, code, name, email, phone)
            SELECT {}, {}, {}, {}, {}, {} FROM ok WHERE ok.ok
            ON CONFLICT (tenant_id, code) DO UPDATE SET
                name = EXCLUDED.name,
                email = coalesce(EXCLUDED.email, customers.email),
                phone = coalesce(EXCLUDED.phone, customers.phone),
                updated_at = now()
            RETURNING id
        ), reserve AS (
            UPDATE stock s SET reserved = s.reserved + w.requested, updated_at = now()
            FROM wanted w, ok WHERE ok.ok AND s.tenant_id = {} AND s.sku = w.sku
        ), next AS (
            INSERT INTO order_counters (tenant_id, last_number) SELECT {}, 1 FROM ok WHERE ok.ok
            ON CONFLICT (tenant_id) DO UPDATE SET last_number = order_counters.last_number + 1
            RETURNING last_number
        ), new_order AS (
            INSERT INTO orders (tenant_id, id, number, channel, channel_detail, external_ref, status, customer_id,
                customer, ship_to, bill_to, currency, incoterm, requested_delivery_date, rush, customization,
                special_terms, discounts, subtotal, discount_total, shipping, total, findings, backorder_eta,
                entered_by)
            SELECT {}, {}, next.last_number, {}, {}, {}, {}, customer.id, {}::jsonb, {}::jsonb, {}::jsonb, {}, {}, {},
                {}, {}, {}, {}::jsonb, {}, {}, {}, {}, {}::jsonb, {}, {}
            FROM next, customer
            :on_duplicate:
            RETURNING id, number, created_at
        ), new_lines AS (
            INSERT INTO order_lines (tenant_id, order_id, :line_columns:)
            SELECT {}, o.id, l.* FROM new_order o, :line_unnest: AS l
        ), new_events AS (
            INSERT INTO order_events (tenant_id, id, order_id, actor, kind, payload)
            SELECT {}, e.id, o.id, e.actor, e.kind, CASE WHEN e.ord = 1
                THEN e.payload::jsonb || jsonb_build_object('number',
                    'SO-' || lpad(o.number::text, greatest(6, length(o.number::text)), '0'))
                ELSE e.payload::jsonb END
            FROM new_order o, unnest({}::uuid[], {}::text[], {}::text[], {}::text[]) WITH ORDINALITY
                AS e(id, actor, kind, payload, ord)
        ), new_jobs AS (
            INSERT INTO outbox (tenant_id, id, job, payload)
            SELECT {}, j.id, j.job, j.payload::jsonb
            FROM new_order o, unnest({}::uuid[], {}::text[], {}::text[]) AS j(id, job, payload)
        )
        SELECT (SELECT ok FROM ok) AS reserved, (SELECT number FROM new_order) AS number,
            (SELECT created_at FROM new_order) AS created_at
    """
)
_ON_DUPLICATE = "ON CONFLICT (tenant_id, channel, external_ref) WHERE external_ref IS NOT NULL DO NOTHING"
_INSERT_ORDER_OR_NOTHING_SQL = _INSERT_ORDER_SQL.replace(":on_duplicate:", _ON_DUPLICATE)
# Without ON CONFLICT: a duplicate raises (unique violation of orders_channel_external_ref), so a
# statement that commits on its own never takes a number for an order it did not store.
_INSERT_ORDER_OR_RAISE_SQL = _INSERT_ORDER_SQL.replace(":on_duplicate:", "")
DUPLICATE_REFERENCE = "orders_channel_external_ref"
"""The unique index an order's ``(channel, external_ref)`` violates when another order has it."""

_INSERT_LINES_SQL = _with_line_columns(
    "INSERT INTO order_lines (tenant_id, order_id, :line_columns:) SELECT {}, {}, * FROM :line_unnest:"
)


class Stored(NamedTuple):
    """An order as its insert stored it."""

    number: int
    created_at: datetime
    """Its transaction's start, as a read of the order will say."""


class Inserted(NamedTuple):
    """The outcome of a statement of :func:`insert_order_statement`."""

    reserved: bool
    """False: the stock rows, or the catalog or nomenclature versions, did not match what the caller
    expected; nothing was written."""
    stored: Stored | None
    """None if nothing was written: the stock did not match, or its ``(channel, external_ref)`` exists."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Inserted:
        """The outcome from the row of :func:`insert_order_statement`."""
        number = row["number"]
        return cls(bool(row["reserved"]), None if number is None else Stored(int(number), row["created_at"]))


async def run_insert(statement: Statement) -> Inserted:
    """Run a statement of :func:`insert_order_statement` in the current transaction."""
    [row] = await fetch(statement.sql, *statement.args)
    return Inserted.from_row(row)


def insert_order_statement(
    tenant_id: uuid.UUID,
    order: OrderDraft,
    lines: list[dict[str, Any]],
    events: Sequence[tuple[str, str, dict[str, Any]]],
    jobs: Sequence[tuple[str, dict[str, Any]]],
    *,
    expect_stock: dict[str, tuple[int, date | None]] | None = None,
    skus: list[str] | None = None,
    expect_versions: ReadVersions | None = None,
    raise_on_duplicate: bool = False,
) -> Statement:
    """The statement that upserts the order's customer by code and inserts the order under the next
    gapless number, its lines, timeline events and outbox rows; its one row gives :class:`Inserted`.

    One statement, so the contended rows (the tenant's number counter, and the stock rows when
    ``expect_stock`` is given) are held from here to the commit only. ``expect_stock`` maps SKU to
    ``(requested, incoming_eta)``: all of them are reserved in full, provided that, under the stock
    rows' locks, exactly these SKUs of ``skus`` have a stock row, each with that ETA and enough
    available; otherwise nothing is written (the customer neither) and ``reserved`` is False. So too
    when ``expect_versions`` is given and the tenant's catalog or the nomenclature has another version
    now (the order was priced and reviewed on reads kept from an earlier intake). The first event's
    payload gets the order's ``number`` (formatted like ``format_number``); the outbox rows are those
    :func:`hub.core.outbox.enqueue_many` writes. Foreign keys are checked at the end of the statement,
    so lines and events may reference the order inserted in it.

    An order whose ``(channel, external_ref)`` another order has is not stored (``stored`` None)
    and takes no number, as its transaction rolls back (the caller refuses it); with
    ``raise_on_duplicate`` the statement raises instead (a unique violation of
    :data:`DUPLICATE_REFERENCE`), for a statement that may commit on its own.
    """
    expected = expect_stock or {}
    expected_skus = sorted(expected)
    locked_skus = sorted(set(skus or ())) if expect_stock is not None else []

    customer = order.customer
    return Statement(
        _INSERT_ORDER_OR_RAISE_SQL if raise_on_duplicate else _INSERT_ORDER_OR_NOTHING_SQL,
        (
            expected_skus,
            [expected[sku][0] for sku in expected_skus],
            [expected[sku][1] for sku in expected_skus],
            tenant_id,
            locked_skus,
            expect_versions is not None,
            tenant_id,
            None if expect_versions is None else expect_versions.catalog,
            None if expect_versions is None else expect_versions.nomenclature,
            len(expected_skus),
            tenant_id,
            new_id(),
            customer.code,
            customer.name,
            customer.email,
            customer.phone,
            tenant_id,
            tenant_id,
            tenant_id,
            order.id,
            order.channel,
            order.channel_detail,
            order.external_ref,
            order.status,
            _json(order.customer),
            _json(order.ship_to),
            None if order.bill_to is None else _json(order.bill_to),
            order.currency,
            order.incoterm,
            order.requested_delivery_date,
            order.rush,
            order.customization,
            order.special_terms,
            _json(order.discounts),
            order.subtotal,
            order.discount_total,
            order.shipping,
            order.total,
            _json(order.findings),
            order.backorder_eta,
            order.entered_by,
            tenant_id,
            *_line_arrays(lines),
            tenant_id,
            *_event_arrays(events),
            tenant_id,
            [new_id() for _ in jobs],
            [job for job, _ in jobs],
            [_json(payload) for _, payload in jobs],
        ),
    )


async def insert_lines(tenant_id: uuid.UUID, order_id: uuid.UUID, lines: list[dict[str, Any]]) -> None:
    """All lines in one statement."""

    await fetch(
        _INSERT_LINES_SQL,
        tenant_id,
        order_id,
        *_line_arrays(lines),
    )


async def delete_lines(tenant_id: uuid.UUID, order_id: uuid.UUID) -> None:
    await fetch("DELETE FROM order_lines WHERE tenant_id = {} AND order_id = {}", tenant_id, order_id)


async def get_order_row(tenant_id: uuid.UUID, order_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    rows = await fetch(
        "SELECT * FROM orders WHERE tenant_id = {} AND id = {}" + (" FOR UPDATE" if lock else ""),  # noqa: S608
        tenant_id,
        order_id,
    )
    return rows[0] if rows else None


async def get_lines(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT * FROM order_lines WHERE tenant_id = {} AND order_id = {} ORDER BY line_no", tenant_id, order_id
    )


async def update_order(tenant_id: uuid.UUID, order_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """Update the named columns (names come from code, never from clients); bumps ``updated_at``."""
    jsonb = {"customer", "ship_to", "bill_to", "discounts", "findings"}
    assignments = []
    values: list[Any] = []
    for column, value in changes.items():
        if column in jsonb:
            assignments.append(f"{column} = {{}}::jsonb")
            values.append(None if value is None else _json(value))
        else:
            assignments.append(f"{column} = {{}}")
            values.append(value)
    assignments.append("updated_at = now()")
    await fetch(
        f"UPDATE orders SET {', '.join(assignments)} WHERE tenant_id = {{}} AND id = {{}}",  # noqa: S608
        *values,
        tenant_id,
        order_id,
    )


class StockRow(NamedTuple):
    """A SKU's stock row."""

    sku: str
    on_hand: int
    reserved: int
    incoming: int
    incoming_eta: date | None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def _stock_row(row: dict[str, Any]) -> StockRow:
    return StockRow(row["sku"], row["on_hand"], row["reserved"], row["incoming"], row["incoming_eta"])


async def lock_stock(tenant_id: uuid.UUID, skus: list[str]) -> dict[str, StockRow]:
    """Lock the stock rows of ``skus`` in a fixed order (no deadlocks between orders)."""
    if not skus:
        return {}
    rows = await fetch(
        "SELECT sku, on_hand, reserved, incoming, incoming_eta FROM stock WHERE tenant_id = {} AND sku = ANY({}) "
        "ORDER BY sku FOR UPDATE",
        tenant_id,
        sorted(set(skus)),
    )
    return {row["sku"]: _stock_row(row) for row in rows}


async def apply_reservation_deltas(tenant_id: uuid.UUID, deltas: dict[str, int]) -> None:
    """Change ``reserved`` of several SKUs at once (rows already locked by :func:`lock_stock`)."""
    changed = {sku: delta for sku, delta in deltas.items() if delta}
    if not changed:
        return
    await fetch(
        """
        UPDATE stock s SET reserved = s.reserved + d.delta, updated_at = now()
        FROM unnest({}::text[], {}::int[]) AS d(sku, delta)
        WHERE s.tenant_id = {} AND s.sku = d.sku
        """,
        list(changed),
        list(changed.values()),
        tenant_id,
    )


async def set_lines_reserved(tenant_id: uuid.UUID, order_id: uuid.UUID, reserved: dict[int, int]) -> None:
    await fetch(
        """
        UPDATE order_lines l SET reserved_qty = r.qty FROM unnest({}::int[], {}::int[]) AS r(line_no, qty)
        WHERE l.tenant_id = {} AND l.order_id = {} AND l.line_no = r.line_no
        """,
        list(reserved),
        list(reserved.values()),
        tenant_id,
        order_id,
    )


async def put_stock(tenant_id: uuid.UUID, sku: str, on_hand: int, incoming: int, eta: date | None) -> StockRow:
    rows = await fetch(
        """
        INSERT INTO stock (tenant_id, sku, on_hand, incoming, incoming_eta) VALUES ({}, {}, {}, {}, {})
        ON CONFLICT (tenant_id, sku) DO UPDATE SET on_hand = EXCLUDED.on_hand, incoming = EXCLUDED.incoming,
            incoming_eta = EXCLUDED.incoming_eta, updated_at = now()
        RETURNING sku, on_hand, reserved, incoming, incoming_eta
        """,
        tenant_id,
        sku,
        on_hand,
        incoming,
        eta,
    )
    return _stock_row(rows[0])


async def get_stock(tenant_id: uuid.UUID, sku: str) -> StockRow | None:
    rows = await fetch(
        "SELECT sku, on_hand, reserved, incoming, incoming_eta FROM stock WHERE tenant_id = {} AND sku = {}",
        tenant_id,
        sku,
    )
    return _stock_row(rows[0]) if rows else None


async def substitutes(tenant_id: uuid.UUID, hs_code: str, exclude_sku: str, needed: int) -> list[str]:
    """Active products of the same HS heading (first 4 digits) with at least ``needed`` available."""
    rows = await fetch(
        """
        SELECT p.sku FROM products p JOIN stock s ON s.tenant_id = p.tenant_id AND s.sku = p.sku
        WHERE p.tenant_id = {} AND left(p.hs_code, 4) = {} AND p.sku <> {} AND p.active
          AND s.on_hand - s.reserved >= {}
        ORDER BY s.on_hand - s.reserved DESC LIMIT 3
        """,
        tenant_id,
        hs_code[:4],
        exclude_sku,
        needed,
    )
    return [row["sku"] for row in rows]


async def add_events(
    tenant_id: uuid.UUID, order_id: uuid.UUID, events: Sequence[tuple[str, str, dict[str, Any]]]
) -> None:
    """Append several timeline events in one statement; their UUIDv7 ids keep them in order.

    Write them through :mod:`hub.orders.timeline`, which names the kinds.
    """
    if not events:
        return
    await fetch(
        """
        INSERT INTO order_events (tenant_id, id, order_id, actor, kind, payload)
        SELECT {}, e.id, {}, e.actor, e.kind, e.payload::jsonb
        FROM unnest({}::uuid[], {}::text[], {}::text[], {}::text[]) AS e(id, actor, kind, payload)
        """,
        tenant_id,
        order_id,
        *_event_arrays(events),
    )


async def list_events(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT id, at, actor, kind, payload FROM order_events WHERE tenant_id = {} AND order_id = {} ORDER BY id",
        tenant_id,
        order_id,
    )


_NUMBER_PREFIX = re.compile(r"^(?:SO-|#)", re.IGNORECASE)


def _number_text(q: str) -> str:
    """The digits of an order number as a clerk types it: ``SO-000042`` (as printed), ``#42`` or ``42``."""
    return _NUMBER_PREFIX.sub("", q.strip()).lstrip("0") or "0"


async def list_orders(
    tenant_id: uuid.UUID,
    *,
    limit: int,
    before: uuid.UUID | None,
    status: str | None,
    channel: str | None,
    q: str | None,
    created_from: date | None,
    created_to: date | None,
) -> list[dict[str, Any]]:
    conditions = ["o.tenant_id = {}"]
    values: list[Any] = [tenant_id]
    if before is not None:
        conditions.append("o.id < {}")
        values.append(before)
    if status:
        conditions.append("o.status = ANY({})")
        values.append(status.split(","))
    if channel:
        conditions.append("o.channel = {}")
        values.append(channel)
    if created_from:
        conditions.append("o.created_at >= {}::date")
        values.append(created_from)
    if created_to:
        conditions.append("o.created_at < {}::date + 1")
        values.append(created_to)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            "(o.number::text = {} OR o.external_ref ILIKE {} OR o.customer->>'code' ILIKE {} "
            "OR o.customer->>'name' ILIKE {} OR EXISTS (SELECT 1 FROM order_lines l WHERE l.tenant_id = o.tenant_id "
            "AND l.order_id = o.id AND (l.sku ILIKE {} OR l.name ILIKE {})))"
        )
        values.extend([_number_text(q), pattern, pattern, pattern, pattern, pattern])
    values.append(limit + 1)
    sql = (
        "SELECT o.id, o.number, o.status, o.channel, o.external_ref, o.customer, o.total, o.currency, o.created_at "  # noqa: S608  (column names come from code)
        f"FROM orders o WHERE {' AND '.join(conditions)} ORDER BY o.id DESC LIMIT {{}}"
    )
    return await fetch(sql, *values)


async def insert_change_request(
    tenant_id: uuid.UUID,
    request_id: uuid.UUID,
    order_id: uuid.UUID,
    kind: str,
    payload: dict[str, Any],
    reason: str,
    requested_by: str,
) -> None:
    await fetch(
        "INSERT INTO change_requests (tenant_id, id, order_id, kind, payload, reason, requested_by) "
        "VALUES ({}, {}, {}, {}, {}::jsonb, {}, {})",
        tenant_id,
        request_id,
        order_id,
        kind,
        _json(payload),
        reason,
        requested_by,
    )


async def get_change_request(
    tenant_id: uuid.UUID, request_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    rows = await fetch(
        "SELECT * FROM change_requests WHERE tenant_id = {} AND id = {}" + (" FOR UPDATE" if lock else ""),  # noqa: S608  (column names come from code)
        tenant_id,
        request_id,
    )
    return rows[0] if rows else None


async def decide_change_request(
    tenant_id: uuid.UUID, request_id: uuid.UUID, status: str, decided_by: str, reason: str
) -> None:
    await fetch(
        "UPDATE change_requests SET status = {}, decided_by = {}, decided_at = now(), decision_reason = {} "
        "WHERE tenant_id = {} AND id = {}",
        status,
        decided_by,
        reason,
        tenant_id,
        request_id,
    )


async def close_pending_change_requests(
    tenant_id: uuid.UUID, order_id: uuid.UUID, decided_by: str, reason: str, *, keep: uuid.UUID | None
) -> list[dict[str, Any]]:
    """Reject the order's pending change requests but ``keep``; returns the ``id`` and ``kind`` of each."""
    return await fetch(
        "UPDATE change_requests SET status = 'rejected', decided_by = {}, decided_at = now(), decision_reason = {} "
        "WHERE tenant_id = {} AND order_id = {} AND status = 'pending' AND id IS DISTINCT FROM {}::uuid "
        "RETURNING id, kind",
        decided_by,
        reason,
        tenant_id,
        order_id,
        keep,
    )


async def last_applied_change_requester(tenant_id: uuid.UUID, order_id: uuid.UUID) -> str | None:
    rows = await fetch(
        "SELECT requested_by FROM change_requests WHERE tenant_id = {} AND order_id = {} AND status = 'applied' "
        "ORDER BY decided_at DESC, id DESC LIMIT 1",
        tenant_id,
        order_id,
    )
    return rows[0]["requested_by"] if rows else None


async def list_change_requests(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT * FROM change_requests WHERE tenant_id = {} AND order_id = {} ORDER BY id", tenant_id, order_id
    )


def decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


async def status_before(tenant_id: uuid.UUID, order_id: uuid.UUID, status: str) -> str | None:
    """The status the order left when it last entered ``status``, read from its timeline."""
    rows = await fetch(
        "SELECT payload->>'from' AS status FROM order_events WHERE tenant_id = {} AND order_id = {} "
        "AND kind = 'order.status_changed' AND payload->>'to' = {} ORDER BY id DESC LIMIT 1",
        tenant_id,
        order_id,
        status,
    )
    return rows[0]["status"] if rows else None
