"""Golden results of quotes priced from official schedules: speed work on the schedule path must not
move a byte.

``CASES`` deterministic requests into GB and the US, each over a small in-memory schedule of every
kind of measure the matcher reads (ad valorem, free, compound with a maximum, a heading inherited by
its codes, national codes that disagree, origin-specific and suspension rows, preferences claimed
and not, an additional duty, Column 2, Section 301, an uncomputable expression, a measure dated
after the quote), over the starter tables and over tables with a tenant's own row and fallback row.
Each case is computed twice in a row (the second time from what the first remembered) and both
outcomes, the response or the validation errors, are reduced to one digest per case. The digests
were recorded before the schedule path remembered per-selection pricing plans (2026-12-06).
``uv run python tests/unit/customs/test_schedule_quote_golden.py`` prints them all; with a case
number it prints that case's outcome.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
import sys
import uuid
from typing import Any

import msgspec
import pytest

from customs.schedules.expressions import parse_expression
from customs.schedules.matching import CodeEntry, Measure, ScheduleInfo, ScheduleView
from customs.schemas import QuoteRequest
from customs.service import compute_quote
from customs.tariffs import DutyMeasure, TariffTables, load_starter_tables, merge_overrides
from hub.core.errors import ValidationFailed

pytestmark = pytest.mark.unit

CASES = 320
START = dt.date(2026, 1, 1)
DATES = [dt.date(2025, 12, 1), dt.date(2026, 6, 1), dt.date(2026, 11, 27)]


def _m(
    code: str,
    expression: str,
    kind: str = "third_country",
    *,
    row: int,
    origins: tuple[str, ...] | None = None,
    program: str | None = None,
    note: str | None = None,
    dialect: str = "uk",
    valid_from: dt.date | None = None,
) -> Measure:
    try:
        parsed, uncomputable = parse_expression(expression, dialect="us" if dialect == "us" else "uk"), None
    except ValueError as exc:
        parsed, uncomputable = None, str(exc)
    made = Measure(
        code=code,
        seq=row % 7,
        measure_type=kind,
        origin_group="1011" if origins is None else ",".join(origins),
        origins=origins,
        excluded_origins=(),
        program=program,
        expression=expression,
        parsed=parsed,
        uncomputable=uncomputable,
        valid_from=valid_from,
        valid_to=None,
        file_row=row,
        note=note,
    )
    return dataclasses.replace(made, caption=made.describe())


GB_MEASURES = [
    _m("0101000010", "2.00 %", row=2),
    _m("0101000010", "0.00 %", "preferential", row=3, origins=("JP",), program="UK-Japan CEPA"),
    _m("0101000020", "0.00 %", row=4),
    _m("0102", "8.00 %", row=5),
    _m("0102000010", "3.00 %", "preferential", row=6, origins=("JP",), program="UK-Japan CEPA"),
    _m("0102000010", "0.00 %", "preferential", row=7, origins=("DE", "FR"), program="UK-EU TCA"),
    _m("0102000010", "9.00 %", "preferential", row=8, origins=("CN",), program="GSP"),
    _m("0103000010", "9.60 % + 24.20 GBP / 100 kg MAX 18.90 %", row=9),
    _m("0104000010", "5.00 %", row=10),
    _m("0104000010", "35.00 %", row=11, origins=("RU",)),
    _m("0104000010", "1.00 %", row=12, note="autonomous suspension"),
    _m("0105000010", "4.00 %", row=13),
    _m("0105000020", "6.00 %", row=14),
    _m("0106000010", "3.00 %", row=15),
    _m("0106000010", "10.00 %", "additional", row=16, program="safeguard"),
    _m("0106000010", "0.50 GBP / 100 kg", "additional", row=17, program="levy"),
    _m("0107000010", "Cond: A cert: D-008 (01):0.000 EUR TNE I", row=18),
    _m("0108000010", "12.00 %", row=19, valid_from=dt.date(2026, 9, 1)),
    _m("0108000010", "4.00 %", row=20),
    _m("0109000010", "0.00 %", "preferential", row=21, origins=(), note="group 2020 members not in the file"),
    _m("0109000010", "6.50 %", row=22),
]
US_MEASURES = [
    _m("6109100010", "16.5%", row=2, dialect="us"),
    _m("6109100010", "90%", "column2", row=3, origins=("CU", "KP"), dialect="us"),
    _m("6109100010", "25%", "additional", row=4, origins=("CN",), program="Section 301 (9903.88.03)", dialect="us"),
    _m("8471300100", "Free", row=5, dialect="us"),
    _m("0201100000", "26.4¢/kg", row=6, dialect="us"),
    _m("8518400000", "4.9%", row=7, dialect="us"),
    _m("8518400000", "Free", "preferential", row=8, origins=("AU", "MX"), program="USMCA", dialect="us"),
]
GB_CODES = ["0101000010", "0101000020", "0102000010", "0102000090", "0103000010", "0104000010",
            "0105000010", "0106000010", "0108000010", "0109000010", "610910"]  # fmt: skip
US_CODES = ["6109100010", "8471300100", "0201100000", "8518400000", "851840"]
# Codes no quote can price from the schedule (refused), sent now and then.
ODD_CODES = {"GB": ["010500", "0107000010", "0110000010"], "US": ["0301000000"]}
ORIGINS = ["CN", "JP", "DE", "RU", "CU", "MX", None]


def _info(destination: str, source: str, tenant: uuid.UUID | None) -> ScheduleInfo:
    return ScheduleInfo(
        id=uuid.UUID(int=0x5C4ED01E + (1 if destination == "US" else 0)),
        tenant_id=tenant,
        source=source,
        destination=destination,
        revision="golden 1",
        valid_from=START,
        publisher="golden",
        file_name=f"{destination.lower()}.csv",
        file_sha256="0" * 64,
        imported_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )


def _view(destination: str, codes: list[str], claim: bool) -> ScheduleView:
    measures = GB_MEASURES if destination == "GB" else US_MEASURES
    entries = {}
    for code in {c.replace(".", "") for c in codes}:
        entries[code] = CodeEntry(
            code, tuple(m for m in measures if code.startswith(m.code) or m.code.startswith(code))
        )
    source = "uk-trade-tariff" if destination == "GB" else "us-hts"
    tenant = uuid.UUID(int=7) if destination == "GB" else None
    return ScheduleView(info=_info(destination, source, tenant), entries=entries, claim_preference=claim)


def tenant_tables() -> TariffTables:
    rows = msgspec.convert(
        [
            {"type": "duty", "id": "own-0104", "valid_from": "2020-01-01", "source": "ruling GB123",
             "status": "tenant", "destination": "GB", "hs_prefix": "0104000010", "kind": "ad_valorem", "rate": "7"},
            {"type": "duty", "id": "fallback-01", "valid_from": "2020-01-01", "source": "broker",
             "status": "tenant", "destination": "GB", "hs_prefix": "01", "kind": "ad_valorem", "rate": "9",
             "is_fallback": True},
        ],
        list[DutyMeasure],
    )  # fmt: skip
    return merge_overrides(load_starter_tables(), rows)


def request_body(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    dest = "GB" if rng.random() < 0.6 else "US"
    codes = GB_CODES if dest == "GB" else US_CODES
    lines = []
    for i in range(rng.choice([1, 1, 2, 3, 5])):
        line: dict[str, Any] = {
            "description": f"item {i}",
            "hs_code": rng.choice(codes) if rng.random() < 0.93 else rng.choice(ODD_CODES[dest]),
            "quantity": rng.choice([1, 2, 3]),
            "unit_price": rng.choice(["0", "9.99", "60.50", "133.3", "1250", "2400", "880"]),
        }
        if rng.random() < 0.6:
            line["weight_kg"] = rng.choice(["0.4", "2", "31.25"])
        if rng.random() < 0.4:
            line["origin_country"] = rng.choice(ORIGINS)
        if rng.random() < 0.05:
            line["duty_rate"] = "4.5"
        lines.append(line)
    currency = rng.choice(["GBP", "USD", "EUR"])
    return {
        "origin_country": rng.choice(ORIGINS),
        "ship_from_country": "CN",
        "destination_country": dest,
        "currency": currency,
        "incoterm": rng.choice(["DDP", "DAP"]),
        "date": (DATES[0] if rng.random() < 0.05 else rng.choice(DATES[1:])).isoformat(),
        "shipping": rng.choice(["0", "25.00", "7.5"]),
        "fx_rates": {"GBP/USD": "1.27", "EUR/GBP": "0.85", "EUR/USD": "1.05"},
        "claim_preferential_origin": rng.random() < 0.5,
        "lines": lines,
    }


def _once(request: QuoteRequest, tables: TariffTables, view: ScheduleView) -> bytes:
    try:
        return msgspec.json.encode(compute_quote(request, tables, None, view))
    except ValidationFailed as exc:
        return msgspec.json.encode([[e.field, e.message] for e in exc.errors])


def outcome(seed: int) -> bytes:
    body = request_body(seed)
    request = msgspec.convert(body, QuoteRequest)
    tables = tenant_tables() if seed % 4 == 3 else load_starter_tables()
    codes = [line["hs_code"] for line in body["lines"]]
    view = _view(body["destination_country"], codes, body["claim_preferential_origin"])
    first = _once(request, tables, view)
    again = _once(request, tables, view)
    return first if first == again else first + b"\n--- computed again ---\n" + again


def digest(seed: int) -> str:
    return hashlib.sha256(outcome(seed)).hexdigest()[:12]


GOLDEN = """
53ddcf0724a0 ac91e10f69c7 dc5440180666 bec3cc002067 d27bf074f6b4 0350663e80e1 136157fff9c4 c143b1deb8bf
f0d65aa65ec8 4e9fab890860 0d6d871f403d ac91e10f69c7 fe003ca4687c 2fd1696a5f5d 16c549960f48 7f82205358e1
89c8afd882d0 9ff0c8bbb9e3 057087b64c64 f925cd2f0ed2 2f3e10156995 96298247371b d8262918a2f9 7827f4f09a9b
dd2b60cf6a33 62918a5fd474 a12e22399c51 fc2192060437 f8510842eb79 79ec82423d57 20366db68056 d469e6f520ea
cddf4b8a8aea e629a012d73f 161a1d7bf9e0 fa61e8cfc5bb 818bf54a2a84 fc2192060437 00838669e974 2972818e99c7
21ae22cae89a 9ff0c8bbb9e3 02fcd89ac598 9ff0c8bbb9e3 cbfc8b9e29f1 ba49f6ac4dcd 9efd26c57bfa 9a7cb15c0b95
bb739176be07 13361a6bd1f7 92d1160121ee 82a64de1243c 6adb78d213d1 6576b618734e 214c3a844f44 148d6ea89d33
e95e9bcd285a 1b9a7aa5108b 315a39150237 e629a012d73f 37284d1e6162 5f7a0cbc8b9c 44dac5352d8e e97e03617ed9
c5cad59eb55c 6e4e43f8dc46 ac91e10f69c7 9ff0c8bbb9e3 751a5eb081d0 a04b28f7930f 83ae1e140f1c e629a012d73f
c3d4b2bb1395 767ebe8c6413 a2bc8b73aecb d3cae5f6da26 e629a012d73f 9731f98e227b dc5440180666 d883f2e265e1
d57a2d25e315 001be7802da4 74a45b87b821 14fcac917e46 70c8d711c904 05eb6d98f65a dc5440180666 9391162e78b0
d5a012054fac 72a091521141 8f0286e12467 b17328db4a06 43567dbca763 f928caac1479 bcf480f5d8c2 5bc06de6a7fd
4cf23d51ffad 1a16b2aa53da f2dbd4c3cc2d e631a52150a6 70633c12dbea 196aff101dea 84ce3871f213 fc2192060437
8c2b45db5fb2 76874aadda49 4a5f0cf38094 cebbb6525fd8 c41ef6d4697f b2a1b4baaa65 cc68d0f10cd9 dc02c065e892
ca3be7c6cd37 ed0d05246ff3 0c25ce6272fc a3e8b28f4f93 dc5440180666 c2e3453e5dc8 cc2592b12d9b fb3c84480951
f50b3a0f1c05 c5cad59eb55c 2364b1946d31 e629a012d73f 1dda98a24d70 9a7b39a41ff0 49e3e7f2ca4f de7dc00714ae
3efda310d567 3182799e8f3e 0ceb3f41900c 393faeb837d6 934b8b2675be caf1d482b3af a287ad15cf32 a1e852fe159b
ff67dca1256c d0e418578910 3357f1804479 f88ee7cc4f96 84b1c26d1d59 ac91e10f69c7 e629a012d73f cb492d930505
739a7cb8de09 280955d8730e 0eabfabc665a 33b293398421 d2a4c06bc682 7edcadee0eea 97675c960888 018cc8951827
4adc855a8629 7cb260101a73 bc6daa84d8d0 0d45cdbdbab6 3881cca9e3a7 119906c5f0c6 6d21f01d635c ff91a906f071
11436d783113 a61ff56bca4f 7e15328d7131 8b856ae49595 9ff0c8bbb9e3 701e5e48e0d4 fe003ca4687c a7f27dfd3b53
c6cbc8232547 8fa4bbe69167 47a2a238c6ab ec3d3b346538 ad5d43ffc35a 8cb0a4bccdbb 5bc06de6a7fd 0b0b55701c60
51a60df6c6fb a1c5a103bb4a 1dda98a24d70 7328a8d072b8 9582372100ab 2e865946e1ea a4130aa918ca fa853af8589f
f67ee8bce78f 1a6ea1438741 ac91e10f69c7 9324aa9605c6 b7482c1e2fb2 a9034aaff00d f06f4fb1f36d 00af83b386be
e629a012d73f f50b3a0f1c05 cc2592b12d9b b875eba361eb 6abc318790cd 32d0a9db88bc 1e0ae597ac1d c5cad59eb55c
f4bcefc21473 7f4728231077 bb9d317933dc 2c3ebd2c1da8 ac9add1792da ac91e10f69c7 c2abaa84d379 8cb0a4bccdbb
2c2b3ca9ff12 2304854c74db 56dfe81e86a8 cebbb6525fd8 212e1f137d35 63e5d12179f1 c5cad59eb55c e629a012d73f
30b81398cacf 22e7a3c4b707 831c3173f0a4 7a0df6156ef4 931be894edfc 070f63f96f41 f57ae009a211 37d42416ae8b
ef42b3df94a5 153ea636a9da 92482cefa9d7 2fb889405be6 29b2fe4c8e17 f6f199602c41 ce6985112436 a07c24e342b8
e0265ad8a025 47467c973538 9c5d7dc3623c 699c69ca6701 dffff2004a8b fc2192060437 3242416f7034 a6e765742df2
dc5440180666 3c509dc415c5 9c4c0f9a0a6d 21ea78ad105c 9e4fa7e1bcca d44d865aee48 91bb597e6eed 070f87ed7136
9851c60ad343 05eb6d98f65a 7b0c03e53719 3958dfcae283 5bc06de6a7fd 7d3de0098411 45d4c4d5862e e8eeef93cdd3
5ec7b390e770 259c75a00631 4b8aa2743bd7 d1a6f8e042dc c17cfa96972e 5d33b747195f 1d544922d1b9 64e520b6ed6e
50d28cef76e1 0e64c58fad28 43da4701407b 9e1f5ff78a50 c7cebf4ee3ee df2ab3bbd8c7 b0db336e1e49 28b3cdfe148f
089b0ea9f38a 4ef2883a6f78 5773827a4b05 64155590acad e30155d6d9e3 265fc4a4ea33 64e520b6ed6e 0e5b89adbeb6
5b3a0f27e4d6 d1fc4f3096ea 9945f52b16f2 dc5440180666 ccf0685e58cc ba49f6ac4dcd ba49f6ac4dcd f0b9e2ef4f47
23c90485b5ee 95c8a6e8242f 2066371001ad 64e520b6ed6e de109b249e02 23d407168530 ef8d298ec23c 4a5f0cf38094
c5cad59eb55c 217673eaeb77 e3341b8745cf 5f521ec48acb 9ff0c8bbb9e3 69055beba317 64e520b6ed6e cda0a205d7b2
3f0865af8cfe 40ddb4744da4 58c99755d01c b6fc6f74cbc8 2da3debfeb72 78acf8840f00 48b060e42490 72c48bfa2680
764369878917 4cd05431326d c5cad59eb55c d5675e69918d 21e6ad36275c 0eabfabc665a 9f11fb94d32c c4af7e2c7b3f
"""


def test_schedule_quotes_are_unchanged() -> None:
    recorded = GOLDEN.split()
    changed = [seed for seed in range(CASES) if digest(seed) != recorded[seed]]
    assert not changed, f"cases whose outcome changed: {changed}"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(outcome(int(sys.argv[1])).decode())
    else:
        for start in range(0, CASES, 8):
            print(" ".join(digest(s) for s in range(start, min(start + 8, CASES))))
