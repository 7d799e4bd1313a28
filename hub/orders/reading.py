"""Reading orders: one order, a page of them, the CSV export, the timeline and the findings."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any, get_args

import msgspec

from hub.core.database import tenant_tx
from hub.core.errors import FieldError, NotFound
from hub.core.money import MoneyWire, amount_text, quantum
from hub.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from hub.core.validation import raise_if
from hub.orders.codec import decode_json, format_number
from hub.orders.repository import orders as repo
from hub.orders.repository import reading as reading_repo
from hub.orders.schemas import (
    Channel,
    Finding,
    LineRead,
    OrderEventRead,
    OrderRead,
    OrderSummary,
    OrderTotals,
)
from hub.orders.status import OPEN_STATUSES, STATUSES


def _money(amount: Any, currency: str) -> MoneyWire:
    value = Decimal(amount)
    return MoneyWire(amount=format(value.quantize(quantum(currency)), "f"), currency=currency)


def _line_read(line: dict[str, Any], currency: str, *, awaiting_stock: bool) -> LineRead:
    """``awaiting_stock``: the order still waits for its goods (an open status). Only then, and only
    for a catalog line, is what the line does not hold back-ordered: a free line is not kept in stock,
    and a cancelled order's released lines wait for nothing."""
    return LineRead(
        line_no=line["line_no"],
        sku=line["sku"],
        product_id=line["product_id"],
        name=line["name"],
        spec=line["spec"],
        hs_code=line["hs_code"],
        origin_country=line["origin_country"],
        weight_kg=line["weight_kg"],
        quantity=line["quantity"],
        unit_price=MoneyWire(amount=amount_text(Decimal(line["unit_price"]), currency), currency=currency),
        list_price=None
        if line["list_price"] is None
        else MoneyWire(amount=amount_text(Decimal(line["list_price"]), currency), currency=currency),
        discount=_money(line["discount"], currency),
        line_total=_money(line["line_total"], currency),
        reserved_quantity=line["reserved_qty"],
        backordered_quantity=line["quantity"] - line["reserved_qty"]
        if awaiting_stock and line["product_id"] is not None
        else 0,
    )


def order_read(order: dict[str, Any], lines: list[dict[str, Any]]) -> OrderRead:
    currency = order["currency"]
    return OrderRead(
        id=order["id"],
        number=format_number(order["number"]),
        status=order["status"],
        channel=order["channel"],
        channel_detail=order["channel_detail"],
        external_ref=order["external_ref"],
        customer=decode_json(order["customer"]),
        ship_to=decode_json(order["ship_to"]),
        bill_to=decode_json(order["bill_to"]),
        currency=currency,
        incoterm=order["incoterm"],
        requested_delivery_date=order["requested_delivery_date"],
        rush=order["rush"],
        customization=order["customization"],
        special_terms=order["special_terms"],
        discounts=decode_json(order["discounts"]),
        lines=[_line_read(line, currency, awaiting_stock=order["status"] in OPEN_STATUSES) for line in lines],
        totals=OrderTotals(
            subtotal=_money(order["subtotal"], currency),
            discount_total=_money(order["discount_total"], currency),
            shipping=_money(order["shipping"], currency),
            total=_money(order["total"], currency),
        ),
        findings=msgspec.convert(decode_json(order["findings"]), list[Finding]),
        backorder_eta=order["backorder_eta"],
        version=order["version"],
        entered_by=order["entered_by"],
        created_at=order["created_at"],
        updated_at=order["updated_at"],
    )


async def read_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> OrderRead:
    """The order as it reads now, inside the caller's transaction; NotFound if there is none."""
    order = await repo.get_order_row(tenant_id, order_id)
    if order is None:
        raise NotFound("no such order")
    return order_read(order, await repo.get_lines(tenant_id, order_id))


async def get_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> OrderRead:
    async with tenant_tx(tenant_id):
        return await read_order(tenant_id, order_id)


async def order_numbers(tenant_id: uuid.UUID, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The display numbers of the tenant's orders among ``order_ids`` (an unknown id is left out)."""
    if not order_ids:
        return {}
    async with tenant_tx(tenant_id):
        rows = await reading_repo.order_numbers(tenant_id, order_ids)
    return {row.id: format_number(row.number) for row in rows}


async def list_orders(
    tenant_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    status: str | None,
    channel: str | None,
    q: str | None,
    created_from: date | None,
    created_to: date | None,
) -> Page[OrderSummary]:
    check_limit(limit)
    _check_filters(status, channel)
    before = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await repo.list_orders(
            tenant_id,
            limit=limit,
            before=before,
            status=status,
            channel=channel,
            q=q,
            created_from=created_from,
            created_to=created_to,
        )
    items = [
        OrderSummary(
            id=row["id"],
            number=format_number(row["number"]),
            status=row["status"],
            channel=row["channel"],
            external_ref=row["external_ref"],
            customer_code=decode_json(row["customer"])["code"],
            customer_name=decode_json(row["customer"])["name"],
            total=_money(row["total"], row["currency"]),
            created_at=row["created_at"],
        )
        for row in rows[:limit]
    ]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit and items else None)


def _check_filters(status: str | None, channel: str | None) -> None:
    """A status (comma-separated) or channel the hub does not know is a client's typo, not an empty list."""
    errors = []
    unknown = [value for value in (status or "").split(",") if status and value not in STATUSES]
    if unknown:
        errors.append(FieldError("status", f"unknown status {', '.join(unknown)}: use {', '.join(STATUSES)}"))
    if channel and channel not in get_args(Channel):
        errors.append(FieldError("channel", f"unknown channel {channel!r}: use {', '.join(get_args(Channel))}"))
    raise_if(errors)


EXPORT_LIMIT = 10_000


async def export_csv(
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    channel: str | None,
    q: str | None,
    created_from: date | None,
    created_to: date | None,
) -> bytes:
    _check_filters(status, channel)
    async with tenant_tx(tenant_id):
        rows = await repo.list_orders(
            tenant_id,
            limit=EXPORT_LIMIT,
            before=None,
            status=status,
            channel=channel,
            q=q,
            created_from=created_from,
            created_to=created_to,
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "number",
            "status",
            "channel",
            "external_ref",
            "customer_code",
            "customer_name",
            "total",
            "currency",
            "created_at",
        ]
    )
    for row in rows[:EXPORT_LIMIT]:
        customer = decode_json(row["customer"])
        writer.writerow(
            [
                format_number(row["number"]),
                row["status"],
                row["channel"],
                _csv_safe(row["external_ref"] or ""),
                _csv_safe(customer["code"]),
                _csv_safe(customer["name"]),
                _money(row["total"], row["currency"]).amount,
                row["currency"],
                row["created_at"].isoformat(),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode()


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formula injection: a cell may not start with = + - @ (OWASP CSV injection).

    Every column a client or a marketplace writes goes through here, the external reference included.
    """
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def list_events(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[OrderEventRead]:
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        rows = await repo.list_events(tenant_id, order_id)
    return [
        OrderEventRead(id=r["id"], at=r["at"], actor=r["actor"], kind=r["kind"], payload=decode_json(r["payload"]))
        for r in rows
    ]


async def findings(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[Finding]:
    return (await get_order(tenant_id, order_id)).findings
