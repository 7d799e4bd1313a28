"""Bearer API-key authentication, the route's permission, and the usage recorder.

The middleware resolves ``Authorization: Bearer <key>`` to a :class:`~tenants.schemas.Principal`
(``request.user``) and checks the permission the route requires (:mod:`tenants.guards`). It opens
only the ``authenticate`` system transaction; the tenant transaction of the work itself is opened
later by the service, never here.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Router
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware
from litestar.types import ControllerRouterHandler

from hub.core.errors import Unauthenticated
from tenants import service as tenant_service
from tenants.guards import check_permission, required_permission
from tenants.schemas import Principal

PUBLIC_PATHS = {"/health", "/ready", "/schema", "/webhooks", "/console", "/favicon.ico"}
"""The paths served without an API key, each with everything below it."""


def is_public_path(path: str) -> bool:
    """Whether ``path`` is one of :data:`PUBLIC_PATHS` or below one (``/webhooks/...``).

    Whole segments only: a route named ``/healthz`` or ``/webhooks-admin`` is not public because it
    starts with the same letters.
    """
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PUBLIC_PATHS)


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
            await recorder.note(principal)  # a refused use is a use of the key too
        permission = required_permission(connection.route_handler.opt)
        if permission is not None:
            check_permission(principal, permission)
        return AuthenticationResult(user=principal, auth=principal.key_id)


def auth_middleware() -> DefineMiddleware:
    return DefineMiddleware(
        ApiKeyAuthMiddleware,
        exclude=[f"^{re.escape(prefix)}(/|$)" for prefix in PUBLIC_PATHS],
        exclude_from_auth_key="public",
        # Litestar lets OPTIONS through unauthenticated by default (CORS preflights); the API has no
        # browser callers, and which methods a private path serves is for key holders only.
        exclude_http_methods=[],
    )


def _is_public(handler: ControllerRouterHandler) -> bool:
    if isinstance(handler, Router):
        paths = {handler.path}
    elif isinstance(handler, BaseRouteHandler):
        paths = set(handler.paths)
    elif isinstance(handler, type) and issubclass(handler, Controller):
        # A controller class's own path; mypy sees only the instance slot of the same name.
        paths = {handler.path}  # type: ignore[misc]
    else:  # a bare function is not a route here; Litestar would refuse it anyway
        raise TypeError(f"not a route handler: {handler!r}")
    return all(is_public_path(path) for path in paths)


def behind_api_keys(handlers: list[ControllerRouterHandler]) -> list[ControllerRouterHandler]:
    """``handlers`` with every one that is not public moved into a router behind the API-key middleware.

    The public ones (:data:`PUBLIC_PATHS`: probes, signed webhooks, the console with its own session)
    are served without it. The middleware's own exclusions still hold, but a route outside it saves
    its wrapper and the second exception-handling layer Litestar puts under any route middleware:
    about a tenth of what ``/health`` cost the application, and a webhook pays the same.
    """
    public = [handler for handler in handlers if _is_public(handler)]
    private = [handler for handler in handlers if not _is_public(handler)]
    return [*public, Router(path="/", route_handlers=private, middleware=[auth_middleware()])]
