"""FX (ECB XML, inversion, cross via EUR), tariff data loading and overrides, HS importers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from lc_helpers import FIXTURES, REPO_ROOT, amt, quote, starter

from customs.fx import FxTable, manual_rate, parse_ecb_xml, resolve_conversion
from customs.nomenclature import hs6_set, parse_uk_commodity, parse_us_hts, parse_wco_csv
from customs.tariffs import DutyMeasure, merge_overrides
from hub.core.errors import ValidationFailed

HS_CSV = REPO_ROOT.parent / "shared" / "data" / "hs" / "harmonized-system.csv"


def ecb() -> FxTable:
    return FxTable(parse_ecb_xml((FIXTURES / "ecb_eurofxref_daily.xml").read_bytes()))


def test_ecb_fixture_parses_with_date_and_source() -> None:
    rates = parse_ecb_xml((FIXTURES / "ecb_eurofxref_daily.xml").read_text())
    usd = next(r for r in rates if r.quote == "USD")
    assert (usd.base, usd.rate, usd.as_of) == ("EUR", Decimal("1.0500"), dt.date(2026, 11, 18))
    assert "ECB" in usd.source


def test_ecb_refuses_doctype() -> None:
    with pytest.raises(ValueError, match="DOCTYPE"):
        parse_ecb_xml('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')


def test_inverse_is_exact_division_rounded_once() -> None:
    conv = resolve_conversion(
        "USD", "AUD", overrides=[manual_rate("AUD", "USD", "0.91", dt.date(2026, 1, 1))], on=dt.date(2026, 1, 1)
    )
    assert conv is not None
    assert conv.apply(Decimal("1274"), 2) == Decimal("1400.00")
    assert conv.apply(Decimal("1"), 2) == Decimal("1.10")  # 1.0989... half-up


def test_cross_via_eur_and_rate_date_rule() -> None:
    table = ecb()
    conv = resolve_conversion("USD", "JPY", table=table, on=dt.date(2026, 11, 20))
    assert conv is not None
    assert conv.apply(Decimal("105"), 0) == Decimal("16250")  # 105 / 1.05 x 162.50
    assert resolve_conversion("USD", "JPY", table=table, on=dt.date(2026, 12, 20)) is None  # stale


def test_eu_uses_penultimate_wednesday_of_previous_month() -> None:
    # December 2026: last Wednesday of November is the 25th, the penultimate the 18th = the fixture's date.
    r = quote(
        destination_country="DE",
        currency="USD",
        date="2026-12-10",
        fx=ecb(),
        lines=[{"hs_code": "610910", "quantity": 1, "unit_price": "315"}],
    )
    assert amt(r.goods_total) == "300.00"
    assert r.fx[0].as_of == "2026-11-18"
    with pytest.raises(ValidationFailed) as exc:
        quote(destination_country="DE", currency="USD", date="2026-11-27", fx=ecb())
    assert exc.value.errors[0].field == "fx_rates"


def test_starter_rows_all_have_source_and_validity() -> None:
    tables = starter()
    assert tables.rows
    for row in tables.rows:
        assert row.source
        assert row.valid_from
        assert row.valid_to is None or row.valid_to > row.valid_from
    assert tables.version.startswith("starter-")


def test_override_wins_and_changes_version() -> None:
    row = DutyMeasure(
        id="tenant-gb-6109",
        destination="GB",
        hs_prefix="61091000",
        kind="ad_valorem",
        rate=Decimal("0"),
        valid_from=dt.date(2021, 1, 1),
        source="tenant ruling",
        status="tenant",
    )
    tables = merge_overrides(starter(), [row])
    r = quote(
        tables_=tables,
        destination_country="GB",
        currency="GBP",
        lines=[{"hs_code": "6109100010", "quantity": 1, "unit_price": "500"}],
    )
    assert amt(r.duty_total) == "0.00"
    assert r.lines[0].measure_ids == ["tenant-gb-6109"]
    assert r.rules_version != starter().version


def test_wco_csv_importer_reads_shared_data() -> None:
    rows = parse_wco_csv(HS_CSV.read_text(encoding="utf-8"))
    by_level = {lvl: sum(1 for r in rows if r.level == lvl) for lvl in (2, 4, 6)}
    assert by_level == {2: 96, 4: 1228, 6: 5612}  # TOTAL, 99, 9999 and 999999 artefacts dropped
    assert next(r for r in rows if r.code == "851840").parent == "8518"
    hs6 = hs6_set(rows)
    tables = merge_overrides(starter(), [], nomenclature=hs6)
    with pytest.raises(ValidationFailed):
        quote(tables_=tables, lines=[{"hs_code": "999999", "quantity": 1, "unit_price": "10"}])


def test_wco_csv_importer_refuses_bad_level(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="level"):
        parse_wco_csv("section,hscode,description,parent,level\nI,0101,Horses,01,6\n")


def test_uk_commodity_importer() -> None:
    (row,) = parse_uk_commodity(json.loads((FIXTURES / "uk_commodity_6109100010.json").read_text()))
    assert row.code == "6109100010"
    assert row.level == 10
    assert row.declarable is True
    assert row.rates == {"third_country": "12.00 %", "vat": "20.00 %", "pref:1013": "0.00 %"}


def test_us_hts_importer() -> None:
    rows = parse_us_hts(json.loads((FIXTURES / "us_hts_sample.json").read_text()))
    codes = [r.code for r in rows]
    assert codes == ["9506", "95063100", "9506310000", "851840", "8518402000"]
    assert next(r for r in rows if r.code == "95063100").rates["general"] == "4.4%"
    with pytest.raises(ValueError, match="htsno"):
        parse_us_hts([{"htsno": "95.AB"}])


def test_wco_csv_importer_refuses_a_duplicate_code_naming_both_lines() -> None:
    # Two rows for one code used to pass the parser and fail the import's primary key (a traceback).
    text = "section,hscode,description,parent,level\nI,01,Animals,TOTAL,2\nI,0101,Horses,01,4\nI,0101,Again,01,4\n"
    with pytest.raises(ValueError, match="line 4: code '0101' already on line 3"):
        parse_wco_csv(text)


def test_us_hts_importer_refuses_a_duplicate_and_a_file_of_another_kind() -> None:
    with pytest.raises(ValueError, match=r"item 1: htsno '9506\.31\.00' already at item 0"):
        parse_us_hts([{"htsno": "9506.31.00"}, {"htsno": "9506.31.00"}])
    uk = json.loads((FIXTURES / "uk_commodity_6109100010.json").read_text())
    with pytest.raises(ValueError, match="a JSON list of objects"):
        parse_us_hts(uk)  # the UK document: a dict, whose keys used to crash with AttributeError
    with pytest.raises(ValueError, match=r"item 0: .*object"):
        parse_us_hts(["9506"])


def test_uk_commodity_importer_refuses_a_file_of_another_kind() -> None:
    hts = json.loads((FIXTURES / "us_hts_sample.json").read_text())
    with pytest.raises(ValueError, match="not a commodity document"):
        parse_uk_commodity(hts)  # a list used to crash with AttributeError
