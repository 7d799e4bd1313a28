"""USITC HTS importer: the JSON and CSV exports read into a ParsedSchedule.

Fixtures and where their rows come from: tests/fixtures/customs/schedules/us/README.md.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from customs.schedules.model import ParsedSchedule, ScheduleFileError, ScheduleMeasure, SkippedRow
from customs.schedules.parsers.us import COLUMN2_COUNTRIES, PROGRAMS, parse_us

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "customs" / "schedules" / "us"
JSON_NAME = "hts_2026_revision_3_json.json"
CSV_NAME = "hts_2026_revision_3_csv.csv"
BASIC = "hts_2026_basic_edition_json.json"
COLUMN2 = ("BY", "CU", "KP", "RU")
GSP_NOTE = PROGRAMS["A"].note
FTA_2022 = [
    ("AU", ("AU",), "AU: US-Australia FTA (GN 28)"),
    ("BH", ("BH",), "BH: US-Bahrain FTA (GN 30)"),
    ("CL", ("CL",), "CL: US-Chile FTA (GN 26)"),
    ("CO", ("CO",), "CO: US-Colombia TPA (GN 34)"),
    ("IL", ("IL",), "IL: US-Israel FTA (GN 8)"),
    ("JO", ("JO",), "JO: US-Jordan FTA (GN 18)"),
    ("KR", ("KR",), "KR: US-Korea FTA (GN 33)"),
    ("MA", ("MA",), "MA: US-Morocco FTA (GN 27)"),
    ("OM", ("OM",), "OM: US-Oman FTA (GN 31)"),
    ("P", ("CR", "DO", "GT", "HN", "NI", "SV"), "P: CAFTA-DR (GN 29)"),
    ("PA", ("PA",), "PA: US-Panama TPA (GN 35)"),
    ("PE", ("PE",), "PE: US-Peru TPA (GN 32)"),
    ("S", ("CA", "MX"), "S: USMCA (GN 11)"),
    ("SG", ("SG",), "SG: US-Singapore FTA (GN 25)"),
]


@pytest.fixture(scope="module")
def hts() -> ParsedSchedule:
    return parse_us((FIXTURES / JSON_NAME).read_bytes(), file_name=JSON_NAME)


@pytest.fixture(scope="module")
def hts_csv() -> ParsedSchedule:
    return parse_us((FIXTURES / CSV_NAME).read_bytes(), file_name=CSV_NAME)


def at(schedule: ParsedSchedule, code: str, measure_type: str | None = None) -> list[ScheduleMeasure]:
    return [m for m in schedule.measures if m.code == code and measure_type in (None, m.measure_type)]


def summary(measures: list[ScheduleMeasure]) -> list[tuple[Any, ...]]:
    return [(m.measure_type, m.expression, m.origin_group, m.origins, m.program, m.row) for m in measures]


def found_by_prefix(schedule: ParsedSchedule, code: str, measure_type: str) -> list[ScheduleMeasure]:
    """The lead's lookup: the measures of the longest code that is a prefix of ``code``."""
    codes = {m.code for m in schedule.measures if m.measure_type == measure_type and code.startswith(m.code)}
    return at(schedule, max(codes, key=len), measure_type) if codes else []


def skipped_at(schedule: ParsedSchedule, row: int) -> list[SkippedRow]:
    return [s for s in schedule.skipped if s.row == row]


def item(htsno: str, indent: int, description: str, general: str = "", special: str = "", other: str = "",
         **extra: Any) -> dict[str, Any]:  # fmt: skip
    """One row in the JSON export's shape."""
    row = {
        "htsno": htsno,
        "indent": str(indent),
        "description": description,
        "superior": None if htsno else "true",
        "units": [],
        "general": general,
        "special": special,
        "other": other,
        "footnotes": [],
        "quotaQuantity": None,
        "additionalDuties": None,
    }
    row.update(extra)
    return row


def see(*headings: str) -> list[dict[str, Any]]:
    return [
        {"columns": ["general"], "marker": str(n), "value": f"See {h}.", "type": "endnote"}
        for n, h in enumerate(headings, start=1)
    ]


def parse_items(*items: dict[str, Any], file_name: str = BASIC) -> ParsedSchedule:
    return parse_us(json.dumps(list(items)).encode(), file_name=file_name)


# --- the schedule as a whole ------------------------------------------------------------------------------------


def test_the_envelope_names_source_edition_and_the_assumed_date(hts: ParsedSchedule) -> None:
    assert (hts.source, hts.destination, hts.revision) == ("us-hts", "US", "2026 Revision 3")
    assert hts.valid_from == dt.date(2026, 1, 1)
    assert hts.rows_read == 103
    assert hts.publisher == "U.S. International Trade Commission (USITC)"
    first = hts.skipped[0]
    assert (first.row, first.code, first.field) == (0, None, "valid_from")
    assert "assumed 2026-01-01" in first.reason


def test_cotton_tshirts_carry_general_special_column2_and_section_301(hts: ParsedSchedule) -> None:
    preferential = [("preferential", "Free", symbol, origins, program, 28) for symbol, origins, program in FTA_2022]
    assert summary(at(hts, "61091000")) == [
        ("third_country", "16.5%", "General", None, None, 28),
        *preferential,
        ("column2", "90%", "Column 2", COLUMN2, None, 28),
        ("additional", "7.5%", "CN", ("CN",), "Section 301 (9903.88.15)", 28),
    ]
    (section301,) = at(hts, "61091000", "additional")
    assert section301.note == "9903.88.15 (row 96): The duty provided in the applicable subheading + 7.5%"
    assert (section301.valid_from, section301.valid_to) == (None, None)


def test_statistical_suffixes_have_no_measures_of_their_own_and_find_the_8_digit_line(hts: ParsedSchedule) -> None:
    suffixes = [c for c in hts.descriptions if c.startswith("61091000") and len(c) == 10]
    assert suffixes == [f"61091000{s}" for s in ("04", "07", "11", "12", "14", "37", "40", "45")]
    assert not [m for m in hts.measures if m.code in suffixes]
    for code in suffixes:
        assert [m.expression for m in found_by_prefix(hts, code, "third_country")] == ["16.5%"]
        assert [m.program for m in found_by_prefix(hts, code, "additional")] == ["Section 301 (9903.88.15)"]


def test_descriptions_read_down_the_indent_path_text_lines_included(hts: ParsedSchedule) -> None:
    assert hts.descriptions["6109100012"] == (
        "T-shirts, singlets, tank tops and similar garments, knitted or crocheted: Of cotton: Men's or boys': "
        "Other T-shirts: Men's (338)"
    )
    assert hts.descriptions["6109"] == "T-shirts, singlets, tank tops and similar garments, knitted or crocheted"
    assert not [c for c in hts.descriptions if c.startswith("99")]


def test_codes_are_digits_at_4_6_8_or_10(hts: ParsedSchedule) -> None:
    assert {len(c) for c in hts.descriptions} == {4, 6, 8, 10}
    assert all(m.code.isdigit() and len(m.code) in (4, 6, 8, 10) for m in hts.measures)


def test_footwear_keeps_compound_and_specific_rates_as_published(hts: ParsedSchedule) -> None:
    assert summary(at(hts, "6402991600", "third_country")) == [
        ("third_country", "90¢/pr. + 37.5%", "General", None, None, 54)
    ]
    assert [m.expression for m in at(hts, "6402991600", "column2")] == ["$1.58/pr. + 66%"]
    by_symbol = {m.origin_group: m for m in at(hts, "6402991600", "preferential")}
    expected = ["AU", "BH", "CL", "CO", "D", "IL", "JO", "KR"]
    expected += ["MA", "OM", "P", "PA", "PE", "R", "S", "SG"]
    assert list(by_symbol) == expected
    assert (by_symbol["R"].origins, by_symbol["R"].program) == ((), "R: CBTPA (GN 17)")
    assert by_symbol["R"].note == PROGRAMS["R"].note
    assert [m.expression for m in at(hts, "6402990400", "third_country")] == ["6%"]


def test_wine_special_column_gives_each_program_its_own_rate(hts: ParsedSchedule) -> None:
    pairs = [(m.origin_group, m.expression) for m in at(hts, "22042150", "preferential")]
    assert ("JO", "2.8¢/liter") in pairs
    assert ("JO", "Free") not in pairs
    assert ("A+", "Free") in pairs
    assert [m.expression for m in at(hts, "22042150", "third_country")] == ["6.3¢/liter"]
    # Published without spaces: "Free (A,AU,...)8.8¢/liter(JO)".
    assert ("JO", "8.8¢/liter") in [(m.origin_group, m.expression) for m in at(hts, "22041000", "preferential")]


def test_spirits_keep_proof_liter_rates(hts: ParsedSchedule) -> None:
    assert [m.expression for m in at(hts, "2208402000", "third_country")] == ["23.7¢/pf.liter"]
    assert [m.expression for m in at(hts, "2208402000", "preferential") if m.origin_group == "JO"] == [
        "10.5¢/pf. liter"
    ]
    assert summary(at(hts, "22083030")) == [
        ("third_country", "Free", "General", None, None, 20),
        ("column2", "$1.99/pf. liter", "Column 2", COLUMN2, None, 20),
    ]
    assert [m.expression for m in at(hts, "2204300000", "third_country")] == ["4.4¢/liter + 31.4¢/pf. liter"]


def test_headphones_and_amplifiers_are_free_with_no_special_column(hts: ParsedSchedule) -> None:
    for code, row in (("8518302000", 75), ("8518402000", 78)):
        assert summary([m for m in at(hts, code) if m.measure_type != "additional"]) == [
            ("third_country", "Free", "General", None, None, row),
            ("column2", "35%", "Column 2", COLUMN2, None, row),
        ]


def test_column2_is_the_general_note_3b_countries_everywhere(hts: ParsedSchedule) -> None:
    assert COLUMN2_COUNTRIES == COLUMN2
    rows = json.loads((FIXTURES / JSON_NAME).read_text(encoding="utf-8"))
    published = [n for n, r in enumerate(rows, start=1) if r["other"] and not r["htsno"].startswith("99")]
    column2 = [m for m in hts.measures if m.measure_type == "column2"]
    assert len(published) > 20
    assert [m.row for m in column2] == published
    assert {m.origins for m in column2} == {COLUMN2}


# --- special programs -------------------------------------------------------------------------------------------


def test_gsp_is_loaded_but_applies_to_no_origin_and_says_why(hts: ParsedSchedule) -> None:
    rows = json.loads((FIXTURES / JSON_NAME).read_text(encoding="utf-8"))
    with_gsp = [n for n, r in enumerate(rows, start=1) if "(A," in r["special"] or "(A*," in r["special"]
                or "(A+," in r["special"]]  # fmt: skip
    gsp = [m for m in hts.measures if m.origin_group in ("A", "A*", "A+")]
    assert len(with_gsp) > 10
    assert [m.row for m in gsp] == with_gsp
    assert {m.origins for m in gsp} == {()}
    assert {m.note for m in gsp} == {GSP_NOTE}
    assert GSP_NOTE is not None
    assert "31 December 2020" in GSP_NOTE


def test_no_preferential_measure_applies_to_every_origin(hts: ParsedSchedule) -> None:
    assert all(m.origins is not None for m in hts.measures if m.measure_type != "third_country")


def test_japan_automotive_and_aircraft_symbols(hts: ParsedSchedule) -> None:
    golf = {m.origin_group: m for m in at(hts, "9506310000", "preferential")}
    assert (golf["JP"].origins, golf["JP"].program) == (("JP",), "JP: US-Japan Trade Agreement (GN 36)")
    leaders = [(m.origin_group, m.expression) for m in at(hts, "9507904000", "preferential")]
    assert ("JP", "2.8%") in leaders
    wiring = {m.origin_group: m for m in at(hts, "8544300000", "preferential")}
    assert (wiring["B"].origins, wiring["C"].origins) == ((), ())
    assert wiring["C"].note == PROGRAMS["C"].note


def test_the_program_table_is_consistent() -> None:
    for symbol, program in PROGRAMS.items():
        assert program.symbol == symbol
        assert all(len(c) == 2 and c.isupper() for c in program.origins)
        # A program that reaches no origin must say why, or it would vanish silently from quotes.
        assert program.origins or program.note
    assert PROGRAMS["S"].origins == ("CA", "MX")
    assert PROGRAMS["CA"].origins == ()


def test_cross_references_unknown_symbols_and_stray_text_in_special_are_reported() -> None:
    schedule = parse_items(
        item("0201.10.50", 0, "Other", "26.4%", "Free (BH,CL) See 9822.04.01-9822.04.03 (AU)", "31.1%"),
        item("0201.20.80", 0, "Other", "26.4%", "Free (ZZ,SG)", "31.1%"),
        item("0201.30.80", 0, "Other", "26.4%", "Free", "31.1%"),
    )
    assert [(m.code, m.origin_group) for m in schedule.measures if m.measure_type == "preferential"] == [
        ("02011050", "BH"),
        ("02011050", "CL"),
        ("02012080", "SG"),
    ]
    assert [(s.row, s.code, s.field) for s in schedule.skipped] == [
        (1, "02011050", "special"),
        (2, "02012080", "special"),
        (3, "02013080", "special"),
    ]
    reasons = [s.reason for s in schedule.skipped]
    assert "AU: See 9822.04.01-9822.04.03" in reasons[0]
    assert "'ZZ'" in reasons[1]
    assert "'Free'" in reasons[2]


# --- Section 301 and other chapter 99 references ----------------------------------------------------------------


def test_a_referenced_heading_missing_from_the_file_is_reported_not_guessed(hts: ParsedSchedule) -> None:
    assert at(hts, "6402991900", "additional") == []
    (report,) = [s for s in skipped_at(hts, 55) if s.field == "footnotes"]
    assert report.code == "6402991900"
    assert "9903.88.02" in report.reason
    assert "not in this file" in report.reason


def test_suspended_exclusion_232_and_other_chapter_99_references_are_reported(hts: ParsedSchedule) -> None:
    reports = {(s.row, s.code): s.reason for s in hts.skipped if s.field == "footnotes"}
    assert "suspended" in reports[(75, "8518302000")]
    assert "exclusion" in reports[(78, "8518402000")]
    assert "Section 232" in reports[(88, "95069100")]
    whisky = [s.reason for s in skipped_at(hts, 20)]
    assert len(whisky) == 2
    assert "9903.89.49" in whisky[0]
    assert "9903.89.50" in whisky[1]
    assert at(hts, "8518302000", "additional") == []
    assert [m.program for m in at(hts, "8518402000", "additional")] == ["Section 301 (9903.88.03)"]
    assert at(hts, "95069100", "additional") == []


def test_two_headings_on_one_line_and_entry_dates_from_the_heading_text(hts: ParsedSchedule) -> None:
    batteries = at(hts, "85076000", "additional")
    assert [(m.expression, m.program, m.valid_from, m.valid_to) for m in batteries] == [
        ("25%", "Section 301 (9903.88.03)", None, None),
        ("25%", "Section 301 (9903.91.01)", dt.date(2024, 9, 27), None),
    ]
    assert all("the line also refers to" in (m.note or "") for m in batteries)
    (dated,) = at(hts, "8507600020", "additional")
    assert (dated.program, dated.valid_from, dated.valid_to, dated.row) == (
        "Section 301 (9903.91.04)",
        dt.date(2025, 1, 1),
        dt.date(2026, 1, 1),  # "before January 1, 2026": exclusive
        69,
    )


@pytest.mark.parametrize(
    ("description", "valid_from", "valid_to"),
    [
        # 9903.88.09 as published: the first "before" belongs to the export date, not the entry window.
        (
            "Articles the product of China, as provided for in U.S. note 20(l) to this subchapter and as provided "
            "for in the subheadings enumerated in U.S. notes 20(f) or 20(g) to this subchapter, if exported to the "
            "United States before May 10, 2019 and entered for consumption, or withdrawn from warehouse for "
            "consumption, on or after May 10, 2019, and before June 15, 2019",
            dt.date(2019, 5, 10),
            dt.date(2019, 6, 15),
        ),
        (
            "Effective with respect to entries on or after June 15, 2024 and through November 9, 2026, articles "
            "the product of China",
            dt.date(2024, 6, 15),
            dt.date(2026, 11, 10),  # "through" the 9th: valid_to is exclusive
        ),
        ("Effective on or after Smarch 3, 2024, articles the product of China", None, None),
    ],
)
def test_entry_dates_are_read_from_the_heading(description: str, valid_from: dt.date, valid_to: dt.date) -> None:
    schedule = parse_items(
        item("6109.10.00", 0, "Of cotton", "16.5%", footnotes=see("9903.88.09")),
        item("9903.88.09", 0, description, "The duty provided in the applicable subheading + 10%"),
    )
    (measure,) = at(schedule, "61091000", "additional")
    assert (measure.expression, measure.valid_from, measure.valid_to) == ("10%", valid_from, valid_to)


def test_chapter_99_rows_are_not_codes_of_their_own(hts: ParsedSchedule) -> None:
    assert not [m for m in hts.measures if m.code.startswith("99")]
    unreferenced = [(s.row, s.code) for s in hts.skipped if s.field == "htsno"]
    assert unreferenced == [(93, "99038202"), (94, "99038801"), (100, "99038949"), (101, "99038950")]


@pytest.mark.parametrize(
    ("general", "expected"),
    [
        ("The duty provided in the applicable subheading plus 25%", "25%"),
        ("The duty provided inthe applicable subheading+ 25%", "25%"),
        ("The duty provided in the applicable subheading + 7.5%", "7.5%"),
    ],
)
def test_the_additional_duty_text_is_read_in_its_published_spellings(general: str, expected: str) -> None:
    schedule = parse_items(
        item("6109.10.00", 0, "Of cotton", "16.5%", footnotes=see("9903.88.01")),
        item("9903.88.01", 0, "Articles the product of China, as provided for in U.S. note 20(a)", general),
    )
    assert [m.expression for m in at(schedule, "61091000", "additional")] == [expected]


@pytest.mark.parametrize(
    ("description", "general", "reason"),
    [
        ("Articles the product of China, U.S. note 20(a)", "The duty provided in the applicable subheading + 0%", "0%"),
        ("Articles the product of China, U.S. note 20(a)", "25%", "not '... + N%'"),
        ("Articles the product of Vietnam, U.S. note 20(a)", "The duty provided in the applicable subheading + 25%",
         "product of China"),
    ],
)  # fmt: skip
def test_a_heading_that_does_not_say_plus_n_percent_for_china_loads_nothing(
    description: str, general: str, reason: str
) -> None:
    schedule = parse_items(
        item("6109.10.00", 0, "Of cotton", "16.5%", footnotes=see("9903.88.01")),
        item("9903.88.01", 0, description, general),
    )
    assert at(schedule, "61091000", "additional") == []
    (report,) = [s for s in schedule.skipped if s.field == "footnotes"]
    assert (report.row, report.code) == (1, "61091000")
    assert reason in report.reason


def test_a_footnote_on_a_text_line_is_reported() -> None:
    schedule = parse_items(item("", 0, "Other:", footnotes=see("9903.88.15")))
    assert [(s.row, s.code, s.field) for s in schedule.skipped] == [(1, None, "footnotes")]


# --- inheritance by indent --------------------------------------------------------------------------------------


def test_a_rate_on_a_text_line_is_repeated_on_the_codes_under_it() -> None:
    schedule = parse_items(
        item("6109", 0, "T-shirts, singlets, tank tops and similar garments, knitted or crocheted:"),
        item("", 1, "Of cotton:", "16.5%", "", "90%"),
        item("6109.10.00.04", 2, "T-shirts, all white (352)"),
        item("", 2, "Other T-shirts:"),
        item("6109.10.00.12", 3, "Men's (338)"),
    )
    assert [(m.code, m.measure_type, m.expression, m.row) for m in schedule.measures] == [
        ("6109100004", "third_country", "16.5%", 2),
        ("6109100004", "column2", "90%", 2),
        ("6109100012", "third_country", "16.5%", 2),
        ("6109100012", "column2", "90%", 2),
    ]
    assert all("repeated on" in (m.note or "") for m in schedule.measures)


def test_an_unreadable_special_text_repeated_on_several_codes_is_reported_once() -> None:
    schedule = parse_items(
        item("", 0, "Other:", "5%", "Free (ZZ)"),
        item("6109.10.00.12", 1, "Men's (338)"),
        item("6109.10.00.14", 1, "Boys' (338)"),
    )
    assert [m.code for m in schedule.measures] == ["6109100012", "6109100014"]
    assert [(s.row, s.code, s.field) for s in schedule.skipped] == [(1, "6109100012", "special")]


def test_the_nearest_rate_by_indent_wins_over_a_shorter_coded_prefix() -> None:
    schedule = parse_items(
        item("6109.10.00", 0, "Of cotton", "16.5%"),
        item("", 1, "Other:", "20%"),
        item("6109.10.00.12", 2, "Men's (338)"),
    )
    assert [(m.code, m.expression, m.row) for m in schedule.measures] == [
        ("61091000", "16.5%", 1),
        ("6109100012", "20%", 2),
    ]


def test_a_code_under_a_coded_rate_line_inherits_by_prefix_without_copies() -> None:
    schedule = parse_items(
        item("6109", 0, "T-shirts:"),
        item("6109.10.00", 1, "Of cotton", "16.5%"),
        item("", 2, "Men's or boys':"),
        item("6109.10.00.04", 3, "T-shirts, all white (352)"),
    )
    assert [(m.code, m.expression) for m in schedule.measures] == [("61091000", "16.5%")]
    assert schedule.skipped == []


def test_a_10_digit_line_with_no_rate_above_it_is_reported() -> None:
    schedule = parse_items(item("6109", 0, "T-shirts:"), item("6109.10.00.04", 1, "T-shirts, all white (352)"))
    assert schedule.measures == []
    assert [(s.row, s.code, s.field) for s in schedule.skipped] == [(2, "6109100004", "general")]


def test_nothing_is_inherited_across_a_break_in_the_hierarchy(hts_csv: ParsedSchedule) -> None:
    # The CSV slice jumps from 6109.10.00.70 (indent 4) to 6402.99 (indent 2): 6109.10.00 is then the
    # line above by indent, but 6402.99 is not under it.
    assert at(hts_csv, "640299") == []


# --- the CSV export ---------------------------------------------------------------------------------------------


def test_the_csv_twin_gives_the_same_rates_as_the_json(hts: ParsedSchedule, hts_csv: ParsedSchedule) -> None:
    def rates(schedule: ParsedSchedule, code: str) -> list[tuple[Any, ...]]:
        return [row[:5] for row in summary(at(schedule, code)) if row[0] != "additional"]

    shared = ["22041000", "2204212000", "22042150", "61091000", "6402991600", "6402991900", "8518302000"]
    for code in shared:
        assert rates(hts_csv, code) == rates(hts, code), code
    assert rates(hts_csv, "61091000")[0] == ("third_country", "16.5%", "General", None, None)


def test_the_csv_reports_rows_as_line_numbers_and_has_no_section_301(hts_csv: ParsedSchedule) -> None:
    assert hts_csv.rows_read == 72
    assert {m.row for m in at(hts_csv, "61091000")} == {20}
    assert not [m for m in hts_csv.measures if m.measure_type == "additional"]
    notes = [(s.row, s.field) for s in hts_csv.skipped if s.row == 0]
    assert notes == [(0, "valid_from"), (0, "footnotes")]
    assert hts_csv.descriptions["2204213000"].endswith('the name "Tokay" and if so designated on the approved label')


# --- editions, encodings, variants -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "revision", "assumed"),
    [
        ("hts_2026_basic_edition_json.json", "2026 Basic Edition", False),
        ("hts_2025_revision_32_json.json", "2025 Revision 32", True),
        ("/srv/imports/hts_2026_rev_7.json", "2026 Revision 7", True),
        ("2026HTSRev21.json", "2026 Revision 21", True),
        ("hts_2025_basic.json", "2025 Basic Edition", False),
    ],
)
def test_the_edition_comes_from_the_file_name(file_name: str, revision: str, assumed: bool) -> None:
    schedule = parse_items(item("6109.10.00", 0, "Of cotton", "16.5%"), file_name=file_name)
    assert schedule.revision == revision
    assert schedule.valid_from == dt.date(int(revision[:4]), 1, 1)
    assert bool([s for s in schedule.skipped if s.field == "valid_from"]) is assumed


@pytest.mark.parametrize("file_name", ["htsdata.csv", "", "tariff.json"])
def test_a_file_name_without_an_edition_is_refused(file_name: str) -> None:
    with pytest.raises(ScheduleFileError) as caught:
        parse_us((FIXTURES / JSON_NAME).read_bytes(), file_name=file_name)
    assert (caught.value.row, caught.value.field) == (None, "file_name")
    assert "hts_2026_revision_3_json.json" in caught.value.message


@pytest.mark.parametrize("name", [JSON_NAME, CSV_NAME])
def test_a_byte_order_mark_is_accepted(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    with_bom = parse_us(b"\xef\xbb\xbf" + data, file_name=name)
    assert with_bom.measures == parse_us(data, file_name=name).measures


def test_quota_quantity_is_noted_and_additional_duties_are_reported() -> None:
    schedule = parse_items(
        item("0201.10.10", 0, "Described in additional U.S. note 3", "4.4¢/kg", quotaQuantity="656,619 t"),
        item("0201.10.50", 0, "Other", "26.4%", additionalDuties="See 9904.02.01"),
        item("0201.10.50.10", 1, "Veal", quotaQuantity=100),
    )
    (quota,) = at(schedule, "02011010")
    assert quota.note == "quota quantity: 656,619 t"
    assert [(s.row, s.code, s.field) for s in schedule.skipped] == [
        (2, "02011050", "additionalDuties"),
        (3, "0201105010", "quotaQuantity"),
    ]


def test_the_rest_search_shape_with_a_separate_statistical_suffix() -> None:
    schedule = parse_items(
        item("8517.62.00", 2, "Machines for the reception, conversion and transmission", "Free", statisticalSuffix=""),
        item("8517.62.00.90", 3, "Other", statisticalSuffix="90", units=None),
        item("8517.62.00", 3, "Switching and routing apparatus", statisticalSuffix="20"),
    )
    assert set(schedule.descriptions) == {"85176200", "8517620090", "8517620020"}
    with pytest.raises(ScheduleFileError) as caught:
        parse_items(item("8517.62.00.90", 3, "Other", statisticalSuffix="10"))
    assert (caught.value.row, caught.value.field) == (1, "statisticalSuffix")


# --- files that are refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "row", "field"),
    [
        ("not_an_export.txt", 1, "file"),
        ("object_not_list.json", None, "file"),
        ("truncated.json", 4, "file"),
        ("item_not_object.json", 2, "item"),
        ("bad_htsno.json", 2, "htsno"),
        ("duplicate_htsno.json", 3, "htsno"),
        ("bad_indent.json", 1, "indent"),
        ("footnotes_not_list.json", 2, "footnotes"),
        ("rate_not_text.json", 1, "general"),
        ("wrong_headers.csv", 1, "header"),
        ("short_row.csv", 3, "columns"),
        ("bad_htsno.csv", 3, "htsno"),
        ("not_utf8.csv", 2, "encoding"),
    ],
)
def test_a_bad_file_is_refused_naming_row_and_field(name: str, row: int | None, field: str) -> None:
    with pytest.raises(ScheduleFileError) as caught:
        parse_us((FIXTURES / "bad" / name).read_bytes(), file_name=BASIC)
    assert (caught.value.row, caught.value.field) == (row, field)
    assert caught.value.message


def test_the_refusals_say_what_is_wrong() -> None:
    messages = {}
    for name in ("duplicate_htsno.json", "object_not_list.json", "wrong_headers.csv", "bad_htsno.json"):
        with pytest.raises(ScheduleFileError) as caught:
            parse_us((FIXTURES / "bad" / name).read_bytes(), file_name=BASIC)
        messages[name] = str(caught.value)
    assert messages["duplicate_htsno.json"] == "row 3, htsno: 6109.10.00 is already at row 2"
    assert "expected a JSON list" in messages["object_not_list.json"]
    assert "'HTS Number'" in messages["wrong_headers.csv"]
    assert "'6109.1O.00'" in messages["bad_htsno.json"]


@pytest.mark.parametrize("data", [b"", b"  \n", b"[]"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(ScheduleFileError) as caught:
        parse_us(data, file_name=BASIC)
    assert caught.value.field == "file"


def test_a_list_without_hts_rows_is_refused() -> None:
    with pytest.raises(ScheduleFileError) as caught:
        parse_us(json.dumps([{"code": "6109", "rate": "16.5%"}]).encode(), file_name=BASIC)
    assert (caught.value.row, caught.value.field) == (1, "htsno")
