"""Roles and what each may do. A key carries exactly one role."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    CLERK = "clerk"
    APPROVER = "approver"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"
    WRITE = "write"
    """Create and edit catalog, customers, orders; file change requests; generate documents."""
    APPROVE = "approve"
    """Approve or reject orders and change requests (never one's own)."""
    MANAGE = "manage"
    """Keys, users, carrier accounts, webhook endpoints, tenant settings."""


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission),
    Role.CLERK: frozenset({Permission.READ, Permission.WRITE}),
    Role.APPROVER: frozenset({Permission.READ, Permission.APPROVE}),
    Role.VIEWER: frozenset({Permission.READ}),
}


def allows(role: str, permission: Permission) -> bool:
    try:
        return permission in GRANTS[Role(role)]
    except ValueError:
        return False
