"""Tenant provisioning, API keys and authentication.

API keys are 256-bit random tokens; only their SHA-256 is stored (a slow password hash buys nothing
for a token with that much entropy, and the lookup must be fast on every request). The token is
shown once, at creation.

A key belongs to a person (``kind`` user: it acts as that user, so four-eyes compares people, not
keys) or is an integration (``kind`` integration: a system that enters orders and is refused every
approval, see :func:`tenants.guards.requires`). A key is never stronger than its person nor than whoever
minted it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
import zoneinfo
from datetime import datetime

import msgspec
import pycountry

from hub.core import outbox
from hub.core.database import system_tx, tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from hub.core.ids import new_id
from hub.core.money import is_known_currency
from hub.core.system import SystemPath
from i18n import normalize_locale
from tenants import repository, users
from tenants.roles import Role, strongest_within, within
from tenants.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    KeyKind,
    NewUser,
    Principal,
    TenantCreate,
    TenantRead,
)

KEY_PREFIX = "ohk_"


def hash_key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _new_token() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def validate_tenant(data: TenantCreate) -> list[FieldError]:
    errors: list[FieldError] = []
    if not is_known_currency(data.base_currency):
        errors.append(FieldError("base_currency", f"unknown currency {data.base_currency!r}"))
    if pycountry.countries.get(alpha_2=data.origin_country.upper()) is None or len(data.origin_country) != 2:
        errors.append(FieldError("origin_country", f"unknown country {data.origin_country!r}"))
    if normalize_locale(data.default_locale) is None:
        errors.append(FieldError("default_locale", f"unsupported locale {data.default_locale!r}"))
    try:
        zoneinfo.ZoneInfo(data.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("timezone", f"unknown time zone {data.timezone!r}"))
    return errors


async def create_tenant(
    data: TenantCreate, *, owner_role: Role = Role.OWNER, owner: NewUser | None = None
) -> tuple[TenantRead, str]:
    """Create a tenant and its first key; returns the tenant and the key (shown once).

    With ``owner`` the tenant's first user is created too (role owner) and the key is theirs;
    without, the key is an integration key: it can set the tenant up but never approve.
    """
    errors = validate_tenant(data)
    owner_hash: str | None = None
    if owner is not None:
        errors += users.validate_user(owner.email, owner.display_name, Role.OWNER.value, owner.password)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    if owner is not None and owner.password is not None:
        owner_hash = await users.hash_password(owner.password)
    tenant = TenantRead(
        id=new_id(),
        slug=data.slug,
        name=data.name,
        base_currency=data.base_currency,
        origin_country=data.origin_country.upper(),
        default_locale=normalize_locale(data.default_locale) or "en",
        timezone=data.timezone,
        settings={},
    )
    async with system_tx(SystemPath.TENANT_DIRECTORY):
        if await repository.slug_taken(data.slug):
            raise Conflict(f"a tenant with slug {data.slug!r} exists", extra={"field": "slug"})
    # The tenant row passes its own RLS check: it is inserted with app.tenant_id set to its id.
    async with tenant_tx(tenant.id):
        await repository.insert_tenant(tenant)
        owner_id: uuid.UUID | None = None
        if owner is not None:
            owner_id = new_id()
            await repository.insert_user(
                tenant.id,
                owner_id,
                users.normalize_email(owner.email),
                owner.display_name.strip(),
                Role.OWNER.value,
                owner_hash,
            )
        key = await _insert_key(tenant.id, owner_role, "initial key", owner_id)
    return tenant, key.api_key


async def _insert_key(tenant_id: uuid.UUID, role: Role, name: str, user_id: uuid.UUID | None) -> ApiKeyCreated:
    token = _new_token()
    key_id = new_id()
    await repository.insert_api_key(tenant_id, key_id, name, token[:12], hash_key(token), role.value, user_id)
    kind = KeyKind.USER if user_id is not None else KeyKind.INTEGRATION
    return ApiKeyCreated(id=key_id, name=name, role=role, api_key=token, kind=kind, user_id=user_id)


async def create_api_key(
    tenant_id: uuid.UUID, role: Role, name: str, user_id: uuid.UUID | None = None
) -> ApiKeyCreated:
    """A key for ``user_id`` (a person's key), or an integration key when no user is given.

    The operator's path (CLI, tests): no caller to compare with. A person's key may not exceed its
    person's role. The API mints through :func:`mint_api_key`.
    """
    async with tenant_tx(tenant_id):
        if user_id is not None:
            await _ensure_key_fits_user(tenant_id, user_id, role)
        return await _insert_key(tenant_id, role, name, user_id)


async def mint_api_key(caller: Principal, data: ApiKeyCreate) -> ApiKeyCreated:
    """``POST /v1/api-keys``: a key no stronger than the caller, for the caller's own person, for
    another user (an owner only), or for an integration.

    Raises PermissionDenied (403, naming ``role`` or ``user_id``) for a role above the caller's or
    another person's key minted by a non-owner, and ValidationFailed (422) for a user who cannot
    hold the key.
    """
    if not within(data.role, caller.role):
        raise PermissionDenied(
            f"a {caller.role.value} may not mint a key with the role {data.role.value!r}: it is above your own",
            errors=[FieldError("role", f"at most {caller.role.value}")],
        )
    if data.kind is KeyKind.INTEGRATION:
        if data.user_id is not None:
            raise ValidationFailed.single("user_id", "an integration key belongs to no user: leave user_id out")
        owner_id = None
    else:
        owner_id = data.user_id or caller.user_id
        if owner_id is None:
            raise ValidationFailed.single(
                "user_id",
                "an integration key acts for no person: mint kind 'integration', or have an owner assign a user",
            )
        if owner_id != caller.user_id and (caller.user_id is None or caller.role is not Role.OWNER):
            raise PermissionDenied(
                "only an owner, signed in as a person, may mint a key for another user",
                errors=[FieldError("user_id", "your own, or leave it out")],
            )
    async with tenant_tx(caller.tenant_id):
        if owner_id is not None:
            await _ensure_key_fits_user(caller.tenant_id, owner_id, data.role)
        return await _insert_key(caller.tenant_id, data.role, data.name, owner_id)


async def _ensure_key_fits_user(tenant_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
    user = await repository.get_user(tenant_id, user_id)
    if user is None or user.disabled_at is not None:
        raise ValidationFailed.single("user_id", "no enabled user of this tenant has that id")
    if not within(role, user.role):
        raise ValidationFailed.single("role", f"the key may not exceed its user's role {user.role.value!r}")


async def tenant_id_for_slug(slug: str) -> uuid.UUID:
    async with system_tx(SystemPath.TENANT_DIRECTORY):
        tenant_id = await repository.tenant_id_by_slug(slug)
    if tenant_id is None:
        raise NotFound(f"no tenant with slug {slug!r}")
    return tenant_id


async def list_api_keys(tenant_id: uuid.UUID) -> list[ApiKeyRead]:
    async with tenant_tx(tenant_id):
        return await repository.list_api_keys(tenant_id)


async def revoke_api_key(tenant_id: uuid.UUID, key_id: uuid.UUID) -> None:
    async with tenant_tx(tenant_id):
        if not await repository.revoke_api_key(tenant_id, key_id):
            raise NotFound("no such API key")
    forget_cached_principals(tenant_id, key_id)


async def get_tenant(tenant_id: uuid.UUID) -> TenantRead:
    async with tenant_tx(tenant_id):
        tenant = await repository.get_tenant(tenant_id)
    if tenant is None:
        raise NotFound("no such tenant")
    return tenant


# Authenticated keys are remembered briefly per process: the lookup is a transaction of its own on
# every request otherwise. A revocation clears this process's entry at once; other API processes
# stop accepting the key within AUTH_CACHE_SECONDS.
AUTH_CACHE_SECONDS = 5.0
_AUTH_CACHE_MAX = 10_000
_auth_cache: dict[bytes, tuple[float, Principal]] = {}


def forget_cached_principals(
    tenant_id: uuid.UUID, key_id: uuid.UUID | None = None, *, user_id: uuid.UUID | None = None
) -> None:
    """Drop cached principals of a tenant (or of one key, or of one user's keys), after a
    revocation, a user disabled or a settings change."""
    for digest, (_, principal) in list(_auth_cache.items()):
        if principal.tenant_id != tenant_id:
            continue
        if (key_id is None or principal.key_id == key_id) and (user_id is None or principal.user_id == user_id):
            _auth_cache.pop(digest, None)


async def authenticate(token: str) -> Principal | None:
    """The principal behind a bearer token, or None for an unknown, revoked or disabled key."""
    if not token.startswith(KEY_PREFIX) or len(token) > 100:
        return None
    digest = hash_key(token)
    cached = _auth_cache.get(digest)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    principal = await _lookup(digest)
    if principal is None:
        _auth_cache.pop(digest, None)
        return None
    if len(_auth_cache) >= _AUTH_CACHE_MAX:
        _auth_cache.clear()
    _auth_cache[digest] = (now + AUTH_CACHE_SECONDS, principal)
    return principal


async def _lookup(digest: bytes) -> Principal | None:
    async with system_tx(SystemPath.AUTHENTICATE):
        row = await repository.principal_row_by_key_hash(digest)
    if row is None or row["revoked_at"] is not None or row["user_disabled_at"] is not None:
        return None
    settings = row["settings"]
    role = Role(row["role"])
    if row["user_role"] is not None:
        # A person's key never does more than the person may today (a demoted user's keys follow).
        role = strongest_within(role, Role(row["user_role"]))
    return Principal(
        tenant_id=row["tenant_id"],
        tenant_slug=row["slug"],
        tenant_name=row["name"],
        key_id=row["key_id"],
        user_id=row["user_id"],
        role=role,
        locale=row["user_locale"] or row["default_locale"],
        base_currency=row["base_currency"],
        origin_country=row["origin_country"],
        timezone=row["timezone"],
        settings=msgspec.json.decode(settings) if isinstance(settings, str) else settings,
        key_kind=KeyKind(row["kind"]),
        person_key_ids=frozenset(row["person_key_ids"] or ()),
    )


async def request_key_use_record(principal: Principal, used_at: datetime, uses: int) -> None:
    """Queue the usage record through the outbox (the worker applies it)."""
    async with tenant_tx(principal.tenant_id):
        await outbox.enqueue(
            principal.tenant_id,
            "record_api_key_use",
            {"key_id": str(principal.key_id), "used_at": used_at.isoformat(), "uses": uses},
        )


async def update_settings(tenant_id: uuid.UUID, changes: dict[str, object]) -> TenantRead:
    """Merge ``changes`` into the tenant's settings (a key set to None is removed)."""
    async with tenant_tx(tenant_id):
        tenant = await repository.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("no such tenant")
        merged = {**tenant.settings, **changes}
        merged = {k: v for k, v in merged.items() if v is not None}
        await repository.update_tenant_settings(tenant_id, merged)
        updated = await repository.get_tenant(tenant_id)
    forget_cached_principals(tenant_id)
    assert updated is not None
    return updated
