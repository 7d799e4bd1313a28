"""People who sign in to the console: create, verify a password, and build their principal.

Passwords are hashed with Argon2id (argon2-cffi's defaults). The sign-in lookup starts without a
tenant, so it runs in the ``authenticate`` system transaction (the users and tenants tables each
have a SELECT policy for it); everything else runs in the user's own ``tenant_tx``. Hashing and
verifying take tens of milliseconds of CPU, so they run in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import asyncpg
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.core.database import fetch, system_tx, tenant_tx
from hub.core.errors import Conflict, FieldError, ValidationFailed
from hub.core.ids import new_id
from hub.core.system import SystemPath
from tenants import repository
from tenants.roles import Role
from tenants.schemas import Principal

__all__ = ["MIN_PASSWORD_LENGTH", "create_user", "principal_for_user", "set_password", "verify_credentials"]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("orderhub-dummy-password-for-timing")

_PRINCIPAL_COLUMNS = """
    u.id AS user_id, u.tenant_id, u.email, u.display_name, u.password_hash, u.role, u.locale AS user_locale,
    u.disabled_at, t.slug, t.name, t.base_currency, t.origin_country, t.default_locale, t.timezone, t.settings
"""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _validate(email: str, display_name: str, role: str, password: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not _EMAIL.match(email) or len(email) > 320:
        errors.append(FieldError("email", f"{email!r} is not an e-mail address"))
    if not display_name.strip() or len(display_name) > 200:
        errors.append(FieldError("display_name", "a name of 1 to 200 characters"))
    if role not in {r.value for r in Role}:
        errors.append(FieldError("role", f"one of {', '.join(r.value for r in Role)}"))
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"at least {MIN_PASSWORD_LENGTH} characters"))
    return errors


async def create_user(
    tenant_id: uuid.UUID, email: str, display_name: str, role: str | Role, password: str
) -> uuid.UUID:
    """Create a console user of ``tenant_id``; returns the new user's id.

    Raises ValidationFailed for a bad e-mail, name, role or a password shorter than
    :data:`MIN_PASSWORD_LENGTH`, and Conflict when the tenant already has a user with that e-mail.
    """
    email = normalize_email(email)
    role_value = role.value if isinstance(role, Role) else role
    errors = _validate(email, display_name, role_value, password)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    user_id = new_id()
    try:
        async with tenant_tx(tenant_id):
            taken = await fetch(
                "SELECT 1 AS found FROM users WHERE tenant_id = {} AND lower(email) = {}", tenant_id, email
            )
            if taken:
                raise Conflict(f"a user with e-mail {email!r} exists", extra={"field": "email"})
            await repository.insert_user(tenant_id, user_id, email, display_name.strip(), role_value, password_hash)
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a user with e-mail {email!r} exists", extra={"field": "email"}) from None
    return user_id


async def set_password(tenant_id: uuid.UUID, user_id: uuid.UUID, password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed.single("password", f"at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    async with tenant_tx(tenant_id):
        await fetch(
            "UPDATE users SET password_hash = {} WHERE tenant_id = {} AND id = {}", password_hash, tenant_id, user_id
        )


def _principal(row: dict[str, Any]) -> Principal:
    settings = row["settings"]
    return Principal(
        tenant_id=row["tenant_id"],
        tenant_slug=row["slug"],
        tenant_name=row["name"],
        key_id=None,
        user_id=row["user_id"],
        role=Role(row["role"]),
        locale=row["user_locale"] or row["default_locale"],
        base_currency=row["base_currency"],
        origin_country=row["origin_country"],
        timezone=row["timezone"],
        settings=msgspec.json.decode(settings) if isinstance(settings, str) else settings,
    )


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_credentials(tenant_slug: str, email: str, password: str) -> Principal | None:
    """The principal of an enabled user whose password matches, or None (never saying which part was wrong)."""
    if len(password) > MAX_PASSWORD_LENGTH or len(email) > 320 or len(tenant_slug) > 100:
        return None
    async with system_tx(SystemPath.AUTHENTICATE):
        rows = await fetch(
            f"SELECT {_PRINCIPAL_COLUMNS} FROM users u JOIN tenants t ON t.id = u.tenant_id "  # noqa: S608  (constant columns)
            "WHERE t.slug = {} AND lower(u.email) = {}",
            tenant_slug.strip().lower(),
            normalize_email(email),
        )
    row = rows[0] if rows else None
    ok = await asyncio.to_thread(_verify, row["password_hash"] if row else None, password)
    if row is None or not ok or row["disabled_at"] is not None:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        await set_password(row["tenant_id"], row["user_id"], password)
    return _principal(row)


async def principal_for_user(tenant_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Principal, str] | None:
    """The principal and display name of an enabled user, read afresh (role changes apply at once)."""
    async with tenant_tx(tenant_id):
        rows = await fetch(
            f"SELECT {_PRINCIPAL_COLUMNS} FROM users u JOIN tenants t ON t.id = u.tenant_id "  # noqa: S608  (constant columns)
            "WHERE u.tenant_id = {} AND u.id = {}",
            tenant_id,
            user_id,
        )
    if not rows or rows[0]["disabled_at"] is not None:
        return None
    return _principal(rows[0]), rows[0]["display_name"]


async def display_names(tenant_id: uuid.UUID, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of the tenant's users by id (for timelines that name ``user:<id>`` actors)."""
    if not user_ids:
        return {}
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT id, display_name FROM users WHERE tenant_id = {} AND id = ANY({})", tenant_id, user_ids
        )
    return {row["id"]: row["display_name"] for row in rows}
