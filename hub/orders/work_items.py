"""Clerk work items: every shipment exception and every complaint becomes a task with an SLA.

An item is opened

* automatically by the ``shipment_status_changed`` job when a shipment goes to ``exception``: one
  item per shipment and carrier reason, however often the carrier repeats the event
  (``auto_key`` is unique per tenant);
* by a clerk (``POST /v1/work-items``), typically a quality complaint.

Its due time is ``opened_at + SLA[kind]`` (:data:`SLA_HOURS`). An item is ``open``, ``in_progress``
once someone takes it, and ``resolved`` with a written resolution. Opening and resolving are
recorded on the order's timeline.

A customs hold arrives prepared (``details``): the order's latest ready commercial invoice (one is
requested with the tenant's stored exporter when there is none; a refusal is recorded with its
reason), the importer's tax ids as far as the hub knows them, and a message to the buyer in the
buyer's language, derived from the ship-to country (:data:`BUYER_LOCALES`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from babel import Locale

from hub.core.database import savepoint, tenant_tx
from hub.core.errors import AppError, Conflict, FieldError, NotFound
from hub.core.ids import new_id
from hub.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from hub.core.validation import raise_if
from hub.orders import timeline
from hub.orders.codec import decode_json, format_number
from hub.orders.repository import orders as repo
from hub.orders.repository import work_items as work_items_repo
from i18n import gettext, mark
from tenants.roles import Role
from tenants.schemas import Principal

Kind = Literal["shipment_exception", "customs_hold", "delay", "address_problem", "damage", "lost", "quality", "other"]
Status = Literal["open", "in_progress", "resolved"]
KINDS: tuple[str, ...] = (
    "shipment_exception",
    "customs_hold",
    "delay",
    "address_problem",
    "damage",
    "lost",
    "quality",
    "other",
)
STATUSES: tuple[str, ...] = ("open", "in_progress", "resolved")

SLA_HOURS: dict[str, int] = {
    # kind -> hours from opening until the item is overdue
    "customs_hold": 24,  # parcels held at the border start storage fees and get returned
    "lost": 48,  # a carrier claim has a deadline
    "address_problem": 72,
    "damage": 72,
    "delay": 72,
    "shipment_exception": 72,
    "quality": 72,
    "other": 72,
}

REASON_KIND: dict[str | None, str] = {
    # carrier reason (carriers.units.TrackingReason) -> work item kind; anything else is a generic exception
    "customs_hold": "customs_hold",
    "address_problem": "address_problem",
    "delay": "delay",
    "damage": "damage",
    "lost": "lost",
}

BUYER_LOCALES: dict[str, str] = {"DE": "de", "FR": "fr", "ES": "es", "JP": "ja", "CN": "zh_Hans"}
"""Ship-to country -> the language of the prepared buyer message; every other country gets English."""

SYSTEM_ACTOR = "system:work-items"

MESSAGE_SUBJECT = mark("Your order {order} is held by customs")
MESSAGE_GREETING = mark("Dear {name},")
MESSAGE_HELD = mark("your parcel {tracking} with order {order} is being held by customs in {country}.")
MESSAGE_DUTIES_SELLER = mark(
    "Import duties and taxes have been prepaid by us; we are sending the commercial invoice to the carrier."
)
MESSAGE_DUTIES_BUYER = mark(
    "Customs may ask you to pay import duties and taxes or to confirm your tax identification number "
    "before the parcel is released."
)
MESSAGE_CLOSING = mark("If the carrier contacts you, please reply to this message and we will help at once.")


class WorkItemCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order_id: uuid.UUID
    kind: Kind = "quality"
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    shipment_id: uuid.UUID | None = None
    assignee: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class WorkItemResolve(msgspec.Struct, kw_only=True):
    """``resolution`` is required; it is checked after the item is found (a foreign id is a 404 first)."""

    resolution: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class WorkItemAssign(msgspec.Struct, kw_only=True):
    assignee: Annotated[str, msgspec.Meta(max_length=200)] = ""


class WorkItemRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    status: str
    order_id: uuid.UUID
    order_number: str | None
    shipment_id: uuid.UUID | None
    carrier_reason: str | None
    description: str
    details: dict[str, Any]
    opened_by: str
    opened_at: datetime
    due_at: datetime
    sla_hours: int
    sla_age: int
    """Seconds the item has been open (until it was resolved)."""
    overdue: bool
    """Open past its due time, or resolved after it."""
    assignee: str | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


def due_at(kind: str, opened_at: datetime) -> datetime:
    return opened_at + timedelta(hours=SLA_HOURS[kind])


def kind_for_reason(reason: str | None) -> str:
    return REASON_KIND.get(reason, "shipment_exception")


def buyer_locale(country: str | None) -> str:
    return BUYER_LOCALES.get((country or "").upper(), "en")


def _read(row: dict[str, Any], now: datetime | None = None) -> WorkItemRead:
    now = now or datetime.now(UTC)
    until = row["resolved_at"] or now
    return WorkItemRead(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        order_id=row["order_id"],
        order_number=format_number(row["order_number"]) if row.get("order_number") is not None else None,
        shipment_id=row["shipment_id"],
        carrier_reason=row["carrier_reason"],
        description=row["description"],
        details=decode_json(row["details"]),
        opened_by=row["opened_by"],
        opened_at=row["opened_at"],
        due_at=row["due_at"],
        sla_hours=SLA_HOURS[row["kind"]],
        sla_age=max(0, int((until - row["opened_at"]).total_seconds())),
        overdue=until > row["due_at"],
        assignee=row["assignee"],
        resolution=row["resolution"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
    )


async def _must_get(tenant_id: uuid.UUID, item_id: uuid.UUID) -> dict[str, Any]:
    row = await work_items_repo.get_item(tenant_id, item_id)
    if row is None:
        raise NotFound("no such work item")
    return row


async def insert_item(
    tenant_id: uuid.UUID,
    *,
    kind: str,
    order_id: uuid.UUID,
    shipment_id: uuid.UUID | None,
    carrier_reason: str | None,
    auto_key: str | None,
    description: str,
    details: dict[str, Any],
    opened_by: str,
    assignee: str | None,
) -> uuid.UUID | None:
    """Insert an item; None when an automatic item with the same ``auto_key`` exists already."""
    opened_at = datetime.now(UTC)
    item_id = new_id()
    inserted = await work_items_repo.insert_item(
        tenant_id,
        item_id,
        kind=kind,
        order_id=order_id,
        shipment_id=shipment_id,
        carrier_reason=carrier_reason,
        auto_key=auto_key,
        status="in_progress" if assignee else "open",
        description=description,
        details_json=msgspec.json.encode(details).decode(),
        opened_by=opened_by,
        opened_at=opened_at,
        due_at=due_at(kind, opened_at),
        assignee=assignee,
    )
    if not inserted:
        return None
    await timeline.record(
        tenant_id,
        order_id,
        opened_by,
        "work_item.opened",
        {
            "work_item_id": str(item_id),
            "kind": kind,
            "shipment_id": str(shipment_id) if shipment_id else None,
            "due_at": due_at(kind, opened_at).isoformat(),
        },
    )
    return item_id


# --- opened by the shipment job -----------------------------------------------------------------


async def open_for_exception(
    tenant_id: uuid.UUID, order: dict[str, Any], shipment_id: uuid.UUID, reason: str | None
) -> uuid.UUID | None:
    """Open the item for a shipment exception (inside the job's ``tenant_tx``); idempotent.

    Returns the new item's id, or None when this shipment and reason already have one.
    """
    from carriers import repository as carrier_repo  # noqa: PLC0415  (the orders domain reads down)

    kind = kind_for_reason(reason)
    auto_key = f"{shipment_id}:{reason or ''}"
    if await work_items_repo.auto_key_taken(tenant_id, auto_key):
        return None
    shipment = await carrier_repo.get_shipment(tenant_id, shipment_id)
    tracking = shipment["tracking_number"] if shipment else None
    details: dict[str, Any] = {"tracking_number": tracking}
    if kind == "customs_hold":
        details.update(await _prepare_customs_hold(tenant_id, order, tracking))
    description = f"Shipment {tracking or shipment_id} of order {format_number(order['number'])}: " + (
        f"exception ({reason})" if reason else "exception"
    )
    return await insert_item(
        tenant_id,
        kind=kind,
        order_id=order["id"],
        shipment_id=shipment_id,
        carrier_reason=reason,
        auto_key=auto_key,
        description=description,
        details=details,
        opened_by=SYSTEM_ACTOR,
        assignee=None,
    )


class _SystemPrincipal(Principal, frozen=True, kw_only=True):
    """The tenant acting through this module (documents requested for a customs hold)."""

    @property
    def actor(self) -> str:
        return SYSTEM_ACTOR


async def _system_principal(tenant_id: uuid.UUID) -> Principal:
    from tenants import service as tenant_service  # noqa: PLC0415

    tenant = await tenant_service.get_tenant(tenant_id)
    return _SystemPrincipal(
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        key_id=None,
        user_id=None,
        role=Role.ADMIN,
        locale=tenant.default_locale,
        base_currency=tenant.base_currency,
        origin_country=tenant.origin_country,
        timezone=tenant.timezone,
        settings=tenant.settings,
    )


def _tax_ids(order: dict[str, Any], snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """The importer's tax ids as far as the hub knows them: the invoice's importer, then the order's data."""
    importer = (snapshot or {}).get("importer") or {}
    found: dict[str, Any] = {
        "eori": importer.get("eori") or "",
        "vat_number": importer.get("vat_number") or "",
        "is_business": bool(importer.get("is_business")),
    }
    for source in ("customer", "bill_to", "ship_to"):
        data = decode_json(order.get(source)) or {}
        for key in ("eori", "vat_number", "tax_id"):
            if data.get(key) and not found.get(key):
                found[key] = data[key]
    found["source"] = "commercial_invoice" if snapshot else "order"
    found["missing"] = not (found.get("eori") or found.get("vat_number") or found.get("tax_id"))
    return found


# Requesting the invoice may fail; only that request is undone, not the job's transaction.
_HOLD_SAVEPOINT = "customs_hold_invoice"


async def _prepare_customs_hold(tenant_id: uuid.UUID, order: dict[str, Any], tracking: str | None) -> dict[str, Any]:
    from hub.orders import documents  # noqa: PLC0415  (documents imports the service, as we do)

    order_id = order["id"]
    invoice = await work_items_repo.latest_invoice(tenant_id, order_id)
    document: dict[str, Any]
    if invoice is not None:
        document = {"id": str(invoice["id"]), "status": invoice["status"], "requested": False}
    else:
        try:
            async with savepoint(_HOLD_SAVEPOINT):
                principal = await _system_principal(tenant_id)
                requested = await documents.request_document(
                    principal, order_id, documents.DocumentRequest(type="commercial_invoice")
                )
        except AppError as exc:
            refusal: dict[str, Any] = {"code": exc.code, "detail": exc.detail}
            if exc.errors:
                refusal["errors"] = [msgspec.to_builtins(e) for e in exc.errors]
            if "findings" in exc.extra:
                refusal["findings"] = msgspec.to_builtins(exc.extra["findings"])
            document = {"id": None, "status": "refused", "requested": True, "refusal": refusal}
        else:
            document = {"id": str(requested.id), "status": requested.status, "requested": True}
            invoice = await work_items_repo.latest_invoice(tenant_id, order_id)
    snapshot = decode_json(invoice["snapshot"]) if invoice is not None else None
    return {
        "commercial_invoice": document,
        "importer_tax_ids": _tax_ids(order, snapshot),
        "buyer_message": buyer_message(order, tracking),
    }


def buyer_message(order: dict[str, Any], tracking: str | None) -> dict[str, str]:
    """The customs-hold message to the buyer, in the language of the ship-to country."""
    ship_to = decode_json(order["ship_to"]) or {}
    customer = decode_json(order["customer"]) or {}
    country_code = (ship_to.get("country") or "").upper()
    locale = buyer_locale(country_code)
    country = Locale.parse(locale.replace("_Hans", "")).territories.get(country_code, country_code)
    number = format_number(order["number"])
    name = ship_to.get("name") or customer.get("name") or ""
    duties = MESSAGE_DUTIES_SELLER if order["incoterm"] == "DDP" else MESSAGE_DUTIES_BUYER
    body = "\n\n".join(
        [
            gettext(MESSAGE_GREETING, locale).format(name=name),
            gettext(MESSAGE_HELD, locale).format(tracking=tracking or "-", order=number, country=country),
            gettext(duties, locale),
            gettext(MESSAGE_CLOSING, locale),
        ]
    )
    return {
        "locale": locale,
        "to": customer.get("email") or "",
        "subject": gettext(MESSAGE_SUBJECT, locale).format(order=number),
        "body": body,
    }


# --- the clerk's side ---------------------------------------------------------------------------


async def create(principal: Principal, data: WorkItemCreate) -> WorkItemRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await repo.get_order_row(tenant_id, data.order_id)
        if order is None:
            raise_if([FieldError("order_id", "no such order")])
        if data.shipment_id is not None:
            from carriers import repository as carrier_repo  # noqa: PLC0415

            shipment = await carrier_repo.get_shipment(tenant_id, data.shipment_id)
            if shipment is None or shipment["order_id"] != data.order_id:
                raise_if([FieldError("shipment_id", "no such shipment of this order")])
        item_id = await insert_item(
            tenant_id,
            kind=data.kind,
            order_id=data.order_id,
            shipment_id=data.shipment_id,
            carrier_reason=None,
            auto_key=None,
            description=data.description.strip(),
            details={},
            opened_by=principal.actor,
            assignee=data.assignee,
        )
        if item_id is None:  # only an automatic item (with an auto_key) can exist already
            raise Conflict("the work item exists already")
        row = await _must_get(tenant_id, item_id)
    return _read(row)


async def get(tenant_id: uuid.UUID, item_id: uuid.UUID) -> WorkItemRead:
    async with tenant_tx(tenant_id):
        row = await work_items_repo.get_item(tenant_id, item_id)
    if row is None:
        raise NotFound("no such work item")
    return _read(row)


def _choices(field: str, raw: str | None, allowed: tuple[str, ...], errors: list[FieldError]) -> list[str] | None:
    if not raw:
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors.append(FieldError(field, f"unknown {field} {', '.join(unknown)}: one of {', '.join(allowed)}"))
    return values


async def list_items(
    tenant_id: uuid.UUID, *, status: str | None, kind: str | None, limit: int, cursor: str | None
) -> Page[WorkItemRead]:
    """Oldest due first (then by id); ``status`` and ``kind`` take comma-separated values."""
    check_limit(limit)
    errors: list[FieldError] = []
    statuses = _choices("status", status, STATUSES, errors)
    kinds = _choices("kind", kind, KINDS, errors)
    raise_if(errors)
    after = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await work_items_repo.list_page(tenant_id, statuses=statuses, kinds=kinds, after=after, limit=limit + 1)
    now = datetime.now(UTC)
    items = [_read(row, now) for row in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit and items else None)


async def assign(principal: Principal, item_id: uuid.UUID, data: WorkItemAssign) -> WorkItemRead:
    """Take the item (or give it to someone): it becomes ``in_progress``."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        row = await work_items_repo.get_item(tenant_id, item_id, lock=True)
        if row is None:
            raise NotFound("no such work item")
        if row["status"] == "resolved":
            raise Conflict("the work item is resolved", extra={"current_status": row["status"]})
        assignee = data.assignee.strip() or principal.actor
        await work_items_repo.assign(tenant_id, item_id, assignee)
        await timeline.record(
            tenant_id,
            row["order_id"],
            principal.actor,
            "work_item.assigned",
            {"work_item_id": str(item_id), "assignee": assignee},
        )
        updated = await _must_get(tenant_id, item_id)
    return _read(updated)


async def resolve(principal: Principal, item_id: uuid.UUID, data: WorkItemResolve) -> WorkItemRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        row = await work_items_repo.get_item(tenant_id, item_id, lock=True)
        if row is None:
            raise NotFound("no such work item")
        resolution = data.resolution.strip()
        if not resolution:
            raise_if([FieldError("resolution", "say how the item was resolved")])
        if row["status"] == "resolved":
            raise Conflict("the work item is already resolved", extra={"current_status": row["status"]})
        await work_items_repo.resolve(tenant_id, item_id, resolution, principal.actor)
        await timeline.record(
            tenant_id,
            row["order_id"],
            principal.actor,
            "work_item.resolved",
            {"work_item_id": str(item_id), "kind": row["kind"], "resolution": resolution},
        )
        updated = await _must_get(tenant_id, item_id)
    return _read(updated)
