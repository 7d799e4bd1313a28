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

from hub.core.database import system_tx, tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from hub.core.ids import new_id
from hub.core.system import SystemPath
from tenants import repository
from tenants.roles import Role, within
from tenants.schemas import Principal, UserRead

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "change_password",
    "create_user",
    "list_users",
    "principal_for_user",
    "set_disabled",
    "set_password",
    "verify_credentials",
]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("orderhub-dummy-password-for-timing")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_user(email: str, display_name: str, role: str, password: str | None) -> list[FieldError]:
    """What is wrong with a new user's fields; ``password`` None is a person without one (API keys only)."""
    errors: list[FieldError] = []
    email = normalize_email(email)
    if not _EMAIL.match(email) or len(email) > 320:
        errors.append(FieldError("email", f"{email!r} is not an e-mail address"))
    if not display_name.strip() or len(display_name) > 200:
        errors.append(FieldError("display_name", "a name of 1 to 200 characters"))
    if role not in {r.value for r in Role}:
        errors.append(FieldError("role", f"one of {', '.join(r.value for r in Role)}"))
    if password is not None and not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"at least {MIN_PASSWORD_LENGTH} characters"))
    return errors


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def create_user(
    tenant_id: uuid.UUID, email: str, display_name: str, role: str | Role, password: str | None
) -> uuid.UUID:
    """Create a user of ``tenant_id``; returns the new user's id.

    ``password`` None makes a person who cannot sign in to the console (yet): their API keys still
    count as them for four-eyes. Raises ValidationFailed for a bad e-mail, name, role or a password
    shorter than :data:`MIN_PASSWORD_LENGTH`, and Conflict when the tenant already has a user with
    that e-mail.
    """
    email = normalize_email(email)
    role_value = role.value if isinstance(role, Role) else role
    errors = validate_user(email, display_name, role_value, password)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    password_hash = await hash_password(password) if password is not None else None
    user_id = new_id()
    try:
        async with tenant_tx(tenant_id):
            if await repository.user_id_by_email(tenant_id, email) is not None:
                raise Conflict(f"a user with e-mail {email!r} exists", extra={"field": "email"})
            await repository.insert_user(tenant_id, user_id, email, display_name.strip(), role_value, password_hash)
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a user with e-mail {email!r} exists", extra={"field": "email"}) from None
    return user_id


async def user_id_for_email(tenant_id: uuid.UUID, email: str) -> uuid.UUID:
    async with tenant_tx(tenant_id):
        user_id = await repository.user_id_by_email(tenant_id, normalize_email(email))
    if user_id is None:
        raise NotFound(f"no user with e-mail {normalize_email(email)!r}")
    return user_id


async def list_users(tenant_id: uuid.UUID) -> list[UserRead]:
    async with tenant_tx(tenant_id):
        return await repository.list_users(tenant_id)


async def get_user(tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserRead:
    async with tenant_tx(tenant_id):
        user = await repository.get_user(tenant_id, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


async def change_password(
    tenant_id: uuid.UUID, user_id: uuid.UUID, password: str, *, keep_session: uuid.UUID | None = None
) -> int:
    """Set a new password and sign the user out of every console session but ``keep_session``
    (the one changing it, if any); returns how many sessions were revoked."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed.single("password", f"at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = await hash_password(password)
    async with tenant_tx(tenant_id):
        if await repository.get_user(tenant_id, user_id, lock=True) is None:
            raise NotFound("no such user")
        await repository.set_password_hash(tenant_id, user_id, password_hash)
        return await repository.revoke_console_sessions(tenant_id, user_id, "password", only=None, keep=keep_session)


async def set_password(tenant_id: uuid.UUID, user_id: uuid.UUID, password: str) -> None:
    """Kept for callers of the old name: a password change, which signs out every session."""
    await change_password(tenant_id, user_id, password)


async def set_disabled(
    actor: Principal | None, tenant_id: uuid.UUID, user_id: uuid.UUID, *, disabled: bool
) -> UserRead:
    """Disable (or enable again) a user. Disabling revokes their console sessions at once; their
    API keys stop authenticating (this process at once, others within the key cache's seconds).

    ``actor`` is the API caller (None for the operator's CLI): nobody disables themselves (the
    last owner locking everyone out), nor a user whose role is above their own.
    """
    async with tenant_tx(tenant_id):
        user = await repository.get_user(tenant_id, user_id, lock=True)
        if user is None:
            raise NotFound("no such user")
        if actor is not None:
            if actor.user_id == user_id:
                raise PermissionDenied("you may not disable or enable yourself")
            if not within(user.role, actor.role):
                raise PermissionDenied(f"the user's role {user.role.value!r} is above your own")
        await repository.set_user_disabled(tenant_id, user_id, disabled)
        if disabled:
            await repository.revoke_console_sessions(tenant_id, user_id, "disabled", only=None, keep=None)
        updated = await repository.get_user(tenant_id, user_id)
    # Imported here: the service imports this module (tenant creation makes its owner).
    from tenants.service import forget_cached_principals  # noqa: PLC0415

    forget_cached_principals(tenant_id, user_id=user_id)
    assert updated is not None
    return updated


def principal_of_row(row: dict[str, Any]) -> Principal:
    """The principal of a signed-in person from a row of user and tenant columns
    (``person_key_ids`` too when the row has them)."""
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
        person_key_ids=frozenset(row.get("person_key_ids") or ()),
    )


def _principal(row: dict[str, Any]) -> Principal:
    return principal_of_row(row)


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
        row = await repository.person_row_by_login(tenant_slug.strip().lower(), normalize_email(email))
    ok = await asyncio.to_thread(_verify, row["password_hash"] if row else None, password)
    if row is None or not ok or row["disabled_at"] is not None:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        # The same password, hashed afresh: not a change, so no session is revoked.
        new_hash = await hash_password(password)
        async with tenant_tx(row["tenant_id"]):
            await repository.set_password_hash(row["tenant_id"], row["user_id"], new_hash)
    return _principal(row)


async def verify_password(tenant_id: uuid.UUID, user_id: uuid.UUID, password: str) -> bool:
    """Whether ``password`` is the enabled user's current one (asked again before changing it)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    async with tenant_tx(tenant_id):
        state = await repository.password_state(tenant_id, user_id)
    ok = await asyncio.to_thread(_verify, state.password_hash if state else None, password)
    return ok and state is not None and state.disabled_at is None


async def principal_for_user(tenant_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Principal, str] | None:
    """The principal and display name of an enabled user, read afresh (role changes apply at once)."""
    async with tenant_tx(tenant_id):
        row = await repository.person_row(tenant_id, user_id)
    if row is None or row["disabled_at"] is not None:
        return None
    return _principal(row), row["display_name"]


async def display_names(tenant_id: uuid.UUID, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of the tenant's users by id (for timelines that name ``user:<id>`` actors)."""
    if not user_ids:
        return {}
    async with tenant_tx(tenant_id):
        return await repository.display_names(tenant_id, user_ids)
