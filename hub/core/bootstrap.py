"""Resolve where PostgreSQL and Redis are (configured or embedded) and apply migrations."""

from __future__ import annotations

import contextlib
import io
import os

import msgspec

from hub.core import database, embedded
from hub.core.settings import APP_DB_ROLE, Settings


class Services(msgspec.Struct, frozen=True):
    owner_database_url: str
    app_database_url: str
    redis_url: str
    embedded_database: bool
    embedded_redis: bool


def resolve_services(settings: Settings, *, need_redis: bool = True) -> Services:
    """Configured URLs, or embedded servers started (or joined) under the data dir."""
    owner_url = settings.database_url or embedded.start_postgres(settings.data_dir)
    app_url = settings.app_database_url or embedded.app_url_for(owner_url, APP_DB_ROLE)
    redis_url = settings.redis_url or (embedded.start_redis(settings.data_dir) if need_redis else "")
    return Services(
        owner_database_url=owner_url,
        app_database_url=app_url,
        redis_url=redis_url,
        embedded_database=settings.database_url is None,
        embedded_redis=settings.redis_url is None,
    )


async def migrate(owner_url: str, *, quiet: bool = False) -> None:
    """Apply every Piccolo migration as the owner; leaves the engine pointed at ``owner_url``."""
    os.environ.setdefault("PICCOLO_CONF", "hub.piccolo_conf")
    from piccolo.apps.migrations.commands.forwards import run_forwards  # noqa: PLC0415

    database.configure(owner_url)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{sink.getvalue()}")
