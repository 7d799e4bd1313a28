"""Shopify ``orders/create`` webhooks, verified by ``X-Shopify-Hmac-Sha256`` and mapped to our order.

Shopify signs the raw body with the app's secret: base64(HMAC-SHA256(secret, body)). It retries a
delivery until it gets a 2xx, so a repeat (same order id) answers 200 with the existing order
instead of creating a second one. An app signs every shop's webhooks with the same secret, so an
``X-Shopify-Shop-Domain`` naming another shop than the connection's is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from hub.core.crypto import decrypt, encrypt
from hub.core.database import fetch, system_tx, tenant_tx
from hub.core.errors import BadRequest, Conflict, InvalidSignature, NotFound, ValidationFailed
from hub.core.ids import new_id
from hub.core.money import parse_amount
from hub.core.settings import get_settings
from hub.core.system import SystemPath
from hub.orders import service
from hub.orders.schemas import OrderCreate, OrderRead
from tenants import service as tenant_service
from tenants.roles import Role
from tenants.schemas import Principal

PURPOSE = "shopify-webhook-secret"
MAX_BODY = 512 * 1024


class ConnectionCreate(msgspec.Struct, kw_only=True):
    shop_domain: str
    webhook_secret: str


class ConnectionRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    shop_domain: str
    webhook_url: str
    created_at: datetime


class WebhookResult(msgspec.Struct, kw_only=True):
    order_id: uuid.UUID
    number: str
    status: str
    duplicate: bool


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
        rows = await fetch(
            "INSERT INTO shopify_connections (tenant_id, id, shop_domain, secret_encrypted, endpoint_token) "
            "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (tenant_id, shop_domain) DO NOTHING RETURNING id, created_at",
            tenant_id,
            new_id(),
            domain,
            secret,
            token,
        )
    if not rows:
        raise Conflict(f"{domain} is connected already", extra={"field": "shop_domain"})
    return ConnectionRead(
        id=rows[0]["id"], shop_domain=domain, webhook_url=_url(token), created_at=rows[0]["created_at"]
    )


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
        # Stripped like every channel's reference; spaces alone are no reference, like an absent id.
        "external_ref": str(payload.get("id") or "").strip()[:128] or None,
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


async def receive(token: str, body: bytes, hmac_header: str | None, shop_header: str | None = None) -> WebhookResult:
    async with system_tx(SystemPath.WEBHOOK_ENDPOINT):
        rows = await fetch(
            "SELECT tenant_id, shop_domain, secret_encrypted FROM shopify_connections WHERE endpoint_token = {} "
            "AND disabled_at IS NULL",
            token,
        )
    if not rows:
        raise NotFound("unknown webhook endpoint")
    secret = decrypt(rows[0]["secret_encrypted"], secret_key=get_settings().secret_key, purpose=PURPOSE)
    if not verify(secret, body, hmac_header):
        raise InvalidSignature("X-Shopify-Hmac-Sha256 does not match the body")
    # An app signs every shop's webhooks with one secret: the signature does not tell the shop apart.
    shop = (shop_header or "").strip().lower()
    if shop and shop != rows[0]["shop_domain"]:
        raise ValidationFailed.single(
            "X-Shopify-Shop-Domain", f"{shop} is not the shop of this connection ({rows[0]['shop_domain']})"
        )
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body is not a Shopify order object")
    tenant = await tenant_service.get_tenant(rows[0]["tenant_id"])
    principal = Principal(
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
    data = to_order(payload)
    if data.external_ref is None:
        # Shopify redelivers until it gets a 2xx; only the order id tells a redelivery from a new order.
        raise ValidationFailed.single(
            "id", "the Shopify order id is required: without it a redelivery is a second order"
        )
    try:
        order: OrderRead = await service.create_order(principal, data, actor="channel:shopify")
    except Conflict as exc:
        existing = exc.extra.get("existing_order_id")
        if existing is None:
            raise
        order = await service.get_order(tenant.id, uuid.UUID(existing))
        return WebhookResult(order_id=order.id, number=order.number, status=order.status, duplicate=True)
    return WebhookResult(order_id=order.id, number=order.number, status=order.status, duplicate=False)
