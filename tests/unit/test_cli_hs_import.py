"""``orderhub hs import`` refuses unreadable files with a one-line JSON error and exit code 2.

Every case fails while parsing, before any database is touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from customs.nomenclature import parse_us_hts
from hub.cli import _hs_import, _parser, read_import_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "customs"


def _run(capsys: pytest.CaptureFixture[str], path: Path, fmt: str) -> tuple[int, dict[str, str]]:
    code = _hs_import(_parser().parse_args(["hs", "import", str(path), "--format", fmt, "--json"]))
    return code, json.loads(capsys.readouterr().err.strip().splitlines()[-1])


def test_a_file_of_another_kind_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, error = _run(capsys, FIXTURES / "us_hts_sample.json", "uk-json")
    assert code == 2
    assert "not a commodity document" in error["error"]
    code, error = _run(capsys, FIXTURES / "uk_commodity_6109100010.json", "us-hts-json")
    assert code == 2
    assert "a JSON list of objects" in error["error"]


def test_a_file_that_is_not_utf8_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    latin = tmp_path / "hs.csv"
    latin.write_bytes("section,hscode,description,parent,level\nI,01,Animaux vivants é,TOTAL,2\n".encode("latin-1"))
    code, error = _run(capsys, latin, "wco-csv")
    assert code == 2
    assert "not UTF-8" in error["error"]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    bom = tmp_path / "hts.json"
    bom.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "us_hts_sample.json").read_bytes())
    assert len(parse_us_hts(json.loads(read_import_text(bom)))) == 5
