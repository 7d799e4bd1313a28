"""Which schedule measures apply to a line: level matched, descendants, preferences, Column 2, additions."""

from __future__ import annotations

import datetime as dt

import pytest

from customs.schedules.expressions import parse_expression
from customs.schedules.matching import Ambiguous, CodeEntry, Measure, Selection, select

pytestmark = pytest.mark.unit

START = dt.date(2026, 1, 1)
DAY = dt.date(2026, 6, 1)


def measure(
    code: str,
    expression: str,
    measure_type: str = "third_country",
    *,
    origins: tuple[str, ...] | None = None,
    excluded: tuple[str, ...] = (),
    program: str | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    row: int = 1,
    note: str | None = None,
    dialect: str = "uk",
) -> Measure:
    return Measure(
        code=code,
        seq=row,
        measure_type=measure_type,
        origin_group="1011" if origins is None else ",".join(origins),
        origins=origins,
        excluded_origins=excluded,
        program=program,
        expression=expression,
        parsed=parse_expression(expression, dialect="us" if dialect == "us" else "uk"),
        uncomputable=None,
        valid_from=valid_from,
        valid_to=valid_to,
        file_row=row,
        note=note,
    )


def pick_or_none(wanted: str, *measures: Measure, origin: str | None = "CN", day: dt.date = DAY) -> Selection | None:
    return select(CodeEntry(wanted, measures), day=day, origin=origin, schedule_from=START)


def pick(wanted: str, *measures: Measure, origin: str | None = "CN", day: dt.date = DAY) -> Selection:
    chosen = pick_or_none(wanted, *measures, origin=origin, day=day)
    assert chosen is not None, f"nothing selected for {wanted}"
    return chosen


def test_the_longest_code_on_the_path_is_the_base_and_its_level_is_reported() -> None:
    heading = measure("6109", "12.00 %", row=1)
    national = measure("6109100010", "10.00 %", row=2)
    chosen = pick("6109100010", heading, national)
    assert chosen.base is national
    assert (chosen.level, chosen.matched_code) == (10, "6109100010")


def test_a_heading_measure_is_inherited_by_a_code_under_it() -> None:
    chosen = pick("6109100010", measure("6109", "12.00 %"))
    assert (chosen.level, chosen.matched_code) == (4, "6109")


def test_six_digits_with_national_codes_that_agree_quotes_and_says_so() -> None:
    a = measure("6109100010", "12.00 %", row=1)
    b = measure("6109100090", "12.00 %", row=2)
    chosen = pick("610910", a, b)
    assert chosen.base.expression == "12.00 %"
    assert any("2 national code(s)" in note for note in chosen.notes)


def test_six_digits_with_national_codes_that_differ_is_refused_naming_them() -> None:
    a = measure("6402999100", "16.90 %", row=1)
    b = measure("6402999800", "4.00 %", row=2)
    with pytest.raises(Ambiguous) as refused:
        pick("640299", a, b)
    assert "6402999100: 16.90 %" in str(refused.value)
    assert "6402999800: 4.00 %" in str(refused.value)


def test_an_additional_duty_on_only_some_national_codes_makes_six_digits_ambiguous() -> None:
    base = measure("85183000", "Free", row=1, dialect="us")
    other = measure("85184000", "Free", row=2, dialect="us")
    surcharge = measure("85183000", "25%", "additional", origins=("CN",), program="Section 301", row=3, dialect="us")
    with pytest.raises(Ambiguous):
        pick("8518", base, other, surcharge)
    # Not for another origin: the surcharge does not cover it, so every code reads "Free".
    assert pick("8518", base, other, surcharge, origin="VN").base.expression == "Free"


def test_measures_outside_their_dates_do_not_apply() -> None:
    old = measure("6109", "12.00 %", valid_to=dt.date(2026, 3, 1), row=1)
    new = measure("6109", "9.00 %", valid_from=dt.date(2026, 3, 1), row=2)
    before = pick("6109100010", old, new, day=dt.date(2026, 2, 1))
    after = pick("6109100010", old, new, day=dt.date(2026, 4, 1))
    assert before.base is old
    assert after.base is new
    assert pick_or_none("6109100010", measure("6109", "5 %", valid_from=dt.date(2027, 1, 1))) is None


def test_preferences_cover_their_origins_only_and_respect_exclusions() -> None:
    base = measure("6109", "12.00 %", row=1)
    group = measure("6109", "0.00 %", "preferential", origins=("VN", "KH"), excluded=("KH",), program="DCTS", row=2)
    for_vn = pick("6109100010", base, group, origin="VN")
    for_kh = pick("6109100010", base, group, origin="KH")
    for_none = pick("6109100010", base, group, origin=None)
    assert for_vn.preferences == [group]
    assert for_kh.preferences == []
    assert for_none.preferences == []


def test_a_group_whose_members_are_unknown_never_applies_and_is_named() -> None:
    base = measure("6109", "12.00 %", row=1)
    unknown = measure("6109", "0.00 %", "preferential", origins=(), note="members of group 2099 unknown", row=2)
    chosen = pick("6109100010", base, unknown, origin="VN")
    assert chosen.preferences == []
    assert any("2099" in note for note in chosen.notes)


def test_column_2_replaces_the_general_rate_for_its_countries() -> None:
    general = measure("61091000", "16.5%", row=1, dialect="us")
    column2 = measure("61091000", "90%", "column2", origins=("CU", "KP", "RU", "BY"), row=2, dialect="us")
    for_ru = pick("6109100012", general, column2, origin="RU")
    for_cn = pick("6109100012", general, column2, origin="CN")
    assert for_ru.base is column2
    assert for_cn.base is general


def test_no_third_country_measure_means_no_selection() -> None:
    assert pick_or_none("9999990000", measure("9999", "5 %", "preferential", origins=("CA",))) is None


def test_origin_specific_and_suspension_measures_replace_the_erga_omnes_duty() -> None:
    erga = measure("8501", "2.70 %", row=1)
    suspension = measure("8501", "0.00 %", row=2, note="autonomous tariff suspension (measure type 112)")
    russia = measure("8501", "35.00 %", origins=("RU", "BY"), row=3)
    assert pick("8501100000", erga, russia, origin="CN").base is erga
    assert pick("8501100000", erga, russia, origin="RU").base is russia
    assert pick("8501100000", erga, suspension, russia, origin="CN").base is suspension
    assert pick("8501100000", erga, suspension, russia, origin="BY").base is russia
