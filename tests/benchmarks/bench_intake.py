"""HTTP benchmark: order intake (POST /v1/orders) at concurrency 16 against /health, in the same run.

Run: ``DATABASE_URL=... REDIS_URL=... uv run python tests/benchmarks/bench_intake.py [--count 1000]``

Same harness as ``bench_quotes_http.py`` (throw-away database, API in a child uvicorn process on
127.0.0.1, a light keep-alive client). Each order is unique (its own external_ref), names a catalog
SKU with stock, so every request runs the whole intake: validation, pricing, customer upsert, gapless
number, reservation, review, timeline and outbox. Target on 2 cores: intake >= 0.15 x /health,
p99 <= 250 ms, zero errors. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_quotes_http import CONCURRENCY, _Connection, _p, _request, against_health, served_api  # noqa: E402


def order_body(ref: str) -> bytes:
    return json.dumps(
        {
            "channel": "api",
            "external_ref": ref,
            "customer": {
                "code": f"C-{ref[-3:]}",
                "name": "Anna Schmidt",
                "email": "a@example.de",
                "phone": "+49 30 1234567",
            },
            "ship_to": {
                "name": "Anna Schmidt",
                "line1": "Hauptstr. 5",
                "city": "Berlin",
                "postal_code": "10115",
                "country": "DE",
            },
            "currency": "EUR",
            "incoterm": "DDP",
            "shipping": {"amount": "12.00", "currency": "EUR"},
            "lines": [
                {"sku": "TS-RED-M", "quantity": 1, "unit_price": {"amount": "19.90", "currency": "EUR"}},
                {
                    "name": "Gift wrap",
                    "hs_code": "482390",
                    "origin_country": "CN",
                    "weight_kg": "0.05",
                    "quantity": 1,
                    "unit_price": {"amount": "2.50", "currency": "EUR"},
                    "discount": {"type": "percent", "value": "10"},
                },
            ],
        }
    ).encode()


def _order_requests(api_key: str, count: int) -> list[bytes]:
    """Built before the clock starts: the client shares the two cores with the server."""
    auth = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    run_id = uuid.uuid4().hex[:8]
    return [_request("POST", "/v1/orders", auth, order_body(f"B-{run_id}-{index:06d}")) for index in range(count)]


async def _intake(connections: list[_Connection], requests: list[bytes]) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    pending = iter(requests)

    async def worker(connection: _Connection) -> None:
        nonlocal errors
        for raw in pending:
            started = time.perf_counter()
            status, _ = await connection.send(raw)
            latencies.append(time.perf_counter() - started)
            if status != 201:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    return len(requests) / (time.perf_counter() - started), latencies, errors


async def _measure(port: int, api_key: str, count: int, rounds: int) -> None:
    connections = [await _Connection.open(port) for _ in range(CONCURRENCY)]
    try:
        auth = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        product = {
            "sku": "TS-RED-M",
            "name": "T-shirt red M",
            "hs_code": "610910",
            "origin_country": "CN",
            "unit_price": {"amount": "19.90", "currency": "EUR"},
            "weight_kg": "0.2",
        }
        await connections[0].send(_request("POST", "/v1/products", auth, json.dumps(product).encode()))
        await connections[0].send(
            _request("PUT", "/v1/stock/TS-RED-M", auth, json.dumps({"on_hand": 10_000_000}).encode())
        )
        await _intake(connections, _order_requests(api_key, 50))  # warm up
        batches = [_order_requests(api_key, count) for _ in range(rounds)]
        errors = 0
        worst_p99 = 0.0

        async def post_a_batch() -> tuple[float, list[float]]:
            nonlocal errors, worst_p99
            rps, latencies, failed = await _intake(connections, batches.pop())
            errors += failed
            worst_p99 = max(worst_p99, _p(latencies, 0.99))
            return rps, latencies

        await against_health(connections, "POST /v1/orders", post_a_batch, count=count, rounds=rounds, target=0.15)
        print(f"errors {errors} of {count * rounds}; worst round p99 {worst_p99:.1f} ms (target <= 250 ms)")
    finally:
        for connection in connections:
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="orders to post per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of /health then the orders")
    parser.add_argument("--workers", type=int, default=1, help="API processes (as orderhub serve --workers)")
    args = parser.parse_args()
    with served_api(args.workers) as served:
        asyncio.run(_measure(served.port, served.api_key, args.count, args.rounds))


if __name__ == "__main__":
    main()
