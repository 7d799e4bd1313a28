"""msgspec Structs of the tenants package: the authenticated principal and the API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from tenants.roles import Role

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="lower-case letters, digits, -")]


class KeyKind(StrEnum):
    USER = "user"
    """A person's key: it acts as that user, and four-eyes counts it as that person."""
    INTEGRATION = "integration"
    """A system's key (a shop, an ERP): enters orders, never approves or rejects anything."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: resolved from the API key (or console session) on every request.

    ``user_id`` is the person behind the call: the signed-in user, or the user a key belongs to.
    Only an integration key has none. ``role`` is the key's role capped by its user's current role.
    """

    tenant_id: uuid.UUID
    tenant_slug: str
    tenant_name: str
    key_id: uuid.UUID | None
    user_id: uuid.UUID | None
    role: Role
    locale: str
    base_currency: str
    origin_country: str
    timezone: str
    settings: dict[str, object] = msgspec.field(default_factory=dict)
    key_kind: KeyKind | None = None
    """None for a console session."""
    person_key_ids: frozenset[uuid.UUID] = msgspec.field(default_factory=frozenset)
    """Every key of this person, revoked ones too: rows written before keys belonged to people
    name their key (``key:<id>``), and four-eyes must still recognise them as this person's."""

    @property
    def actor(self) -> str:
        """A stable actor string for timelines: ``user:<id>`` (a person, by any key or the console)
        or ``key:<id>`` (an integration key, or a key's rows from before keys belonged to people)."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"key:{self.key_id}"

    @property
    def is_integration(self) -> bool:
        return self.key_kind is KeyKind.INTEGRATION

    def same_person(self, actor: str) -> bool:
        """Whether a stored actor string names the person making this call (four-eyes).

        The same user through two keys, or a key and the console, is one person; so is a key of
        theirs named by an old row.
        """
        if actor == self.actor:
            return True
        if self.user_id is None:
            return False
        kind, _, raw = actor.partition(":")
        if kind == "user":
            return raw == str(self.user_id)
        if kind == "key":
            try:
                key_id = uuid.UUID(raw)
            except ValueError:
                return False
            return key_id == self.key_id or key_id in self.person_key_ids
        return False


class TenantCreate(msgspec.Struct, kw_only=True):
    slug: Slug
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    base_currency: str = "EUR"
    origin_country: str = "CN"
    default_locale: str = "en"
    timezone: str = "UTC"


class TenantRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    slug: str
    name: str
    base_currency: str
    origin_country: str
    default_locale: str
    timezone: str
    settings: dict[str, object]


class ApiKeyCreate(msgspec.Struct, kw_only=True):
    role: Role
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "api key"
    kind: KeyKind = KeyKind.USER
    user_id: uuid.UUID | None = None
    """The person the key acts for (owners only; default: the caller). Absent for an integration."""


class ApiKeyRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    kind: KeyKind = KeyKind.USER
    user_id: uuid.UUID | None = None


class ApiKeyCreated(msgspec.Struct, kw_only=True):
    """Returned once, at creation: the only time the secret is shown."""

    id: uuid.UUID
    name: str
    role: Role
    api_key: str
    kind: KeyKind = KeyKind.USER
    user_id: uuid.UUID | None = None


class NewUser(msgspec.Struct, kw_only=True):
    """A person to create with a tenant (its owner) or later. No password: API keys only, until one is set."""

    email: str
    display_name: str
    password: str | None = None


class UserRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    locale: str | None
    disabled_at: datetime | None
    created_at: datetime
    has_password: bool
