"""Carrier accounts: validated, stored with their credentials and webhook secret as ciphertext only.

Also the account-to-adapter step every other module takes: :func:`gateway_for` decrypts an account's
credentials (never logged) and builds its adapter through :func:`carriers.registry.create_gateway`.
Touches the database (``tenant_tx``).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

import httpx
import msgspec

from carriers import repository
from carriers.base import CarrierGateway
from carriers.registry import CARRIERS, create_gateway
from carriers.repository import Row
from carriers.sandbox import mapper as sandbox_mapper
from carriers.schemas import CarrierAccountCreate, CarrierAccountRead
from hub.core.crypto import decrypt, encrypt
from hub.core.database import tenant_tx
from hub.core.egress import refuse_private_url
from hub.core.errors import ValidationFailed
from hub.core.ids import new_id
from hub.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from hub.core.settings import Settings

logger = logging.getLogger("carriers.accounts")

CREDENTIALS_PURPOSE = "carrier-credentials"
WEBHOOK_SECRET_PURPOSE = "carrier-webhook-secret"  # noqa: S105 (a key-derivation label, not a secret)


def webhook_url(settings: Settings, carrier: str, endpoint_token: str) -> str:
    return f"{settings.public_base_url}/webhooks/tracking/{carrier}/{endpoint_token}"


def _account_read(row: Row, settings: Settings) -> CarrierAccountRead:
    return repository.account_read(row, webhook_url(settings, row["carrier"], row["endpoint_token"]))


def _validate_account(data: CarrierAccountCreate) -> None:
    if data.carrier not in CARRIERS:
        known = ", ".join(sorted(CARRIERS))
        raise ValidationFailed.single("carrier", f"unknown carrier; one of {known}")
    if not data.name.strip() or len(data.name) > 200:
        raise ValidationFailed.single("name", "1 to 200 characters")
    if data.webhook_secret is not None and not 1 <= len(data.webhook_secret) <= 1000:
        # The carrier chooses the secret (EasyPost's own test vector is six characters).
        raise ValidationFailed.single("webhook_secret", "1 to 1000 characters")
    simulate = data.options.get("simulate_tracking", True)
    if not isinstance(simulate, bool):
        raise ValidationFailed.single("options.simulate_tracking", "true or false")
    time_scale = data.options.get("time_scale", 1)
    if isinstance(time_scale, bool) or not isinstance(time_scale, int | float) or not 1 <= time_scale <= 1_000_000:
        raise ValidationFailed.single("options.time_scale", "a number from 1 to 1000000")
    scenario = data.options.get("scenario", "delivered")
    if data.carrier == "sandbox" and scenario not in sandbox_mapper.SCENARIOS:
        raise ValidationFailed.single("options.scenario", f"one of {', '.join(sandbox_mapper.SCENARIOS)}")
    if "base_url" in data.options:
        # The adapter calls it with the tenant's credentials: never at the hub's own network (SSRF).
        base_url = data.options["base_url"]
        refuse_private_url(base_url if isinstance(base_url, str) else "", "options.base_url")
    try:
        create_gateway(data.carrier, credentials=data.credentials, options=data.options)
    except ValueError as exc:
        # Adapter messages name what is wrong without quoting credential values.
        field = "credentials" if "credential" in str(exc) else "options"
        raise ValidationFailed.single(field, str(exc)) from None


async def create_account(tenant_id: uuid.UUID, data: CarrierAccountCreate, *, settings: Settings) -> CarrierAccountRead:
    """Store an account; credentials and the webhook secret only as ciphertext."""
    _validate_account(data)
    webhook_secret = data.webhook_secret
    if webhook_secret is None and data.carrier == "sandbox":
        # The hub signs the sandbox's simulated webhooks itself, so it needs a secret of its own.
        webhook_secret = secrets.token_urlsafe(32)
    plain = msgspec.json.encode(data.credentials).decode()
    credentials = (
        encrypt(plain, secret_key=settings.secret_key, purpose=CREDENTIALS_PURPOSE) if data.credentials else None
    )
    secret = (
        encrypt(webhook_secret, secret_key=settings.secret_key, purpose=WEBHOOK_SECRET_PURPOSE)
        if webhook_secret
        else None
    )
    async with tenant_tx(tenant_id):
        row = await repository.insert_account(
            tenant_id,
            new_id(),
            carrier=data.carrier,
            name=data.name.strip(),
            credentials_encrypted=credentials,
            webhook_secret_encrypted=secret,
            options=data.options,
            endpoint_token=secrets.token_urlsafe(32),
        )
    logger.info("carrier account created", extra={"carrier": data.carrier, "account_id": str(row["id"])})
    return _account_read(row, settings)


async def list_accounts(
    tenant_id: uuid.UUID, *, settings: Settings, limit: int = 50, cursor: str | None = None
) -> Page[CarrierAccountRead]:
    check_limit(limit)
    after = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await repository.list_accounts(tenant_id, after=after, limit=limit + 1)
    items = [_account_read(r, settings) for r in rows]
    more = len(items) > limit
    items = items[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


def _credentials(row: Row, settings: Settings) -> dict[str, str]:
    if not row["credentials_encrypted"]:
        return {}
    plain = decrypt(row["credentials_encrypted"], secret_key=settings.secret_key, purpose=CREDENTIALS_PURPOSE)
    return msgspec.json.decode(plain, type=dict[str, str])


def options_of(row: Row) -> dict[str, Any]:
    value = row["options"]
    decoded = msgspec.json.decode(value) if isinstance(value, str | bytes) else value
    return dict(decoded or {})


def webhook_secret_of(row: Row, settings: Settings) -> str | None:
    if not row["webhook_secret_encrypted"]:
        return None
    return decrypt(row["webhook_secret_encrypted"], secret_key=settings.secret_key, purpose=WEBHOOK_SECRET_PURPOSE)


def gateway_for(row: Row, settings: Settings, http_client: httpx.AsyncClient | None = None) -> CarrierGateway:
    """The adapter for one stored account (credentials decrypted here, never logged)."""
    return create_gateway(
        row["carrier"], credentials=_credentials(row, settings), options=options_of(row), http_client=http_client
    )


async def usable_account(tenant_id: uuid.UUID, account_id: uuid.UUID, *, field: str = "carrier_account_id") -> Row:
    row = await repository.get_account(tenant_id, account_id)
    if row is None or row["disabled_at"] is not None:
        raise ValidationFailed.single(field, "no such carrier account")
    return row
