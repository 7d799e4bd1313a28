"""Benchmark: render 200 commercial invoices of 20 lines; print documents/s and p95 per document.

Run with ``uv run python tests/benchmarks/bench_documents.py`` (target: p95 < 150 ms). This is a
printed figure, not an assertion: it is not part of the unit suite.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from decimal import Decimal

from customs.documents.preflight import preflight
from customs.documents.render import render_json, render_pdf
from customs.documents.sdr import load_sdr_rates
from customs.documents.snapshot import Address, DocumentLine, DocumentSnapshot, Party, Signatory

DOCUMENTS = 200
LINES = 20
LOCALES = ("zh_Hans", "de", "fr", "es", "ja", "en")


def make_snapshot(n: int) -> DocumentSnapshot:
    lines = [
        DocumentLine(
            sku=f"SKU-{n:03d}-{i:02d}",
            description=f"蓝牙耳机 无线入耳式 型号 X{i:02d}，含充电盒",
            description_en=f"Bluetooth in-ear earphones, wireless, model X{i:02d}, with charging case",
            hs_code="85183000",
            origin_country="CN",
            quantity=1 + i % 5,
            unit_value=Decimal("12.34") + i,
            net_weight_kg=Decimal("0.120"),
            gross_weight_kg=Decimal("0.180"),
        )
        for i in range(LINES)
    ]
    return DocumentSnapshot(
        order_number=f"SO-2026-{n:05d}",
        invoice_number=f"INV-2026-{n:05d}",
        invoice_date=dt.date(2026, 11, 27),
        currency="EUR",
        exporter=Party(
            name="深圳市蓝海电子有限公司",
            company="Shenzhen Blue Sea Electronics Co., Ltd.",
            address=Address(line1="南山区科技园路 8 号", city="深圳", postal_code="518057", country="CN"),
        ),
        importer=Party(
            name="Schmidt Handels GmbH",
            address=Address(line1="Hauptstr. 5", city="Berlin", postal_code="10115", country="DE"),
            eori="DE123456789012345",
            is_business=True,
        ),
        destination_country="DE",
        lines=lines,
        incoterm="DAP",
        freight=Decimal("25.00"),
        insurance=Decimal("1.50"),
        signatory=Signatory(name="Li Wei", title="Export manager", place="Shenzhen"),
    )


def main() -> int:
    rates = load_sdr_rates()
    snapshots = [make_snapshot(n) for n in range(DOCUMENTS)]
    render_pdf(snapshots[0], "commercial_invoice", "zh_Hans")  # warm-up: font metrics, Babel data
    timings: list[float] = []
    sizes: list[int] = []
    started = time.perf_counter()
    for n, snapshot in enumerate(snapshots):
        t0 = time.perf_counter()
        preflight(snapshot, "commercial_invoice", sdr_rates=rates)
        pdf = render_pdf(snapshot, "commercial_invoice", LOCALES[n % len(LOCALES)])
        render_json(snapshot, "commercial_invoice", LOCALES[n % len(LOCALES)])
        timings.append(time.perf_counter() - t0)
        sizes.append(len(pdf))
    elapsed = time.perf_counter() - started
    p95 = statistics.quantiles(timings, n=100)[94]
    print(f"{DOCUMENTS} commercial invoices x {LINES} lines (pre-flight + PDF + JSON each)")
    print(f"throughput: {DOCUMENTS / elapsed:.1f} documents/s")
    print(
        f"per document: median {statistics.median(timings) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {max(timings) * 1000:.1f} ms (target p95 < 150 ms)"
    )
    print(f"PDF size: median {statistics.median(sizes) / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
