"""JSON structured logs, one object per line, each carrying the request id of the request it serves."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_REDACT = ("authorization", "secret", "password", "api_key", "token", "credentials")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for field in ("method", "path", "status", "duration_ms", "tenant_id", "job"):
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True


def redact(mapping: dict[str, Any]) -> dict[str, Any]:
    """A copy safe to log: values of secret-looking keys are replaced."""
    return {k: ("***" if any(s in k.lower() for s in _REDACT) else v) for k, v in mapping.items()}


access_logger = logging.getLogger("hub.access")

_NOSNIFF = b"x-content-type-options"


class RequestIdMiddleware:
    """Give every request an id (``X-Request-ID`` if the client sent a sane one), echo it, forbid
    content sniffing, log the request.

    It wraps the whole application (see :func:`hub.app.create_app`), Litestar's exception handling
    included, so responses made outside a route (401 from the auth middleware, 404/405 from the
    router) are echoed, marked and logged with their real status too.

    ``X-Content-Type-Options: nosniff`` goes on every response, errors and downloads included: a
    browser must never read an attachment or a JSON body that echoes client input as HTML. It is set
    here rather than in a Litestar ``before_send`` hook because this wrapper already rewrites the
    response head: the hook was a second wrapper of ``send`` and a header rebuild on every response,
    about a tenth of what ``/health`` cost the application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        # 16 random bytes as 32 hex digits, the length of a uuid4's hex, at a fifth of its cost.
        request_id = incoming if incoming and len(incoming) <= 64 and incoming.isprintable() else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        echoed = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Replaced, not added: a response that sets its own (the console's) keeps one.
                headers = [h for h in message.get("headers", ()) if h[0].lower() != _NOSNIFF]
                headers += (echoed, (_NOSNIFF, b"nosniff"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path", "")
            if path != "/health" and access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)
