"""Shopify order webhooks, verified by ``X-Shopify-Hmac-Sha256`` and handled by ``X-Shopify-Topic``.

Shopify signs the raw body with the app's secret: base64(HMAC-SHA256(secret, body)). It retries a
delivery until it gets a 2xx, so a repeat (same order id) answers 200 with the existing order
instead of creating a second one. An app signs every shop's webhooks with the same secret, so an
``X-Shopify-Shop-Domain`` naming another shop than the connection's is refused.

One endpoint takes every topic a shop subscribes it to; only ``orders/create`` makes an order:

* ``orders/create``: the order is taken in (a delivery without the topic header is read as this,
  the one topic the endpoint took before topics were told apart);
* ``orders/cancelled``: the matching order is cancelled the way ``POST /v1/orders/{id}/cancel``
  does it (stock released, pending changes closed). When it can no longer be cancelled (booked,
  shipped, a label bought) that is recorded on its timeline and a work item is opened for a clerk
  (stop the parcel or arrange a return): the hub never pretends a shipped order was cancelled, and
  Shopify is answered 200 because retrying cannot change the outcome;
* ``orders/updated``: recorded on the matching order's timeline; a changed shipping address, changed
  quantities or a changed set of line items are filed as change requests by ``channel:shopify``, for
  a person to approve as any other (four-eyes). A request equal to one pending or already rejected is
  not filed again (Shopify sends this topic for every payment, tag or fulfilment too). What cannot be
  filed (the order is past changing, the new address is not valid) goes to a work item;
* an order id the hub does not know (cancelled or updated) and every other topic: answered 200,
  logged, nothing stored: never an order.

``X-Shopify-Webhook-Id`` identifies a delivery across Shopify's retries; a cancellation or update
already recorded under it is answered as a duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec

from hub.core.crypto import decrypt, encrypt
from hub.core.database import system_tx, tenant_tx
from hub.core.errors import AppError, BadRequest, Conflict, FieldError, InvalidSignature, NotFound, ValidationFailed
from hub.core.ids import new_id
from hub.core.money import parse_amount
from hub.core.settings import get_settings
from hub.core.system import SystemPath
from hub.orders import changes, decisions, intake, reading, timeline, work_items
from hub.orders.codec import decode_json, format_number
from hub.orders.contact import clean_address
from hub.orders.repository import orders as repo
from hub.orders.repository import shopify as repo_shopify
from hub.orders.schemas import ChangeRequestCreate, LineIn, OrderCreate, OrderRead
from tenants import service as tenant_service
from tenants.roles import Role
from tenants.schemas import Principal

logger = logging.getLogger("hub.orders.shopify")

PURPOSE = "shopify-webhook-secret"
MAX_BODY = 512 * 1024
ACTOR = "channel:shopify"
CREATE, CANCELLED, UPDATED = "orders/create", "orders/cancelled", "orders/updated"
Outcome = Literal["created", "duplicate", "cancelled", "already_closed", "cancel_not_applied", "updated", "ignored"]


class ConnectionCreate(msgspec.Struct, kw_only=True):
    shop_domain: str
    webhook_secret: str


class ConnectionRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    shop_domain: str
    webhook_url: str
    created_at: datetime


class WebhookResult(msgspec.Struct, kw_only=True):
    """What the delivery did; ``order_id``, ``number`` and ``status`` are null when no order matched."""

    topic: str
    outcome: Outcome
    order_id: uuid.UUID | None = None
    number: str | None = None
    status: str | None = None
    duplicate: bool = False
    change_request_ids: list[uuid.UUID] = msgspec.field(default_factory=list)
    work_item_id: uuid.UUID | None = None


class _ChannelPrincipal(Principal, frozen=True, kw_only=True):
    """The shop acting through its webhook: the timeline names ``channel:shopify``, not a key."""

    @property
    def actor(self) -> str:
        return ACTOR


def _url(token: str) -> str:
    return f"{get_settings().public_base_url}/webhooks/shopify/{token}"


async def create_connection(tenant_id: uuid.UUID, data: ConnectionCreate) -> ConnectionRead:
    domain = data.shop_domain.strip().lower()
    if not domain.endswith(".myshopify.com") or len(domain) > 255:
        raise ValidationFailed.single("shop_domain", "the shop's myshopify.com domain, e.g. acme.myshopify.com")
    if len(data.webhook_secret) < 16:
        raise ValidationFailed.single("webhook_secret", "at least 16 characters")
    token = secrets.token_urlsafe(32)
    secret = encrypt(data.webhook_secret, secret_key=get_settings().secret_key, purpose=PURPOSE)
    async with tenant_tx(tenant_id):
        inserted = await repo_shopify.insert_connection(tenant_id, new_id(), domain, secret, token)
    if inserted is None:
        raise Conflict(f"{domain} is connected already", extra={"field": "shop_domain"})
    return ConnectionRead(id=inserted.id, shop_domain=domain, webhook_url=_url(token), created_at=inserted.created_at)


def verify(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    # As bytes: a header with non-ASCII (Latin-1) characters is a mismatch, where comparing str raises.
    return hmac.compare_digest(expected, header.strip().encode())


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the payload, or empty: a malformed part must not crash the mapping."""
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _amount(value: Any, field: str) -> Decimal:
    """A Shopify price (a decimal string); anything else is refused naming the field."""
    if value in (None, ""):
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed.single(field, 'a decimal string such as "19.90"')
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise ValidationFailed.single(field, str(exc)) from None


def _allocated(part: dict[str, Any], field: str) -> Decimal:
    """What the discounts took off a line item or shipping line: the sum of its ``discount_allocations``."""
    return sum(
        (
            _amount(allocation.get("amount"), f"{field}.discount_allocations[{i}].amount")
            for i, allocation in enumerate(_objects(part.get("discount_allocations")))
        ),
        Decimal(0),
    )


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": format(amount, "f"), "currency": currency}


def _external_ref(payload: dict[str, Any]) -> str | None:
    # Stripped like every channel's reference; spaces alone are no reference, like an absent id.
    return str(payload.get("id") or "").strip()[:128] or None


def to_order(payload: dict[str, Any]) -> OrderCreate:
    """Map Shopify's order JSON (REST Admin API shape) to our intake body; parts of the wrong type are
    treated as absent (the review then names what is missing), prices that are not numbers refused."""
    currency = _text(payload.get("currency")) or _text(payload.get("presentment_currency"))
    customer = _object(payload.get("customer"))
    address = _object(payload.get("shipping_address")) or _object(payload.get("billing_address"))
    name = " ".join(p for p in (_text(address.get("first_name")), _text(address.get("last_name"))) if p)
    name = name or _text(address.get("name"))
    customer_name = " ".join(p for p in (_text(customer.get("first_name")), _text(customer.get("last_name"))) if p)
    shipping = sum(
        (
            # A free-shipping code is allocated to the shipping line, never below zero.
            max(
                _amount(line.get("price"), f"shipping_lines[{i}].price") - _allocated(line, f"shipping_lines[{i}]"),
                Decimal(0),
            )
            for i, line in enumerate(_objects(payload.get("shipping_lines")))
        ),
        Decimal(0),
    )
    lines = []
    for index, item in enumerate(_objects(payload.get("line_items"))):
        field = f"line_items[{index}]"
        # Discount codes and automatic discounts arrive as allocations; total_discount is deprecated
        # (it stays "0.00" for them) and counts only when a payload has no allocations.
        discount = (
            _allocated(item, field)
            if _objects(item.get("discount_allocations"))
            else _amount(item.get("total_discount"), f"{field}.total_discount")
        )
        # current_quantity (REST 2024-01 on) is the quantity after order edits removed units.
        quantity = item.get("current_quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            quantity = item.get("quantity")
        lines.append(
            {
                "sku": _text(item.get("sku")) or None,
                "name": _text(item.get("title")) or _text(item.get("name")) or None,
                "spec": _text(item.get("variant_title")),
                "quantity": quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 0,
                "unit_price": _money(_amount(item.get("price"), f"line_items[{index}].price"), currency),
                **({"discount": {"type": "fixed", "amount": _money(discount, currency)}} if discount > 0 else {}),
            }
        )
    customer_id = customer.get("id")
    email = _text(payload.get("email")) or _text(customer.get("email"))
    body = {
        "channel": "shopify",
        "external_ref": _external_ref(payload),
        "customer": {
            "code": (f"shopify-{customer_id}" if customer_id else f"shopify-{email or 'guest'}")[:64],
            "name": (customer_name or name or "Shopify customer")[:300],
            "email": email or None,
            "phone": _text(payload.get("phone")) or _text(address.get("phone")) or None,
        },
        "ship_to": {
            "name": name,
            "company": _text(address.get("company")),
            "line1": _text(address.get("address1")),
            "line2": _text(address.get("address2")),
            "city": _text(address.get("city")),
            "region": _text(address.get("province_code")),
            "postal_code": _text(address.get("zip")),
            "country": _text(address.get("country_code")),
            "phone": _text(address.get("phone")),
        },
        "currency": currency,
        "shipping": _money(shipping, currency),
        "special_terms": _text(payload.get("note")),
        "lines": lines,
    }
    try:
        return msgspec.convert(body, OrderCreate)
    except msgspec.ValidationError as exc:
        raise ValidationFailed.single("body", f"not a Shopify order this hub can read: {exc}") from None


async def _verified_tenant(token: str, body: bytes, hmac_header: str | None, shop_header: str | None) -> uuid.UUID:
    """The tenant of the connection ``token`` names, once the body's signature and shop check out."""
    async with system_tx(SystemPath.WEBHOOK_ENDPOINT):
        connection = await repo_shopify.connection_by_token(token)
    if connection is None:
        raise NotFound("unknown webhook endpoint")
    secret = decrypt(connection.secret_encrypted, secret_key=get_settings().secret_key, purpose=PURPOSE)
    if not verify(secret, body, hmac_header):
        raise InvalidSignature("X-Shopify-Hmac-Sha256 does not match the body")
    # An app signs every shop's webhooks with one secret: the signature does not tell the shop apart.
    shop = (shop_header or "").strip().lower()
    if shop and shop != connection.shop_domain:
        raise ValidationFailed.single(
            "X-Shopify-Shop-Domain", f"{shop} is not the shop of this connection ({connection.shop_domain})"
        )
    return connection.tenant_id


async def receive(
    token: str,
    body: bytes,
    hmac_header: str | None,
    shop_header: str | None = None,
    *,
    topic: str | None = None,
    webhook_id: str | None = None,
) -> WebhookResult:
    """Verify a delivery and handle it by ``topic`` (``X-Shopify-Topic``); see the module docstring."""
    tenant_id = await _verified_tenant(token, body, hmac_header, shop_header)
    topic = (topic or CREATE).strip().lower()
    if topic not in (CREATE, CANCELLED, UPDATED):
        # Before the body is read: a topic this hub does not handle never makes or changes anything.
        logger.info("ignored a Shopify webhook of topic %s", topic[:100], extra={"tenant_id": str(tenant_id)})
        return WebhookResult(topic=topic[:100], outcome="ignored")
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body is not a Shopify order object")
    principal = await _principal(tenant_id)
    if topic == CANCELLED:
        # Only the id matters: a cancellation is not refused for a price the hub would not read.
        external_ref = _external_ref(payload)
        if external_ref is None:
            raise ValidationFailed.single("id", "the Shopify order id is required to find the order")
        return await _cancelled(principal, external_ref, payload, (webhook_id or "").strip()[:200])
    data = to_order(payload)
    if data.external_ref is None:
        # Shopify redelivers until it gets a 2xx; only the order id tells a redelivery from a new order.
        raise ValidationFailed.single(
            "id", "the Shopify order id is required: without it a redelivery is a second order"
        )
    if topic == UPDATED:
        return await _updated(principal, data, data.external_ref, (webhook_id or "").strip()[:200])
    try:
        order: OrderRead = await intake.create_order(principal, data, actor=ACTOR)
    except Conflict as exc:
        existing = exc.extra.get("existing_order_id")
        if existing is None:
            raise
        order = await reading.get_order(tenant_id, uuid.UUID(existing))
        return _result(CREATE, "duplicate", order.id, order.number, order.status, duplicate=True)
    return _result(CREATE, "created", order.id, order.number, order.status)


def _result(
    topic: str, outcome: Outcome, order_id: uuid.UUID, number: str | int, status: str, **more: Any
) -> WebhookResult:
    shown = number if isinstance(number, str) else format_number(number)
    return WebhookResult(topic=topic, outcome=outcome, order_id=order_id, number=shown, status=status, **more)


async def _principal(tenant_id: uuid.UUID) -> Principal:
    tenant = await tenant_service.get_tenant(tenant_id)
    return _ChannelPrincipal(
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        key_id=None,
        user_id=None,
        role=Role.CLERK,
        locale=tenant.default_locale,
        base_currency=tenant.base_currency,
        origin_country=tenant.origin_country,
        timezone=tenant.timezone,
        settings=tenant.settings,
    )


async def _known_order(tenant_id: uuid.UUID, topic: str, external_ref: str) -> dict[str, Any] | None:
    """The order taken in from this Shopify id, locked (inside the caller's transaction); None logs why."""
    found = await repo.find_by_external_ref(tenant_id, "shopify", external_ref)
    if found is None:
        # Not ours (created before the connection, or its orders/create was refused): never an order.
        logger.info("ignored Shopify %s for unknown order %s", topic, external_ref, extra={"tenant_id": str(tenant_id)})
        return None
    return await repo.get_order_row(tenant_id, found.id, lock=True)


async def _recorded(tenant_id: uuid.UUID, order_id: uuid.UUID, webhook_id: str) -> bool:
    """True when this delivery (``X-Shopify-Webhook-Id``) is on the order's timeline already."""
    if not webhook_id:
        return False
    return await repo_shopify.webhook_recorded(tenant_id, order_id, webhook_id)


async def _open_work_item(
    principal: Principal, order: dict[str, Any], auto_key: str, description: str
) -> uuid.UUID | None:
    """One work item per ``auto_key``: a redelivery of the same news does not open a second."""
    return await work_items.insert_item(
        principal.tenant_id,
        kind="other",
        order_id=order["id"],
        shipment_id=None,
        carrier_reason=None,
        auto_key=auto_key,
        description=description,
        details={},
        opened_by=ACTOR,
        assignee=None,
    )


async def _cancelled(
    principal: Principal, external_ref: str, payload: dict[str, Any], webhook_id: str
) -> WebhookResult:
    tenant_id = principal.tenant_id
    why = _text(payload.get("cancel_reason"))[:200]
    reason = f"cancelled in Shopify ({why})" if why else "cancelled in Shopify"
    async with tenant_tx(tenant_id):
        order = await _known_order(tenant_id, CANCELLED, external_ref)
        if order is None:
            return WebhookResult(topic=CANCELLED, outcome="ignored")
        number, status = order["number"], order["status"]
        if status in ("cancelled", "rejected"):
            # Ended before it shipped: Shopify's cancellation agrees with the hub, nothing to do.
            return _result(CANCELLED, "already_closed", order["id"], number, status, duplicate=True)
        if await _recorded(tenant_id, order["id"], webhook_id):
            return _result(CANCELLED, "duplicate", order["id"], number, status, duplicate=True)
        try:
            # The cancel of POST /v1/orders/{id}/cancel: stock released, pending changes closed.
            await decisions.cancel_in_tx(principal, order["id"], reason)
        except Conflict as exc:
            # Booked, shipped or delivered: it cannot be undone from here, so a person must act.
            item = await _open_work_item(
                principal,
                order,
                f"shopify:cancelled:{order['id']}",
                f"Shopify cancelled order {format_number(number)} ({why or 'no reason given'}), "
                f"but the hub cannot cancel it: {exc.detail}. Stop the shipment or arrange a return.",
            )
            await timeline.record(
                tenant_id,
                order["id"],
                ACTOR,
                "shopify.cancel_not_applied",
                {"reason": reason, "status": status, "detail": exc.detail, "shopify_webhook_id": webhook_id}
                | ({"work_item_id": str(item)} if item else {}),
            )
            return _result(CANCELLED, "cancel_not_applied", order["id"], number, status, work_item_id=item)
        return _result(CANCELLED, "cancelled", order["id"], number, "cancelled")


def _same_item(new: LineIn, stored: dict[str, Any]) -> bool:
    """The same line item: by SKU when either has one, else by name."""
    if new.sku or stored["sku"]:
        return (new.sku or None) == (stored["sku"] or None)
    return (new.name or "").strip() == str(stored["name"]).strip()


def _wanted_changes(
    order: dict[str, Any], stored_lines: list[dict[str, Any]], data: OrderCreate
) -> list[ChangeRequestCreate]:
    """The change requests that would bring the stored order to what Shopify now says."""
    reason = "changed in Shopify (orders/updated)"
    wanted: list[ChangeRequestCreate] = []
    # Normalised as at intake, so an unchanged address compares equal; a bad one is refused when filed.
    ignored: list[FieldError] = []
    if clean_address("ship_to", data.ship_to, ignored, required=False) != decode_json(order["ship_to"]):
        wanted.append(ChangeRequestCreate(kind="address", reason=reason, ship_to=data.ship_to))
    lines = [line for line in data.lines if line.quantity > 0]
    same_items = len(lines) == len(stored_lines) and all(
        _same_item(new, old) for new, old in zip(lines, stored_lines, strict=True)
    )
    if same_items:
        quantities = {
            str(old["line_no"]): new.quantity
            for new, old in zip(lines, stored_lines, strict=True)
            if new.quantity != old["quantity"]
        }
        if quantities:
            wanted.append(ChangeRequestCreate(kind="quantity", reason=reason, quantities=quantities))
    else:
        # Items added, removed or replaced: the full new set, re-priced and reviewed when applied.
        wanted.append(ChangeRequestCreate(kind="lines", reason=reason, lines=lines))
    return wanted


def _request_payload(change: ChangeRequestCreate) -> Any:
    """What ``changes.file`` stores for this request (to tell a repeat from a new change)."""
    if change.kind == "address":
        return {"ship_to": msgspec.to_builtins(change.ship_to)}
    if change.kind == "quantity":
        return {"quantities": change.quantities}
    return {"lines": msgspec.to_builtins(change.lines)}


async def _updated(principal: Principal, data: OrderCreate, external_ref: str, webhook_id: str) -> WebhookResult:
    """``external_ref`` is ``data``'s (the Shopify order id), which :func:`receive` has required."""
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await _known_order(tenant_id, UPDATED, external_ref)
        if order is None:
            return WebhookResult(topic=UPDATED, outcome="ignored")
        number, status = order["number"], order["status"]
        if await _recorded(tenant_id, order["id"], webhook_id):
            return _result(UPDATED, "duplicate", order["id"], number, status, duplicate=True)
        known = [
            (row["kind"], decode_json(row["payload"]))
            for row in await repo.list_change_requests(tenant_id, order["id"])
            if row["status"] in ("pending", "rejected")
        ]
        filed: list[uuid.UUID] = []
        refused: list[dict[str, str]] = []
        wanted = _wanted_changes(order, await repo.get_lines(tenant_id, order["id"]), data)
        for change in wanted:
            if (change.kind, _request_payload(change)) in known:
                continue  # filed before: pending, or a person rejected it
            try:
                filed.append((await changes.file(principal, order["id"], change)).id)
            except (Conflict, ValidationFailed) as exc:
                refused.append({"kind": change.kind, "detail": _why(exc)})
        item = None
        if refused:
            item = await _open_work_item(
                principal,
                order,
                f"shopify:updated:{order['id']}:{hashlib.sha256(msgspec.json.encode(refused)).hexdigest()[:16]}",
                f"Shopify changed order {format_number(number)}, but the change could not be filed: "
                + "; ".join(f"{r['kind']}: {r['detail']}" for r in refused),
            )
        await timeline.record(
            tenant_id,
            order["id"],
            ACTOR,
            "shopify.order_updated",
            {
                "changed": [change.kind for change in wanted],
                "change_request_ids": [str(i) for i in filed],
                "not_filed": refused,
                "shopify_webhook_id": webhook_id,
            }
            | ({"work_item_id": str(item)} if item else {}),
        )
        return _result(UPDATED, "updated", order["id"], number, status, change_request_ids=filed, work_item_id=item)


def _why(exc: AppError) -> str:
    if exc.errors:
        return "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    return exc.detail
