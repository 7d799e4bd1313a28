"""Orders: intake from every channel, review, approvals (four-eyes), cancel, stock, timeline.

Every write runs in one ``tenant_tx``: the order, its lines, the reservations, the timeline events
and the outbox rows commit together or not at all.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, get_args

import msgspec
import phonenumbers

from customs import hs_codes
from hub.core import outbox
from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound, PermissionDenied
from hub.core.ids import new_id
from hub.core.money import (
    NOT_TENDER,
    MoneyWire,
    amount_text,
    currency_exponent,
    is_known_currency,
    money_from_wire,
    quantum,
)
from hub.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from hub.core.validation import MAX_WEIGHT_KG, country, decimal, hs_code, raise_if, unit_price_places
from hub.orders import order_repository as repo
from hub.orders import repository as catalog_repo
from hub.orders.pricing import Discount, check_line_gross, line_gross, parse_discount, price_order
from hub.orders.review import DEFAULT_MAX_DISCOUNT_PERCENT, LineFacts, OrderFacts, review, status_for
from hub.orders.schemas import (
    AddressIn,
    Channel,
    CustomerIn,
    DiscountIn,
    Finding,
    LineIn,
    LineRead,
    OrderCreate,
    OrderEventRead,
    OrderRead,
    OrderStatus,
    OrderSummary,
    OrderTotals,
    ProductRead,
    StockRead,
    StockSet,
)
from tenants.schemas import Principal

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Statuses in which the order can still change or be cancelled without a return.
OPEN_STATUSES = frozenset({"received", "in_review", "on_hold", "awaiting_approval", "backordered", "approved"})
APPROVABLE = frozenset({"in_review", "awaiting_approval"})
ORDER_CANCELLED = "order cancelled"
ORDER_REJECTED = "order rejected"
"""Decision reasons of pending change requests closed because their order was cancelled or rejected."""


MAX_LINE_QUANTITY = 1_000_000


def format_number(number: int) -> str:
    return f"SO-{number:06d}"


# --- validation (pure) ---------------------------------------------------------------------------


def _address(field: str, address: AddressIn, errors: list[FieldError], *, required: bool) -> dict[str, str]:
    values = {k: v.strip() for k, v in msgspec.structs.asdict(address).items()}
    code = country(f"{field}.country", values["country"], errors, required=required)
    values["country"] = code or ""
    return values


def _phone(field: str, raw: str | None, region: str | None, errors: list[FieldError]) -> str | None:
    if not raw:
        return None
    try:
        parsed = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        errors.append(
            FieldError(field, f"{raw!r} is not a phone number; use international format, e.g. +49 30 1234567")
        )
        return None
    if not phonenumbers.is_valid_number(parsed):
        errors.append(FieldError(field, f"{raw!r} is not a valid phone number"))
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _discount(field: str, raw: DiscountIn | None, currency: str, errors: list[FieldError]) -> Discount | None:
    if raw is None:
        return None
    if raw.type == "fixed" and raw.amount is not None and raw.amount.currency != currency:
        errors.append(FieldError(f"{field}.amount.currency", f"must be the order currency {currency}"))
        return None
    amount = raw.amount.amount if raw.amount is not None else None
    value = parse_discount(field, raw.type, raw.value, amount, currency, errors)
    return None if value is None else Discount(kind=raw.type, value=value, code=raw.code)


def _customer(data: CustomerIn, region: str | None, errors: list[FieldError]) -> dict[str, Any]:
    code, name = data.code.strip(), data.name.strip()
    # Spaces pass the schema's length check but strip to nothing.
    errors.extend(
        FieldError(f"customer.{field}", "required") for field, value in (("code", code), ("name", name)) if not value
    )
    email = (data.email or "").strip() or None
    if email and not _EMAIL.match(email):
        errors.append(FieldError("customer.email", f"{email!r} is not an e-mail address"))
    phone = _phone("customer.phone", data.phone, region, errors)
    return {"code": code, "name": name, "email": email, "phone": phone}


def _unit_price(index: int, line: LineIn, currency: str, errors: list[FieldError]) -> Decimal | None:
    """The line's own unit price, if it sends one: in the order currency, storable as it stands."""
    if line.unit_price is None:
        return None
    field = f"lines[{index}].unit_price"
    try:
        price = money_from_wire(line.unit_price)
    except ValueError as exc:
        sub = "currency" if "currency" in str(exc) else "amount"
        errors.append(FieldError(f"{field}.{sub}", str(exc)))
        return None
    if price.currency.code != currency:
        errors.append(FieldError(f"{field}.currency", f"must be the order currency {currency}"))
    elif 0 < line.quantity <= MAX_LINE_QUANTITY:
        # Here, before any database work (and when a change request is filed); a catalog price is
        # checked the same way when the order is priced.
        check_line_gross(index, line_gross(price.amount, line.quantity, currency), errors)
    unit_price_places(f"{field}.amount", price.amount, errors)
    return price.amount


class IntakeLine(msgspec.Struct, kw_only=True):
    index: int
    data: LineIn
    unit_price: Decimal | None
    hs_code: str | None
    origin_country: str | None
    weight_kg: Decimal | None
    discount: Discount | None


def validate_intake(  # noqa: C901  (a flat list of field checks)
    data: OrderCreate,
) -> tuple[dict[str, Any], list[IntakeLine], list[Discount], Decimal]:
    """Field-level checks of an intake; raises ValidationFailed listing every bad field."""
    errors: list[FieldError] = []
    currency = data.currency.strip().upper()
    if currency in NOT_TENDER:
        errors.append(
            FieldError("currency", f"{currency} is not a currency goods are priced in (a metal, fund or test code)")
        )
    elif not is_known_currency(currency):
        errors.append(FieldError("currency", f"unknown currency {data.currency!r}: use an ISO 4217 code such as EUR"))
    ship_to = _address("ship_to", data.ship_to, errors, required=False)
    bill_to = _address("bill_to", data.bill_to, errors, required=False) if data.bill_to else None
    customer = _customer(data.customer, ship_to.get("country"), errors)
    # Surrounding spaces made "D1 " a second reference beside "D1" and slipped past the duplicate
    # check. Case is kept: a marketplace's references may differ by case alone.
    external_ref = data.external_ref.strip() if data.external_ref is not None else None
    if external_ref == "":
        errors.append(FieldError("external_ref", "must not be blank: leave it out if the order has no reference"))
    if data.channel == "manual" and data.channel_detail is None:
        errors.append(FieldError("channel_detail", "a manual order records how it came in: phone, email or in_person"))
    lines: list[IntakeLine] = []
    for index, line in enumerate(data.lines):
        field = f"lines[{index}]"
        if line.quantity <= 0:
            errors.append(FieldError(f"{field}.quantity", "must be a whole number greater than 0"))
        elif line.quantity > MAX_LINE_QUANTITY:
            errors.append(FieldError(f"{field}.quantity", f"must be at most {MAX_LINE_QUANTITY}"))
        if not line.sku and not (line.name or "").strip():
            errors.append(FieldError(f"{field}.sku", "a line names a catalog sku or carries its own name"))
        lines.append(
            IntakeLine(
                index=index,
                data=line,
                unit_price=_unit_price(index, line, currency, errors),
                hs_code=hs_code(f"{field}.hs_code", line.hs_code, errors),
                origin_country=country(f"{field}.origin_country", line.origin_country, errors, required=False),
                weight_kg=decimal(f"{field}.weight_kg", line.weight_kg, errors, maximum=MAX_WEIGHT_KG, max_places=3),
                discount=_discount(f"{field}.discount", line.discount, currency, errors),
            )
        )
    discounts = [
        d for i, raw in enumerate(data.discounts) if (d := _discount(f"discounts[{i}]", raw, currency, errors))
    ]
    shipping = Decimal(0)
    if data.shipping is not None:
        try:
            shipping_money = money_from_wire(data.shipping)
        except ValueError as exc:
            errors.append(FieldError("shipping.currency" if "currency" in str(exc) else "shipping.amount", str(exc)))
        else:
            if shipping_money.currency.code != currency:
                errors.append(FieldError("shipping.currency", f"must be the order currency {currency}"))
            elif shipping_money.amount != shipping_money.amount.quantize(quantum(currency)):
                # An amount charged, like a fixed discount: in the currency's minor units (JPY 0, BHD 3).
                errors.append(
                    FieldError("shipping.amount", f"at most {currency_exponent(currency)} decimals in {currency}")
                )
            shipping = shipping_money.amount
    raise_if(errors)
    header = {
        "external_ref": external_ref,
        "currency": currency,
        "ship_to": ship_to,
        "bill_to": bill_to,
        "customer": customer,
    }
    return header, lines, discounts, shipping


# --- intake --------------------------------------------------------------------------------------


async def create_order(principal: Principal, data: OrderCreate, *, actor: str | None = None) -> OrderRead:
    """Validate, price, reserve, review and record a new order, all in one transaction.

    ``actor`` overrides who the timeline names (a channel such as ``channel:shopify``). The work is
    ordered so the contended rows are held briefly: everything that does not depend on the
    reservation is read (and the customer upserted) first; the stock rows and the tenant's number
    counter are then taken, in that order, by the last statement or two and held to the commit. A
    second order with the same ``(channel, external_ref)`` waits on the unique index and is refused
    with the first one's id.
    """
    header, intake_lines, discounts, shipping = validate_intake(data)
    currency, external_ref = header["currency"], header["external_ref"]
    tenant_id = principal.tenant_id
    actor = actor or principal.actor
    skus = [ln.data.sku for ln in intake_lines if ln.data.sku]
    async with tenant_tx(tenant_id):
        # Every read that does not depend on the reservation comes before any contended lock; the
        # customer upsert rides along (a validation error below rolls it back with the rest).
        customer = header["customer"]
        customer_id, catalog, stock_seen, unknown_subheadings = await repo.intake_reads(
            tenant_id,
            skus,
            [ln.hs_code for ln in intake_lines if ln.hs_code],
            customer["code"],
            customer["name"],
            customer["email"],
            customer["phone"],
        )
        lines, errors = _resolve_lines(intake_lines, catalog, currency)
        priced = price_order(
            currency, [(ln["unit_price"], ln["quantity"], d) for ln, d in lines], discounts, shipping, errors
        )
        raise_if(errors)
        assert priced is not None
        line_rows = [
            {**line, "discount": price.discount, "line_total": price.total, "reserved_qty": 0}
            for (line, _), price in zip(lines, priced.lines, strict=True)
        ]
        unknown_codes = {
            ln["hs_code"]
            for ln in line_rows
            if ln["hs_code"] and unknown_subheadings is not None and ln["hs_code"][:6] in unknown_subheadings
        }
        order_id = new_id()
        order = {
            "id": order_id,
            "channel": data.channel,
            "channel_detail": data.channel_detail,
            "external_ref": external_ref,
            "customer_id": customer_id,
            "customer": customer,
            "ship_to": header["ship_to"],
            "bill_to": header["bill_to"],
            "currency": currency,
            "incoterm": data.incoterm,
            "requested_delivery_date": data.requested_delivery_date,
            "rush": data.rush,
            "customization": data.customization,
            "special_terms": data.special_terms,
            "discounts": [msgspec.to_builtins(d) for d in discounts],
            "subtotal": priced.subtotal,
            "discount_total": priced.discount_total,
            "shipping": priced.shipping,
            "total": priced.total,
            "entered_by": actor,
        }
        events: list[tuple[str, str, dict[str, Any]]] = []

        async def assess(reserved: dict[int, tuple[int, date | None]]) -> list[tuple[str, dict[str, Any]]]:
            """Review the order as reserved; fills status, findings, ETA and lines; returns the outbox jobs."""
            for line in line_rows:
                line["reserved_qty"] = reserved[line["line_no"]][0]
            findings, status, eta = await _assess(
                principal,
                currency=currency,
                customer=customer,
                ship_to=header["ship_to"],
                rush=data.rush,
                customization=data.customization,
                requested_delivery_date=data.requested_delivery_date,
                lines=line_rows,
                reserved=reserved,
                catalog=catalog,
                unknown_codes=unknown_codes,
            )
            order.update(status=status, findings=msgspec.to_builtins(findings), backorder_eta=eta)
            events.extend(
                [
                    # insert_order adds the order's number to this first event's payload.
                    (actor, "order.received", {"channel": data.channel, "external_ref": external_ref}),
                    ("system:review", "review.completed", _review_summary(findings)),
                    ("system:review", "order.status_changed", {"from": "received", "to": status}),
                ]
            )
            return [
                ("deliver_order_event", {"event": "order.created", "order_id": str(order_id)}),
                (
                    "deliver_order_event",
                    {"event": "order.status_changed", "order_id": str(order_id), "from": "received", "to": status},
                ),
            ]

        # The common case, every stocked line reserved in full, is reviewed before any lock and then
        # reserved, numbered and inserted in one statement: the hot rows (stock, number counter) are
        # held for that statement and the commit only. The statement checks the guess under the locks.
        expected = _full_reservation(line_rows, catalog, stock_seen)
        inserted = None
        if expected is not None:
            reserved, expect_stock = expected
            jobs = await assess(reserved)
            inserted = await repo.insert_order(
                tenant_id, order, line_rows, events, jobs, expect_stock=expect_stock, skus=skus
            )
        if inserted is None or not inserted.reserved:
            # Short stock (or stock moved since it was read): reserve what there is, then review.
            events.clear()
            for line in line_rows:
                line["reserved_qty"] = 0
            jobs = await assess(await _reserve_lines(tenant_id, line_rows))
            inserted = await repo.insert_order(tenant_id, order, line_rows, events, jobs)
        if inserted.number is None:
            existing = await repo.find_by_external_ref(tenant_id, data.channel, external_ref or "")
            assert existing is not None
            raise Conflict(
                f"order {format_number(existing['number'])} already has {data.channel} reference {external_ref!r}",
                extra={
                    "existing_order_id": str(existing["id"]),
                    "existing_order_number": format_number(existing["number"]),
                },
            )
        order["number"] = inserted.number
        now = datetime.now(UTC)
        return order_read({**order, "version": 1, "created_at": now, "updated_at": now}, line_rows)


def _full_reservation(
    lines: list[dict[str, Any]], catalog: dict[str, ProductRead], stock: dict[str, repo.StockSeen]
) -> tuple[dict[int, tuple[int, date | None]], dict[str, tuple[int, date | None]]] | None:
    """What :func:`_reserve_lines` would give if the stock read holds: (per line, per SKU expected).

    None unless every catalog line would be reserved in full: a short line's review reads other
    SKUs' stock (substitutes), which must happen after the reservation, as :func:`_reserve_lines` does.
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


def _review_summary(findings: list[Finding]) -> dict[str, Any]:
    return {"findings": [f.code for f in findings], "blocking": sum(f.severity == "blocking" for f in findings)}


def _resolve_lines(
    intake_lines: list[IntakeLine], catalog: dict[str, ProductRead], currency: str
) -> tuple[list[tuple[dict[str, Any], Discount | None]], list[FieldError]]:
    """Fill each line from the catalog where it names a known SKU; a free line must be complete."""
    errors: list[FieldError] = []
    resolved: list[tuple[dict[str, Any], Discount | None]] = []
    for line in intake_lines:
        field = f"lines[{line.index}]"
        product = catalog.get(line.data.sku) if line.data.sku else None
        list_price = None
        unit_price = line.unit_price
        if product is not None and product.unit_price.currency == currency:
            list_price = Decimal(product.unit_price.amount)
            if unit_price is None:
                unit_price = list_price
        if unit_price is None:
            reason = "not in the catalog" if product is None else f"listed in {product.unit_price.currency}"
            errors.append(FieldError(f"{field}.unit_price", f"required: sku is {reason}"))
            unit_price = Decimal(0)
        name = (line.data.name or "").strip() or (product.name if product else "") or (line.data.sku or "")
        resolved.append(
            (
                {
                    "line_no": line.index + 1,
                    "sku": line.data.sku,
                    "product_id": product.id if product else None,
                    "name": name,
                    "spec": line.data.spec or (product.spec if product else ""),
                    "hs_code": line.hs_code or (product.hs_code if product else None),
                    "origin_country": line.origin_country or (product.origin_country if product else None),
                    "weight_kg": line.weight_kg
                    if line.weight_kg is not None
                    else (product.weight_kg if product else None),
                    "quantity": line.data.quantity,
                    "unit_price": unit_price,
                    "list_price": list_price,
                    "known_sku": product is not None,
                },
                line.discount,
            )
        )
    return resolved, errors


# --- review --------------------------------------------------------------------------------------


async def _reserve_lines(tenant_id: uuid.UUID, lines: list[dict[str, Any]]) -> dict[int, tuple[int, date | None]]:
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


async def _assess(
    principal: Principal,
    *,
    currency: str,
    customer: dict[str, Any],
    ship_to: dict[str, Any],
    rush: bool,
    customization: bool,
    requested_delivery_date: date | None,
    lines: list[dict[str, Any]],
    reserved: dict[int, tuple[int, date | None]],
    catalog: dict[str, ProductRead],
    unknown_codes: set[str],
) -> tuple[list[Finding], str, date | None]:
    """Run the review over the order as it is in memory: (findings, status, backorder ETA).

    ``unknown_codes`` are the lines' HS codes no loaded nomenclature knows (read before any lock).
    """
    tenant_id = principal.tenant_id
    facts_lines = []
    for line in lines:
        take, eta = reserved[line["line_no"]]
        product = catalog.get(line["sku"]) if line["sku"] else None
        subs: tuple[str, ...] = ()
        if product is not None and take < line["quantity"] and line["hs_code"]:
            subs = tuple(await repo.substitutes(tenant_id, line["hs_code"], line["sku"], line["quantity"] - take))
        facts_lines.append(
            LineFacts(
                line_no=line["line_no"],
                sku=line["sku"],
                known_sku=product is not None,
                # _resolve_lines names a line after its SKU when nothing else does: for a SKU the
                # catalog lacks, that is no name of its own, and the line is an unknown SKU.
                name="" if product is None and line["name"] == line["sku"] else line["name"],
                hs_code=line["hs_code"],
                origin_country=line["origin_country"],
                weight_kg=line["weight_kg"],
                quantity=line["quantity"],
                unit_net=Decimal(line["line_total"]) / line["quantity"],
                list_price=Decimal(product.unit_price.amount) if product else None,
                list_currency=product.unit_price.currency if product else None,
                reserved=take,
                eta=eta,
                substitutes=subs,
                hs_known=line["hs_code"] not in unknown_codes,
            )
        )
    policy = principal.settings.get("max_discount_percent")
    findings = review(
        OrderFacts(
            currency=currency,
            origin_country=principal.origin_country,
            customer_email=customer.get("email"),
            customer_phone=customer.get("phone"),
            ship_to=ship_to,
            lines=facts_lines,
            rush=rush,
            customization=customization,
            requested_delivery_date=requested_delivery_date,
            today=datetime.now(UTC).date(),
            max_discount_percent=Decimal(str(policy)) if policy is not None else DEFAULT_MAX_DISCOUNT_PERCENT,
        )
    )
    status = status_for(findings, auto_approve=bool(principal.settings.get("auto_approve_clean_orders", True)))
    etas = [eta for ln in facts_lines if ln.reserved < ln.quantity and (eta := ln.eta) is not None]
    return findings, status, max(etas) if etas else None


async def _review_and_route(principal: Principal, order_id: uuid.UUID, *, previous_status: str) -> str:
    """Re-reserve stock, re-run the review over the stored order and move it; returns the new status."""
    tenant_id = principal.tenant_id
    order = await repo.get_order_row(tenant_id, order_id, lock=True)
    assert order is not None
    lines = await repo.get_lines(tenant_id, order_id)
    reserved = await _reserve_lines(tenant_id, lines)
    await repo.set_lines_reserved(tenant_id, order_id, {n: take for n, (take, _) in reserved.items()})
    catalog = await catalog_repo.get_products_by_sku(tenant_id, [ln["sku"] for ln in lines if ln["sku"]])
    findings, status, eta = await _assess(
        principal,
        currency=order["currency"],
        customer=_decoded(order["customer"]),
        ship_to=_decoded(order["ship_to"]),
        rush=order["rush"],
        customization=order["customization"],
        requested_delivery_date=order["requested_delivery_date"],
        lines=lines,
        reserved=reserved,
        catalog=catalog,
        unknown_codes=await hs_codes.unknown_subheadings([ln["hs_code"] for ln in lines if ln["hs_code"]]),
    )
    await repo.update_order(
        tenant_id, order_id, {"status": status, "findings": msgspec.to_builtins(findings), "backorder_eta": eta}
    )
    await repo.add_event(tenant_id, order_id, "system:review", "review.completed", _review_summary(findings))
    await _status_changed(tenant_id, order_id, previous_status, status, "system:review")
    return status


async def _status_changed(tenant_id: uuid.UUID, order_id: uuid.UUID, old: str, new: str, actor: str) -> None:
    if old == new:
        return
    await repo.add_event(tenant_id, order_id, actor, "order.status_changed", {"from": old, "to": new})
    await outbox.enqueue(
        tenant_id,
        "deliver_order_event",
        {"event": "order.status_changed", "order_id": str(order_id), "from": old, "to": new},
    )


# --- reading -------------------------------------------------------------------------------------


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


def _plain(amount: Any) -> str:
    value = Decimal(amount).normalize()
    if value.as_tuple().exponent > 0:  # type: ignore[operator]
        value = value.quantize(Decimal(1))
    return format(value, "f")


def _decoded(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def order_read(order: dict[str, Any], lines: list[dict[str, Any]]) -> OrderRead:
    currency = order["currency"]
    return OrderRead(
        id=order["id"],
        number=format_number(order["number"]),
        status=order["status"],
        channel=order["channel"],
        channel_detail=order["channel_detail"],
        external_ref=order["external_ref"],
        customer=_decoded(order["customer"]),
        ship_to=_decoded(order["ship_to"]),
        bill_to=_decoded(order["bill_to"]),
        currency=currency,
        incoterm=order["incoterm"],
        requested_delivery_date=order["requested_delivery_date"],
        rush=order["rush"],
        customization=order["customization"],
        special_terms=order["special_terms"],
        discounts=_decoded(order["discounts"]),
        lines=[_line_read(line, currency, awaiting_stock=order["status"] in OPEN_STATUSES) for line in lines],
        totals=OrderTotals(
            subtotal=_money(order["subtotal"], currency),
            discount_total=_money(order["discount_total"], currency),
            shipping=_money(order["shipping"], currency),
            total=_money(order["total"], currency),
        ),
        findings=msgspec.convert(_decoded(order["findings"]), list[Finding]),
        backorder_eta=order["backorder_eta"],
        version=order["version"],
        entered_by=order["entered_by"],
        created_at=order["created_at"],
        updated_at=order["updated_at"],
    )


async def _read(tenant_id: uuid.UUID, order_id: uuid.UUID) -> OrderRead:
    order = await repo.get_order_row(tenant_id, order_id)
    if order is None:
        raise NotFound("no such order")
    return order_read(order, await repo.get_lines(tenant_id, order_id))


async def get_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> OrderRead:
    async with tenant_tx(tenant_id):
        return await _read(tenant_id, order_id)


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
            customer_code=_decoded(row["customer"])["code"],
            customer_name=_decoded(row["customer"])["name"],
            total=_money(row["total"], row["currency"]),
            created_at=row["created_at"],
        )
        for row in rows[:limit]
    ]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit and items else None)


def _check_filters(status: str | None, channel: str | None) -> None:
    """A status (comma-separated) or channel the hub does not know is a client's typo, not an empty list."""
    errors = []
    unknown = [value for value in (status or "").split(",") if status and value not in get_args(OrderStatus)]
    if unknown:
        errors.append(
            FieldError("status", f"unknown status {', '.join(unknown)}: use {', '.join(get_args(OrderStatus))}")
        )
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
        customer = _decoded(row["customer"])
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
        OrderEventRead(id=r["id"], at=r["at"], actor=r["actor"], kind=r["kind"], payload=_decoded(r["payload"]))
        for r in rows
    ]


async def findings(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[Finding]:
    return (await get_order(tenant_id, order_id)).findings


# --- people: approve, reject, cancel -------------------------------------------------------------


def ensure_other_person(principal: Principal, author: str, what: str) -> None:
    """Four-eyes: whoever entered or requested something may not approve it."""
    if principal.same_person(author):
        raise PermissionDenied(f"you {what}; another person must decide (four-eyes rule)")


async def _ensure_neither_author(principal: Principal, order: dict[str, Any]) -> None:
    """Four-eyes on an order decision: not who entered the order, nor who requested the change last
    applied to it (whose re-review may be what put the order in front of an approver)."""
    ensure_other_person(principal, order["entered_by"], "entered this order")
    requester = await repo.last_applied_change_requester(principal.tenant_id, order["id"])
    if requester is not None:
        ensure_other_person(principal, requester, "requested the change now under review")


async def approve(principal: Principal, order_id: uuid.UUID, reason: str) -> OrderRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await repo.get_order_row(tenant_id, order_id, lock=True)
        if order is None:
            raise NotFound("no such order")
        await _ensure_neither_author(principal, order)
        if order["status"] not in APPROVABLE:
            raise Conflict(
                f"an order in status {order['status']!r} cannot be approved", extra={"current_status": order["status"]}
            )
        findings_now = msgspec.convert(_decoded(order["findings"]), list[Finding])
        short = any(f.action == "wait" and f.severity == "blocking" for f in findings_now)
        new_status = "backordered" if short else "approved"
        await repo.update_order(tenant_id, order_id, {"status": new_status})
        await repo.add_event(tenant_id, order_id, principal.actor, "order.approved", {"reason": reason})
        await _status_changed(tenant_id, order_id, order["status"], new_status, principal.actor)
        return await _read(tenant_id, order_id)


async def reject(principal: Principal, order_id: uuid.UUID, reason: str) -> OrderRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await repo.get_order_row(tenant_id, order_id, lock=True)
        if order is None:
            raise NotFound("no such order")
        await _ensure_neither_author(principal, order)
        if order["status"] not in APPROVABLE | {"on_hold", "backordered"}:
            raise Conflict(
                f"an order in status {order['status']!r} cannot be rejected", extra={"current_status": order["status"]}
            )
        await release_reservations(tenant_id, order_id)
        await repo.update_order(tenant_id, order_id, {"status": "rejected"})
        await repo.add_event(tenant_id, order_id, principal.actor, "order.rejected", {"reason": reason})
        await _close_pending_changes(principal, order_id, ORDER_REJECTED)
        await _status_changed(tenant_id, order_id, order["status"], "rejected", principal.actor)
        return await _read(tenant_id, order_id)


async def cancel_in_tx(
    principal: Principal, order_id: uuid.UUID, reason: str, *, change_request_id: uuid.UUID | None = None
) -> None:
    """Cancel, release the stock, and reject the order's other pending change requests.

    ``change_request_id`` is the cancel request being applied, which its caller marks applied. The
    others could never be applied to a cancelled order, and left pending they waited for ever.
    """
    tenant_id = principal.tenant_id
    order = await repo.get_order_row(tenant_id, order_id, lock=True)
    if order is None:
        raise NotFound("no such order")
    if order["status"] not in OPEN_STATUSES:
        raise Conflict(
            f"an order in status {order['status']!r} cannot be cancelled; request a return instead",
            extra={"current_status": order["status"]},
        )
    # The order turns 'booked' only when the outbox job follows the shipment; until then it still
    # reads 'approved', and a cancel would leave a paid label on a cancelled order.
    shipment_id = await repo.live_outbound_shipment(tenant_id, order_id)
    if shipment_id is not None:
        raise Conflict(
            f"order {format_number(order['number'])} has a label booked; cancel the shipment first",
            extra={"current_status": order["status"], "shipment_id": str(shipment_id)},
        )
    await release_reservations(tenant_id, order_id)
    await repo.update_order(tenant_id, order_id, {"status": "cancelled", "version": order["version"] + 1})
    await repo.add_event(tenant_id, order_id, principal.actor, "order.cancelled", {"reason": reason})
    await _close_pending_changes(principal, order_id, ORDER_CANCELLED, keep=change_request_id)
    await _status_changed(tenant_id, order_id, order["status"], "cancelled", principal.actor)


async def _close_pending_changes(
    principal: Principal, order_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
) -> None:
    """Reject the order's pending change requests (but ``keep``), each with a timeline event: an order
    that ended can no longer be changed, and left pending they would wait for ever."""
    closed = await repo.close_pending_change_requests(principal.tenant_id, order_id, principal.actor, reason, keep=keep)
    await repo.add_events(
        principal.tenant_id,
        order_id,
        [
            (
                principal.actor,
                "change_request.rejected",
                {"change_request_id": str(row["id"]), "kind": row["kind"], "reason": reason},
            )
            for row in closed
        ],
    )


async def cancel(principal: Principal, order_id: uuid.UUID, reason: str) -> OrderRead:
    async with tenant_tx(principal.tenant_id):
        await cancel_in_tx(principal, order_id, reason)
        return await _read(principal.tenant_id, order_id)


# --- stock ---------------------------------------------------------------------------------------


def _stock_read(row: dict[str, Any]) -> StockRead:
    return StockRead(
        sku=row["sku"],
        on_hand=row["on_hand"],
        reserved=row["reserved"],
        available=row["on_hand"] - row["reserved"],
        incoming=row["incoming"],
        incoming_eta=row["incoming_eta"],
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
        if current is not None and data.on_hand < current["reserved"]:
            raise Conflict(
                f"{current['reserved']} units of {sku} are reserved by orders; on_hand cannot drop below that",
                extra={"field": "on_hand", "reserved": current["reserved"]},
            )
        return _stock_read(await repo.put_stock(tenant_id, sku, data.on_hand, data.incoming, data.incoming_eta))


async def get_stock(tenant_id: uuid.UUID, sku: str) -> StockRead:
    async with tenant_tx(tenant_id):
        row = await repo.get_stock(tenant_id, sku)
    if row is None:
        raise NotFound(f"no stock record for {sku!r}")
    return _stock_read(row)
