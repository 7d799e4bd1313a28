"""Benchmark: loading a 100,000-row official schedule, and quotes with a whole schedule loaded.

Run: ``DATABASE_URL=... uv run python tests/benchmarks/bench_schedules.py [--rows 100000] [--quotes 2000]``

1. A UK Trade Tariff bulk CSV of ``--rows`` rows (the columns of the Department for Business and
   Trade's ``measures-on-declarable-commodities``; codes and rates generated, four measures per
   code: third-country duty, a compound one on every fifth code, a preference for Japan, a
   preference for the EU group, VAT which is skipped) is loaded twice: as reference data the way
   ``orderhub tariff import`` does (parse, check, store, switch in) and as a tenant's own upload
   (``POST /v1/tariff-schedules``'s service). Target: under 60 s each.
2. Quotes, side by side in alternating rounds: tenant A quotes GB from the hub's own tables (as
   before schedules existed), tenant B from its full uploaded schedule; the same number of lines,
   concurrency 16, in A-B-B-A rounds, computed and stored (``customs.quotes.create_stored_quote_json``, the API's own
   call). Target: B within 10 % of A. Each round also reports the CPU one quote cost (this process
   and the PostgreSQL backends of the throw-away database), and the speed ratio that gives: on a
   shared machine a neighbour's load moves the round's throughput, much less the CPU a quote costs.

A throw-away database is created on the configured PostgreSQL (embedded when unset) and dropped.
It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from customs import quotes  # noqa: E402
from customs.schedules import importer, lookup  # noqa: E402
from customs.schedules import service as schedule_service  # noqa: E402
from customs.schemas import QuoteRequest  # noqa: E402
from hub.core import database, embedded  # noqa: E402
from hub.core.bootstrap import migrate  # noqa: E402
from hub.core.settings import APP_DB_ROLE  # noqa: E402
from tenants import service as tenant_service  # noqa: E402
from tenants.schemas import TenantCreate  # noqa: E402

CONCURRENCY = 16
UK_FILE = "uk-tariff-2021-01-01--v4.0.1527--measures-on-declarable-commodities.csv"
HEADER = [
    "commodity__code",
    "commodity__description",
    "measure__sid",
    "measure__type__id",
    "measure__duty_expression",
    "measure__effective_start_date",
    "measure__effective_end_date",
    "measure__geographical_area__id",
    "measure__excluded_geographical_areas__ids",
]
STARTER_CODES = ["610910", "851840", "847130", "851830", "950631"]


def code_of(i: int) -> str:
    # Ten digits whose last pair is never "00" (that would denote a higher level).
    return f"{(i % 97) + 1:02d}{i:06d}{(i % 89) + 10:02d}"


def uk_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    sid = 0
    for i in range(rows // 4 + 1):
        code = code_of(i)
        duty = f"{i % 17}.00 % + 12.50 GBP / 100 kg" if i % 5 == 0 else f"{i % 17}.00 %"
        for type_id, expression, area in (
            ("103", duty, "1011"),
            ("142", "0.00 %", "JP"),
            ("142", "0.00 %", "1013"),
            ("305", "20.00 %", "1011"),
        ):
            if sid >= rows:
                break
            sid += 1
            writer.writerow([code, f"goods {i}", sid, type_id, expression, "2021-01-01", "#NA", area, "#NA"])
    return out.getvalue().encode()


def quote_request(codes: list[str], lines: int) -> QuoteRequest:
    return msgspec.convert(
        {
            "origin_country": "CN",
            "ship_from_country": "CN",
            "destination_country": "GB",
            "currency": "GBP",
            "incoterm": "DDP",
            "date": "2026-11-27",
            "shipping": "25.00",
            "lines": [
                {
                    "hs_code": codes[i % len(codes)],
                    "quantity": 1 + i % 3,
                    "unit_price": f"{60 + i * 7}.50",
                    "weight_kg": "0.4",
                    "origin_country": "CN",
                }
                for i in range(lines)
            ],
        },
        QuoteRequest,
    )


def tenant_body(name: str) -> TenantCreate:
    return TenantCreate(slug=f"{name}-{uuid.uuid4().hex[:6]}", name=name, base_currency="GBP", origin_country="CN")


def backends_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving ``database`` (Linux /proc; 0 elsewhere)."""
    total, mark = 0.0, f" {database} "
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not (cmdline.startswith("postgres:") and mark in cmdline):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


async def quote_round(
    tenant_id: uuid.UUID, request: QuoteRequest, count: int, database: str = ""
) -> tuple[float, float]:
    """``count`` quotes at concurrency 16: (quotes per second, CPU per quote in this process and the
    database's backends, in seconds). On a shared machine the CPU per quote is the steadier figure:
    a neighbour's load slows the clock of a round, not the work one quote costs."""
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await quotes.create_stored_quote_json(tenant_id, request, order_id=None, actor="bench")

    cpu, db = time.process_time(), backends_cpu(database) if database else 0.0
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    rate = count / (time.perf_counter() - started)
    used = time.process_time() - cpu + (backends_cpu(database) - db if database else 0.0)
    return rate, used / count


async def main(rows: int, count: int, lines: int, rounds: int) -> None:
    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(ROOT / "var" / "bench")
    name = f"orderhub_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base, _, query = server.partition("?")
    owner_url = base.rpartition("/")[0] + f"/{name}" + (f"?{query}" if query else "")
    try:
        await migrate(owner_url, quiet=True)
        data = uk_csv(rows)
        print(f"generated {rows} rows, {len(data) / 1e6:.1f} MB")

        database.configure(embedded.app_url_for(owner_url, APP_DB_ROLE))
        await database.start_pool(10)
        try:
            plain, _ = await tenant_service.create_tenant(
                TenantCreate(
                    slug=f"plain-{uuid.uuid4().hex[:6]}", name="Plain", base_currency="GBP", origin_country="CN"
                )
            )
            loaded, _ = await tenant_service.create_tenant(
                TenantCreate(
                    slug=f"loaded-{uuid.uuid4().hex[:6]}", name="Loaded", base_currency="GBP", origin_country="CN"
                )
            )
            started = time.perf_counter()
            upload = await schedule_service.upload(loaded.id, "uk-trade-tariff", data, file_name=UK_FILE, actor="b")
            print(f"tenant upload (POST /v1/tariff-schedules): {time.perf_counter() - started:.1f} s, "
                  f"{upload.measures_loaded} measures; target < 60 s")  # fmt: skip

            without = quote_request(STARTER_CODES, lines)
            # Codes whose third-country duty is ad valorem, as every starter code's is: the comparison is
            # of the schedule's cost, not of compound expressions (i % 5 == 0 is compound, see uk_csv).
            with_schedule = quote_request([code_of(i) for i in range(1, 60, 6) if i % 5][:5], lines)
            for tenant, request in ((plain.id, without), (loaded.id, with_schedule)):
                await quote_round(tenant, request, 200)  # warm: tenant data and the codes' entries cached
            ratios, cpu_ratios = [], []
            for n in range(rounds):
                # A B B A: a load that drifts during the round (other processes on a 2-core machine) weighs
                # on both sides alike, which A B alone does not give.
                a1, ca1 = await quote_round(plain.id, without, count // 2, name)
                b1, cb1 = await quote_round(loaded.id, with_schedule, count // 2, name)
                b2, cb2 = await quote_round(loaded.id, with_schedule, count // 2, name)
                a2, ca2 = await quote_round(plain.id, without, count // 2, name)
                a, b, ca, cb = (a1 + a2) / 2, (b1 + b2) / 2, (ca1 + ca2) / 2, (cb1 + cb2) / 2
                ratios.append(b / a)
                cpu_ratios.append(ca / cb)
                print(
                    f"round {n + 1}: hub tables {a:,.0f}/s, full UK schedule {b:,.0f}/s, ratio {b / a:.3f}; "
                    f"CPU per quote (this process + its backends) {ca * 1e6:.0f} vs {cb * 1e6:.0f} us, "
                    f"speed ratio by CPU {ca / cb:.3f}"
                )
            for label, values in (("throughput", ratios), ("CPU per quote", cpu_ratios)):
                quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
                print(
                    f"{lines}-line quotes with the whole schedule loaded, by {label}: median ratio "
                    f"{statistics.median(values):.3f}, quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f} over {rounds} "
                    f"A-B-B-A rounds (target >= 0.90)"
                )
            print(f"cached schedule entries {len(lookup._ENTRIES)}")
        finally:
            await database.close_pool()
        # Last: reference data is read by every tenant, the plain one included.
        started = time.perf_counter()
        prepared = importer.prepare("uk-trade-tariff", data, file_name=UK_FILE)
        parsed_at = time.perf_counter()
        report = await importer.load_reference(owner_url, prepared, actor="bench")
        done = time.perf_counter()
        print(
            f"reference load (orderhub tariff import): {done - started:.1f} s for {report.rows_read} rows "
            f"(parse and check {parsed_at - started:.1f} s, store {done - parsed_at:.1f} s), "
            f"{report.measures_loaded} measures on {report.codes} codes, {report.skipped_count} skipped; target < 60 s"
        )

    finally:
        admin = await asyncpg.connect(server)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quotes", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.quotes, args.lines, args.rounds))
