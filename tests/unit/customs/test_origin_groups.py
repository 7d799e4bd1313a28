"""Origin groups imported from the UK tariff's geographical areas, and schedules parsed with them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from customs.schedules import importer
from customs.schedules.model import ScheduleFileError
from customs.schedules.parsers._common import KnownGroups
from customs.schedules.parsers.areas import parse_uk_areas
from customs.schedules.parsers.uk import parse_uk

UK = Path(__file__).resolve().parents[2] / "fixtures" / "customs" / "schedules" / "uk"
FLAT = UK / "geographical_areas_2021-08-12.json"
API = UK / "geographical_areas_api_v2.json"
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
        importer.prepare_groups("eu-geographical-areas", FLAT.read_bytes())
