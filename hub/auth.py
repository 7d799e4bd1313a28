"""Bearer API-key authentication, role guards, and the usage recorder.

The middleware resolves ``Authorization: Bearer <key>`` to a :class:`~tenants.schemas.Principal`
(``request.user``). It opens only the ``authenticate`` system transaction; the tenant transaction of
the work itself is opened later by the service, never here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from litestar import post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware
from litestar.status_codes import HTTP_200_OK

from hub.core.errors import PermissionDenied, Unauthenticated
from tenants import service as tenant_service
from tenants.roles import Permission, allows
from tenants.schemas import Principal

# Four-eyes is a rule about people: a key that acts for a system has no person to compare.
INTEGRATION_MAY_NOT_APPROVE = (
    "an integration key acts for a system, not a person, and may not approve or reject "
    "(orders, change requests, returns): decide with a person's key or in the console"
)

PUBLIC_PATHS = {"/health", "/ready", "/schema", "/webhooks", "/console", "/favicon.ico"}


class UsageRecorder:
    """Counts key use in memory and writes it through the outbox at most once a minute per key."""

    def __init__(self, interval_seconds: float = 60.0) -> None:
        self.interval = interval_seconds
        self._pending: dict[uuid.UUID, tuple[Principal, int, datetime]] = {}
        self._flushed_at: dict[uuid.UUID, float] = {}

    async def note(self, principal: Principal) -> None:
        if principal.key_id is None:
            return
        key_id = principal.key_id
        _, count, _ = self._pending.get(key_id, (principal, 0, datetime.now(UTC)))
        self._pending[key_id] = (principal, count + 1, datetime.now(UTC))
        now = time.monotonic()
        if now - self._flushed_at.get(key_id, float("-inf")) < self.interval:
            return
        self._flushed_at[key_id] = now
        await self._write(key_id)

    async def flush(self) -> None:
        """Write every pending count (at shutdown), so a key that went quiet is not left unrecorded."""
        for key_id in list(self._pending):
            await self._write(key_id)

    async def _write(self, key_id: uuid.UUID) -> None:
        principal, uses, last_used = self._pending.pop(key_id)
        await tenant_service.request_key_use_record(principal, last_used, uses)


class ApiKeyAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send the header Authorization: Bearer <api key>")
        principal = await tenant_service.authenticate(token.strip())
        if principal is None:
            raise Unauthenticated("The API key is unknown or has been revoked")
        recorder: UsageRecorder | None = getattr(connection.app.state, "usage_recorder", None)
        if recorder is not None:
            await recorder.note(principal)
        return AuthenticationResult(user=principal, auth=principal.key_id)


def auth_middleware() -> DefineMiddleware:
    return DefineMiddleware(
        ApiKeyAuthMiddleware, exclude=[f"^{p}" for p in PUBLIC_PATHS], exclude_from_auth_key="public"
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
