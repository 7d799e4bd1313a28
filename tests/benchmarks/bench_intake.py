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

from bench_quotes_http import CONCURRENCY, _Connection, _p, _request, _run, served_api  # noqa: E402


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


async def _intake(connections: list[_Connection], count: int, api_key: str) -> tuple[float, list[float], int]:
    auth = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    run_id = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    errors = 0
    # Built before the clock starts: the client shares the two cores with the server.
    pending = iter(
        [_request("POST", "/v1/orders", auth, order_body(f"B-{run_id}-{index:06d}")) for index in range(count)]
    )

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
    return count / (time.perf_counter() - started), latencies, errors


async def _measure(port: int, api_key: str, count: int) -> None:
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
        health = _request("GET", "/health", {})
        await _run(connections, 200, health)
        health_rps, health_lat = await _run(connections, count * 2, health)
        print(f"/health: {health_rps:,.0f} req/s, p50 {_p(health_lat, 0.5):.2f} ms, p99 {_p(health_lat, 0.99):.2f} ms")
        await _intake(connections, 50, api_key)  # warm up
        rps, lat, errors = await _intake(connections, count, api_key)
        print(
            f"POST /v1/orders: {rps:,.1f} orders/s, p50 {_p(lat, 0.5):.1f} ms, p99 {_p(lat, 0.99):.1f} ms, "
            f"errors {errors}; ratio to /health {rps / health_rps:.3f} (target >= 0.15, p99 <= 250 ms)"
        )
    finally:
        for connection in connections:
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="orders to post")
    parser.add_argument("--workers", type=int, default=1, help="API processes (as orderhub serve --workers)")
    args = parser.parse_args()
    with served_api(args.workers) as served:
        asyncio.run(_measure(served.port, served.api_key, args.count))


if __name__ == "__main__":
    main()
