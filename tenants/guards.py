"""Route permissions: the caller's role must grant a permission; four-eyes needs a person.

Below the composition layer on purpose: every domain's controllers mark their routes with these,
and none of them imports ``hub/`` (the app, the middleware, the console). A route says what it needs
in its ``opt`` (``opt=requires(Permission.WRITE)``, or a controller's ``opt``); the API-key middleware
in ``hub.auth`` checks it with :func:`check_permission` right after it has put the
:class:`~tenants.schemas.Principal` in ``scope["user"]``.

Not Litestar guards: its guard runner copies the route handler once per guard on every request
(``copy(self)`` in ``BaseRouteHandler.authorize_connection``), 1-1.5 % of an authenticated request's
CPU per guard, for a set lookup. ``opt`` layers merge with the innermost winning, so a handler's
permission replaces its controller's; that loses nothing because every role may read
(``tests/unit/test_route_guards.py`` holds both facts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import post
from litestar.connection import ASGIConnection
from litestar.status_codes import HTTP_200_OK

from hub.core.errors import PermissionDenied, Unauthenticated
from tenants.roles import Permission, allows
from tenants.schemas import Principal

PERMISSION_OPT = "permission"
"""The ``opt`` key of the permission a route requires."""

# Four-eyes is a rule about people: a key that acts for a system has no person to compare.
INTEGRATION_MAY_NOT_APPROVE = (
    "an integration key acts for a system, not a person, and may not approve or reject "
    "(orders, change requests, returns): decide with a person's key or in the console"
)


def requires(permission: Permission) -> dict[str, Permission]:
    """A route's (or a controller's) ``opt``: the caller's role must grant ``permission``."""
    return {PERMISSION_OPT: permission}


def required_permission(opt: Mapping[str, Any]) -> Permission | None:
    """The permission a route handler's resolved ``opt`` requires, if any."""
    permission = opt.get(PERMISSION_OPT)
    return permission if isinstance(permission, Permission) else None


def check_permission(principal: Principal, permission: Permission) -> None:
    """Refuse unless ``principal``'s role grants ``permission``; ``approve`` also needs a person
    (an integration key is refused, whatever its role)."""
    if not allows(principal.role, permission):
        raise PermissionDenied(f"the role {principal.role.value!r} may not {permission.value}")
    if permission is Permission.APPROVE and principal.is_integration:
        raise PermissionDenied(INTEGRATION_MAY_NOT_APPROVE, extra={"key_kind": "integration"})


def action(path: str, *, operation_id: str, permission: Permission) -> post:
    """A state-changing ``POST`` on an existing resource (approve, assign, receive...): requiring
    ``permission`` and answering 200 with the resource, not 201."""
    return post(path, operation_id=operation_id, opt=requires(permission), status_code=HTTP_200_OK)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthenticated()
    return principal
