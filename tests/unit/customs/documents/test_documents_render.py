"""Rendering: extractable PDF text (CJK included), JSON that matches the PDF, locales, page sizes."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import msgspec
import pypdf
import pytest
from docfixtures import SnapshotFactory, build_line, pdf_text

from customs.documents.labels import LABEL_LOCALES, LABELS
from customs.documents.render import render_json, render_pdf
from customs.documents.snapshot import DOC_TYPES, Address, DocumentSnapshot, LandedCostFigures
from customs.documents.view import resolve_locale
from hub.core.errors import ValidationFailed
from hub.core.money import MoneyWire

pytestmark = pytest.mark.unit

CHINESE_NAMES = ("蓝牙耳机 无线入耳式", "移动电源 10000毫安")


def norm(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def displays(value: Any) -> list[str]:
    """Every ``display`` string in a JSON document."""
    if isinstance(value, dict):
        found = [value["display"]] if isinstance(value.get("display"), str) else []
        return found + [d for v in value.values() for d in displays(v)]
    if isinstance(value, list):
        return [d for v in value for d in displays(v)]
    return []


@pytest.mark.parametrize("doc_type", DOC_TYPES)
@pytest.mark.parametrize("locale", LABEL_LOCALES)
def test_pdf_text_has_names_codes_totals_and_order_number(
    snapshot: DocumentSnapshot, doc_type: str, locale: str
) -> None:
    data = render_pdf(snapshot, doc_type, locale)  # type: ignore[arg-type]
    assert data.startswith(b"%PDF-")
    text = norm(pdf_text(data))
    for name in CHINESE_NAMES:
        assert name in text
    for hs_code in ("85183000", "85076000"):
        assert hs_code in text
    assert "SO-2026-00042" in text
    document = render_json(snapshot, doc_type, locale)  # type: ignore[arg-type]
    totals = document["totals"]
    if doc_type in ("commercial_invoice", "proforma_invoice"):
        assert norm(totals["invoice_total"]["display"]) in text
        assert totals["invoice_total"]["amount"] == "73.90"
    elif doc_type in ("cn22", "cn23"):
        assert norm(totals["goods"]["display"]) in text
        assert totals["goods"]["amount"] == "64.80"
    assert norm(totals["gross_weight"]["display"]) in text


@pytest.mark.parametrize("doc_type", DOC_TYPES)
@pytest.mark.parametrize("locale", ["en", "zh_Hans", "fr", "ja"])
def test_every_figure_of_the_json_is_printed_in_the_pdf(snapshot: DocumentSnapshot, doc_type: str, locale: str) -> None:
    document = render_json(snapshot, doc_type, locale)  # type: ignore[arg-type]
    text = norm(pdf_text(render_pdf(snapshot, doc_type, locale)))  # type: ignore[arg-type]
    figures = displays(document)
    assert figures
    missing = [figure for figure in figures if norm(figure) not in text]
    assert missing == []
    # The JSON is plain JSON (round-trips) and carries the decimal amounts as strings.
    assert msgspec.json.decode(msgspec.json.encode(document)) == document


def test_json_line_values_are_computed_and_formatted(snapshot: DocumentSnapshot) -> None:
    document = render_json(snapshot, "commercial_invoice", "de")
    first = document["lines"][0]
    assert first["line_value"] == {"amount": "39.80", "currency": "EUR", "display": "39,80\u00a0€"}
    assert first["net_weight"] == {"kg": "0.120", "display": "0,120"}
    assert document["invoice_date_display"] == "27.11.2026"
    assert document["title"] == "Commercial invoice / Handelsrechnung"


def test_packing_list_shows_no_values(snapshot: DocumentSnapshot) -> None:
    document = render_json(snapshot, "packing_list", "en")
    assert all(line["unit_value"] is None and line["line_value"] is None for line in document["lines"])
    assert document["totals"]["invoice_total"] is None
    assert "€" not in pdf_text(render_pdf(snapshot, "packing_list", "en"))


def test_ddp_duty_figures_are_printed(make_snapshot: SnapshotFactory) -> None:
    quote = LandedCostFigures(
        duty_total=MoneyWire(amount="6.00", currency="EUR"),
        tax_total=MoneyWire(amount="15.18", currency="EUR"),
        quote_reference="LCQ-2026-7",
    )
    snap = make_snapshot(incoterm="DDP", landed_cost=quote, duties_paid_by="seller")
    text = norm(pdf_text(render_pdf(snap, "commercial_invoice", "en")))
    assert "€6.00" in text
    assert "€15.18" in text
    assert "LCQ-2026-7" in text
    assert "Duties and taxes (DDP, paid by the seller)" in text


def test_japanese_and_polish_text_is_extractable(make_snapshot: SnapshotFactory) -> None:
    snap = make_snapshot(
        lines=[build_line(description="ワイヤレスイヤホン 黒", description_en="")],
        invoice_total=None,
    )
    snap = msgspec.structs.replace(
        snap,
        importer=msgspec.structs.replace(
            snap.importer,
            name="Łucja Wąsowska",
            address=Address(line1="ul. Żółkiewskiego 3", city="Łódź", country="PL"),
        ),
        destination_country="PL",
    )
    text = pdf_text(render_pdf(snap, "cn23", "ja"))
    assert "ワイヤレスイヤホン 黒" in text
    assert "Łucja Wąsowska" in text
    assert "Łódź" in text
    assert "税関告知書 CN 23" in text


def test_bilingual_labels(snapshot: DocumentSnapshot) -> None:
    text = pdf_text(render_pdf(snapshot, "commercial_invoice", "zh_Hans"))
    assert "COMMERCIAL INVOICE" in text
    assert "商业发票" in text
    assert "Invoice total / 发票总额" in text
    english_only = pdf_text(render_pdf(snapshot, "commercial_invoice", "en"))
    assert "发票" not in english_only


def _page_sizes(data: bytes) -> set[tuple[int, int]]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}


def test_cn22_is_label_sized_and_the_others_a4(snapshot: DocumentSnapshot) -> None:
    assert _page_sizes(render_pdf(snapshot, "cn22", "en")) == {(283, 425)}
    for doc_type in ("commercial_invoice", "proforma_invoice", "packing_list", "cn23"):
        assert _page_sizes(render_pdf(snapshot, doc_type, "en")) == {(595, 842)}  # type: ignore[arg-type]


@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_long_documents_paginate_and_keep_every_line(make_snapshot: SnapshotFactory, doc_type: str) -> None:
    lines = [
        build_line(sku=f"SKU-{i:03d}", description=f"蓝牙耳机 型号{i:03d}", unit_value=Decimal("1.00"), quantity=1)
        for i in range(60)
    ]
    snap = make_snapshot(lines=lines, invoice_total=None)
    data = render_pdf(snap, doc_type, "zh_Hans")  # type: ignore[arg-type]
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    assert pages > 1
    text = pdf_text(data)
    assert all(f"型号{i:03d}" in text for i in range(60))
    assert f"1/{pages}" in text
    assert f"{pages}/{pages}" in text


def test_rendering_is_deterministic(snapshot: DocumentSnapshot) -> None:
    assert render_pdf(snapshot, "commercial_invoice", "de") == render_pdf(snapshot, "commercial_invoice", "de")


@pytest.mark.parametrize(
    ("requested", "label_locale", "babel_locale"),
    [
        ("zh_Hans", "zh_Hans", "zh_Hans"),
        ("zh-CN", "zh_Hans", "zh_Hans_CN"),
        ("zh", "zh_Hans", "zh"),
        ("de-AT", "de", "de_AT"),
        ("fr_FR", "fr", "fr_FR"),
        ("ja", "ja", "ja"),
        ("it", "en", "en"),
        ("zh_Hant_TW", "en", "en"),
    ],
)
def test_locale_resolution(requested: str, label_locale: str, babel_locale: str) -> None:
    resolved, locale = resolve_locale(requested)
    assert (resolved, str(locale)) == (label_locale, babel_locale)


def test_unsupported_locale_falls_back_to_english(snapshot: DocumentSnapshot) -> None:
    document = render_json(snapshot, "cn22", "it")
    assert (document["locale"], document["requested_locale"]) == ("en", "it")
    assert document["title"] == "Customs declaration CN 22"


@pytest.mark.parametrize("bad", ["", "not a locale!!", "xx_YY_ZZ_1", "12"])
def test_bad_locale_is_a_validation_error(snapshot: DocumentSnapshot, bad: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        render_pdf(snapshot, "commercial_invoice", bad)
    assert error.value.status == 422
    assert error.value.errors[0].field == "locale"


def test_unknown_document_type_is_a_validation_error(snapshot: DocumentSnapshot) -> None:
    with pytest.raises(ValidationFailed) as error:
        render_json(snapshot, "bill_of_lading", "en")  # type: ignore[arg-type]
    assert error.value.errors[0].field == "type"


def test_every_label_locale_has_every_key() -> None:
    keys = set(LABELS["en"])
    for locale in LABEL_LOCALES:
        assert set(LABELS[locale]) == keys, locale
        assert all(value.strip() for value in LABELS[locale].values()), locale
