"""Change requests: filed with a reason, decided by someone else, applied atomically with a new version.

Kinds: ``address`` (new ship_to), ``quantity`` (line number -> quantity), ``lines`` (a new set of
lines), ``delivery_date``, ``cancel``. Applying one re-prices the order, re-runs the review, and
re-reserves stock; cancel releases it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec

from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from hub.core.ids import new_id
from hub.core.money import MoneyWire
from hub.core.validation import raise_if
from hub.orders import documents, timeline
from hub.orders.assessment import review_and_route
from hub.orders.codec import decode_json, plain_amount
from hub.orders.contact import clean_address
from hub.orders.decisions import cancel_in_tx, ensure_other_person
from hub.orders.intake import MAX_LINE_QUANTITY, resolve_lines, validate_intake
from hub.orders.pricing import Discount, price_order
from hub.orders.repository import orders as repo
from hub.orders.repository import products as catalog_repo
from hub.orders.schemas import AddressIn, ChangeRequestCreate, ChangeRequestRead, CustomerIn, LineIn, OrderCreate
from hub.orders.status import ensure_permits
from hub.orders.stock import release_reservations
from tenants.schemas import Principal


def _validate(data: ChangeRequestCreate, order: dict[str, Any]) -> dict[str, Any]:  # noqa: C901  (one branch per kind)
    errors: list[FieldError] = []
    payload: dict[str, Any] = {}
    if data.kind == "address":
        if data.ship_to is None:
            errors.append(FieldError("ship_to", "required for an address change"))
        else:
            clean_address("ship_to", data.ship_to, errors, required=True)
            payload["ship_to"] = msgspec.to_builtins(data.ship_to)
    elif data.kind == "quantity":
        if not data.quantities:
            errors.append(FieldError("quantities", 'required: line number to new quantity, e.g. {"1": 3}'))
        else:
            for key, quantity in data.quantities.items():
                if not key.isdigit():
                    errors.append(FieldError(f"quantities.{key}", "keys are line numbers"))
                elif quantity <= 0:
                    errors.append(FieldError(f"quantities.{key}", "must be > 0; remove a line with a lines change"))
                elif quantity > MAX_LINE_QUANTITY:
                    errors.append(FieldError(f"quantities.{key}", f"must be at most {MAX_LINE_QUANTITY}"))
            payload["quantities"] = data.quantities
    elif data.kind == "lines":
        if not data.lines:
            errors.append(FieldError("lines", "required: the full new set of lines"))
        else:
            # The field checks of an intake, now, so the filer hears of a bad line rather than the
            # approver; what depends on the catalog is checked again when the change is applied.
            try:
                validate_intake(_draft(order, data.lines))
            except ValidationFailed as exc:
                errors.extend(exc.errors or [])
            payload["lines"] = msgspec.to_builtins(data.lines)
    elif data.kind == "delivery_date":
        if data.requested_delivery_date is None:
            errors.append(FieldError("requested_delivery_date", "required for a delivery date change"))
        else:
            payload["requested_delivery_date"] = data.requested_delivery_date.isoformat()
    raise_if(errors)
    ensure_permits("change", order["status"])
    return payload


def _draft(order: dict[str, Any], lines: list[LineIn]) -> OrderCreate:
    """``lines`` as an intake of the stored order would carry them, for the intake's field checks."""
    return OrderCreate(
        customer=msgspec.convert(decode_json(order["customer"]), CustomerIn),
        ship_to=msgspec.convert(decode_json(order["ship_to"]), AddressIn),
        currency=order["currency"],
        lines=lines,
    )


def _read(row: dict[str, Any]) -> ChangeRequestRead:
    return ChangeRequestRead(
        id=row["id"],
        order_id=row["order_id"],
        kind=row["kind"],
        reason=row["reason"],
        payload=decode_json(row["payload"]),
        status=row["status"],
        requested_by=row["requested_by"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
        created_at=row["created_at"],
    )


async def _must_get(tenant_id: uuid.UUID, request_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
    row = await repo.get_change_request(tenant_id, request_id, lock=lock)
    if row is None:
        raise NotFound("no such change request")
    return row


async def file(principal: Principal, order_id: uuid.UUID, data: ChangeRequestCreate) -> ChangeRequestRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        # Locked, so a cancel running now either comes first (and this one is refused) or closes it.
        order = await repo.get_order_row(tenant_id, order_id, lock=True)
        if order is None:
            raise NotFound("no such order")
        payload = _validate(data, order)
        request_id = new_id()
        await repo.insert_change_request(
            tenant_id, request_id, order_id, data.kind, payload, data.reason, principal.actor
        )
        await timeline.record(
            tenant_id,
            order_id,
            principal.actor,
            "change_request.filed",
            {"change_request_id": str(request_id), "kind": data.kind, "reason": data.reason},
        )
        return _read(await _must_get(tenant_id, request_id))


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[ChangeRequestRead]:
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        return [_read(row) for row in await repo.list_change_requests(tenant_id, order_id)]


async def decide(principal: Principal, request_id: uuid.UUID, *, approve: bool, reason: str) -> ChangeRequestRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        # The order first, then the request: the order a cancel takes them in (it locks the order and
        # then closes its pending requests), so the two cannot deadlock.
        found = await _must_get(tenant_id, request_id)
        await repo.get_order_row(tenant_id, found["order_id"], lock=True)
        request = await _must_get(tenant_id, request_id, lock=True)
        ensure_other_person(principal, request["requested_by"], "requested this change")
        if request["status"] != "pending":
            raise Conflict(
                f"the change request is already {request['status']}", extra={"current_status": request["status"]}
            )
        order_id = request["order_id"]
        if approve:
            await _apply(principal, request, reason)
        await repo.decide_change_request(
            tenant_id, request_id, "applied" if approve else "rejected", principal.actor, reason
        )
        await timeline.record(
            tenant_id,
            order_id,
            principal.actor,
            "change_request.applied" if approve else "change_request.rejected",
            {"change_request_id": str(request_id), "kind": request["kind"], "reason": reason},
        )
        return _read(await _must_get(tenant_id, request_id))


async def _apply(principal: Principal, request: dict[str, Any], reason: str) -> None:
    tenant_id = principal.tenant_id
    order_id, kind, payload = request["order_id"], request["kind"], decode_json(request["payload"])
    order = await repo.get_order_row(tenant_id, order_id, lock=True)
    if order is None:
        raise NotFound("no such order")
    ensure_permits("change", order["status"])
    if kind == "cancel":
        await cancel_in_tx(principal, order_id, reason, change_request_id=request["id"])
        return
    changes: dict[str, Any] = {"version": order["version"] + 1}
    if kind == "address":
        errors: list[FieldError] = []
        changes["ship_to"] = clean_address(
            "ship_to", msgspec.convert(payload["ship_to"], AddressIn), errors, required=True
        )
        raise_if(errors)
    elif kind == "delivery_date":
        changes["requested_delivery_date"] = date.fromisoformat(payload["requested_delivery_date"])
    else:
        await _replace_lines(principal, order, kind, payload, changes)
    await repo.update_order(tenant_id, order_id, changes)
    await documents.supersede_for_order(tenant_id, order_id)
    await review_and_route(principal, order_id, previous_status=order["status"])


async def _replace_lines(
    principal: Principal, order: dict[str, Any], kind: str, payload: dict[str, Any], changes: dict[str, Any]
) -> None:
    """New lines (or quantities), re-priced with the order's discounts; reservations are redone by review."""
    tenant_id = principal.tenant_id
    current = await repo.get_lines(tenant_id, order["id"])
    if kind == "quantity":
        quantities = {int(k): v for k, v in payload["quantities"].items()}
        unknown = set(quantities) - {line["line_no"] for line in current}
        if unknown:
            raise_if([FieldError(f"quantities.{n}", "no such line") for n in sorted(unknown)])
        lines_in = [
            LineIn(
                quantity=quantities.get(line["line_no"], line["quantity"]),
                sku=line["sku"],
                name=line["name"],
                spec=line["spec"],
                hs_code=line["hs_code"],
                origin_country=line["origin_country"],
                weight_kg=line["weight_kg"],
                unit_price=MoneyWire(amount=plain_amount(line["unit_price"]), currency=order["currency"]),
            )
            for line in current
        ]
    else:
        lines_in = msgspec.convert(payload["lines"], list[LineIn])
    _, intake_lines, _, _ = validate_intake(_draft(order, lines_in))
    catalog = await catalog_repo.get_products_by_sku(tenant_id, [ln.data.sku for ln in intake_lines if ln.data.sku])
    resolved, errors = resolve_lines(intake_lines, catalog, order["currency"])
    discounts = [msgspec.convert(d, Discount) for d in decode_json(order["discounts"])]
    priced = price_order(
        order["currency"],
        [(ln["unit_price"], ln["quantity"], d) for ln, d in resolved],
        discounts,
        order["shipping"],
        errors,
    )
    await release_reservations(tenant_id, order["id"])
    await repo.delete_lines(tenant_id, order["id"])
    rows = [
        {**line, "discount": price.discount, "line_total": price.total, "reserved_qty": 0}
        for (line, _), price in zip(resolved, priced.lines, strict=True)
    ]
    await repo.insert_lines(tenant_id, order["id"], rows)
    changes.update(
        subtotal=priced.subtotal, discount_total=priced.discount_total, shipping=priced.shipping, total=priced.total
    )
