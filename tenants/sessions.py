"""Console sessions, kept server-side: the cookie carries a random token, the table its SHA-256.

A session lasts :data:`SESSION_SECONDS` from sign-in (a working day; it does not slide) and ends
earlier when the user signs out, changes their password (every other session of theirs) or is
disabled. The token names no tenant, so :func:`resume` finds it in the ``authenticate`` system
transaction, joined with its user and tenant: one lookup per console request, which also reads the
user's current role and whether they are still enabled.

The CSRF token of a signed-in session lives in its row, as does the one-time flash message.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from hub.core.database import system_tx, tenant_tx
from hub.core.ids import new_id
from hub.core.system import SystemPath
from tenants import repository
from tenants.schemas import Principal
from tenants.users import principal_of_row

SESSION_SECONDS = 8 * 3600
# Ended sessions are kept this long (who was signed in when), then dropped at the user's next sign-in.
KEEP_ENDED = timedelta(days=30)
MAX_TOKEN_LENGTH = 100


class ConsoleSession(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    principal: Principal
    display_name: str
    csrf_token: str
    expires_at: datetime
    flash: tuple[str, str] | None = None


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start(principal: Principal, display_name: str = "") -> tuple[str, ConsoleSession]:
    """A new session for a person who has just proved who they are; returns the cookie's token."""
    if principal.user_id is None:
        raise ValueError("a console session belongs to a user")
    token = secrets.token_urlsafe(32)
    session = ConsoleSession(
        id=new_id(),
        principal=principal,
        display_name=display_name,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=datetime.now(UTC) + timedelta(seconds=SESSION_SECONDS),
    )
    async with tenant_tx(principal.tenant_id):
        await repository.purge_console_sessions(principal.tenant_id, principal.user_id, datetime.now(UTC) - KEEP_ENDED)
        await repository.insert_console_session(
            principal.tenant_id,
            session.id,
            principal.user_id,
            hash_token(token),
            session.csrf_token,
            session.expires_at,
        )
    return token, session


async def resume(token: str) -> ConsoleSession | None:
    """The live session behind a cookie's token, or None (unknown, expired, revoked, user disabled)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    async with system_tx(SystemPath.AUTHENTICATE):
        row = await repository.console_session_by_token_hash(hash_token(token))
    if row is None or row["revoked_at"] is not None or row["disabled_at"] is not None:
        return None
    if row["expires_at"] <= datetime.now(UTC):
        return None
    flash = row["flash"]
    if isinstance(flash, str):
        flash = msgspec.json.decode(flash)
    return ConsoleSession(
        id=row["session_id"],
        principal=principal_of_row(row),
        display_name=row["display_name"],
        csrf_token=row["csrf_token"],
        expires_at=row["expires_at"],
        flash=(str(flash[0]), str(flash[1])) if isinstance(flash, list) and len(flash) == 2 else None,
    )


async def end(session: ConsoleSession) -> None:
    """Sign out: the session's token is worthless from now on, wherever a copy of the cookie is."""
    principal = session.principal
    assert principal.user_id is not None
    async with tenant_tx(principal.tenant_id):
        await repository.revoke_console_sessions(
            principal.tenant_id, principal.user_id, "logout", only=session.id, keep=None
        )


async def save_flash(session: ConsoleSession) -> None:
    async with tenant_tx(session.principal.tenant_id):
        await repository.set_console_session_flash(
            session.principal.tenant_id, session.id, list(session.flash) if session.flash else None
        )
