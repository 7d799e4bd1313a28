"""Intake: a new order from any channel, checked, priced, reserved, reviewed and recorded at once.

Every write runs in one ``tenant_tx``: the order, its lines, the reservations, the timeline events
and the outbox rows commit together or not at all. The field checks (:func:`validate_intake`) and
the catalog fill (:func:`resolve_lines`) serve change requests too, which replace an order's lines.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import asyncpg
import msgspec

from hub.core.batching import SharedTransaction
from hub.core.database import Statement, tenant_tx
from hub.core.errors import Conflict, FieldError, ValidationFailed
from hub.core.idempotency import run_idempotent
from hub.core.ids import new_id
from hub.core.money import NOT_TENDER, currency_exponent, is_known_currency, money_from_wire, quantum
from hub.core.validation import MAX_WEIGHT_KG, country, decimal, hs_code, raise_if, unit_price_places
from hub.orders import timeline
from hub.orders.assessment import assess as assess_order
from hub.orders.assessment import review_summary
from hub.orders.codec import format_number
from hub.orders.contact import clean_address, e164_phone, is_email
from hub.orders.kept_reads import KEPT
from hub.orders.pricing import Discount, check_line_gross, line_gross, parse_discount, price_order
from hub.orders.reading import order_read
from hub.orders.repository import orders as repo
from hub.orders.rows import OrderCustomer, OrderDraft
from hub.orders.schemas import CustomerIn, DiscountIn, LineIn, OrderCreate, OrderRead, ProductRead
from hub.orders.stock import full_reservation, reserve_lines
from tenants.schemas import Principal

INTAKE = SharedTransaction("intake")
"""One tenant's concurrent intakes share a transaction: its number counter and hot stock rows are
locked and committed once per group (see :class:`hub.core.batching.SharedTransaction`)."""

MAX_LINE_QUANTITY = 1_000_000
"""The most units one order line may carry (intake, change requests and the console's forms)."""


def _discount(field: str, raw: DiscountIn | None, currency: str, errors: list[FieldError]) -> Discount | None:
    if raw is None:
        return None
    if raw.type == "fixed" and raw.amount is not None and raw.amount.currency != currency:
        errors.append(FieldError(f"{field}.amount.currency", f"must be the order currency {currency}"))
        return None
    amount = raw.amount.amount if raw.amount is not None else None
    value = parse_discount(field, raw.type, raw.value, amount, currency, errors)
    return None if value is None else Discount(kind=raw.type, value=value, code=raw.code)


def _customer(data: CustomerIn, region: str | None, errors: list[FieldError]) -> OrderCustomer:
    code, name = data.code.strip(), data.name.strip()
    # Spaces pass the schema's length check but strip to nothing.
    errors.extend(
        FieldError(f"customer.{field}", "required") for field, value in (("code", code), ("name", name)) if not value
    )
    email = (data.email or "").strip() or None
    if email and not is_email(email):
        errors.append(FieldError("customer.email", f"{email!r} is not an e-mail address"))
    phone = e164_phone("customer.phone", data.phone, region, errors)
    return OrderCustomer(code=code, name=name, email=email, phone=phone)


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


class IntakeHeader(msgspec.Struct, frozen=True, kw_only=True):
    """The order-level fields of an intake, checked and cleaned."""

    external_ref: str | None
    currency: str
    ship_to: dict[str, str]
    bill_to: dict[str, str] | None
    customer: OrderCustomer


def validate_intake(  # noqa: C901  (a flat list of field checks)
    data: OrderCreate,
) -> tuple[IntakeHeader, list[IntakeLine], list[Discount], Decimal]:
    """Field-level checks of an intake; raises ValidationFailed listing every bad field."""
    errors: list[FieldError] = []
    currency = data.currency.strip().upper()
    if currency in NOT_TENDER:
        errors.append(
            FieldError("currency", f"{currency} is not a currency goods are priced in (a metal, fund or test code)")
        )
    elif not is_known_currency(currency):
        errors.append(FieldError("currency", f"unknown currency {data.currency!r}: use an ISO 4217 code such as EUR"))
    ship_to = clean_address("ship_to", data.ship_to, errors, required=False)
    bill_to = clean_address("bill_to", data.bill_to, errors, required=False) if data.bill_to else None
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
    header = IntakeHeader(
        external_ref=external_ref, currency=currency, ship_to=ship_to, bill_to=bill_to, customer=customer
    )
    return header, lines, discounts, shipping


async def create_order(principal: Principal, data: OrderCreate, *, actor: str | None = None) -> OrderRead:
    """Validate, price, reserve, review and record a new order; its writes in one transaction.

    Everything that locks nothing comes first (``prepare``): the catalog, the unlocked stock rows and
    the HS check are read, the order is priced, and in the common case (every stocked line reserved
    in full) reviewed as reserved. The writes run in the tenant's intake group (:data:`INTAKE`), whose
    one transaction carries one intake at a time and commits them together; an intake that fails
    there is rolled back alone and its neighbours' are run again, so it fails no other. While the
    group is busy, an intake prepares first, side by side with the others, its reads one statement
    that scopes itself to the tenant (``intake_reads``), and hands the group its insert: the group
    sends the inserts of consecutive prepared intakes together, in one round trip, so its serial
    part is their execution in PostgreSQL. The answer is built after the group has committed. Its
    customer upsert, number, stock and outbox rows commit with its order or not at all.

    In the group a single statement upserts the customer and takes the stock rows and the tenant's
    number counter (held to the commit), after checking the stock read still holds; if it does not
    (or a line is short) the order is reserved as the stock stands and reviewed again. ``actor``
    overrides who the timeline names (a channel such as ``channel:shopify``). A second order with
    the same ``(channel, external_ref)`` waits on the unique index and is refused with the first
    one's id.
    """
    return await _Intake(principal, data, actor).run()


class _Intake:
    """One order's intake (:func:`create_order`): what it validated, and its steps."""

    def __init__(self, principal: Principal, data: OrderCreate, actor: str | None) -> None:
        self.header, self.intake_lines, self.discounts, self.shipping = validate_intake(data)
        self.principal, self.data = principal, data
        self.tenant_id = principal.tenant_id
        self.actor = actor or principal.actor
        self.skus = [ln.data.sku for ln in self.intake_lines if ln.data.sku]
        self.hs_codes = [ln.hs_code for ln in self.intake_lines if ln.hs_code]
        self.order_id = new_id()
        self.prepared: Prepared | None = None
        self.insert: Statement | None = None

    async def run(self) -> OrderRead:
        # With the tenant's group busy, this intake prepares now, side by side with the others: its
        # reads are one statement that scopes itself (no BEGIN or COMMIT), or none when an earlier
        # intake's reads are kept, and with its stock guess complete it hands the group its insert,
        # which the group sends with its neighbours' in one round trip. With the group idle, it
        # prepares inside the group's transaction: one transaction, not two. (Inside a caller's
        # transaction, an Idempotency-Key's group or an import, the reads join it.)
        tenant_id = self.tenant_id
        if INTAKE.busy(tenant_id):
            self.prepared = await self.prepare()
            if self.prepared.guessed is not None:
                # The group may send it as a statement that commits on its own: a duplicate must
                # raise there rather than take a number (see repo.insert_order_statement).
                self.insert = _guessed_insert(
                    tenant_id, self.prepared.guessed, self.prepared.versions, self.skus, raise_on_duplicate=True
                )
        # The answer is built once the group has committed, outside it: the group's serial part holds
        # the tenant's counter and stock rows, and should carry no work that needs neither. It says
        # when the order was stored, as a read of it will.
        try:
            written = await INTAKE.run_after(tenant_id, self.insert, self.intake, done_by=_stored_as_guessed)
        except asyncpg.UniqueViolationError as exc:  # the group's first statement met a duplicate
            if exc.constraint_name != repo.DUPLICATE_REFERENCE:
                raise
            raise await _duplicate(tenant_id, self.data.channel, self.header.external_ref or "") from None
        if written.took is not None:  # committed as guessed: the kept stock is what it took less
            KEPT.took(tenant_id, {sku: units for sku, (units, _) in written.took.items()})
        else:
            KEPT.forget_stock(tenant_id, self.skus)
        return written.answer()

    async def intake(self, inserted_row: dict[str, Any] | None) -> Written:
        """The group's part. May run more than once (its group rolled back and run again): it changes
        nothing it reads."""
        state = self.prepared if self.prepared is not None else await self.prepare()
        written = await self.write(state, inserted_row)
        if written is None:
            written = await self.write(await self.prepare(reuse=False), None)
        if written is None:  # a fresh read is not checked against kept versions
            raise RuntimeError("an intake on a fresh read was refused as if on kept reads")
        return written

    async def prepare(self, *, reuse: bool = True) -> Prepared:
        """Read (or reuse what an earlier intake read), price and review the order.

        Kept reads serve only an order they would reserve in full: anything else (a short line, a
        refused price) is decided on a fresh read, since a kept read is checked only by the insert.
        """
        tenant_id, skus, hs_codes = self.tenant_id, self.skus, self.hs_codes
        if reuse and (reads := KEPT.get(tenant_id, skus, hs_codes)) is not None:
            with contextlib.suppress(ValidationFailed):
                prepared = await self.priced(reads, kept=True)
                if prepared.guessed is not None:
                    return prepared
        reads = await repo.intake_reads(tenant_id, skus, hs_codes)
        KEPT.keep(tenant_id, skus, hs_codes, reads)
        return await self.priced(reads, kept=False)

    async def priced(self, reads: repo.IntakeReads, *, kept: bool) -> Prepared:
        """The order priced and (in the common case) reviewed on ``reads``: nothing here locks or writes."""
        catalog, stock_seen, unknown_subheadings, versions = reads
        data, header, currency = self.data, self.header, self.header.currency
        lines, errors = resolve_lines(self.intake_lines, catalog, currency)
        priced = price_order(
            currency, [(ln["unit_price"], ln["quantity"], d) for ln, d in lines], self.discounts, self.shipping, errors
        )
        line_rows = [
            {**line, "discount": price.discount, "line_total": price.total, "reserved_qty": 0}
            for (line, _), price in zip(lines, priced.lines, strict=True)
        ]
        context = IntakeContext(catalog, _unknown_codes(line_rows, unknown_subheadings))
        draft = OrderDraft(
            id=self.order_id,
            channel=data.channel,
            channel_detail=data.channel_detail,
            external_ref=header.external_ref,
            customer=header.customer,
            ship_to=header.ship_to,
            bill_to=header.bill_to,
            currency=currency,
            incoterm=data.incoterm,
            requested_delivery_date=data.requested_delivery_date,
            rush=data.rush,
            customization=data.customization,
            special_terms=data.special_terms,
            discounts=self.discounts,
            subtotal=priced.subtotal,
            discount_total=priced.discount_total,
            shipping=priced.shipping,
            total=priced.total,
            entered_by=self.actor,
        )
        # The common case is reviewed here, before any lock; the group's statement checks the guess.
        expected = full_reservation(line_rows, catalog, stock_seen)
        guessed = None
        if expected is not None:
            guessed = (await self.assess(line_rows, draft, context, expected[0]), expected[1])
        return Prepared(line_rows, draft, context, guessed, versions if kept else None)

    async def write(self, state: Prepared, inserted_row: dict[str, Any] | None) -> Written | None:
        """Insert the order as ``state`` has it; None if it was prepared on kept reads that no longer hold."""
        line_rows, draft, context, guessed, versions = state
        tenant_id = self.tenant_id
        if guessed is not None:
            if inserted_row is not None:  # the group sent the insert, with its neighbours'
                inserted = repo.Inserted.from_row(inserted_row)
            else:  # inside a caller's transaction, or run again: a duplicate is refused, not raised
                inserted = await repo.run_insert(_guessed_insert(tenant_id, guessed, versions, self.skus))
            if inserted.reserved:
                return Written(guessed[0], await self.stored(inserted), guessed[1])
            if versions is not None:  # nothing was written: read afresh before reserving anything
                return None
        # Short stock (or stock moved since it was read): reserve what there is, then review.
        reviewed = await self.assess(line_rows, draft, context, await reserve_lines(tenant_id, line_rows))
        inserted = await repo.run_insert(
            repo.insert_order_statement(tenant_id, reviewed.order, reviewed.lines, reviewed.events, reviewed.jobs)
        )
        return Written(reviewed, await self.stored(inserted), None)

    async def stored(self, inserted: repo.Inserted) -> repo.Stored:
        """The order as its insert stored it; a refusal if another has its ``(channel, external_ref)``."""
        if inserted.stored is None:
            raise await _duplicate(self.tenant_id, self.data.channel, self.header.external_ref or "")
        return inserted.stored

    async def assess(
        self,
        line_rows: list[dict[str, Any]],
        draft: OrderDraft,
        context: IntakeContext,
        reserved: dict[int, tuple[int, date | None]],
    ) -> Reviewed:
        """The order reviewed as ``reserved``: the draft routed with its findings and ETA, its lines'
        reservations, the timeline's first events and the outbox jobs."""
        data, header, order_id = self.data, self.header, self.order_id
        lines = [{**line, "reserved_qty": reserved[line["line_no"]][0]} for line in line_rows]
        findings, status, eta = await assess_order(
            self.principal,
            currency=header.currency,
            customer_email=header.customer.email,
            customer_phone=header.customer.phone,
            ship_to=header.ship_to,
            rush=data.rush,
            customization=data.customization,
            requested_delivery_date=data.requested_delivery_date,
            lines=lines,
            reserved=reserved,
            catalog=context.catalog,
            unknown_codes=context.unknown_codes,
        )
        moved, notice = timeline.status_change(order_id, "received", status, "system:review")
        events = [
            # insert_order_statement adds the order's number to this first event's payload.
            timeline.Event(
                self.actor, "order.received", {"channel": data.channel, "external_ref": header.external_ref}
            ),
            timeline.Event("system:review", "review.completed", review_summary(findings)),
            moved,
        ]
        jobs = [timeline.Job("deliver_order_event", {"event": "order.created", "order_id": str(order_id)}), notice]
        order = msgspec.structs.replace(draft, status=status, findings=findings, backorder_eta=eta)
        return Reviewed(order, lines, events, jobs)


async def _duplicate(tenant_id: uuid.UUID, channel: str, external_ref: str) -> Conflict:
    """The refusal of an order whose ``(channel, external_ref)`` another order has, naming that one."""
    async with tenant_tx(tenant_id):  # inside a group's transaction this joins it
        existing = await repo.find_by_external_ref(tenant_id, channel, external_ref)
    if existing is None:  # its insert committed before ours conflicted; orders are not deleted
        return Conflict(f"another order already has {channel} reference {external_ref!r}")
    return Conflict(
        f"order {format_number(existing.number)} already has {channel} reference {external_ref!r}",
        extra={"existing_order_id": str(existing.id), "existing_order_number": format_number(existing.number)},
    )


def _guessed_insert(
    tenant_id: uuid.UUID,
    guessed: tuple[Reviewed, dict[str, tuple[int, date | None]]],
    versions: repo.ReadVersions | None,
    skus: list[str],
    *,
    raise_on_duplicate: bool = False,
) -> Statement:
    """The insert of an order reviewed as fully reserved, if the stock rows (and the versions of kept
    reads) still hold what it expects."""
    reviewed, expect_stock = guessed
    return repo.insert_order_statement(
        tenant_id,
        reviewed.order,
        reviewed.lines,
        reviewed.events,
        reviewed.jobs,
        expect_stock=expect_stock,
        skus=skus,
        expect_versions=versions,
        raise_on_duplicate=raise_on_duplicate,
    )


class Prepared(NamedTuple):
    """An intake read, priced and, if its stock guess holds, reviewed: what its group then writes."""

    line_rows: list[dict[str, Any]]
    draft: OrderDraft
    context: IntakeContext
    guessed: tuple[Reviewed, dict[str, tuple[int, date | None]]] | None
    """The review as fully reserved, with the stock the insert expects; None if a line is short."""
    versions: repo.ReadVersions | None
    """The catalog and nomenclature versions the insert expects when the reads were kept ones."""


class Written(NamedTuple):
    """An intake's insert, run."""

    reviewed: Reviewed
    stored: repo.Stored
    took: dict[str, tuple[int, date | None]] | None
    """Per SKU what the guessed insert reserved; None when it reserved the stock as it stood."""

    def answer(self) -> OrderRead:
        """The order as stored, as a read of it will say."""
        order = self.reviewed.order.as_inserted(self.stored.number, self.stored.created_at)
        return order_read(order, self.reviewed.lines)


def _stored_as_guessed(row: dict[str, Any]) -> bool:
    """Whether the guessed insert's row is the whole intake: reserved as guessed and stored (then
    :meth:`_Intake.intake` only reads the row). Otherwise it wrote nothing and runs again in a group."""
    inserted = repo.Inserted.from_row(row)
    return inserted.reserved and inserted.stored is not None


def _unknown_codes(line_rows: list[dict[str, Any]], unknown_subheadings: frozenset[str] | None) -> set[str]:
    """The lines' HS codes whose subheading no loaded nomenclature knows."""
    if unknown_subheadings is None:
        return set()
    return {ln["hs_code"] for ln in line_rows if ln["hs_code"] and ln["hs_code"][:6] in unknown_subheadings}


class IntakeContext(NamedTuple):
    """What intake read that the review needs again when the order is reserved as stock stands."""

    catalog: dict[str, ProductRead]
    unknown_codes: set[str]


class Reviewed(NamedTuple):
    """An order reviewed as reserved, with what its insert writes beside it."""

    order: OrderDraft
    lines: list[dict[str, Any]]
    events: list[timeline.Event]
    jobs: list[timeline.Job]


async def create_order_once(principal: Principal, data: OrderCreate, idempotency_key: str | None) -> OrderRead:
    """:func:`create_order` under an ``Idempotency-Key`` (``orders.create``): a repeat replays the first answer.

    The key's row is written in the same group transaction as the order, so a repeat in the same
    group sees the first one's answer and a repeat in a later group waits for it to commit.
    """
    if idempotency_key is None:
        return await create_order(principal, data)
    key = idempotency_key
    return await INTAKE.run(
        principal.tenant_id,
        lambda: run_idempotent(
            principal.tenant_id, key, "orders.create", data, OrderRead, lambda: create_order(principal, data)
        ),
    )


def resolve_lines(
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
