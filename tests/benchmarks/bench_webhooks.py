"""HTTP benchmark: signed carrier tracking webhooks at concurrency 16 against /health, in the same run.

Run: ``DATABASE_URL=... REDIS_URL=... uv run python tests/benchmarks/bench_webhooks.py [--kill-worker]``

Same harness as ``bench_quotes_http.py``. A sandbox carrier account (simulation off) receives signed
``Hub-Signature`` webhooks, each a distinct tracking event. By default no worker runs: the endpoint's
promise is that an event answered 2xx is already stored, so after the run the benchmark counts the
stored raw events and compares them with the accepted ones (zero loss means equal). With
``--kill-worker`` the real worker (relay + jobs) processes events from the start and is killed with
SIGKILL during round 2; the count must still match, and what it had not processed stays stored.
Target on 2 cores: accepted events/s >= 0.3 x /health, zero loss. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_quotes_http import CONCURRENCY, _Connection, _request, against_health, served_api  # noqa: E402

from carriers.base import Address  # noqa: E402
from carriers.sandbox.mapper import build_webhook_body, event_timeline  # noqa: E402
from carriers.signatures import sign_hub  # noqa: E402
from hub.core.bootstrap import Services  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"


SHIP_FROM = Address(name="Lager", line1="Industriestr. 1", city="Shenzhen", postal_code="518057", country="CN")
SHIP_TO = Address(name="Anna Schmidt", line1="Hauptstr. 5", city="Berlin", postal_code="10115", country="DE")


def event_body(tracking: str, index: int) -> bytes:
    """The sandbox carrier's own webhook body: one shipment's in-transit scan, unique per request."""
    events = event_timeline(f"{tracking}{index:06d}", datetime.now(UTC), shipper=SHIP_FROM, recipient=SHIP_TO)
    return build_webhook_body(events[1:2])


def _signed_events(path: str, count: int) -> list[bytes]:
    """Requests built and signed before the clock starts: the client shares the two cores with the
    server, and building a sandbox timeline per request would be measured as the server's cost."""
    tracking = "SBX" + uuid.uuid4().hex[:6].upper()
    requests = []
    for index in range(count):
        body = event_body(tracking, index)
        headers = {"Hub-Signature": sign_hub(SECRET, body), "Content-Type": "application/json"}
        requests.append(_request("POST", path, headers, body))
    return requests


async def _post_events(connections: list[_Connection], requests: list[bytes]) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    accepted = 0
    pending = iter(requests)

    async def worker(connection: _Connection) -> None:
        nonlocal accepted
        for raw in pending:
            started = time.perf_counter()
            status, _ = await connection.send(raw)
            latencies.append(time.perf_counter() - started)
            accepted += 200 <= status < 300

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    return len(requests) / (time.perf_counter() - started), latencies, accepted


def _work(services: Services, queue_name: str) -> None:
    """The real arq worker and outbox relay (``orderhub worker``), on a queue of the benchmark's own."""
    from hub.worker import build_worker  # noqa: PLC0415

    build_worker(services, queue_name=queue_name).run()


async def _wait_for_worker(connection: _Connection, path: str, owner_url: str) -> None:
    """Post one event and wait until the worker has processed it: the worker is up and relaying."""
    [raw] = _signed_events(path, 1)
    status, body = await connection.send(raw)
    event_id = json.loads(body)["id"]
    db = await asyncpg.connect(owner_url)
    try:
        for _ in range(600):
            if await db.fetchval("SELECT status <> 'received' FROM inbound_events WHERE id = $1::uuid", event_id):
                return
            await asyncio.sleep(0.1)
    finally:
        await db.close()
    raise RuntimeError(f"the worker did not process a webhook within a minute ({status})")


async def _measure(
    port: int, api_key: str, owner_url: str, count: int, rounds: int, worker: multiprocessing.Process | None
) -> None:
    connections = [await _Connection.open(port) for _ in range(CONCURRENCY)]
    try:
        auth = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        account_body = {
            "carrier": "sandbox",
            "name": "bench",
            "webhook_secret": SECRET,
            "options": {"simulate_tracking": False},
        }
        status, body = await connections[0].send(
            _request("POST", "/v1/carrier-accounts", auth, json.dumps(account_body).encode())
        )
        if status != 201:
            raise RuntimeError(f"account: {status} {body[:300]!r}")
        path = "/webhooks/" + json.loads(body)["webhook_url"].split("/webhooks/", 1)[1]
        if worker is not None:
            await _wait_for_worker(connections[0], path, owner_url)
        batches = [_signed_events(path, count) for _ in range(rounds)]
        accepted = 0

        async def post_a_batch() -> tuple[float, list[float]]:
            nonlocal accepted
            if worker is not None and len(batches) == rounds - 1:
                # Round 2: the worker is killed while events arrive (no shutdown, no goodbye).
                asyncio.get_running_loop().call_later(0.2, os.kill, worker.pid or 0, signal.SIGKILL)
            rps, latencies, ok = await _post_events(connections, batches.pop())
            accepted += ok
            return rps, latencies

        db = await asyncpg.connect(owner_url)
        try:
            before = await db.fetchval("SELECT count(*) FROM inbound_events")
            await against_health(
                connections,
                f"POST {path.rsplit('/', 1)[0]}/…",
                post_a_batch,
                count=count,
                rounds=rounds,
                target=0.3,
            )
            stored = await db.fetchval("SELECT count(*) FROM inbound_events") - before
            processed = await db.fetchval("SELECT count(*) FROM inbound_events WHERE status <> 'received'")
        finally:
            await db.close()
        sent = count * rounds
        print(f"accepted {accepted} of {sent}, stored {stored}: {'zero loss' if stored == accepted else 'LOSS'}")
        if worker is not None:
            print(
                f"worker killed during round 2 (alive now: {worker.is_alive()}); {processed} events processed "
                f"before that, the other {stored - processed} wait stored for the next worker"
            )
    finally:
        for connection in connections:
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000, help="webhooks to post per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of /health then the webhooks")
    parser.add_argument(
        "--kill-worker", action="store_true", help="run the worker from the start and SIGKILL it during round 2"
    )
    parser.add_argument("--workers", type=int, default=1, help="API processes (as orderhub serve --workers)")
    args = parser.parse_args()
    with served_api(args.workers) as served:
        worker = None
        if args.kill_worker:
            queue = f"arq:bench:{uuid.uuid4().hex[:8]}"
            worker = multiprocessing.get_context("spawn").Process(target=_work, args=(served.services, queue))
            worker.start()
        try:
            asyncio.run(
                _measure(served.port, served.api_key, served.owner_database_url, args.count, args.rounds, worker)
            )
        finally:
            if worker is not None and worker.is_alive():
                worker.kill()


if __name__ == "__main__":
    main()
