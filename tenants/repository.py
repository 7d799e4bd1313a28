"""Data access of the tenants package; the only importer of ``tenants.tables``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from hub.core.database import fetch
from tenants.schemas import ApiKeyRead, TenantRead
from tenants.tables import ApiKey, Tenant, User


async def insert_tenant(tenant: TenantRead) -> None:
    await Tenant.insert(
        Tenant(
            id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            base_currency=tenant.base_currency,
            origin_country=tenant.origin_country,
            default_locale=tenant.default_locale,
            timezone=tenant.timezone,
            settings=msgspec.json.encode(tenant.settings).decode(),
            created_at=datetime.now(UTC),
        )
    )


async def get_tenant(tenant_id: uuid.UUID) -> TenantRead | None:
    row = await Tenant.select().where(Tenant.id == tenant_id).first()
    return _tenant(row) if row else None


async def tenant_id_by_slug(slug: str) -> uuid.UUID | None:
    """Run inside ``system_tx(TENANT_DIRECTORY)``."""
    row = await Tenant.select(Tenant.id).where(Tenant.slug == slug).first()
    return row["id"] if row else None


async def slug_taken(slug: str) -> bool:
    rows = await fetch("SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = {}) AS taken", slug)
    return bool(rows[0]["taken"])


async def update_tenant_settings(tenant_id: uuid.UUID, settings: dict[str, Any]) -> None:
    await Tenant.update({Tenant.settings: msgspec.json.encode(settings).decode()}).where(Tenant.id == tenant_id)


def _tenant(row: dict[str, Any]) -> TenantRead:
    settings = row["settings"]
    if isinstance(settings, str):
        settings = msgspec.json.decode(settings)
    return TenantRead(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        base_currency=row["base_currency"],
        origin_country=row["origin_country"],
        default_locale=row["default_locale"],
        timezone=row["timezone"],
        settings=settings,
    )


async def insert_user(
    tenant_id: uuid.UUID, user_id: uuid.UUID, email: str, display_name: str, role: str, password_hash: str | None
) -> None:
    await User.insert(
        User(
            tenant_id=tenant_id,
            id=user_id,
            email=email,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            created_at=datetime.now(UTC),
        )
    )


async def insert_api_key(
    tenant_id: uuid.UUID,
    key_id: uuid.UUID,
    name: str,
    prefix: str,
    key_hash: bytes,
    role: str,
    user_id: uuid.UUID | None,
) -> None:
    await ApiKey.insert(
        ApiKey(
            tenant_id=tenant_id,
            id=key_id,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            role=role,
            user_id=user_id,
            created_at=datetime.now(UTC),
        )
    )


async def list_api_keys(tenant_id: uuid.UUID) -> list[ApiKeyRead]:
    rows = await (
        ApiKey.select(
            ApiKey.id,
            ApiKey.name,
            ApiKey.prefix,
            ApiKey.role,
            ApiKey.created_at,
            ApiKey.revoked_at,
            ApiKey.last_used_at,
        )
        .where(ApiKey.tenant_id == tenant_id)
        .order_by(ApiKey.id)
    )
    return [msgspec.convert(row, ApiKeyRead) for row in rows]


async def revoke_api_key(tenant_id: uuid.UUID, key_id: uuid.UUID) -> bool:
    rows = await fetch(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = {} AND id = {} RETURNING id",
        tenant_id,
        key_id,
    )
    return bool(rows)


async def principal_row_by_key_hash(key_hash: bytes) -> dict[str, Any] | None:
    """Run inside ``system_tx(AUTHENTICATE)``: the one lookup that starts without a tenant."""
    rows = await fetch(
        """
        SELECT k.id AS key_id, k.tenant_id, k.role, k.user_id, k.revoked_at,
               t.slug, t.name, t.base_currency, t.origin_country, t.default_locale, t.timezone, t.settings,
               u.locale AS user_locale, u.disabled_at AS user_disabled_at
        FROM api_keys k
        JOIN tenants t ON t.id = k.tenant_id
        LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id
        WHERE k.key_hash = {}
        """,
        key_hash,
    )
    return rows[0] if rows else None


async def touch_api_key(tenant_id: uuid.UUID, key_id: uuid.UUID, used_at: datetime, uses: int) -> None:
    await fetch(
        """
        UPDATE api_keys SET last_used_at = greatest(coalesce(last_used_at, {}), {}), use_count = use_count + {}
        WHERE tenant_id = {} AND id = {}
        """,
        used_at,
        used_at,
        uses,
        tenant_id,
        key_id,
    )
