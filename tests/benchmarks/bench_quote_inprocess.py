"""Micro-benchmark: time of one 50-line landed-cost quote in-process (not part of the unit suite).

Run: ``uv run python tests/benchmarks/bench_quote_inprocess.py``
"""

from __future__ import annotations

import statistics
import time

import msgspec

from customs.schemas import QuoteRequest
from customs.service import compute_quote
from customs.tariffs import load_starter_tables

CODES = ["610910", "851840", "847130", "851830", "950631", "640399", "330499", "920790", "850819"]


def request(dest: str, currency: str, region: str | None = None) -> QuoteRequest:
    lines = [
        {
            "description": f"item {i}",
            "hs_code": CODES[i % len(CODES)],
            "origin_country": "CN",
            "quantity": 1 + i % 3,
            "unit_price": f"{10 + i * 7}.{i % 100:02d}",
            "weight_kg": "0.4",
        }
        for i in range(50)
    ]
    body = {
        "origin_country": "CN",
        "ship_from_country": "CN",
        "destination_country": dest,
        "destination_region": region,
        "currency": "USD",
        "incoterm": "DDP",
        "transport_mode": "courier",
        "date": "2026-11-27",
        "shipping": "85.00",
        "insurance": "12.50",
        "fx_rates": {"EUR/USD": "1.05", "EUR/" + currency: "1.2"} if currency != "EUR" else {"EUR/USD": "1.05"},
        "lines": lines,
    }
    if currency == "USD":
        body["fx_rates"] = None
    return msgspec.convert(body, QuoteRequest)


def main() -> None:
    tables = load_starter_tables()
    for dest, cur, region in [
        ("DE", "EUR", None),
        ("US", "USD", None),
        ("CA", "CAD", "ON"),
        ("JP", "JPY", None),
        ("GB", "GBP", None),
    ]:
        req = request(dest, cur, region)
        compute_quote(req, tables)  # warm caches
        samples = []
        for _ in range(300):
            t0 = time.perf_counter()
            compute_quote(req, tables)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        print(
            f"{dest}: 50-line quote median {statistics.median(samples) * 1000:.3f} ms, "
            f"p95 {samples[int(len(samples) * 0.95)] * 1000:.3f} ms"
        )


if __name__ == "__main__":
    main()
