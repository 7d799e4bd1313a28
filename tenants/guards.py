"""Route guards: the caller's role must grant a permission; four-eyes needs a person.

Below the composition layer on purpose: every domain's controllers guard their routes with these,
and none of them imports ``hub/`` (the app, the middleware, the console). The middleware in
``hub.auth`` puts the :class:`~tenants.schemas.Principal` in ``scope["user"]``; these read it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from litestar import post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.status_codes import HTTP_200_OK

from hub.core.errors import PermissionDenied, Unauthenticated
from tenants.roles import Permission, allows
from tenants.schemas import Principal

# Four-eyes is a rule about people: a key that acts for a system has no person to compare.
INTEGRATION_MAY_NOT_APPROVE = (
    "an integration key acts for a system, not a person, and may not approve or reject "
    "(orders, change requests, returns): decide with a person's key or in the console"
)


def requires(
    permission: Permission,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Coroutine[Any, Any, None]]:
    """A guard: the caller's role must grant ``permission``; ``approve`` also needs a person
    (an integration key is refused, whatever its role).

    Async on purpose: Litestar runs a synchronous guard in its thread pool, a thread hop per request
    for a dictionary lookup.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.scope.get("user")
        if not isinstance(principal, Principal):
            raise Unauthenticated()
        if not allows(principal.role, permission):
            raise PermissionDenied(f"the role {principal.role.value!r} may not {permission.value}")
        if permission is Permission.APPROVE and principal.is_integration:
            raise PermissionDenied(INTEGRATION_MAY_NOT_APPROVE, extra={"key_kind": "integration"})

    guard.__name__ = f"requires_{permission.value}"
    return guard


def action(path: str, *, operation_id: str, permission: Permission) -> post:
    """A state-changing ``POST`` on an existing resource (approve, assign, receive...): guarded by
    ``permission`` and answering 200 with the resource, not 201."""
    return post(path, operation_id=operation_id, guards=[requires(permission)], status_code=HTTP_200_OK)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthenticated()
    return principal
