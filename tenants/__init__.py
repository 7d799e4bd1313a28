"""Tenants, users, roles, API keys, per-tenant settings and secrets."""
