"""Origin groups imported from the UK tariff's geographical areas (JSON) and the EU's (TARIC3 XML), and
schedules parsed with them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from customs.schedules import importer
from customs.schedules.model import ScheduleFileError
from customs.schedules.parsers._common import KnownGroups
from customs.schedules.parsers.areas import parse_eu_taric3_areas, parse_uk_areas
from customs.schedules.parsers.eu import parse_eu
from customs.schedules.parsers.uk import parse_uk

UK = Path(__file__).resolve().parents[2] / "fixtures" / "customs" / "schedules" / "uk"
FLAT = UK / "geographical_areas_2021-08-12.json"
API = UK / "geographical_areas_api_v2.json"
EU = UK.parent / "eu"
TARIC3 = EU / "geographical_areas_taric3.xml"
EU_DUTIES = EU / "duties_import_01-99.csv"
CSV_NAME = "uk-tariff-2021-01-01--v4.0.1527--measures-on-declarable-commodities.csv"
HEADER = [
    "commodity__code",
    "commodity__description",
    "measure__sid",
    "measure__type__id",
    "measure__duty_expression",
    "measure__effective_start_date",
    "measure__effective_end_date",
    "measure__geographical_area__id",
    "measure__geographical_area__description",
    "measure__excluded_geographical_areas__ids",
]


def uk_csv(*rows: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


SCHEDULE = uk_csv(
    ["6109100010", "T-shirts", "1", "103", "12.00%", "2021-01-01", "#NA", "1011", "ERGA OMNES", "#NA"],
    ["6109100010", "T-shirts", "2", "142", "0.00%", "2021-01-01", "#NA", "1032", "EPA", "#NA"],
    ["6109100010", "T-shirts", "3", "142", "2.00%", "2021-01-01", "#NA", "1011", "ERGA OMNES", "1032"],
)


def test_both_published_shapes_give_the_same_groups_and_countries_are_not_groups() -> None:
    flat = parse_uk_areas(FLAT.read_bytes(), file_name=FLAT.name, sha256="ab" * 32)
    api = parse_uk_areas(API.read_bytes(), file_name=API.name, sha256="cd" * 32)
    expected = {"1032": ("CI", "KE"), "2200": ("CR", "GT", "HN", "NI", "PA", "SV")}
    assert {g.group_id: g.members for g in flat.groups} == expected
    assert {g.group_id: g.members for g in api.groups} == expected
    assert flat.revision == "2021-08-12"  # the day in the file's name
    assert api.revision == "sha256 cdcdcdcdcdcd"  # no day in the name: the file's hash
    assert flat.destination == "GB"
    assert [g.description for g in flat.groups] == ["Economic Partnership Agreements", "Central America"]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (b"{not json", "file"),
        (b'{"data": {"id": "1032"}}', "data"),
        (b'[{"id": "1032", "description": "EPA"}]', "children_geographical_areas"),
        (b'[{"id": "10 32", "children_geographical_areas": []}]', "geographical_area_id"),
        (b'[{"id": "1032", "children_geographical_areas": [{"id": "K E"}]}]', "children_geographical_areas"),
        (b'[{"id": "1032", "children_geographical_areas": "KE"}]', "children_geographical_areas"),
        (b'{"data": [{"id": "1032", "type": "commodity"}]}', "type"),
        (b'[{"id": "KE", "children_geographical_areas": []}]', "data"),  # no group at all
    ],
)
def test_a_bad_areas_file_names_the_field(document: bytes, field: str) -> None:
    with pytest.raises(ScheduleFileError) as refused:
        parse_uk_areas(document)
    assert refused.value.field == field


def test_a_group_twice_is_refused_with_its_item() -> None:
    twice = json.dumps([{"id": "1032", "children_geographical_areas": [{"id": "KE"}]}] * 2).encode()
    with pytest.raises(ScheduleFileError) as refused:
        parse_uk_areas(twice)
    assert (refused.value.row, refused.value.field) == (2, "geographical_area_id")


def test_without_the_groups_a_group_preference_covers_no_origin() -> None:
    parsed = parse_uk(SCHEDULE, file_name=CSV_NAME)
    preference = next(m for m in parsed.measures if m.origin_group == "1032")
    assert preference.origins == ()
    assert "not in the file" in (preference.note or "")
    excluded = next(m for m in parsed.measures if m.excluded_origins)
    assert excluded.excluded_origins == ("1032",)  # kept by its code: it matches no country
    assert "unknown members" in (excluded.note or "")


def test_with_the_imported_groups_a_group_preference_covers_its_members_and_says_where_from() -> None:
    areas = parse_uk_areas(FLAT.read_bytes(), file_name=FLAT.name)
    groups = KnownGroups(members={g.group_id: g.members for g in areas.groups}, label="areas 2021-08-12")
    parsed = parse_uk(SCHEDULE, file_name=CSV_NAME, groups=groups)
    preference = next(m for m in parsed.measures if m.origin_group == "1032")
    assert preference.origins == ("CI", "KE")
    assert preference.note == "members of group 1032 from areas 2021-08-12"
    excluded = next(m for m in parsed.measures if m.measure_type == "preferential" and m.origin_group == "1011")
    assert excluded.excluded_origins == ("CI", "KE")
    assert excluded.note is None


def test_prepare_passes_the_groups_to_the_uk_parser_only() -> None:
    groups = KnownGroups(members={"1032": ("KE",)}, label="areas")
    prepared = importer.prepare("uk-trade-tariff", SCHEDULE, file_name=CSV_NAME, groups=groups)
    record = next(r for r in prepared.records if r.origin_group == "1032")
    assert record.origins == ["KE"]
    with pytest.raises(ValueError, match="unknown source"):
        importer.prepare_groups("us-geographical-areas", FLAT.read_bytes())
    with pytest.raises(ScheduleFileError, match="not XML"):  # the UK's JSON is not the EU's TARIC3
        importer.prepare_groups("eu-geographical-areas", FLAT.read_bytes())


# -- EU: TARIC3 ------------------------------------------------------------------------------------


def test_taric3_groups_hold_the_members_valid_on_the_day() -> None:
    parsed = parse_eu_taric3_areas(TARIC3.read_bytes(), as_of=dt.date(2026, 12, 5), file_name=TARIC3.name)
    members = {g.group_id: g.members for g in parsed.groups}
    # Bhutan joins 2005 only in 2030; China's 2020 membership ended in 2014; Japan's was deleted.
    assert members == {"1011": (), "2005": ("BD", "KH", "MM"), "2020": ("ID", "IN", "KE")}
    assert {g.group_id: g.description for g in parsed.groups}["2005"] == "GSP - Least Developed Countries (EBA)"
    assert (parsed.source, parsed.destination) == ("eu-geographical-areas", "EU")
    assert parsed.revision == "envelope 260001, members on 2026-12-05"
    then = parse_eu_taric3_areas(TARIC3.read_bytes(), as_of=dt.date(2014, 6, 1))
    assert {g.group_id: g.members for g in then.groups}["2020"] == ("CN", "ID", "IN", "KE")
    later = parse_eu_taric3_areas(TARIC3.read_bytes(), as_of=dt.date(2030, 1, 1))
    assert {g.group_id: g.members for g in later.groups}["2005"] == ("BD", "BT", "KH", "MM")


def _envelope(*records: str) -> bytes:
    body = "".join(f"<oub:record><oub:update.type>3</oub:update.type>{record}</oub:record>" for record in records)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><env:envelope xmlns:oub="urn:publicid:-:DGTAXUD:TARIC:MESSAGE:1.0" '
        f'xmlns:env="urn:publicid:-:DGTAXUD:GENERAL:ENVELOPE:1.0" id="1">{body}</env:envelope>'
    ).encode()


def _area(sid: str, area: str, code: str) -> str:
    return (
        f"<oub:geographical.area><oub:geographical.area.sid>{sid}</oub:geographical.area.sid>"
        f"<oub:geographical.area.id>{area}</oub:geographical.area.id>"
        f"<oub:geographical.code>{code}</oub:geographical.code></oub:geographical.area>"
    )


def _member(member: str, group: str, start: str = "2020-01-01", end: str = "") -> str:
    ending = f"<oub:validity.end.date>{end}</oub:validity.end.date>" if end else ""
    return (
        f"<oub:geographical.area.membership><oub:geographical.area.sid>{member}</oub:geographical.area.sid>"
        f"<oub:geographical.area.group.sid>{group}</oub:geographical.area.group.sid>"
        f"<oub:validity.start.date>{start}</oub:validity.start.date>{ending}</oub:geographical.area.membership>"
    )


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    b'<env:envelope xmlns:env="urn:publicid:-:DGTAXUD:GENERAL:ENVELOPE:1.0">&lol2;</env:envelope>'
)


@pytest.mark.parametrize(
    ("document", "row", "field", "message"),
    [
        (b"PK\x03\x04 not xml", None, "file", "not XML"),
        (b"<env:envelope><unclosed></env:envelope>", None, "file", "not well-formed XML at line 1"),
        (BILLION_LAUGHS, None, "file", "refused"),
        (b"<feed/>", None, "envelope", "expected a TARIC3 env:envelope"),
        (_envelope(_area("1", "20-5", "1")), 1, "geographical.area.id", "not a tariff area code"),
        (_envelope(_area("1", "2005", "1"), _member("9", "1")), 2, "geographical.area.sid", "not defined"),
        (
            _envelope(_area("1", "2005", "1"), _area("2", "BD", "0"), _member("2", "1", "2020-02-30")),
            3,
            "validity.start.date",
            "not a date",
        ),
        (
            _envelope(_area("1", "2005", "1"), _area("2", "BD", "0"), _member("2", "1", end="2019-01-01")),
            3,
            "validity.end.date",
            "before the start",
        ),
        (
            _envelope(_area("1", "KH", "0"), _area("2", "BD", "0"), _member("2", "1")),
            3,
            "geographical.area.group.sid",
            "KH is not a group",
        ),
        (_envelope(_area("2", "BD", "0")), None, "file", "holds no origin group"),
    ],
)
def test_a_bad_taric3_file_names_the_record_and_field(
    document: bytes, row: int | None, field: str, message: str
) -> None:
    with pytest.raises(ScheduleFileError, match=message) as refused:
        parse_eu_taric3_areas(document, as_of=dt.date(2026, 12, 5))
    assert (refused.value.row, refused.value.field) == (row, field)


def test_the_eu_duties_sheet_reads_its_group_preferences_with_the_imported_groups() -> None:
    without = parse_eu(EU_DUTIES.read_bytes(), file_name=EU_DUTIES.name)
    eba = next(m for m in without.measures if m.origin_group == "2005")
    assert eba.origins == ()
    areas = parse_eu_taric3_areas(TARIC3.read_bytes(), as_of=dt.date(2026, 12, 5))
    groups = KnownGroups(members={g.group_id: g.members for g in areas.groups}, label="TARIC3 envelope 260001")
    prepared = importer.prepare("eu-taric", EU_DUTIES.read_bytes(), file_name=EU_DUTIES.name, groups=groups)
    by_group = {r.origin_group: r for r in prepared.records if r.measure_type == "preferential"}
    assert by_group["2005"].origins == ["BD", "KH", "MM"]
    assert by_group["2020"].origins == ["ID", "IN", "KE"]
    assert by_group["2005"].note == "members of group 2005 from TARIC3 envelope 260001"
