"""What intake keeps of its reads: only whole answers, replaced at a new version, and bounded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from hub.core.money import MoneyWire
from hub.orders import kept_reads
from hub.orders.kept_reads import KeptReads
from hub.orders.repository.orders import IntakeReads, ReadVersions, StockSeen
from hub.orders.schemas import ProductRead

TENANT = uuid.UUID("00000000-0000-0000-0000-000000000001")
FIRST = ReadVersions(1, 10)


def _product(sku: str, hs_code: str | None = "610910") -> ProductRead:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    return ProductRead(
        id=uuid.uuid4(),
        sku=sku,
        name=sku,
        spec="",
        customs_description="",
        hs_code=hs_code,
        origin_country="CN",
        unit_price=MoneyWire(amount="19.90", currency="EUR"),
        weight_kg=None,
        active=True,
        created_at=now,
        updated_at=now,
    )


def _reads(
    catalog: dict[str, ProductRead],
    stock: dict[str, StockSeen],
    unknown: frozenset[str] | None = frozenset(),
    versions: ReadVersions = FIRST,
) -> IntakeReads:
    return IntakeReads(catalog, stock, unknown, versions)


def test_a_kept_answer_is_given_whole_or_not_at_all() -> None:
    kept = KeptReads()
    assert kept.get(TENANT, ["A"], []) is None
    kept.keep(
        TENANT,
        ["A", "FREE"],
        ["999998"],
        _reads({"A": _product("A")}, {"A": StockSeen(5, None)}, frozenset({"999998"})),
    )

    answer = kept.get(TENANT, ["A", "FREE"], ["99999800"])
    assert answer is not None
    assert set(answer.catalog) == {"A"}
    assert answer.stock == {"A": StockSeen(5, None)}
    assert answer.unknown_subheadings == {"999998"}  # the free line's code; A's 610910 is known
    assert answer.versions == ReadVersions(1, 10)
    assert kept.get(TENANT, ["A", "B"], []) is None, "B was never read"
    assert kept.get(TENANT, ["A"], ["482390"]) is None, "482390 was never asked of the nomenclature"
    assert kept.get(uuid.uuid4(), ["A"], []) is None, "another tenant's reads are its own"


def test_reads_at_a_new_catalog_version_replace_the_kept_ones() -> None:
    kept = KeptReads()
    kept.keep(TENANT, ["A"], [], _reads({"A": _product("A")}, {}))
    kept.keep(TENANT, ["B"], [], _reads({"B": _product("B")}, {}, versions=ReadVersions(2, 10)))
    assert kept.get(TENANT, ["A"], []) is None, "A was read at the old version"
    answer = kept.get(TENANT, ["B"], [])
    assert answer is not None
    assert answer.versions.catalog == 2


def test_a_new_nomenclature_forgets_every_code() -> None:
    kept = KeptReads()
    kept.keep(TENANT, [], ["999998"], _reads({}, {}, frozenset({"999998"})))
    kept.keep(TENANT, [], ["482390"], _reads({}, {}, frozenset(), versions=ReadVersions(1, 11)))
    assert kept.get(TENANT, [], ["999998"]) is None
    # With no nomenclature loaded there is nothing to know of a code.
    kept.keep(TENANT, [], ["482390"], _reads({}, {}, None, versions=ReadVersions(1, 12)))
    answer = kept.get(TENANT, [], ["123456"])
    assert answer is not None
    assert answer.unknown_subheadings is None


def test_stock_follows_what_orders_took_and_is_forgotten_when_reserved_as_it_stood() -> None:
    kept = KeptReads()
    kept.keep(TENANT, ["A"], [], _reads({"A": _product("A")}, {"A": StockSeen(5, None)}))
    kept.took(TENANT, {"A": 2})
    answer = kept.get(TENANT, ["A"], [])
    assert answer is not None
    assert answer.stock["A"].available == 3
    kept.forget_stock(TENANT, ["A"])
    assert kept.get(TENANT, ["A"], []) is None


def test_the_least_recently_used_tenants_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept_reads, "MAX_ENTRIES", 4)
    kept = KeptReads()
    tenants = [uuid.uuid4() for _ in range(3)]
    for tenant in tenants:
        kept.keep(tenant, ["A", "B"], [], _reads({}, {}))
    # The third tenant's two SKUs pushed the total to six: the first tenant went.
    assert kept.get(tenants[0], ["A"], []) is None
    assert kept.get(tenants[1], ["A"], []) is not None  # now the most recently used
    kept.keep(tenants[0], ["A", "B"], [], _reads({}, {}))
    assert kept.get(tenants[2], ["A"], []) is None
    assert kept.get(tenants[1], ["B"], []) is not None


def test_codes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept_reads, "MAX_CODES", 3)
    kept = KeptReads()
    kept.keep(TENANT, [], ["100000", "200000"], _reads({}, {}))
    kept.keep(TENANT, [], ["300000", "400000"], _reads({}, {}))
    assert kept.get(TENANT, [], ["100000"]) is None
    assert kept.get(TENANT, [], ["300000", "400000"]) is not None
