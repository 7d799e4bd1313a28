"""Piccolo tables of the tenants app. Keys and policies live in ``migrations/tenants`` (SQL)."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, BigInt, Bytea, Text, Timestamptz, Varchar
from piccolo.table import Table

from hub.core.database import DB


class Tenant(Table, tablename="tenants", db=DB):
    id = UUID(primary_key=True)
    slug = Text()
    name = Text()
    base_currency = Varchar(length=3)
    origin_country = Varchar(length=2)
    default_locale = Text(default="en")
    timezone = Text(default="UTC")
    settings = JSONB(default={})
    created_at = Timestamptz()


class User(Table, tablename="users", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    email = Text()
    display_name = Text()
    password_hash = Text(null=True, default=None)
    role = Text()
    locale = Text(null=True, default=None)
    disabled_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class ApiKey(Table, tablename="api_keys", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    name = Text()
    prefix = Text()
    key_hash = Bytea()
    role = Text()
    kind = Text(default="integration")
    user_id = UUID(null=True, default=None)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    use_count = BigInt(default=0)


class ConsoleSession(Table, tablename="console_sessions", db=DB):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    user_id = UUID()
    token_hash = Bytea()
    csrf_token = Text()
    flash = JSONB(null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Text(null=True, default=None)
