"""Console sessions and CSRF.

The session lives in one cookie (``orderhub_console``, path ``/console``, HttpOnly, SameSite=Lax,
Secure when the public URL is https): Litestar's client-side session backend, AES-GCM encrypted and
authenticated, with an expiry inside the authenticated data. Its 32-byte key is derived from
``settings.secret_key`` with HKDF-SHA256 and the label ``orderhub:console-session``, so it shares
nothing with the keys that encrypt secrets at rest. The middleware is built on the first request,
when ``app.state.settings`` exists (the console routes are defined before the settings are known).

The session holds the tenant id, the user id and a random CSRF token. Every POST to the console
must carry that token in the ``csrf_token`` form field (or an ``X-CSRF-Token`` header); the check is
a ``before_request`` hook of the console router only, so the JSON API (bearer keys, no cookies) is
untouched. The sign-in form gets a token too (an anonymous session), against login CSRF; signing in
replaces the whole session, token included.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from litestar.connection import ASGIConnection
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from hub.core.settings import Settings

COOKIE = "orderhub_console"
LANG_COOKIE = "orderhub_console_lang"
SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def session_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"orderhub:console-session").derive(
        secret_key.encode()
    )


def session_config(settings: Settings) -> CookieBackendConfig:
    return CookieBackendConfig(
        secret=session_key(settings.secret_key),
        key=COOKIE,
        max_age=SESSION_SECONDS,
        path="/console",
        secure=settings.public_base_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )


class ConsoleSessionMiddleware:
    """Litestar's session middleware, configured from the app's settings on first use."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._inner: SessionMiddleware[ClientSideSessionBackend] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._inner is None:
            settings: Settings = scope["litestar_app"].state.settings
            self._inner = SessionMiddleware(self.app, ClientSideSessionBackend(session_config(settings)))
        await self._inner(scope, receive, send)


def session_of(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    session = connection.scope.get("session")
    return session if isinstance(session, dict) else {}


def csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """This session's CSRF token, created (with an anonymous session) if there is none yet."""
    session = session_of(connection)
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        connection.set_session({**session, "csrf": token})
    return token


def csrf_ok(connection: ASGIConnection[Any, Any, Any, Any], sent: str | None) -> bool:
    expected = session_of(connection).get("csrf")
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def start_session(connection: ASGIConnection[Any, Any, Any, Any], tenant_id: str, user_id: str) -> None:
    """Replace whatever session there was (a fresh CSRF token too) with a signed-in one."""
    connection.set_session({"tid": tenant_id, "uid": user_id, "csrf": secrets.token_urlsafe(32)})


def end_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.clear_session()


def flash(connection: ASGIConnection[Any, Any, Any, Any], message: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (post/redirect/get)."""
    connection.set_session({**session_of(connection), "flash": [kind, message]})


def pop_flash(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str] | None:
    session = session_of(connection)
    value = session.get("flash")
    if not value:
        return None
    connection.set_session({k: v for k, v in session.items() if k != "flash"})
    kind, message = value
    return str(kind), str(message)
