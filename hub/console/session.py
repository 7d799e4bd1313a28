"""Console sessions and CSRF.

A signed-in session is a row of ``console_sessions`` (see :mod:`tenants.sessions`); the cookie
``orderhub_console`` (path ``/console``, HttpOnly, SameSite=Lax, Secure when the public URL is
https) carries only its random token, of which the table keeps the SHA-256. Signing out, changing
the password and being disabled revoke the row, so a copy of the cookie is worth nothing after
that; a session also ends 8 hours after sign-in. A cookie whose session is gone is deleted and the
browser is sent to the sign-in page.

The session's CSRF token lives in its row. Every POST to the console must carry it in the
``csrf_token`` form field (or an ``X-CSRF-Token`` header); the check is a ``before_request`` hook of
the console router only, so the JSON API (bearer keys, no cookies) is untouched. The sign-in form,
which has no session yet, is protected against login CSRF by a double-submit token: a random
value in the cookie ``orderhub_console_csrf`` that the form must repeat. Signing in replaces it
with the new session's own token.

The middleware resolves the cookie once per request and, when the response starts, writes what the
request changed: a flash message, a new session's cookie, a deleted one.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from hub.core.settings import Settings
from tenants import sessions
from tenants.schemas import Principal
from tenants.sessions import SESSION_SECONDS, ConsoleSession

COOKIE = "orderhub_console"
CSRF_COOKIE = "orderhub_console_csrf"
LANG_COOKIE = "orderhub_console_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_STATE = "orderhub_console_session"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

__all__ = [
    "COOKIE",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LANG_COOKIE",
    "SESSION_SECONDS",
    "ConsoleSessionMiddleware",
    "csrf_ok",
    "csrf_token",
    "current_session",
    "end_session",
    "flash",
    "pop_flash",
    "start_session",
]


@dataclass
class _RequestState:
    """What this request knows and changed about its browser's session."""

    session: ConsoleSession | None
    stale_cookie: bool
    """A session cookie came that no longer opens a session: delete it."""
    anonymous_csrf: str | None
    new_token: str | None = None
    new_anonymous_csrf: str | None = None
    drop_anonymous_csrf: bool = False
    flash_changed: bool = False


def _cookie_token(connection: ASGIConnection[Any, Any, Any, Any], name: str) -> str | None:
    value = connection.cookies.get(name)
    return value if isinstance(value, str) and _TOKEN.match(value) else None


class ConsoleSessionMiddleware:
    """Resolves the session cookie before the console's handlers, writes its changes after."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        token = _cookie_token(connection, COOKIE)
        session = await sessions.resume(token) if token else None
        state = _RequestState(
            session=session,
            stale_cookie=session is None and COOKIE in connection.cookies,
            anonymous_csrf=_cookie_token(connection, CSRF_COOKIE),
        )
        scope[_STATE] = state  # type: ignore[literal-required]
        settings: Settings = scope["litestar_app"].state.settings
        secure = settings.public_base_url.startswith("https://")

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                if state.flash_changed and state.session is not None:
                    await sessions.save_flash(state.session)
                headers = MutableScopeHeaders.from_message(message)
                for cookie in _cookies_to_set(state, secure):
                    headers.add("set-cookie", cookie.to_header(header="").strip())
            await send(message)

        await self.app(scope, receive, send_with_session)


def _cookies_to_set(state: _RequestState, secure: bool) -> list[Cookie]:
    def cookie(key: str, value: str, max_age: int) -> Cookie:
        return Cookie(
            key=key, value=value, max_age=max_age, path="/console", secure=secure, httponly=True, samesite="lax"
        )

    found: list[Cookie] = []
    if state.new_token is not None:
        found.append(cookie(COOKIE, state.new_token, SESSION_SECONDS))
    elif state.stale_cookie:
        found.append(cookie(COOKIE, "", 0))
    if state.new_anonymous_csrf is not None:
        found.append(cookie(CSRF_COOKIE, state.new_anonymous_csrf, SESSION_SECONDS))
    elif state.drop_anonymous_csrf and state.anonymous_csrf is not None:
        found.append(cookie(CSRF_COOKIE, "", 0))
    return found


def _state(connection: ASGIConnection[Any, Any, Any, Any]) -> _RequestState:
    state = connection.scope.get(_STATE)
    if not isinstance(state, _RequestState):
        # Outside the console router (no middleware ran): nobody is signed in.
        state = _RequestState(session=None, stale_cookie=False, anonymous_csrf=None)
        connection.scope[_STATE] = state  # type: ignore[literal-required]
    return state


def current_session(connection: ASGIConnection[Any, Any, Any, Any]) -> ConsoleSession | None:
    """The signed-in session of this request, or None."""
    return _state(connection).session


def csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token a form on this page must send back: the session's, or the sign-in form's."""
    state = _state(connection)
    if state.session is not None:
        return state.session.csrf_token
    if state.new_anonymous_csrf is None and state.anonymous_csrf is None:
        state.new_anonymous_csrf = secrets.token_urlsafe(32)
    return state.new_anonymous_csrf or state.anonymous_csrf or ""


def csrf_ok(connection: ASGIConnection[Any, Any, Any, Any], sent: str | None) -> bool:
    state = _state(connection)
    expected = state.session.csrf_token if state.session is not None else state.anonymous_csrf
    if not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


async def start_session(
    connection: ASGIConnection[Any, Any, Any, Any], principal: Principal, display_name: str = ""
) -> None:
    """Sign in: a new session (and CSRF token) replaces whatever this browser had."""
    state = _state(connection)
    if state.session is not None:
        await sessions.end(state.session)
    token, session = await sessions.start(principal, display_name)
    state.session, state.new_token, state.flash_changed = session, token, False
    state.new_anonymous_csrf, state.drop_anonymous_csrf = None, True


async def end_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Sign out: revoke the session server-side and delete the cookie."""
    state = _state(connection)
    if state.session is not None:
        await sessions.end(state.session)
    state.session, state.new_token, state.stale_cookie, state.flash_changed = None, None, True, False


def flash(connection: ASGIConnection[Any, Any, Any, Any], message: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (post/redirect/get); kept in the session's row."""
    state = _state(connection)
    if state.session is not None:
        state.session.flash = (kind, message)
        state.flash_changed = True


def pop_flash(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str] | None:
    state = _state(connection)
    if state.session is None or state.session.flash is None:
        return None
    value, state.session.flash = state.session.flash, None
    state.flash_changed = True
    return value
