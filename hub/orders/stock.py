"""Stock: the counts a tenant sets, and the reservations orders take from them.

An order reserves what stock allows, first line first (:func:`reserve_lines`), and gives it back
when it is cancelled, rejected or its lines are replaced (:func:`release_reservations`). Intake may
guess a full reservation from an unlocked read (:func:`full_reservation`) and let the insert check
the guess under the locks.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound
from hub.core.validation import raise_if
from hub.orders.repository import orders as repo
from hub.orders.schemas import ProductRead, StockRead, StockSet


async def reserve_lines(tenant_id: uuid.UUID, lines: list[dict[str, Any]]) -> dict[int, tuple[int, date | None]]:
    """Reserve what stock allows for each line, first line first; returns line_no -> (reserved, eta).

    ``reserved_qty`` on a line is what it holds now (0 for a new order); it is released and taken again.
    One statement reserves per SKU (see :func:`repo.reserve_stock`); what a SKU gave is then shared
    out over its lines in line order.
    """
    wanted: dict[str, tuple[int, int]] = {}
    for line in lines:
        if line["sku"]:
            requested, held = wanted.get(line["sku"], (0, 0))
            wanted[line["sku"]] = (requested + line["quantity"], held + line["reserved_qty"])
    stock = await repo.reserve_stock(tenant_id, wanted)
    left = {sku: row.taken for sku, row in stock.items()}
    result: dict[int, tuple[int, date | None]] = {}
    for line in lines:
        row = stock.get(line["sku"]) if line["sku"] else None
        if row is None:
            result[line["line_no"]] = (0, None)
            continue
        take = min(line["quantity"], left[line["sku"]])
        left[line["sku"]] -= take
        result[line["line_no"]] = (take, row.incoming_eta)
    return result


async def release_reservations(tenant_id: uuid.UUID, order_id: uuid.UUID) -> None:
    """Give back what the order's lines hold: their stock rows' ``reserved`` drops, the lines hold 0."""
    lines = await repo.get_lines(tenant_id, order_id)
    held = [line for line in lines if line["reserved_qty"] and line["sku"]]
    if not held:
        return
    await repo.lock_stock(tenant_id, [line["sku"] for line in held])
    deltas: dict[str, int] = {}
    for line in held:
        deltas[line["sku"]] = deltas.get(line["sku"], 0) - line["reserved_qty"]
    await repo.apply_reservation_deltas(tenant_id, deltas)
    await repo.set_lines_reserved(tenant_id, order_id, {line["line_no"]: 0 for line in held})


def full_reservation(
    lines: list[dict[str, Any]], catalog: dict[str, ProductRead], stock: dict[str, repo.StockSeen]
) -> tuple[dict[int, tuple[int, date | None]], dict[str, tuple[int, date | None]]] | None:
    """What :func:`reserve_lines` would give if the stock read holds: (per line, per SKU expected).

    None unless every catalog line would be reserved in full: a short line's review reads other
    SKUs' stock (substitutes), which must happen after the reservation, as :func:`reserve_lines` does.
    """
    requested: dict[str, int] = {}
    for line in lines:
        if line["sku"] in stock:
            requested[line["sku"]] = requested.get(line["sku"], 0) + line["quantity"]
        elif line["sku"] in catalog:
            return None
    if any(stock[sku].available < qty for sku, qty in requested.items()):
        return None
    reserved = {
        line["line_no"]: (line["quantity"], stock[line["sku"]].incoming_eta) if line["sku"] in stock else (0, None)
        for line in lines
    }
    return reserved, {sku: (qty, stock[sku].incoming_eta) for sku, qty in requested.items()}


def _stock_read(row: repo.StockRow) -> StockRead:
    return StockRead(
        sku=row.sku,
        on_hand=row.on_hand,
        reserved=row.reserved,
        available=row.available,
        incoming=row.incoming,
        incoming_eta=row.incoming_eta,
    )


MAX_STOCK = 1_000_000_000
"""Stock counts fit PostgreSQL's integer with room for reservations on top."""

MAX_SKU_LENGTH = 64
"""The catalog's (``hub.orders.schemas.Sku``)."""


async def put_stock(tenant_id: uuid.UUID, sku: str, data: StockSet) -> StockRead:
    errors = [
        FieldError(name, f"a whole number from 0 to {MAX_STOCK}")
        for name, value in (("on_hand", data.on_hand), ("incoming", data.incoming))
        if not 0 <= value <= MAX_STOCK
    ]
    if not 1 <= len(sku) <= MAX_SKU_LENGTH or any(c.isspace() for c in sku):
        errors.append(FieldError("sku", f"1 to {MAX_SKU_LENGTH} characters without spaces, like a catalog SKU"))
    raise_if(errors)
    async with tenant_tx(tenant_id):
        current = await repo.get_stock(tenant_id, sku)
        if current is not None and data.on_hand < current.reserved:
            raise Conflict(
                f"{current.reserved} units of {sku} are reserved by orders; on_hand cannot drop below that",
                extra={"field": "on_hand", "reserved": current.reserved},
            )
        return _stock_read(await repo.put_stock(tenant_id, sku, data.on_hand, data.incoming, data.incoming_eta))


async def get_stock(tenant_id: uuid.UUID, sku: str) -> StockRead:
    async with tenant_tx(tenant_id):
        row = await repo.get_stock(tenant_id, sku)
    if row is None:
        raise NotFound(f"no stock record for {sku!r}")
    return _stock_read(row)
