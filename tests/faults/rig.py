"""The fault-injection rig: a private PostgreSQL and Redis, the hub's API and worker as real processes.

Nothing here is shared with the rest of the suite or the machine: PostgreSQL is ``initdb``-ed into a
temporary directory and listens on a free port (TCP on 127.0.0.1 only, no Unix socket), Redis runs on
another free port without persistence, and the API (``orderhub serve``) and the worker (``orderhub
worker``) are subprocesses pointed at them with ``DATABASE_URL`` / ``REDIS_URL``. Each piece can be
stopped, killed (SIGKILL, by the pid this rig started) and started again, which is what the fault
scenarios do.

PostgreSQL refuses to run as root; under root (CI containers) its binaries run as the ``postgres``
system user, which owns the temporary directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx


def _pg_bin() -> Path:
    """``ORDERHUB_FAULTS_PG_BIN``, else Debian's PostgreSQL 15, else the newest installed, else PATH."""
    configured = os.environ.get("ORDERHUB_FAULTS_PG_BIN")
    if configured:
        return Path(configured)
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    return next((c for c in candidates if (c / "initdb").exists()), candidates[0])


PG_BIN = _pg_bin()
SECRET_KEY = "faults-rig-secret-key-not-for-production-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    what: str, check: Callable[[], bool], timeout: float, *, every: float = 0.1, log: Path | None = None
) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` (and the log's tail) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- log tail ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    raise AssertionError(f"{what}: not within {timeout:g} s{tail}")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class PrivatePostgres:
    """A PostgreSQL 15 cluster of its own: ``initdb`` into a temp dir, ``pg_ctl`` start/stop/restart."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise AssertionError(f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql-15)")
        self.root = Path(tempfile.mkdtemp(prefix="orderhub-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            try:
                owner = pwd.getpwnam(self._user)
            except KeyError:
                raise AssertionError("running as root needs a 'postgres' system user to run PostgreSQL") from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        kwargs: dict[str, Any] = {}
        if self._user is not None:
            kwargs.update(user=self._user, group=self._user, extra_groups=[])
        done = subprocess.run(
            [str(PG_BIN / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "''",
            "max_connections": "100",
            "shared_buffers": "'64MB'",
            # Only the PostgreSQL processes die here, never the machine: what was written reaches the
            # OS, so flushing it to disk proves nothing. synchronous_commit stays on: with it off, a
            # crash ("immediate") loses commits a client was already told about.
            "fsync": "off",
            "full_page_writes": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A redis-server of its own on a free port, without persistence: a restart starts it empty."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("redis-server not found (apt-get install redis-server)")
        self.binary = binary
        self.root = root
        self.port = free_port()
        self.log = root / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([*args, "--dir", str(self.root)], stdout=log, stderr=subprocess.STDOUT)
        wait_for("redis-server accepts connections", lambda: _port_open(self.port), 15, log=self.log)

    def stop(self) -> None:
        """Stop it at once (SIGKILL): whatever it held is gone, as in a crash or an eviction."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class HubProcess:
    """``orderhub <command>`` as a subprocess of this rig, logging to its own file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], root: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            log.write(f"\n=== start {self.starts + 1} ===\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, the process this rig started: no shutdown hook, no finally block runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Rig:
    """PostgreSQL, Redis, the API and the worker, each restartable; ``key`` is an owner's API key."""

    def __init__(self, *, egress_allow: list[int], extra_env: dict[str, str] | None = None) -> None:
        orderhub = shutil.which("orderhub")
        if orderhub is None:
            raise AssertionError("the orderhub console script is installed by uv sync")
        self.postgres = PrivatePostgres()
        self.root = Path(tempfile.mkdtemp(prefix="orderhub-faults-"))
        self.redis = PrivateRedis(self.root)
        self.api_port = free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERHUB_", "DATABASE_URL", "REDIS_URL"))}
        env.pop("APP_DATABASE_URL", None)
        env.update(
            DATABASE_URL=self.postgres.url,
            REDIS_URL=self.redis.url(),
            ORDERHUB_DATA_DIR=str(self.root / "var"),
            ORDERHUB_SECRET_KEY=SECRET_KEY,
            ORDERHUB_PUBLIC_URL=self.base,
            ORDERHUB_EGRESS_ALLOW=",".join(f"127.0.0.1:{port}" for port in egress_allow),
            ORDERHUB_LOG_LEVEL="WARNING",
        )
        env.update(extra_env or {})
        self.env = env
        self.api = HubProcess("api", [orderhub, "serve", "--port", str(self.api_port)], env, self.root)
        self.worker = HubProcess("worker", [orderhub, "worker"], env, self.root)
        self.orderhub = orderhub
        self.key = ""

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.postgres.init()
        self.postgres.start()
        self.redis.start()
        # Migrations and the tenant first, once: the API and worker then start on a migrated schema.
        created = subprocess.run(
            [
                self.orderhub,
                "tenant",
                "create",
                "faults",
                "--name",
                "Faults Ltd",
                "--base-currency",
                "EUR",
                "--origin-country",
                "CN",
                "--owner-email",
                "owner@faults.example",
                "--json",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if created.returncode != 0:
            raise AssertionError(f"orderhub tenant create failed:\n{created.stdout}\n{created.stderr}")
        self.key = json.loads(created.stdout)["api_key"]
        self.api.start()
        self.worker.start()
        self.wait_api_ready()

    def stop(self) -> None:
        self.worker.terminate()
        self.api.terminate()
        self.redis.stop()
        self.postgres.destroy()
        if os.environ.get("ORDERHUB_FAULTS_KEEP_LOGS"):
            print(f"fault rig logs kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def wait_api_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if not self.api.alive():
                raise AssertionError(f"the API exited:\n{self.api.tail()}")
            try:
                return httpx.get(f"{self.base}/ready", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for("the API answers /ready", ready, timeout, every=0.2, log=self.api.log)

    def restart_api(self) -> None:
        self.api.kill()
        self.api.start()
        self.wait_api_ready()

    # -- a view of the database, as its owner ------------------------------------------------------

    def sql(self, query: str, *args: Any) -> list[dict[str, Any]]:
        """Rows of ``query`` run as the owner on the private cluster (no row-level security)."""
        import asyncio  # noqa: PLC0415

        import asyncpg  # noqa: PLC0415

        async def run() -> list[dict[str, Any]]:
            connection = await asyncpg.connect(self.postgres.url, timeout=10)
            try:
                return [dict(row) for row in await connection.fetch(query, *args)]
            finally:
                await connection.close()

        return asyncio.run(run())

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@contextlib.contextmanager
def running(rig: Rig) -> Iterator[Rig]:
    try:
        rig.start()
        yield rig
    finally:
        rig.stop()
