"""Data access of the tenants package; the only importer of ``tenants.tables``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec

from hub.core.database import fetch
from tenants.schemas import ApiKeyRead, TenantRead, UserRead
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
    """A person's key when ``user_id`` is given, else an integration key."""
    await ApiKey.insert(
        ApiKey(
            tenant_id=tenant_id,
            id=key_id,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            role=role,
            kind="user" if user_id is not None else "integration",
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
            ApiKey.kind,
            ApiKey.user_id,
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
        SELECT k.id AS key_id, k.tenant_id, k.role, k.kind, k.user_id, k.revoked_at,
               t.slug, t.name, t.base_currency, t.origin_country, t.default_locale, t.timezone, t.settings,
               u.locale AS user_locale, u.disabled_at AS user_disabled_at, u.role AS user_role,
               CASE WHEN k.user_id IS NULL THEN ARRAY[]::uuid[] ELSE ARRAY(
                   SELECT o.id FROM api_keys o WHERE o.tenant_id = k.tenant_id AND o.user_id = k.user_id
               ) END AS person_key_ids
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


async def api_key_ids_of_user(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await fetch("SELECT id FROM api_keys WHERE tenant_id = {} AND user_id = {}", tenant_id, user_id)
    return [row["id"] for row in rows]


# --- users ----------------------------------------------------------------------------------------

_USER_COLUMNS = (
    "id, email, display_name, role, locale, disabled_at, created_at, password_hash IS NOT NULL AS has_password"
)


async def list_users(tenant_id: uuid.UUID) -> list[UserRead]:
    rows = await fetch(
        f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = {{}} ORDER BY created_at, id",  # noqa: S608  (constant columns)
        tenant_id,
    )
    return [msgspec.convert(row, UserRead) for row in rows]


async def get_user(tenant_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False) -> UserRead | None:
    rows = await fetch(
        f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = {{}} AND id = {{}}"  # noqa: S608  (constant columns)
        + (" FOR UPDATE" if lock else ""),
        tenant_id,
        user_id,
    )
    return msgspec.convert(rows[0], UserRead) if rows else None


async def user_id_by_email(tenant_id: uuid.UUID, email: str) -> uuid.UUID | None:
    rows = await fetch("SELECT id FROM users WHERE tenant_id = {} AND lower(email) = {}", tenant_id, email)
    return rows[0]["id"] if rows else None


async def set_user_disabled(tenant_id: uuid.UUID, user_id: uuid.UUID, disabled: bool) -> None:
    await fetch(
        "UPDATE users SET disabled_at = CASE WHEN {} THEN coalesce(disabled_at, now()) END "
        "WHERE tenant_id = {} AND id = {}",
        disabled,
        tenant_id,
        user_id,
    )


async def set_password_hash(tenant_id: uuid.UUID, user_id: uuid.UUID, password_hash: str) -> None:
    await fetch(
        "UPDATE users SET password_hash = {} WHERE tenant_id = {} AND id = {}", password_hash, tenant_id, user_id
    )


# --- console sessions -----------------------------------------------------------------------------


async def insert_console_session(
    tenant_id: uuid.UUID,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    token_hash: bytes,
    csrf_token: str,
    expires_at: datetime,
) -> None:
    await fetch(
        "INSERT INTO console_sessions (tenant_id, id, user_id, token_hash, csrf_token, expires_at) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        tenant_id,
        session_id,
        user_id,
        token_hash,
        csrf_token,
        expires_at,
    )


async def purge_console_sessions(tenant_id: uuid.UUID, user_id: uuid.UUID, older_than: datetime) -> None:
    """Drop a user's sessions that ended (expired or revoked) before ``older_than``."""
    await fetch(
        "DELETE FROM console_sessions WHERE tenant_id = {} AND user_id = {} "
        "AND least(expires_at, coalesce(revoked_at, expires_at)) < {}",
        tenant_id,
        user_id,
        older_than,
    )


async def console_session_by_token_hash(token_hash: bytes) -> dict[str, Any] | None:
    """Run inside ``system_tx(AUTHENTICATE)``: a session and its person, found by the cookie alone."""
    rows = await fetch(
        """
        SELECT s.id AS session_id, s.csrf_token, s.flash, s.expires_at, s.revoked_at,
               u.id AS user_id, u.tenant_id, u.email, u.display_name, u.role, u.locale AS user_locale,
               u.disabled_at, t.slug, t.name, t.base_currency, t.origin_country, t.default_locale, t.timezone,
               t.settings,
               ARRAY(SELECT k.id FROM api_keys k WHERE k.tenant_id = u.tenant_id AND k.user_id = u.id)
                   AS person_key_ids
        FROM console_sessions s
        JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
        JOIN tenants t ON t.id = s.tenant_id
        WHERE s.token_hash = {}
        """,
        token_hash,
    )
    return rows[0] if rows else None


async def set_console_session_flash(tenant_id: uuid.UUID, session_id: uuid.UUID, flash: list[str] | None) -> None:
    await fetch(
        "UPDATE console_sessions SET flash = {}::jsonb WHERE tenant_id = {} AND id = {}",
        None if flash is None else msgspec.json.encode(flash).decode(),
        tenant_id,
        session_id,
    )


async def revoke_console_sessions(
    tenant_id: uuid.UUID, user_id: uuid.UUID, reason: str, *, only: uuid.UUID | None, keep: uuid.UUID | None
) -> int:
    """Revoke a user's live sessions (``only`` one of them; all but ``keep``); returns how many."""
    rows = await fetch(
        """
        UPDATE console_sessions SET revoked_at = now(), revoked_reason = {}
        WHERE tenant_id = {} AND user_id = {} AND revoked_at IS NULL
          AND ({}::uuid IS NULL OR id = {}) AND ({}::uuid IS NULL OR id <> {})
        RETURNING id
        """,
        reason,
        tenant_id,
        user_id,
        only,
        only,
        keep,
        keep,
    )
    return len(rows)


# A signed-in person's user and tenant columns, with the ids of the person's own API keys.
_PERSON_COLUMNS = """
    u.id AS user_id, u.tenant_id, u.email, u.display_name, u.password_hash, u.role, u.locale AS user_locale,
    u.disabled_at, t.slug, t.name, t.base_currency, t.origin_country, t.default_locale, t.timezone, t.settings,
    ARRAY(SELECT k.id FROM api_keys k WHERE k.tenant_id = u.tenant_id AND k.user_id = u.id) AS person_key_ids
"""


async def person_row_by_login(tenant_slug: str, email: str) -> dict[str, Any] | None:
    """The person signing in by tenant slug and normalized e-mail, enabled or not."""
    rows = await fetch(
        f"SELECT {_PERSON_COLUMNS} FROM users u JOIN tenants t ON t.id = u.tenant_id "  # noqa: S608  (constant columns)
        "WHERE t.slug = {} AND lower(u.email) = {}",
        tenant_slug,
        email,
    )
    return rows[0] if rows else None


async def person_row(tenant_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any] | None:
    rows = await fetch(
        f"SELECT {_PERSON_COLUMNS} FROM users u JOIN tenants t ON t.id = u.tenant_id "  # noqa: S608  (constant columns)
        "WHERE u.tenant_id = {} AND u.id = {}",
        tenant_id,
        user_id,
    )
    return rows[0] if rows else None


class PasswordState(NamedTuple):
    password_hash: str | None
    disabled_at: datetime | None


async def password_state(tenant_id: uuid.UUID, user_id: uuid.UUID) -> PasswordState | None:
    rows = await fetch(
        "SELECT password_hash, disabled_at FROM users WHERE tenant_id = {} AND id = {}", tenant_id, user_id
    )
    return PasswordState(rows[0]["password_hash"], rows[0]["disabled_at"]) if rows else None


async def display_names(tenant_id: uuid.UUID, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await fetch("SELECT id, display_name FROM users WHERE tenant_id = {} AND id = ANY({})", tenant_id, user_ids)
    return {row["id"]: row["display_name"] for row in rows}
