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


# Highest first, as declared above: the order minting and capping use. Clerk outranks approver,
# yet grants differ (WRITE against APPROVE), so "within" checks the grants as well as the rank.
ORDER: tuple[Role, ...] = tuple(Role)


def rank(role: Role) -> int:
    """Higher for a stronger role: owner 5 ... viewer 1."""
    return len(ORDER) - ORDER.index(role)


def within(role: Role, limit: Role) -> bool:
    """True when ``role`` is not above ``limit``: no higher in the order and no permission more."""
    return rank(role) <= rank(limit) and GRANTS[role] <= GRANTS[limit]


def strongest_within(first: Role, second: Role) -> Role:
    """The strongest role within both (a key never does more than its person may)."""
    for role in ORDER:
        if within(role, first) and within(role, second):
            return role
    return Role.VIEWER
