"""The UK Trade Tariff and EU TARIC importers: each fixture to its exact measures, each bad file to its error.

Fixtures and their sources: tests/fixtures/customs/schedules/{uk,eu}/README.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest

from customs.schedules.model import ParsedSchedule, ScheduleFileError, ScheduleMeasure, SkippedRow
from customs.schedules.parsers import eu as eu_module
from customs.schedules.parsers._common import classify_measure_type, goods_code
from customs.schedules.parsers.eu import parse_eu
from customs.schedules.parsers.origins import excluded_origins, origins_for
from customs.schedules.parsers.uk import parse_uk

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "customs" / "schedules"
UK = FIXTURES / "uk"
EU = FIXTURES / "eu"
DECLARABLE = "uk-tariff-2021-01-01--v4.0.1527--measures-on-declarable-commodities.csv"
AS_DEFINED = "uk-tariff-2021-01-01--v4.0.1527--measures-as-defined.csv"
EU_CSV = "duties_import_01-99.csv"

EU27 = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
CARIFORUM = ("AG", "BB", "BS", "BZ", "DM", "DO", "GD", "GY", "JM", "KN", "LC", "TT", "VC")
GSP_LDC = (
    "AF", "AO", "BD", "BF", "BI", "BJ", "BT", "CD", "CF", "DJ", "ER", "ET", "GM", "GN", "GW", "HT", "KH",
    "KI", "KM", "LA", "LR", "LS", "MG", "ML", "MM", "MR", "MW", "MZ", "NE", "NP", "RW", "SB", "SD", "SL",
    "SN", "SO", "SS", "ST", "TD", "TG", "TL", "TV", "TZ", "UG", "VU", "YE", "ZM",
)  # fmt: skip
D = dt.date
CANADA_REIMPORTS = "UK-Canada agreement: re-imported goods"
AD = "Definitive anti-dumping duty"
UNKNOWN_2005 = (
    "the member countries of origin group 2005 (GSP – Least Developed Countries) are not in the file: "
    "no origin is given this rate until they are known"
)
QUOTA = (
    "the quota rate applies only while the quota is open and is claimed on the declaration; "
    "the balance is not in this file, so the quote uses the non-quota rate"
)
END_USE = (
    "applies only under an end-use (authorised use) authorisation, which a quote cannot assume; "
    "the third-country duty or a preference applies otherwise"
)
VAT = "value added tax: not a customs duty (import VAT is computed by the VAT rules)"
SCOPED = "a third-country duty for these origins only: for them it takes the place of the ERGA OMNES rate"


def uk(name: str) -> ParsedSchedule:
    return parse_uk((UK / name).read_bytes(), file_name=name)


def eu(name: str) -> ParsedSchedule:
    return parse_eu((EU / name).read_bytes(), file_name=name)


def error(parse: object, data: bytes, file_name: str = "") -> ScheduleFileError:
    assert callable(parse)
    with pytest.raises(ScheduleFileError) as caught:
        parse(data, file_name=file_name)
    return caught.value


def m(code: str, kind: str, expression: str, group: str, row: int, **fields: object) -> ScheduleMeasure:
    """An expected measure; ``origins`` defaults to the group itself for a country, None for ERGA OMNES."""
    origins = fields.pop("origins", None if group == "1011" else (group,))
    return ScheduleMeasure(
        code=code,
        measure_type=kind,  # type: ignore[arg-type]
        expression=expression,
        origin_group=group,
        origins=origins,  # type: ignore[arg-type]
        row=row,
        **fields,  # type: ignore[arg-type]
    )


# UK bulk CSV ----------------------------------------------------------------------------------------


def test_uk_declarable_csv_parses_to_exactly_its_measures() -> None:
    parsed = uk(DECLARABLE)
    y21 = D(2021, 1, 1)
    assert (parsed.source, parsed.destination) == ("uk-trade-tariff", "GB")
    assert parsed.revision == "uk-tariff-2021-01-01 v4.0.1527 measures-on-declarable-commodities"
    assert parsed.valid_from == y21
    assert parsed.rows_read == 30
    eu_pref = {"origins": EU27, "program": "European Union", "valid_from": y21}
    cariforum = {"origins": CARIFORUM, "program": "CARIFORUM", "valid_from": y21}
    assert parsed.measures == [
        m("0702000007", "third_country", "8.00%", "1011", 2, valid_from=y21, valid_to=D(2021, 5, 15)),
        m("0702000007", "preferential", "0.00%", "1013", 3, **eu_pref),
        m("0702000007", "preferential", "0.00%", "1033", 4, **cariforum),
        m(
            "0702000007",
            "preferential",
            "0.00%",
            "2005",
            5,
            origins=(),
            program="GSP – Least Developed Countries",
            valid_from=y21,
            note=UNKNOWN_2005,
        ),
        m("0702000007", "preferential", "0.00%", "JP", 6, program="Japan", valid_from=y21),
        m("0702000007", "preferential", "0.00%", "CA", 7, program="Canada", valid_from=y21, valid_to=D(2021, 4, 1)),
        m(
            "0702000007",
            "preferential",
            "0.00%",
            "1006",
            8,
            origins=(),
            program=CANADA_REIMPORTS,
            valid_from=y21,
            valid_to=D(2021, 4, 1),
            note=f"the member countries of origin group 1006 ({CANADA_REIMPORTS}) are not in the "
            "file: no origin is given this rate until they are known",
        ),
        # the heading's measures again on the next declarable code under 0702 (same measure ids)
        m("0702000099", "preferential", "0.00%", "1013", 12, **eu_pref),
        m("0702000099", "preferential", "0.00%", "JP", 13, program="Japan", valid_from=y21),
        m("0702000099", "third_country", "8.00%", "1011", 14, valid_from=y21, valid_to=D(2021, 5, 15)),
        m("0201100021", "third_country", "12.00% + 147.00 GBP / 100 kg", "1011", 15, valid_from=y21),
        m("01039110", "third_country", "34.00 GBP / 100 kg", "1011", 16, valid_from=y21),
        m("01039110", "third_country", "0.00%", "1080", 17, origins=("GG", "JE"), valid_from=y21, note=SCOPED),
        m("01039110", "preferential", "0.00%", "1033", 18, **cariforum),
        m(
            "08051022",
            "third_country",
            "16.00% MIN 1.60 GBP / 100 kg MAX 2.40 GBP / 100 kg",
            "1011",
            19,
            valid_from=y21,
        ),
        m("6109100010", "third_country", "12.00%", "1011", 20, valid_from=y21),
        m("6109100010", "preferential", "0.00%", "1013", 22, **eu_pref),
        m("6109100010", "preferential", "0.00%", "1033", 23, excluded_origins=("DO",), **cariforum),
        m("72021180", "third_country", "2.70%", "1011", 24, valid_from=D(1999, 1, 1)),
        m(
            "72021180",
            "additional",
            "25.00%",
            "US",
            25,
            program="Additional duties",
            valid_from=y21,
            note="additional duties (measure type 695)",
        ),
        m(
            "72021180",
            "additional",
            "25.00%",
            "5050",
            26,
            origins=(),
            program="Additional duties (safeguard)",
            valid_from=y21,
            note="additional duties, safeguard (measure type 696); the member countries of origin group 5050 "
            "(Countries subject to UK safeguard measures) are not in the file: no origin is given this rate until "
            "they are known",
        ),
        m("1516209821", "third_country", "10.90%", "1011", 28, valid_from=y21),
        m(
            "1516209821",
            "additional",
            "144.10 GBP / 1000 kg/biodiesel",
            "CA",
            29,
            program=AD,
            valid_from=y21,
            note="definitive anti-dumping duty (measure type 552); additional code B999 (Other): the rate for all "
            "other companies (company-specific rates are skipped)",
        ),
    ]
    assert parsed.skipped == [
        SkippedRow(
            row=9,
            code="0702000007",
            field="measure__type__id",
            reason=f"measure 20057235: measure type 143: preferential tariff quota: {QUOTA}",
        ),
        SkippedRow(
            row=10, code="0702000007", field="measure__type__id", reason=f"measure -1009503001: measure type 305: {VAT}"
        ),
        SkippedRow(
            row=11,
            code="0702000007",
            field="measure__type__id",
            reason="measure 20065051: measure type 277 (Import prohibition) is not a customs duty this importer loads",
        ),
        SkippedRow(
            row=21, code="6109100010", field="measure__type__id", reason=f"measure 20000002: measure type 305: {VAT}"
        ),
        SkippedRow(
            row=27,
            code="72021180",
            field="measure__type__id",
            reason=f"measure 20124406: measure type 122: non-preferential tariff quota: {QUOTA}",
        ),
        SkippedRow(
            row=30,
            code="1516209821",
            field="measure__additional_code__code",
            reason="measure 20041389: company-specific rate (additional code B107): applies only to goods of "
            "that producer",
        ),
        SkippedRow(
            row=31,
            code="1516209821",
            field="measure__type__id",
            reason=f"measure 20121795: measure type 117: suspension for ships, boats and drilling platforms: {END_USE}",
        ),
    ]
    assert parsed.descriptions["0702000007"] == "Cherry tomatoes"
    assert parsed.descriptions["01039110"] == "Domestic species"
    assert "HM Revenue & Customs" in parsed.publisher


def test_uk_measures_as_defined_store_a_heading_level_measure_at_its_heading() -> None:
    parsed = uk(AS_DEFINED)
    assert parsed.revision == "uk-tariff-2021-01-01 v4.0.1527 measures-as-defined"
    # 0702000000 and 6109000000 are headings, 6109100000 subheading 610910: longest-prefix matching
    # then gives the heading's preference to 0702000007 and to every code under 6109.
    assert [(x.code, x.measure_type, x.origin_group, x.row) for x in parsed.measures] == [
        ("0702", "preferential", "1013", 2),
        ("0702000007", "third_country", "1011", 3),
        ("6109", "preferential", "1013", 4),
        ("610910", "third_country", "1011", 5),
    ]
    assert parsed.descriptions["6109"] == "T-shirts, singlets and other vests, knitted or crocheted"


def test_uk_csv_without_the_dataset_name_takes_its_dates_from_the_measures() -> None:
    parsed = parse_uk((UK / DECLARABLE).read_bytes(), file_name="upload.csv")
    assert parsed.revision == "UK Trade Tariff measures CSV, latest measure start 2021-01-01"
    assert parsed.valid_from == D(1999, 1, 1)


def test_uk_csv_with_a_byte_order_mark_and_crlf_lines_reads_the_same() -> None:
    data = (UK / DECLARABLE).read_bytes()
    assert parse_uk(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), file_name=DECLARABLE) == uk(DECLARABLE)


@pytest.mark.parametrize(
    ("name", "row", "field", "words"),
    [
        ("bad_header.csv", 1, "header", "missing column(s) measure__duty_expression"),
        ("bad_date.csv", 3, "measure__effective_start_date", "'01/01/2021' is not a date"),
        ("bad_code.csv", 3, "commodity__code", "'07020000AB' is not a goods code"),
        ("duplicate_measure.csv", 4, "measure__sid", "measure 20001033 on 0702000007 appears twice"),
        ("truncated.csv", 3, "row", "fields where the header has 24"),
        ("latin1.csv", 3, "file", "not UTF-8 text: byte"),
    ],
)
def test_uk_bad_csv_is_refused_naming_row_and_field(name: str, row: int, field: str, words: str) -> None:
    failure = error(parse_uk, (UK / name).read_bytes(), name)
    assert (failure.row, failure.field) == (row, field)
    assert words in failure.message


def test_uk_refuses_the_eu_files_and_says_which_importer_reads_them() -> None:
    failure = error(parse_uk, (EU / EU_CSV).read_bytes())
    assert (failure.row, failure.field) == (1, "header")
    assert "use the EU importer" in failure.message
    failure = error(parse_uk, (EU / "duties_import_01-99.xlsx").read_bytes())
    assert (failure.row, failure.field) == (None, "file")
    assert "XLSX" in failure.message


def test_uk_csv_rows_that_break_the_format() -> None:
    header = (UK / DECLARABLE).read_text().splitlines()[0]
    row = (UK / DECLARABLE).read_text().splitlines()[1]
    failure = error(parse_uk, f"{header}\n".encode())
    assert (failure.field, failure.message) == ("file", "no measure rows after the header")
    ended_early = row.replace("2021-01-01,2021-05-14", "2021-06-01,2021-05-14")
    failure = error(parse_uk, f"{header}\n{ended_early}\n".encode())
    assert (failure.row, failure.field) == (2, "measure__effective_end_date")
    not_a_sid = row.replace(",20001033,", ",M20001033,")
    assert error(parse_uk, f"{header}\n{not_a_sid}\n".encode()).field == "measure__sid"
    assert error(parse_uk, b"\xff\xfeh\x00i\x00").message == "the file is UTF-16 text; save it as UTF-8"


def test_a_generated_100k_row_uk_csv_streams_through() -> None:
    header = (UK / DECLARABLE).read_text().splitlines()[0]

    def lines() -> io.StringIO:
        out = io.StringIO()
        out.write(header + "\n")
        for i in range(100_000):
            code = f"{61_00_00_00_00 + i * 10:010d}"
            out.write(
                f"{i + 1},{i},{code},3,Goods {i},{30_000_000 + i},103,Third country duty,#NA,#NA,12.00%,"
                f"2021-01-01,#NA,#NA,#NA,#NA,400,1011,ERGA OMNES,#NA,#NA,#NA,#NA,#NA\n"
            )
        return out

    parsed = parse_uk(lines().getvalue().encode())
    assert parsed.rows_read == 100_000
    assert len(parsed.measures) == 100_000
    last = parsed.measures[-1]
    assert (last.code, last.row, last.expression, last.origins) == ("6100999990", 100_001, "12.00%", None)
    assert len(parsed.descriptions) == 100_000


# UK API v2 JSON --------------------------------------------------------------------------------------


def cherry_tomato_measures(row: int) -> list[ScheduleMeasure]:
    return [
        m(
            "0702000007",
            "preferential",
            "0.00 %",
            "1006",
            row,
            origins=("GB",),
            program="UK-Canada agreement: re-imported goods",
            valid_from=D(2021, 10, 1),
            valid_to=D(2021, 11, 1),
        ),
        m("0702000007", "third_country", "8.00 %", "1011", row, valid_from=D(2021, 1, 1), valid_to=D(2021, 5, 15)),
        m(
            "0702000007",
            "preferential",
            "0.00 %",
            "1013",
            row,
            origins=EU27,
            program="European Union",
            valid_from=D(2021, 1, 1),
        ),
        m(
            "0702000007",
            "preferential",
            "0.00 %",
            "2005",
            row,
            origins=GSP_LDC,
            excluded_origins=("BD",),
            program="GSP – Least Developed Countries",
            valid_from=D(2021, 1, 1),
        ),
    ]


def cherry_tomato_skipped(row: int) -> list[SkippedRow]:
    return [
        SkippedRow(
            row=row, code="0702000007", field="measure_type", reason=f"measure -1009503001: measure type 305: {VAT}"
        ),
        SkippedRow(
            row=row,
            code="0702000007",
            field="measure_type",
            reason=f"measure 20057235: measure type 143: preferential tariff quota: {QUOTA}",
        ),
        SkippedRow(
            row=row,
            code="0702000007",
            field="measure_type",
            reason="measure 20065051: measure type 277 (Import prohibition) is not a customs duty this importer loads",
        ),
    ]


def test_uk_api_document_reads_groups_from_its_included_areas() -> None:
    parsed = uk("commodity_0702000007.json")
    # 1006 lists GB, 1013 its 27 states (and "EU", dropped), 2005 its 47 members less nothing: all from the file.
    assert parsed.measures == cherry_tomato_measures(1)
    assert parsed.skipped == cherry_tomato_skipped(1)
    assert parsed.rows_read == 7
    assert parsed.revision == "UK Online Trade Tariff API v2, latest measure start 2021-10-01"
    assert parsed.valid_from == D(2019, 9, 1)
    assert parsed.descriptions == {"0702000007": "Cherry tomatoes"}


def test_uk_api_catalog_as_json_lines_and_as_an_array() -> None:
    lines = (UK / "catalog.jsonl").read_text().splitlines()
    parsed = uk("catalog.jsonl")
    assert parsed.measures == [
        *cherry_tomato_measures(1),
        m("6109100010", "third_country", "12.00 %", "1011", 2, valid_from=D(2021, 1, 1)),
        # this document's 1013 lists no members: the table's EU-27 are used
        m(
            "6109100010",
            "preferential",
            "0.00 %",
            "1013",
            2,
            origins=EU27,
            program="European Union",
            valid_from=D(2021, 1, 1),
        ),
        m("0201100021", "third_country", "12.00 % + 147.00 GBP / 100 kg", "1011", 3, valid_from=D(2021, 1, 1)),
    ]
    assert parsed.skipped == [
        *cherry_tomato_skipped(1),
        SkippedRow(row=2, code="6109100010", field="measure_type", reason=f"measure 20000002: measure type 305: {VAT}"),
    ]
    assert parsed.rows_read == 11
    assert parsed.descriptions == {
        "0702000007": "Cherry tomatoes",
        "6109100010": "Men's or boys'",
        "0201100021": "Carcases and half-carcases",
    }
    array = parse_uk(("[" + ",".join(lines) + "]").encode())
    assert (array.measures, array.skipped) == (parsed.measures, parsed.skipped)
    spaced = parse_uk(("\n" + lines[0] + "\n\n" + lines[2] + "\n").encode())
    assert [x.row for x in spaced.measures] == [2, 2, 2, 2, 4]


def test_uk_bad_api_documents_are_refused_naming_item_and_field() -> None:
    failure = error(parse_uk, (UK / "bad_document.json").read_bytes())
    assert (failure.row, failure.field) == (1, "data.relationships.import_measures[7]")
    assert failure.message == "measure 20000099 is not in included"
    lines = (UK / "catalog.jsonl").read_text().splitlines()
    failure = error(parse_uk, (lines[0] + "\n" + lines[1][:-40] + "\n").encode())
    assert (failure.row, failure.field) == (2, "line")
    assert failure.message.startswith("not valid JSON")
    failure = error(parse_uk, (UK / "commodity_0702000007.json").read_bytes()[:-30])
    assert (failure.row, failure.field) == (None, "file")
    heading_list = json.dumps({"data": [{"type": "heading"}]}).encode()
    assert error(parse_uk, heading_list).field == "data.type"
    doubled = json.loads(lines[2])
    doubled["data"]["relationships"]["import_measures"]["data"] *= 2
    failure = error(parse_uk, json.dumps(doubled).encode())
    assert failure.field == "data.relationships.import_measures[1]"
    assert failure.message == "measure 20000065 is listed twice"
    bad_date = lines[2].replace("2021-01-01T00:00:00.000Z", "1 January 2021")
    failure = error(parse_uk, bad_date.encode())
    assert failure.field == "included measure 20000065.attributes.effective_start_date"


# EU TARIC Duties Import ------------------------------------------------------------------------------


def eu_expected() -> tuple[list[ScheduleMeasure], list[SkippedRow]]:
    y21 = D(2021, 1, 1)
    unknown = (
        "the member countries of origin group {} ({}) are not in the file: "
        "no origin is given this rate until they are known"
    )
    measures = [
        m("01022910", "third_country", "10.200 % + 93.100 EUR DTN", "1011", 2, valid_from=D(2012, 1, 1)),
        m("01039211", "third_country", "35.100 EUR DTN", "1011", 3, valid_from=D(2000, 7, 1)),
        m("610910", "third_country", "12.000 %", "1011", 4, valid_from=y21),
        m("0702000007", "third_country", "14.400 %", "1011", 5, valid_from=y21),
        m("20059950", "third_country", "18.400 % MIN 22.000 EUR DTN MAX 24.000 EUR DTN", "1011", 6, valid_from=y21),
        m("200290", "third_country", "10.400 % MIN 1.300 EUR DTN G", "1011", 7, valid_from=y21),
        m("19059010", "third_country", "7.600 % + EA", "1011", 8, valid_from=y21),
        m("07131090", "third_country", "0.000 %", "1011", 9, valid_from=y21),
        m("07131090", "third_country", "50.000 %", "RU", 10, valid_from=D(2025, 7, 1), note=SCOPED),
        m(
            "07131090",
            "third_country",
            "Cond:  B cert: Y-155 (01):50.000 %",
            "BY",
            11,
            valid_from=D(2025, 7, 1),
            note=SCOPED,
        ),
        # a heading-level line (6109000000): stored as 6109, so it reaches every code under the heading
        m("6109", "preferential", "0.000 %", "JP", 12, program="Japan", valid_from=D(2019, 2, 1)),
        m(
            "610910",
            "preferential",
            "9.600 %",
            "2020",
            13,
            origins=(),
            program="GSP - General arrangements",
            valid_from=D(2014, 1, 1),
            note=unknown.format("2020", "GSP - General arrangements"),
        ),
        m(
            "610910",
            "preferential",
            "0.000 %",
            "2005",
            14,
            origins=(),
            program="GSP - Least Developed Countries (EBA)",
            valid_from=D(2014, 1, 1),
            note=unknown.format("2005", "GSP - Least Developed Countries (EBA)"),
        ),
        m(
            "0702000007",
            "preferential",
            "0.000 %",
            "CA",
            15,
            program="Canada",
            valid_from=D(2021, 10, 1),
            valid_to=D(2021, 11, 1),
        ),
        m(
            "8507600010",
            "third_country",
            "0.000 %",
            "1011",
            16,
            valid_from=D(2022, 1, 1),
            valid_to=D(2027, 1, 1),
            note="autonomous tariff suspension (measure type 112): replaces the third-country duty",
        ),
        m(
            "73181590",
            "additional",
            "86.500 %",
            "CN",
            17,
            program="Definitive anti-dumping duty",
            valid_from=D(2022, 2, 17),
            note="definitive anti-dumping duty (measure type 552); additional code C999: the rate for all other "
            "companies (company-specific rates are skipped)",
        ),
    ]
    skipped = [
        SkippedRow(
            row=18,
            code="73181590",
            field="Add code",
            reason="company-specific rate (additional code C782): applies only to goods of that producer",
        ),
        SkippedRow(
            row=19,
            code="070320",
            field="Meas. type code",
            reason=f"measure type 122: non-preferential tariff quota: {QUOTA}",
        ),
        SkippedRow(
            row=20,
            code="8802110010",
            field="Meas. type code",
            reason=f"measure type 105: non-preferential duty under end-use: {END_USE}",
        ),
        SkippedRow(row=21, code="610910", field="Meas. type code", reason=f"measure type 305: {VAT}"),
        SkippedRow(
            row=22,
            code="610910",
            field="Meas. type code",
            reason="measure type 109: supplementary unit: a unit to declare, not a duty",
        ),
    ]
    return measures, skipped


def test_eu_csv_parses_to_exactly_its_measures() -> None:
    parsed = eu(EU_CSV)
    measures, skipped = eu_expected()
    assert (parsed.source, parsed.destination) == ("eu-taric", "EU")
    assert parsed.measures == measures
    assert parsed.skipped == skipped
    assert parsed.rows_read == 21
    assert parsed.revision == "duties_import_01-99, latest measure start 2025-07-01"
    assert parsed.valid_from == D(2000, 7, 1)
    assert parsed.descriptions == {}


def test_eu_xlsx_reads_the_same_as_its_csv_export() -> None:
    # The workbook holds 0103921100 as a number (leading zero lost), its start date as a date cell
    # and every measure type as a number: all read as the CSV's text is.
    book = openpyxl.load_workbook(EU / "duties_import_01-99.xlsx", read_only=True)
    try:  # read-only workbooks keep their file open until closed
        third = next(book.worksheets[0].iter_rows(min_row=3, max_row=3, values_only=True))
    finally:
        book.close()
    assert (third[0], type(third[3]), third[11]) == (103921100, dt.datetime, 103)
    parsed = eu("duties_import_01-99.xlsx")
    measures, skipped = eu_expected()
    assert (parsed.measures, parsed.skipped, parsed.rows_read) == (measures, skipped, 21)


def test_eu_csv_with_semicolons_tabs_a_bom_and_spaced_headers() -> None:
    text = (EU / EU_CSV).read_text()
    measures, _ = eu_expected()
    for variant in (text.replace(",", ";"), text.replace(",", "\t")):
        assert parse_eu(variant.encode()).measures == measures
    spaced = text.replace("Measure type,", " Measure type,").replace("Meas. type code", " Meas. type code ")
    assert parse_eu(b"\xef\xbb\xbf" + spaced.encode()).measures == measures


@pytest.mark.parametrize(
    ("name", "row", "field", "words"),
    [
        ("bad_header.csv", 1, "header", "missing column(s) Meas. type code"),
        ("bad_date.csv", 3, "Start date", "'31-02-2000' is not a date (no such day)"),
        ("bad_code.csv", 3, "Goods code", "'0103 92 AB 00' is not a goods code"),
        ("truncated.xlsx", None, "file", "truncated or corrupt"),
    ],
)
def test_eu_bad_files_are_refused_naming_row_and_field(name: str, row: int | None, field: str, words: str) -> None:
    failure = error(parse_eu, (EU / name).read_bytes(), name)
    assert (failure.row, failure.field) == (row, field)
    assert words in failure.message


def test_eu_refuses_the_uk_files_and_says_which_importer_reads_them() -> None:
    failure = error(parse_eu, (UK / DECLARABLE).read_bytes())
    assert (failure.row, failure.field) == (1, "header")
    assert "use the UK importer" in failure.message
    failure = error(parse_eu, (UK / "commodity_0702000007.json").read_bytes())
    assert (failure.row, failure.field) == (None, "file")


def workbook(*rows: tuple[object, ...]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    header = next(csv.reader(io.StringIO((EU / EU_CSV).read_text())))
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_eu_sheet_cells_that_break_the_format() -> None:
    serial = (
        "6109100000",
        None,
        None,
        44197,
        None,
        None,
        "ERGA OMNES",
        "Third country duty",
        "R2658/87",
        "12.000 %",
        "1011",
        "103",
    )
    failure = error(parse_eu, workbook(serial))
    assert (failure.row, failure.field) == (2, "Start date")
    assert "Excel serial" in failure.message
    row = (
        "6109100000",
        None,
        None,
        "01-01-2021",
        None,
        None,
        "ERGA OMNES",
        "Third country duty",
        "R2658/87",
        "12.000 %",
        "1011",
        "103",
    )
    failure = error(parse_eu, workbook(row, row))
    assert (failure.row, failure.field) == (3, "Goods code")
    assert failure.message == (
        "measure type 103 for 1011 on 6109100000 from 2021-01-01 appears twice in the file (a duplicate measure)"
    )
    blank_origin = (*row[:10], "", "103")
    assert error(parse_eu, workbook(row, blank_origin)).field == "Origin code"
    failure = error(parse_eu, b"Goods code;Duty\n" + "Café".encode("cp1252"))
    assert (failure.row, failure.field) == (2, "file")


def test_eu_zip_bomb_is_refused_before_it_is_inflated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eu_module, "MAX_XLSX_INFLATED_BYTES", 4096)
    failure = error(parse_eu, (EU / "duties_import_01-99.xlsx").read_bytes())
    assert (failure.row, failure.field) == (None, "file")
    assert "would inflate to more than" in failure.message


# Shared pieces ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "suffix", "expected"),
    [
        ("6109 10 00 10", False, ("6109100010", "6109100010")),
        ("6109.10.00.10", False, ("6109100010", "6109100010")),
        ("6109000000", False, ("6109000000", "6109")),
        ("6109100000", False, ("6109100000", "610910")),
        ("61091000", False, ("6109100000", "610910")),
        ("0100000000", False, ("0100000000", "01")),
        ("101210000", False, ("0101210000", "010121")),
        ("0101210000 80", True, ("0101210000", "010121")),
        ("0702000007", False, ("0702000007", "0702000007")),
    ],
)
def test_goods_codes_are_stored_at_the_level_they_denote(raw: str, suffix: bool, expected: tuple[str, str]) -> None:
    assert goods_code(raw, row=7, field="code", suffix=suffix) == expected


@pytest.mark.parametrize("raw", ["", "0101210000 80", "123", "12345678901", "0000000000", "61O9100000", "６１０９"])
def test_goods_codes_that_are_not_codes_are_refused(raw: str) -> None:
    with pytest.raises(ScheduleFileError) as caught:
        goods_code(raw, row=7, field="code")
    assert (caught.value.row, caught.value.field) == (7, "code")


def test_measure_types_as_a_quote_reads_them() -> None:
    assert classify_measure_type("103").measure_type == "third_country"
    assert classify_measure_type("141").measure_type == "preferential"
    assert classify_measure_type("142").measure_type == "preferential"
    assert classify_measure_type("106").measure_type == "preferential"
    assert classify_measure_type("552").measure_type == "additional"
    for skipped in ("145", "143", "146", "122", "305", "VTS", "DPO", "46"):
        assert classify_measure_type(skipped, "x").measure_type is None
    assert "tariff quota/ceiling" in (classify_measure_type("46").skip or "")
    assert classify_measure_type("VTZ", "VAT zero rate").skip == (
        "measure type VTZ (VAT zero rate): value added tax, not a customs duty"
    )


def test_origin_groups_never_default_to_every_origin() -> None:
    assert origins_for("1011", "GB").origins is None
    assert origins_for("jp", "EU").origins == ("JP",)
    assert origins_for("XS", "GB").origins == ("RS",)  # TARIC's Serbia
    assert origins_for("1013", "GB").origins == EU27
    unknown = origins_for("1013", "EU", description="European Union")
    assert unknown.origins == ()
    assert unknown.note is not None
    assert "1013 (European Union) are not in the file" in unknown.note
    assert origins_for("1013", "GB", members=["AT", "EU", "XS"]).origins == ("AT", "RS")
    assert origins_for("2006", "GB", members=[]).origins == ()
    excluded = excluded_origins(["EU", "CH", "1099"], "GB")
    assert excluded.origins == tuple(sorted((*EU27, "CH", "1099")))
    assert excluded.note == (
        "excluded group(s) 1099 have unknown members: their countries are not left out of this rate"
    )


def test_a_quoted_field_over_two_lines_keeps_the_row_numbers_of_the_file() -> None:
    text = (UK / DECLARABLE).read_text()
    header, first, second = text.splitlines()[:3]
    wrapped = first.replace(",Cherry tomatoes,", ',"Cherry\ntomatoes",')
    parsed = parse_uk(f"{header}\n{wrapped}\n{second}\n".encode())
    assert [x.row for x in parsed.measures] == [2, 4]
    assert parsed.descriptions["0702000007"] == "Cherry\ntomatoes"
    eu_text = (EU / EU_CSV).read_text().splitlines()
    eu_wrapped = eu_text[1].replace("ERGA OMNES", '"ERGA\nOMNES"', 1)
    assert [x.row for x in parse_eu(f"{eu_text[0]}\n{eu_wrapped}\n{eu_text[2]}\n".encode()).measures] == [2, 4]
