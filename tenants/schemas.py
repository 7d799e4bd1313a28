"""msgspec Structs of the tenants package: the authenticated principal and the API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from tenants.roles import Role

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="lower-case letters, digits, -")]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: resolved from the API key (or console session) on every request."""

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

    @property
    def actor(self) -> str:
        """A stable actor string for timelines: ``user:<id>`` or ``key:<id>``."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"key:{self.key_id}"


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


class ApiKeyRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(msgspec.Struct, kw_only=True):
    """Returned once, at creation: the only time the secret is shown."""

    id: uuid.UUID
    name: str
    role: Role
    api_key: str
