"""HTTP benchmark: landed-cost quotes per second against /health throughput, in the same run.

Run: ``DATABASE_URL=... REDIS_URL=... uv run python tests/benchmarks/bench_quotes_http.py [--lines 5 50]``

A throw-away database is created on the configured PostgreSQL (the embedded one when DATABASE_URL is
unset), migrated, given one tenant, and dropped at the end. The API runs in a child process under
uvicorn on a free port of 127.0.0.1 (one worker, as ``orderhub serve``); this process is the client:
raw HTTP/1.1 at concurrency 16 for a bounded number of requests, in rounds of (/health, endpoint)
so that each figure is compared with /health measured just before it. It prints figures; it asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.core import database, embedded  # noqa: E402
from hub.core.bootstrap import Services, migrate  # noqa: E402
from hub.core.settings import APP_DB_ROLE, Settings  # noqa: E402
from tenants import service as tenant_service  # noqa: E402
from tenants.roles import Role  # noqa: E402
from tenants.schemas import TenantCreate  # noqa: E402

CONCURRENCY = 16
CODES = ["610910", "851840", "847130", "851830", "950631", "640399", "330499", "920790", "850819"]


def quote_body(lines: int) -> dict[str, Any]:
    return {
        "origin_country": "CN",
        "ship_from_country": "CN",
        "destination_country": "DE",
        "currency": "USD",
        "incoterm": "DDP",
        "transport_mode": "courier",
        "date": "2026-11-27",
        "shipping": "85.00",
        "insurance": "12.50",
        "fx_rates": {"EUR/USD": "1.05"},
        "lines": [
            {
                "description": f"item {i}",
                "hs_code": CODES[i % len(CODES)],
                "origin_country": "CN",
                "quantity": 1 + i % 3,
                "unit_price": f"{10 + i * 7}.{i % 100:02d}",
                "weight_kg": "0.4",
            }
            for i in range(lines)
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def database_name(url: str) -> str:
    """The database a DSN names. Not the last ``/`` of the whole URL: the embedded server's
    ``?host=/path/to/socket`` has slashes of its own."""
    return url.partition("?")[0].rpartition("/")[2]


def _replace_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


def _settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=None,
        app_database_url=None,
        redis_url=None,
        secret_key="bench-secret-key-not-for-production-0123456789",
        max_body_bytes=1_048_576,
        max_upload_bytes=1_048_576,
        log_level="WARNING",
    )


def _serve(services: Services, port: int, data_dir: str, workers: int) -> None:
    from hub.cli import _serve as serve  # noqa: PLC0415

    settings = _settings(Path(data_dir))
    # The environment carries the settings to the processes of ``--workers N``.
    os.environ.update(
        {
            "ORDERHUB_DATA_DIR": data_dir,
            "ORDERHUB_SECRET_KEY": settings.secret_key,
            "ORDERHUB_LOG_LEVEL": settings.log_level,
            "ORDERHUB_MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
        }
    )
    # multiprocessing gave this child a /dev/null stdin whose descriptor uvicorn would hand on to its
    # own worker processes, where it does not exist; without a stdin uvicorn passes none.
    sys.stdin = None  # type: ignore[assignment]
    serve(services, "127.0.0.1", port, workers, settings=settings)


async def _admin(server_url: str, sql: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _make_tenant(services: Services) -> str:
    database.configure(services.app_database_url)
    await database.start_pool(2)
    try:
        tenant, _owner_key = await tenant_service.create_tenant(
            TenantCreate(slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench", base_currency="EUR", origin_country="CN")
        )
        del _owner_key
        # An admin key: benchmarks also set up accounts and settings, which a clerk may not.
        return (await tenant_service.create_api_key(tenant.id, Role.ADMIN, "bench")).api_key
    finally:
        await database.close_pool()


async def _wait_ready(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the API did not come up")


class _Connection:
    """A minimal HTTP/1.1 keep-alive client connection: the load generator must cost less than the
    server it measures (httpx spends more CPU per request than /health does), and both share the box."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _run(connections: list[_Connection], count: int, raw: bytes) -> tuple[float, list[float]]:
    """``count`` requests over ``CONCURRENCY`` connections; (requests per second, latencies in seconds)."""
    latencies: list[float] = []
    remaining = count

    async def worker(connection: _Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            status, body = await connection.send(raw)
            latencies.append(time.perf_counter() - started)
            if status not in (200, 201):
                raise RuntimeError(f"{status}: {body[:300]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    return count / (time.perf_counter() - started), latencies


def _p(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


Measure = Callable[[], Awaitable[tuple[float, list[float]]]]


def cpu_seconds() -> dict[str, float] | None:
    """CPU time used so far by this client, the API (this process's descendants) and PostgreSQL
    (every process named ``postgres``: the server, its backends and WAL writer). Read from Linux's
    /proc; None elsewhere. Processes that ended in between are not counted."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    me, tick = os.getpid(), os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    names: dict[int, str] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        pid, fields = int(entry.name), raw[raw.rindex(")") + 2 :].split()
        names[pid] = raw[raw.index("(") + 1 : raw.rindex(")")]
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick

    def descends_from_me(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
        return False

    totals = {"client": used.get(me, 0.0), "api": 0.0, "postgres": 0.0}
    for pid, seconds in used.items():
        if names[pid] == "postgres":
            totals["postgres"] += seconds
        elif pid != me and descends_from_me(pid):
            totals["api"] += seconds
    return totals


def _cpu_line(before: dict[str, float] | None, after: dict[str, float] | None, count: int, at_target: float) -> str:
    """Where the CPU went per request, beside what the whole machine could give per request at the
    target rate: the target is out of reach when the first exceeds the second."""
    if before is None or after is None:
        return ""
    per = {key: (after[key] - before[key]) * 1000 / count for key in before}
    cores = os.cpu_count() or 1
    return (
        f"    CPU per request: API {per['api']:.2f} ms, PostgreSQL {per['postgres']:.2f} ms, "
        f"client {per['client']:.2f} ms (sum {sum(per.values()):.2f} ms); at the target rate "
        f"({at_target:,.0f}/s) {cores} cores give {cores * 1000 / at_target:.2f} ms per request in all"
    )


async def against_health(
    connections: list[_Connection], label: str, measure: Measure, *, count: int, rounds: int, target: float
) -> float:
    """``rounds`` rounds of (/health, then ``measure``); prints each round and the median ratio.

    The box is shared and its speed drifts (another process, another VM), so /health is measured
    right before each measurement it is compared with, and the median of the ratios is the figure.
    """
    health = _request("GET", "/health", {})
    await _run(connections, 200, health)  # warm up
    ratios = []
    for number in range(1, rounds + 1):
        cpu_health = cpu_seconds()
        health_rps, health_lat = await _run(connections, max(count, 2000), health)
        cpu_before = cpu_seconds()
        rps, lat = await measure()
        cpu_after = cpu_seconds()
        ratios.append(rps / health_rps)
        print(
            f"  round {number}: /health {health_rps:,.0f} req/s (p99 {_p(health_lat, 0.99):.2f} ms); "
            f"{label} {rps:,.0f}/s, p50 {_p(lat, 0.5):.1f} ms, p99 {_p(lat, 0.99):.1f} ms, "
            f"mean {statistics.fmean(lat) * 1000:.1f} ms; ratio {ratios[-1]:.3f}"
        )
        if line := _cpu_line(cpu_before, cpu_after, len(lat), target * health_rps):
            print(line)
            if cpu_health is not None and cpu_before is not None:
                api_health = (cpu_before["api"] - cpu_health["api"]) * 1000 / len(health_lat)
                print(f"    (one /health request: API {api_health:.3f} ms)")
    median = statistics.median(ratios)
    print(f"{label}: median ratio to /health {median:.3f} over {rounds} rounds (target >= {target})")
    return median


async def _measure(port: int, api_key: str, line_counts: list[int], count: int, rounds: int) -> None:
    connections = [await _Connection.open(port) for _ in range(CONCURRENCY)]
    try:
        auth = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        first = _request("POST", "/v1/landed-cost/quotes", auth, json.dumps(quote_body(1)).encode())
        _, body = await connections[0].send(first)
        quote_id = json.loads(body)["id"]
        # Reference: an authenticated read of one stored quote (API-key lookup + one tenant transaction).
        read = _request("GET", f"/v1/landed-cost/quotes/{quote_id}", {"Authorization": f"Bearer {api_key}"})
        await _run(connections, 50, read)
        await against_health(
            connections,
            "GET /v1/landed-cost/quotes/{id} (reference: auth + one read)",
            functools.partial(_run, connections, count, read),
            count=count,
            rounds=rounds,
            target=0.4,
        )
        for lines in line_counts:
            raw = _request("POST", "/v1/landed-cost/quotes", auth, json.dumps(quote_body(lines)).encode())
            await _run(connections, 50, raw)  # warm the tenant's tables and the pool
            await against_health(
                connections,
                f"POST /v1/landed-cost/quotes ({lines} lines, stored)",
                functools.partial(_run, connections, count, raw),
                count=count,
                rounds=rounds,
                target=0.4,
            )
    finally:
        for connection in connections:
            connection.close()


class Served(NamedTuple):
    port: int
    api_key: str
    owner_database_url: str
    services: Services


@contextlib.contextmanager
def served_api(workers: int = 1) -> Iterator[Served]:
    """A throw-away database, migrated, one tenant's admin key, and the API in a child process.

    Yields :class:`Served`; everything is torn down (the database dropped) on exit. Shared by every
    HTTP benchmark in this folder.
    """
    data_dir = ROOT / "var" / "bench"
    server_url = os.environ.get("DATABASE_URL") or embedded.start_postgres(data_dir)
    redis_url = os.environ.get("REDIS_URL") or embedded.start_redis(data_dir)
    name = f"orderhub_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    owner_url = _replace_database(server_url, name)
    process: multiprocessing.Process | None = None
    try:
        asyncio.run(migrate(owner_url, quiet=True))
        services = Services(
            owner_database_url=owner_url,
            app_database_url=embedded.app_url_for(owner_url, APP_DB_ROLE),
            redis_url=redis_url,
            embedded_database="DATABASE_URL" not in os.environ,
            embedded_redis="REDIS_URL" not in os.environ,
        )
        api_key = asyncio.run(_make_tenant(services))
        port = _free_port()
        process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(services, port, str(data_dir), workers), daemon=False
        )
        process.start()
        asyncio.run(_wait_ready(f"http://127.0.0.1:{port}"))
        processes = "one uvicorn worker" if workers <= 1 else f"{workers} uvicorn workers"
        print(f"API on 127.0.0.1:{port} ({processes}), client concurrency {CONCURRENCY}")
        yield Served(port, api_key, owner_url, services)
    finally:
        if process is not None:
            process.terminate()
            process.join(10)
            if process.is_alive():  # a graceful shutdown that hangs must not outlive the benchmark
                process.kill()
                process.join(5)
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, nargs="+", default=[5, 50], help="lines per quote")
    parser.add_argument("--count", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of /health then the endpoint")
    parser.add_argument("--workers", type=int, default=1, help="API processes (as orderhub serve --workers)")
    args = parser.parse_args()
    with served_api(args.workers) as served:
        asyncio.run(_measure(served.port, served.api_key, args.lines, args.count, args.rounds))


if __name__ == "__main__":
    main()
