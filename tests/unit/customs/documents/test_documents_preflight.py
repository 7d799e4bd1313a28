"""Pre-flight rules: for each, a snapshot that trips it and one that passes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest
from docfixtures import LineFactory, SnapshotFactory

from customs.documents.preflight import (
    BLOCKING,
    WARNING,
    Finding,
    PreflightRefused,
    is_vague_description,
    preflight,
    raise_for_blocking,
)
from customs.documents.sdr import SdrRates
from customs.documents.snapshot import Address, DocumentSnapshot, FxRate, LandedCostFigures, Party, TaxId
from hub.core.money import MoneyWire

pytestmark = pytest.mark.unit


def run(snap: DocumentSnapshot, rates: SdrRates, doc_type: str = "commercial_invoice") -> list[Finding]:
    return preflight(snap, doc_type, sdr_rates=rates)  # type: ignore[arg-type]


def codes(findings: list[Finding], severity: str | None = None) -> set[str]:
    return {f.code for f in findings if severity is None or f.severity == severity}


def with_importer(snap: DocumentSnapshot, **changes: object) -> DocumentSnapshot:
    return msgspec.structs.replace(snap, importer=msgspec.structs.replace(snap.importer, **changes))


def with_exporter(snap: DocumentSnapshot, **changes: object) -> DocumentSnapshot:
    return msgspec.structs.replace(snap, exporter=msgspec.structs.replace(snap.exporter, **changes))


@pytest.mark.parametrize("doc_type", ["commercial_invoice", "proforma_invoice", "packing_list", "cn22", "cn23"])
def test_clean_snapshot_has_no_findings(snapshot: DocumentSnapshot, sdr_rates: SdrRates, doc_type: str) -> None:
    assert run(snapshot, sdr_rates, doc_type) == []


# --- HS code ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hs_code", "code", "severity"),
    [
        ("", "hs_code.missing", BLOCKING),
        ("8518.3O", "hs_code.format", BLOCKING),
        ("8518", "hs_code.too_short", BLOCKING),
        ("851830", "hs_code.national_length", WARNING),
        ("851830001", "hs_code.length_for_destination", BLOCKING),
        ("851830000000000", "hs_code.too_long", BLOCKING),
    ],
)
def test_hs_code_trips(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates, hs_code: str, code: str, severity: str
) -> None:
    findings = run(make_snapshot(lines=[make_line(hs_code=hs_code)], invoice_total=None), sdr_rates)
    assert [(f.code, f.severity, f.field) for f in findings] == [(code, severity, "lines[0].hs_code")]


@pytest.mark.parametrize(("hs_code", "destination"), [("8518.30.00", "DE"), ("8518300090", "FR"), ("8518300000", "US")])
def test_hs_code_national_lengths_pass(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates, hs_code: str, destination: str
) -> None:
    snap = make_snapshot(lines=[make_line(hs_code=hs_code)], invoice_total=None, destination_country=destination)
    snap = with_importer(snap, address=Address(line1="1 Main St", city="X", country=destination))
    assert not codes(run(snap, sdr_rates)) & {"hs_code.national_length", "hs_code.length_for_destination"}


def test_us_wants_ten_digits(make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates) -> None:
    snap = make_snapshot(lines=[make_line(hs_code="85183000")], invoice_total=None, destination_country="US")
    snap = with_importer(snap, address=Address(line1="1 Main St", city="Austin", country="US"))
    finding = next(f for f in run(snap, sdr_rates) if f.code == "hs_code.length_for_destination")
    assert "10" in finding.message


def test_missing_hs_code_on_a_gift_cn22_is_only_a_warning(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates
) -> None:
    snap = make_snapshot(lines=[make_line(hs_code="")], reason_for_export="gift", invoice_total=None)
    findings = run(snap, sdr_rates, "cn22")
    assert ("hs_code.missing", WARNING) in {(f.code, f.severity) for f in findings}


# --- descriptions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "description",
    [
        "gift",
        "Parts",
        "samples",
        "goods",
        "Accessories",
        "clothes",
        "spare parts",
        "clothes and accessories",
        "礼物",
        "配件",
        "样品",
        "零件",
        "货物",
        "配件、样品",
        "Geschenk",
        "Ersatzteile",
        "Zubehör",
        "cadeau",
        "échantillons",
        "Pièces détachées",
        "regalo",
        "repuestos",
        "muestras",
        "ギフト",
        "部品",
        "サンプル",
        "  ",
    ],
)
def test_vague_descriptions_are_refused(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates, description: str
) -> None:
    findings = run(make_snapshot(lines=[make_line(description=description)], invoice_total=None), sdr_rates)
    assert codes(findings, BLOCKING) & {"description.vague", "description.missing"}


@pytest.mark.parametrize(
    "description",
    [
        "蓝牙耳机 无线入耳式",
        "Cotton T-shirt, men's, knitted",
        "Gift box of green tea, 250 g",
        "Bicycle brake parts (steel brake pads)",
        "Damen-Strickpullover aus Wolle",
        "échantillons de tissu en coton",
        "ワイヤレスイヤホン",
    ],
)
def test_specific_descriptions_pass(description: str) -> None:
    assert not is_vague_description(description)


# --- origin -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "code"), [("", "origin.missing"), ("XX", "origin.invalid"), ("cn", "origin.invalid")]
)
def test_origin_trips(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates, origin: str, code: str
) -> None:
    findings = run(make_snapshot(lines=[make_line(origin_country=origin)], invoice_total=None), sdr_rates)
    assert codes(findings) == {code}


def test_origin_passes(make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates) -> None:
    findings = run(make_snapshot(lines=[make_line(origin_country="VN")], invoice_total=None), sdr_rates)
    assert findings == []


# --- weights ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "gross", "code"),
    [
        (None, Decimal("0.2"), "weight.missing"),
        (Decimal("0.1"), None, "weight.missing"),
        (Decimal(0), Decimal("0.2"), "weight.not_positive"),
        (Decimal("0.3"), Decimal("0.2"), "weight.gross_below_net"),
    ],
)
def test_weights_trip(
    make_snapshot: SnapshotFactory,
    make_line: LineFactory,
    sdr_rates: SdrRates,
    net: Decimal | None,
    gross: Decimal | None,
    code: str,
) -> None:
    line = make_line(net_weight_kg=net, gross_weight_kg=gross)
    assert codes(run(make_snapshot(lines=[line], invoice_total=None), sdr_rates), BLOCKING) == {code}


def test_gross_equal_to_net_passes(make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates) -> None:
    line = make_line(net_weight_kg=Decimal("0.2"), gross_weight_kg=Decimal("0.200"))
    assert run(make_snapshot(lines=[line], invoice_total=None), sdr_rates) == []


# --- values -----------------------------------------------------------------------------------


def test_line_value_must_equal_quantity_times_unit(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates
) -> None:
    bad = make_snapshot(lines=[make_line(line_value=Decimal("39.90"))], invoice_total=None)
    good = make_snapshot(lines=[make_line(line_value=Decimal("39.80"))], invoice_total=None)
    assert codes(run(bad, sdr_rates)) == {"value.line_mismatch"}
    assert run(good, sdr_rates) == []


@pytest.mark.parametrize(("field", "value"), [("quantity", 0), ("unit_value", Decimal(0))])
def test_quantity_and_unit_value_must_be_positive(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates, field: str, value: object
) -> None:
    findings = run(make_snapshot(lines=[make_line(**{field: value})], invoice_total=None), sdr_rates)
    assert {f.field for f in findings if f.severity == BLOCKING} == {f"lines[0].{field}"}


def test_invoice_total_must_reconcile(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    findings = run(make_snapshot(invoice_total=Decimal("73.80")), sdr_rates)
    assert codes(findings) == {"value.total_mismatch"}
    assert "73.90" in findings[0].message
    assert run(make_snapshot(invoice_total=Decimal("73.90")), sdr_rates) == []


def test_negative_freight_is_refused(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    findings = run(make_snapshot(freight=Decimal("-1"), invoice_total=None), sdr_rates)
    assert codes(findings) == {"value.negative_charge"}


def test_order_total_in_other_currency_needs_fx(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    order_total = MoneyWire(amount="577.70", currency="CNY")
    missing = run(make_snapshot(order_total=order_total), sdr_rates)
    assert codes(missing) == {"fx.missing"}
    # 577.70 CNY x 0.1279 = 73.888 -> 73.89, within one minor unit per line of 73.90.
    fx = FxRate(base="CNY", quote="EUR", rate=Decimal("0.1279"), date=dt.date(2026, 11, 26), source="ECB")
    assert run(make_snapshot(order_total=order_total, fx=fx), sdr_rates) == []
    inverse = FxRate(base="EUR", quote="CNY", rate=Decimal("7.818"))
    assert run(make_snapshot(order_total=order_total, fx=inverse), sdr_rates) == []
    wrong = FxRate(base="CNY", quote="EUR", rate=Decimal("0.1200"))
    assert codes(run(make_snapshot(order_total=order_total, fx=wrong), sdr_rates)) == {"fx.mismatch"}


# --- CN22 / CN23 ------------------------------------------------------------------------------


def test_cn22_refused_above_300_sdr_with_cn23_hint(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates
) -> None:
    # 400 EUR / 1.17 EUR per SDR = 341.88 SDR
    snap = make_snapshot(lines=[make_line(quantity=1, unit_value=Decimal("400.00"))], invoice_total=None)
    findings = run(snap, sdr_rates, "cn22")
    over = [f for f in findings if f.code == "cn22.over_limit"]
    assert len(over) == 1
    assert over[0].severity == BLOCKING
    assert "CN23" in over[0].message
    assert over[0].params["sdr"] == "341.88"
    with pytest.raises(PreflightRefused) as refused:
        raise_for_blocking(findings)
    assert refused.value.status == 409
    assert "CN23" in refused.value.detail
    assert refused.value.extra["findings"][0]["code"] == "cn22.over_limit"
    # The same consignment on a CN23 is fine.
    assert "cn22.over_limit" not in codes(run(snap, sdr_rates, "cn23"))


def test_cn22_accepted_below_300_sdr(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates
) -> None:
    # 350 EUR / 1.17 = 299.15 SDR
    snap = make_snapshot(lines=[make_line(quantity=1, unit_value=Decimal("350.00"))], invoice_total=None)
    findings = run(snap, sdr_rates, "cn22")
    assert "cn22.over_limit" not in codes(findings)
    raise_for_blocking(findings)


def test_cn22_limit_uses_the_rate_table_not_code(make_snapshot: SnapshotFactory, make_line: LineFactory) -> None:
    snap = make_snapshot(lines=[make_line(quantity=1, unit_value=Decimal("350.00"))], invoice_total=None)
    strong_sdr = SdrRates(date=dt.date(2026, 11, 27), source="test", units_per_sdr={"EUR": Decimal("1.10")})
    assert "cn22.over_limit" in codes(run(snap, strong_sdr, "cn22"))
    no_rate = SdrRates(date=dt.date(2026, 11, 27), source="test", units_per_sdr={"USD": Decimal("1.37")})
    assert "cn22.no_sdr_rate" in codes(run(snap, no_rate, "cn22"))


def test_stale_sdr_rates_warn(snapshot: DocumentSnapshot) -> None:
    old = SdrRates(date=dt.date(2025, 1, 1), source="test", units_per_sdr={"EUR": Decimal("1.17")})
    assert codes(run(snapshot, old, "cn22")) == {"sdr.stale"}


def test_category_other_needs_explanation(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    assert codes(run(make_snapshot(item_category="other"), sdr_rates, "cn23")) == {"category.explanation"}
    explained = make_snapshot(item_category="other", category_explanation="Replacement under warranty")
    assert run(explained, sdr_rates, "cn23") == []


# --- IOSS -------------------------------------------------------------------------------------


def test_ioss_required_for_eu_b2c_when_seller_collects_vat(snapshot: DocumentSnapshot, sdr_rates: SdrRates) -> None:
    without = with_exporter(snapshot, ioss_number="")
    findings = run(without, sdr_rates)
    assert codes(findings) == {"ioss.required"}
    assert findings[0].field == "exporter.ioss_number"
    # Not required when VAT is not collected at checkout, nor for a business consignee.
    assert run(msgspec.structs.replace(without, seller_collects_vat=False), sdr_rates) == []
    business = with_importer(without, is_business=True, eori="DE123456789012345")
    assert "ioss.required" not in codes(run(business, sdr_rates))


def test_ioss_not_applicable_above_150_eur(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates
) -> None:
    snap = make_snapshot(lines=[make_line(quantity=1, unit_value=Decimal("150.01"))], invoice_total=None)
    assert codes(run(snap, sdr_rates)) == {"ioss.over_limit"}


def test_ioss_limit_in_another_currency_uses_the_eur_rate(
    make_snapshot: SnapshotFactory, make_line: LineFactory, sdr_rates: SdrRates
) -> None:
    lines = [make_line(quantity=1, unit_value=Decimal("1000.00"))]
    snap = make_snapshot(lines=lines, currency="CNY", invoice_total=None, eur_rate=Decimal("0.128"))
    assert "ioss.over_limit" not in codes(run(with_exporter(snap, ioss_number="IM2760000001"), sdr_rates))
    assert "ioss.required" in codes(run(with_exporter(snap, ioss_number=""), sdr_rates))


@pytest.mark.parametrize("ioss", ["IM123", "EU372022452", "IM9990000001", "XX2760000001"])
def test_ioss_format_is_validated(snapshot: DocumentSnapshot, sdr_rates: SdrRates, ioss: str) -> None:
    assert codes(run(with_exporter(snapshot, ioss_number=ioss), sdr_rates)) == {"ioss.invalid"}


# --- EORI / VAT -------------------------------------------------------------------------------


def test_eori_required_for_eu_business_import(snapshot: DocumentSnapshot, sdr_rates: SdrRates) -> None:
    business = with_importer(snapshot, is_business=True, company="Schmidt GmbH")
    assert codes(run(business, sdr_rates)) == {"eori.required"}
    assert run(with_importer(business, eori="DE123456789012345"), sdr_rates) == []


@pytest.mark.parametrize(("eori", "code"), [("DE-12", "eori.invalid"), ("GB123456789000", "eori.region")])
def test_eori_must_be_well_formed_and_from_the_union(
    snapshot: DocumentSnapshot, sdr_rates: SdrRates, eori: str, code: str
) -> None:
    business = with_importer(snapshot, is_business=True, eori=eori)
    assert codes(run(business, sdr_rates)) == {code}


def test_eu_exporter_without_eori_gets_a_warning(snapshot: DocumentSnapshot, sdr_rates: SdrRates) -> None:
    snap = msgspec.structs.replace(
        snapshot,
        exporter=Party(name="Muster GmbH", address=Address(line1="Weg 1", city="Köln", country="DE"), is_business=True),
        importer=Party(name="John Doe", address=Address(line1="1 Main St", city="Zurich", country="CH")),
        destination_country="CH",
        seller_collects_vat=False,
    )
    lines = [msgspec.structs.replace(line, hs_code=line.hs_code[:8]) for line in snap.lines]
    snap = msgspec.structs.replace(snap, lines=lines)
    assert codes(run(snap, sdr_rates)) == {"eori.exporter_missing"}
    assert run(with_exporter(snap, eori="DE123456789012345"), sdr_rates) == []


def test_vat_numbers_are_validated_with_stdnum(snapshot: DocumentSnapshot, sdr_rates: SdrRates) -> None:
    bad = with_importer(snapshot, vat_number="DE123456789", is_business=True, eori="DE123456789012345")
    assert codes(run(bad, sdr_rates)) == {"vat.invalid"}
    good = with_importer(bad, vat_number="DE136695976")
    assert run(good, sdr_rates) == []
    tax_id = with_importer(good, tax_ids=[TaxId(kind="VAT", value="FR00000000000", country="FR")])
    assert {f.field for f in run(tax_id, sdr_rates)} == {"importer.tax_ids[0]"}


# --- incoterm ---------------------------------------------------------------------------------


def _quote(payer: str = "seller") -> LandedCostFigures:
    return LandedCostFigures(
        duty_total=MoneyWire(amount="3.00", currency="EUR"),
        tax_total=MoneyWire(amount="14.04", currency="EUR"),
        payer=payer,  # type: ignore[arg-type]
        quote_reference="LCQ-1",
    )


def test_ddp_needs_duty_figures(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    assert codes(run(make_snapshot(incoterm="DDP"), sdr_rates)) == {"incoterm.ddp_figures"}
    assert run(make_snapshot(incoterm="DDP", landed_cost=_quote()), sdr_rates) == []


def test_ddp_with_buyer_paying_is_refused(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    snap = make_snapshot(incoterm="DDP", landed_cost=_quote(), duties_paid_by="buyer")
    assert codes(run(snap, sdr_rates)) == {"incoterm.ddp_payer"}


def test_dap_with_seller_paying_is_refused(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    assert codes(run(make_snapshot(incoterm="DAP", duties_paid_by="seller"), sdr_rates)) == {"incoterm.seller_pays"}
    assert run(make_snapshot(incoterm="DAP", duties_paid_by="buyer"), sdr_rates) == []


def test_unknown_and_obsolete_incoterms(make_snapshot: SnapshotFactory, sdr_rates: SdrRates) -> None:
    assert codes(run(make_snapshot(incoterm="FOO"), sdr_rates)) == {"incoterm.unknown"}
    ddu = run(make_snapshot(incoterm="DDU"), sdr_rates)
    assert [(f.code, f.severity) for f in ddu] == [("incoterm.obsolete", WARNING)]


# --- parties and general ----------------------------------------------------------------------


def test_parties_and_destination(snapshot: DocumentSnapshot, sdr_rates: SdrRates) -> None:
    snap = msgspec.structs.replace(with_importer(snapshot, name=" "), destination_country="ZZ", currency="EURO")
    assert codes(run(snap, sdr_rates)) >= {"party.name_missing", "destination.invalid", "currency.invalid"}


def test_blocking_findings_come_first_and_serialise(snapshot: DocumentSnapshot, sdr_rates: SdrRates) -> None:
    snap = msgspec.structs.replace(
        snapshot, incoterm="DDU", lines=[msgspec.structs.replace(snapshot.lines[0], hs_code="")]
    )
    findings = run(snap, sdr_rates)
    assert [f.severity for f in findings] == sorted((f.severity for f in findings), key=lambda s: s != BLOCKING)
    wire = msgspec.json.decode(msgspec.json.encode(findings))
    assert {"code", "severity", "field", "message", "params"} <= set(wire[0])
    raise_for_blocking([f for f in findings if f.severity == WARNING])
