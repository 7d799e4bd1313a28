"""Returns (RMA): requested by a clerk, decided by another person, labelled, received, closed.

Life of a return::

    requested -> approved -> label_issued -> received -> closed
              \\-> rejected            (approved -> received also: the buyer sent it back on their own)

* A return names lines of an order that left with an export shipment (the *original export*:
  the order's newest outbound shipment that was booked, read through
  :func:`carriers.shipments.latest_outbound`; a return label is never one). Nobody returns
  more than was shipped: per line, the quantities of all returns not rejected stay within the
  line's quantity. The order becomes ``return_requested``; a rejection puts it back where it was
  when nothing else is pending.
* Approve and reject need the APPROVE permission and another person than the requester (four-eyes).
* The return label is booked through :func:`carriers.booking.book_shipment` on the carrier account
  of the original shipment, with ``ship_from`` and ``ship_to`` swapped, ``returned_goods`` contents
  the idempotency key ``rma:<return id>`` (asking twice books one label) and ``purpose='return'``,
  which is how every reader tells a return label from an outbound one.
* On receipt each line gets a disposition: ``restock`` adds the units to the SKU's ``on_hand``
  (stock only ever goes up here), ``write_off`` leaves stock alone. When every unit of every order
  line has been received back, the order is ``returned``.
* ``relief`` links the return to the original export for returned-goods relief: the original
  tracking number, the commercial invoice document and the HS lines of what comes back.

Refund rule (exact ``Decimal``, :func:`hub.core.money.round_money`, ``ROUND_HALF_UP`` to the
currency's minor unit, once per line):

1. A returned line refunds ``line_total x returned_quantity / line_quantity``, where ``line_total``
   is what the buyer paid for the line (after line and order discounts), rounded half-up.
2. The return that brings a line's returned quantity to the full line quantity refunds what is
   left of ``line_total`` after the earlier returns of that line, so the refunds of a line add up
   to its total exactly, whatever the split.
3. Shipping is refunded only by the return that completes a full return of the order (every unit of
   every line); partial returns refund no shipping. Exactly one return carries it: while another
   return that is not rejected carries it, no other does (two open returns each "complete" the order
   in the other's view).
4. ``refund = sum(line refunds) + shipping refund``. The figure is computed on request and again on
   receipt, from the quantities actually received. Rejected returns count for nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from carriers import booking as carrier_booking
from carriers import repository as carrier_repo
from carriers import shipments as carrier_shipments
from carriers.base import Address, Parcel, parcel_errors
from carriers.schemas import CustomsLine, ShipmentBookingInput
from carriers.shipments import ShipmentSummary
from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound
from hub.core.ids import new_id
from hub.core.money import ROUND_HALF_UP, Money, MoneyWire, quantum, round_money
from hub.core.settings import Settings
from hub.core.validation import raise_if
from hub.orders import timeline
from hub.orders.codec import decode_json, format_number
from hub.orders.decisions import ensure_other_person
from hub.orders.repository import orders as repo
from hub.orders.repository import returns as returns_repo
from hub.orders.status import NOT_RETURNABLE
from tenants.schemas import Principal

ReturnStatus = Literal["requested", "approved", "rejected", "label_issued", "received", "closed"]
Condition = Literal["unopened", "as_new", "used", "damaged", "defective"]
Disposition = Literal["restock", "write_off"]

LABEL_KEY_PREFIX = "rma:"
"""Idempotency keys of return labels (one label per return). Readers tell a return label by the
shipment's ``purpose``, never by this prefix."""
EXPORTED = frozenset({"booked", "in_transit", "out_for_delivery", "delivered", "exception", "returned"})
"""Shipment statuses of a parcel that has left: its lines count as shipped."""
RECEIVABLE = frozenset({"approved", "label_issued"})
ACTIVE = ("requested", "approved", "label_issued")
"""Statuses of a return that is still under way (the order stays ``return_requested``)."""


class ReturnLineIn(msgspec.Struct, kw_only=True):
    line_no: int
    quantity: int
    condition: Condition = "unopened"


class ReturnCreate(msgspec.Struct, kw_only=True):
    """``reason`` and ``lines`` are required; checked after the order is found."""

    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    lines: Annotated[list[ReturnLineIn], msgspec.Meta(max_length=500)] = []


class ReturnDecision(msgspec.Struct, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class ParcelIn(msgspec.Struct, kw_only=True):
    weight_kg: Decimal
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None


class ReturnLabelRequest(msgspec.Struct, kw_only=True):
    """Defaults: the original shipment's service and parcels."""

    service: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    parcels: Annotated[list[ParcelIn], msgspec.Meta(min_length=1, max_length=50)] | None = None


class ReceiveLineIn(msgspec.Struct, kw_only=True):
    line_no: int
    quantity: int
    disposition: Disposition


class ReturnReceive(msgspec.Struct, kw_only=True):
    lines: Annotated[list[ReceiveLineIn], msgspec.Meta(max_length=500)] = []


class ReturnLineRead(msgspec.Struct, kw_only=True):
    line_no: int
    sku: str | None
    name: str
    quantity: int
    condition: str
    refund: MoneyWire
    received_quantity: int | None = None
    disposition: str | None = None


class ReliefLine(msgspec.Struct, kw_only=True):
    line_no: int
    sku: str | None
    description: str
    hs_code: str | None
    origin_country: str | None
    quantity: int
    value: MoneyWire


class ReturnedGoodsRelief(msgspec.Struct, kw_only=True):
    original_shipment_id: uuid.UUID
    original_tracking_number: str | None
    original_carrier: str | None
    commercial_invoice_id: uuid.UUID | None
    lines: list[ReliefLine]


class ReturnLabel(msgspec.Struct, kw_only=True):
    shipment_id: uuid.UUID
    tracking_number: str | None
    issued_at: datetime | None


class ReturnRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    shipment_id: uuid.UUID
    status: str
    reason: str
    lines: list[ReturnLineRead]
    refund: MoneyWire
    refund_shipping: MoneyWire
    relief: ReturnedGoodsRelief
    label: ReturnLabel | None
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    received_by: str | None
    received_at: datetime | None
    closed_at: datetime | None


# --- pure rules ---------------------------------------------------------------------------------


def _wire(amount: Decimal, currency: str) -> MoneyWire:
    return MoneyWire(amount=format(amount.quantize(quantum(currency)), "f"), currency=currency)


def line_refund(
    line_total: Decimal,
    line_quantity: int,
    quantity: int,
    earlier_quantity: int,
    earlier_refund: Decimal,
    currency: str,
) -> Decimal:
    """Rules 1 and 2 of the module docstring for one line."""
    if quantity <= 0:
        return Decimal(0)
    if earlier_quantity + quantity >= line_quantity:
        return max(line_total - earlier_refund, Decimal(0))
    exact = Money(line_total * quantity / line_quantity, currency)
    return min(round_money(exact, ROUND_HALF_UP).amount, max(line_total - earlier_refund, Decimal(0)))


def compute_refund(
    currency: str,
    order_lines: list[dict[str, Any]],
    shipping: Decimal,
    quantities: dict[int, int],
    earlier: dict[int, tuple[int, Decimal]],
    shipping_taken: bool = False,
) -> tuple[dict[int, Decimal], Decimal]:
    """Per-line refunds and the shipping refund of a return of ``quantities`` (line_no -> units).

    ``earlier`` maps line_no -> (units, refund) of the order's other returns that are not rejected;
    ``shipping_taken``: one of them already carries the shipping refund (rule 3).
    """
    refunds: dict[int, Decimal] = {}
    full = True
    for line in order_lines:
        number = line["line_no"]
        before_qty, before_refund = earlier.get(number, (0, Decimal(0)))
        qty = quantities.get(number, 0)
        if before_qty + qty < line["quantity"]:
            full = False
        if number in quantities:
            refunds[number] = line_refund(
                Decimal(line["line_total"]), line["quantity"], qty, before_qty, before_refund, currency
            )
    return refunds, (Decimal(shipping) if full and quantities and not shipping_taken else Decimal(0))


# --- reading ------------------------------------------------------------------------------------


def _read(row: dict[str, Any]) -> ReturnRead:
    currency = row["currency"]
    lines = decode_json(row["lines"])
    relief = decode_json(row["relief"])
    return ReturnRead(
        id=row["id"],
        order_id=row["order_id"],
        order_number=format_number(row["order_number"]),
        shipment_id=row["shipment_id"],
        status=row["status"],
        reason=row["reason"],
        lines=[
            ReturnLineRead(
                line_no=ln["line_no"],
                sku=ln.get("sku"),
                name=ln.get("name", ""),
                quantity=ln["quantity"],
                condition=ln["condition"],
                refund=_wire(Decimal(ln["refund"]), currency),
                received_quantity=ln.get("received_quantity"),
                disposition=ln.get("disposition"),
            )
            for ln in lines
        ],
        refund=_wire(Decimal(row["refund_amount"]), currency),
        refund_shipping=_wire(Decimal(row["refund_shipping"]), currency),
        relief=msgspec.convert(relief, ReturnedGoodsRelief),
        label=None
        if row["label_shipment_id"] is None
        else ReturnLabel(
            shipment_id=row["label_shipment_id"],
            tracking_number=row["label_tracking_number"],
            issued_at=row["label_issued_at"],
        ),
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
        received_by=row["received_by"],
        received_at=row["received_at"],
        closed_at=row["closed_at"],
    )


async def _must_get(tenant_id: uuid.UUID, return_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
    row = await returns_repo.get_return(tenant_id, return_id, lock=lock)
    if row is None:
        raise NotFound("no such return")
    return row


async def get(tenant_id: uuid.UUID, return_id: uuid.UUID) -> ReturnRead:
    async with tenant_tx(tenant_id):
        return _read(await _must_get(tenant_id, return_id))


async def list_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[ReturnRead]:
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        rows = await returns_repo.list_for_order(tenant_id, order_id)
    return [_read(row) for row in rows]


# --- helpers ------------------------------------------------------------------------------------


async def is_return_label(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> bool:
    """True when the shipment is a return label (booked by :func:`issue_label`)."""
    shipment = await carrier_shipments.get_summary(tenant_id, shipment_id)
    return shipment is not None and shipment.is_return


async def _original_export(tenant_id: uuid.UUID, order_id: uuid.UUID) -> ShipmentSummary | None:
    return await carrier_shipments.latest_outbound(tenant_id, order_id, statuses=EXPORTED)


async def _earlier(
    tenant_id: uuid.UUID, order_id: uuid.UUID, exclude: uuid.UUID | None, *, received: bool = False
) -> dict[int, tuple[int, Decimal]]:
    """line_no -> (units, refund) over the order's other returns that are not rejected.

    With ``received`` only units received back count (for "returned in full").
    """
    rows = await returns_repo.standing_lines(tenant_id, order_id)
    totals: dict[int, tuple[int, Decimal]] = {}
    for row in rows:
        if row["id"] == exclude:
            continue
        for line in decode_json(row["lines"]):
            if received:
                units = line.get("received_quantity") or 0
            elif line.get("received_quantity") is not None:
                units = line["received_quantity"]
            else:
                units = line["quantity"]
            qty, refund = totals.get(line["line_no"], (0, Decimal(0)))
            totals[line["line_no"]] = (qty + units, refund + Decimal(line["refund"]))
    return totals


async def _shipping_taken(tenant_id: uuid.UUID, order_id: uuid.UUID, exclude: uuid.UUID | None) -> bool:
    """Another return of the order that is not rejected carries the shipping refund (rule 3)."""
    return await returns_repo.shipping_refund_taken(tenant_id, order_id, exclude)


def _relief_lines(
    order_lines: dict[int, dict[str, Any]], quantities: dict[int, int], currency: str
) -> list[dict[str, Any]]:
    lines = []
    for number, qty in sorted(quantities.items()):
        line = order_lines[number]
        value = Decimal(line["line_total"]) * qty / line["quantity"]
        lines.append(
            {
                "line_no": number,
                "sku": line["sku"],
                "description": line["name"],
                "hs_code": line["hs_code"],
                "origin_country": line["origin_country"],
                "quantity": qty,
                "value": msgspec.to_builtins(_wire(round_money(Money(value, currency)).amount, currency)),
            }
        )
    return lines


async def _relief(
    tenant_id: uuid.UUID,
    order_id: uuid.UUID,
    shipment: ShipmentSummary,
    order_lines: dict[int, dict[str, Any]],
    quantities: dict[int, int],
    currency: str,
) -> dict[str, Any]:
    invoice = await returns_repo.invoice_id(tenant_id, order_id)
    return {
        "original_shipment_id": str(shipment.id),
        "original_tracking_number": shipment.tracking_number,
        "original_carrier": shipment.carrier,
        "commercial_invoice_id": str(invoice) if invoice else None,
        "lines": _relief_lines(order_lines, quantities, currency),
    }


async def _event(
    tenant_id: uuid.UUID, order_id: uuid.UUID, actor: str, kind: timeline.EventKind, payload: dict[str, Any]
) -> None:
    await timeline.record(tenant_id, order_id, actor, kind, payload)


# --- request ------------------------------------------------------------------------------------


def _check_lines(data: ReturnCreate, order_lines: dict[int, dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.reason.strip():
        errors.append(FieldError("reason", "say why the goods come back"))
    if not data.lines:
        errors.append(FieldError("lines", "name at least one line to return"))
    seen: set[int] = set()
    for index, line in enumerate(data.lines):
        field = f"lines[{index}]"
        if line.line_no not in order_lines:
            errors.append(FieldError(f"{field}.line_no", f"the order has no line {line.line_no}"))
        elif line.line_no in seen:
            errors.append(FieldError(f"{field}.line_no", f"line {line.line_no} is named twice"))
        seen.add(line.line_no)
        if line.quantity <= 0:
            errors.append(FieldError(f"{field}.quantity", "must be a whole number greater than 0"))
    return errors


async def request_return(principal: Principal, order_id: uuid.UUID, data: ReturnCreate) -> ReturnRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await repo.get_order_row(tenant_id, order_id, lock=True)
        if order is None:
            raise NotFound("no such order")
        order_lines = {line["line_no"]: line for line in await repo.get_lines(tenant_id, order_id)}
        raise_if(_check_lines(data, order_lines))
        if order["status"] in NOT_RETURNABLE:
            raise Conflict(
                f"order {format_number(order['number'])} is {order['status']}: nothing to return",
                extra={"current_status": order["status"]},
            )
        shipment = await _original_export(tenant_id, order_id)
        if shipment is None:
            raise Conflict(
                f"order {format_number(order['number'])} has not been shipped: cancel it or change it instead",
                extra={"current_status": order["status"]},
            )
        earlier = await _earlier(tenant_id, order_id, None)
        errors = []
        for index, line in enumerate(data.lines):
            shipped = order_lines[line.line_no]["quantity"]
            returned = earlier.get(line.line_no, (0, Decimal(0)))[0]
            if line.quantity > shipped - returned:
                errors.append(
                    FieldError(
                        f"lines[{index}].quantity",
                        f"line {line.line_no} shipped {shipped}, {returned} already returned: "
                        f"at most {shipped - returned} can come back",
                    )
                )
        raise_if(errors)
        currency = order["currency"]
        quantities = {line.line_no: line.quantity for line in data.lines}
        refunds, shipping = compute_refund(
            currency,
            list(order_lines.values()),
            Decimal(order["shipping"]),
            quantities,
            earlier,
            await _shipping_taken(tenant_id, order_id, None),
        )
        lines = [
            {
                "line_no": line.line_no,
                "sku": order_lines[line.line_no]["sku"],
                "name": order_lines[line.line_no]["name"],
                "quantity": line.quantity,
                "condition": line.condition,
                "refund": format(refunds[line.line_no], "f"),
            }
            for line in data.lines
        ]
        before = order["status"]
        if before == "return_requested":
            # Another open return moved the order: a rejection of this one must restore what was
            # there before that one, not 'return_requested' with nothing under way.
            before = await returns_repo.first_open_status_before(tenant_id, order_id, ACTIVE) or before
        return_id = new_id()
        await returns_repo.insert_return(
            tenant_id,
            return_id,
            order_id=order_id,
            shipment_id=shipment.id,
            reason=data.reason.strip(),
            lines_json=msgspec.json.encode(lines).decode(),
            currency=currency,
            refund_amount=sum(refunds.values(), Decimal(0)) + shipping,
            refund_shipping=shipping,
            relief_json=msgspec.json.encode(
                await _relief(tenant_id, order_id, shipment, order_lines, quantities, currency)
            ).decode(),
            order_status_before=before,
            requested_by=principal.actor,
        )
        await _event(
            tenant_id,
            order_id,
            principal.actor,
            "return.requested",
            {"return_id": str(return_id), "lines": [{"line_no": k, "quantity": v} for k, v in quantities.items()]},
        )
        if order["status"] != "return_requested":
            await repo.update_order(tenant_id, order_id, {"status": "return_requested"})
            await timeline.status_changed(tenant_id, order_id, order["status"], "return_requested", principal.actor)
        return _read(await _must_get(tenant_id, return_id))


# --- decide -------------------------------------------------------------------------------------


async def decide(principal: Principal, return_id: uuid.UUID, approve: bool, reason: str) -> ReturnRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        row = await _must_get(tenant_id, return_id, lock=True)
        ensure_other_person(principal, row["requested_by"], "requested this return")
        if row["status"] != "requested":
            raise Conflict(f"the return is {row['status']}: only a requested return is decided")
        status = "approved" if approve else "rejected"
        await returns_repo.decide(tenant_id, return_id, status, principal.actor, reason.strip())
        order_id = row["order_id"]
        kind: timeline.EventKind = "return.approved" if approve else "return.rejected"
        await _event(tenant_id, order_id, principal.actor, kind, {"return_id": str(return_id)})
        if not approve:
            await _restore_order_status(principal, row)
        return _read(await _must_get(tenant_id, return_id))


async def _restore_order_status(principal: Principal, row: dict[str, Any]) -> None:
    """After a rejection: the order goes back to where it was if no other return is under way."""
    tenant_id = principal.tenant_id
    order = await repo.get_order_row(tenant_id, row["order_id"], lock=True)
    if order is None or order["status"] != "return_requested":
        return
    if await returns_repo.others_open(tenant_id, row["order_id"], row["id"], ACTIVE):
        return
    before = row["order_status_before"]
    await repo.update_order(tenant_id, row["order_id"], {"status": before})
    await timeline.status_changed(tenant_id, row["order_id"], "return_requested", before, principal.actor)


# --- label --------------------------------------------------------------------------------------


def _address(raw: Any) -> Address:
    return msgspec.convert(raw, Address)


async def issue_label(
    principal: Principal, return_id: uuid.UUID, data: ReturnLabelRequest, *, settings: Settings
) -> ReturnRead:
    """Book the return label (once: the key is ``rma:<return id>``) and record it on the return."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        row = await _must_get(tenant_id, return_id)
        if row["status"] == "label_issued":
            return _read(row)
        if row["status"] != "approved":
            raise Conflict(
                f"the return is {row['status']}: a label is issued for an approved return",
                extra={"current_status": row["status"]},
            )
        shipment = await carrier_repo.get_shipment(tenant_id, row["shipment_id"])
        if shipment is None:
            raise Conflict("the original shipment is gone")
        original = carrier_repo.json_value(shipment["request"])
        order_lines = {line["line_no"]: line for line in await repo.get_lines(tenant_id, row["order_id"])}
    currency = row["currency"]
    lines = decode_json(row["lines"])
    customs = []
    for line in lines:
        order_line = order_lines[line["line_no"]]
        weight = order_line["weight_kg"]
        customs.append(
            CustomsLine(
                description=order_line["name"],
                quantity=line["quantity"],
                value=Decimal(line["refund"]),
                currency=currency,
                weight=Decimal(weight) * line["quantity"] if weight is not None else Decimal(0),
                hs_code=order_line["hs_code"],
                origin=order_line["origin_country"],
                sku=order_line["sku"],
            )
        )
    parcels = (
        [
            Parcel(weight_kg=p.weight_kg, length_cm=p.length_cm, width_cm=p.width_cm, height_cm=p.height_cm)
            for p in data.parcels
        ]
        if data.parcels
        else msgspec.convert(original.get("parcels") or carrier_repo.json_value(shipment["parcels"]), list[Parcel])
    )
    # The outgoing label's check: comparing a NaN weight here raised InvalidOperation (a 500).
    raise_if(parcel_errors(parcels))
    booked = await carrier_booking.book_shipment(
        tenant_id,
        ShipmentBookingInput(
            order_id=row["order_id"],
            carrier_account_id=shipment["carrier_account_id"],
            service=data.service or shipment["service"],
            parcels=parcels,
            ship_from=_address(original["ship_to"]),
            ship_to=_address(original["ship_from"]),
            customs=customs,
            reference=f"RMA {format_number(row['order_number'])}",
            provider=shipment["provider"],
            contents_type="returned_goods",
            incoterm="DAP",
        ),
        idempotency_key=f"{LABEL_KEY_PREFIX}{return_id}",
        settings=settings,
        purpose="return",
    )
    async with tenant_tx(tenant_id):
        row = await _must_get(tenant_id, return_id, lock=True)
        if row["status"] == "approved":
            relief = decode_json(row["relief"])
            invoice = await returns_repo.invoice_id(tenant_id, row["order_id"])
            if invoice is not None:
                relief["commercial_invoice_id"] = str(invoice)
            await returns_repo.label_issued(
                tenant_id, return_id, booked.id, booked.tracking_number, msgspec.json.encode(relief).decode()
            )
            await _event(
                tenant_id,
                row["order_id"],
                principal.actor,
                "return.label_issued",
                {"return_id": str(return_id), "shipment_id": str(booked.id), "tracking_number": booked.tracking_number},
            )
        return _read(await _must_get(tenant_id, return_id))


# --- receive and close --------------------------------------------------------------------------


def _check_receipt(data: ReturnReceive, requested: dict[int, dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.lines:
        errors.append(FieldError("lines", "name at least one received line"))
    seen: set[int] = set()
    for index, line in enumerate(data.lines):
        field = f"lines[{index}]"
        if line.line_no not in requested:
            errors.append(FieldError(f"{field}.line_no", f"line {line.line_no} is not part of this return"))
            continue
        if line.line_no in seen:
            errors.append(FieldError(f"{field}.line_no", f"line {line.line_no} is named twice"))
        seen.add(line.line_no)
        if line.quantity <= 0:
            errors.append(FieldError(f"{field}.quantity", "must be a whole number greater than 0"))
        elif line.quantity > requested[line.line_no]["quantity"]:
            errors.append(
                FieldError(
                    f"{field}.quantity",
                    f"line {line.line_no}: {requested[line.line_no]['quantity']} units were approved for return",
                )
            )
        if line.disposition == "restock" and not requested[line.line_no].get("sku"):
            errors.append(FieldError(f"{field}.disposition", "the line has no SKU to restock; write it off"))
    return errors


async def _restock(tenant_id: uuid.UUID, units: dict[str, int]) -> None:
    """Add returned units to ``on_hand`` (rows locked in SKU order); never lowers stock."""
    if not units:
        return
    current = await repo.lock_stock(tenant_id, list(units))
    for sku in sorted(units):
        row = current.get(sku)
        if row is None:
            await repo.put_stock(tenant_id, sku, units[sku], 0, None)
        else:
            await repo.put_stock(tenant_id, sku, row.on_hand + units[sku], row.incoming, row.incoming_eta)


async def receive(principal: Principal, return_id: uuid.UUID, data: ReturnReceive) -> ReturnRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        row = await _must_get(tenant_id, return_id, lock=True)
        if row["status"] not in RECEIVABLE:
            raise Conflict(
                f"the return is {row['status']}: goods are received only for an approved return",
                extra={"current_status": row["status"]},
            )
        lines = decode_json(row["lines"])
        requested = {line["line_no"]: line for line in lines}
        raise_if(_check_receipt(data, requested))
        received = {line.line_no: line for line in data.lines}
        order_id = row["order_id"]
        order = await repo.get_order_row(tenant_id, order_id, lock=True)
        if order is None:
            raise NotFound("no such order")
        order_lines = await repo.get_lines(tenant_id, order_id)
        earlier = await _earlier(tenant_id, order_id, return_id)
        quantities = {n: (received[n].quantity if n in received else 0) for n in requested}
        currency = row["currency"]
        # The other returns' units make this one complete in their view; the shipping goes once.
        taken = await _shipping_taken(tenant_id, order_id, return_id)
        refunds, shipping = compute_refund(
            currency, order_lines, Decimal(order["shipping"]), quantities, earlier, taken
        )
        restock: dict[str, int] = {}
        for line in lines:
            got = received.get(line["line_no"])
            line["received_quantity"] = got.quantity if got else 0
            line["disposition"] = got.disposition if got else None
            line["refund"] = format(refunds[line["line_no"]], "f")
            if got is not None and got.disposition == "restock":
                restock[line["sku"]] = restock.get(line["sku"], 0) + got.quantity
        await _restock(tenant_id, restock)
        await returns_repo.received(
            tenant_id,
            return_id,
            lines_json=msgspec.json.encode(lines).decode(),
            refund_amount=sum(refunds.values(), Decimal(0)) + shipping,
            refund_shipping=shipping,
            received_by=principal.actor,
        )
        await _event(
            tenant_id,
            order_id,
            principal.actor,
            "return.received",
            {
                "return_id": str(return_id),
                "lines": [
                    {"line_no": n, "quantity": r.quantity, "disposition": r.disposition} for n, r in received.items()
                ],
                "restocked": restock,
                "refund": format(sum(refunds.values(), Decimal(0)) + shipping, "f"),
            },
        )
        back = await _earlier(tenant_id, order_id, None, received=True)
        in_full = all(back.get(line["line_no"], (0, Decimal(0)))[0] >= line["quantity"] for line in order_lines)
        if in_full and order["status"] != "returned":
            await repo.update_order(tenant_id, order_id, {"status": "returned"})
            await timeline.status_changed(tenant_id, order_id, order["status"], "returned", principal.actor)
        return _read(await _must_get(tenant_id, return_id))


async def close(principal: Principal, return_id: uuid.UUID) -> ReturnRead:
    """The refund has been paid out: the return is done."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        row = await _must_get(tenant_id, return_id, lock=True)
        if row["status"] != "received":
            raise Conflict(f"the return is {row['status']}: only a received return is closed")
        await returns_repo.close(tenant_id, return_id)
        await _event(tenant_id, row["order_id"], principal.actor, "return.closed", {"return_id": str(return_id)})
        return _read(await _must_get(tenant_id, return_id))


async def label_status_changed(tenant_id: uuid.UUID, order_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """A return label moved (called by the shipment job): a timeline entry, never an order status."""
    await timeline.record(
        tenant_id,
        order_id,
        "system:carriers",
        "return.shipment_status",
        {"shipment_id": payload.get("shipment_id"), "status": payload.get("status"), "reason": payload.get("reason")},
    )
