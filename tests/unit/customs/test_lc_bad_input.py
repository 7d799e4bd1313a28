"""Bad input: each case is a ValidationFailed naming the field, never a guess."""

from __future__ import annotations

import msgspec
import pytest
from lc_helpers import build_request, quote

from customs.schemas import decode_quote_request
from customs.service import compute_quote
from customs.tariffs import load_starter_tables
from hub.core.errors import ValidationFailed

LINE = {"hs_code": "610910", "quantity": 1, "unit_price": "10"}


def fields_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [e.field for e in exc.value.errors]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"destination_country": "XX"}, "destination_country"),
        ({"destination_country": "BR"}, "destination_country"),
        ({"currency": "EUX"}, "currency"),
        ({"date": "2019-06-01"}, "date"),
        ({"incoterm": "FOO"}, "incoterm"),
        ({"transport_mode": "teleport"}, "transport_mode"),
        ({"shipping": "-1"}, "shipping"),
        ({"insurance": "abc"}, "insurance"),
        ({"fx_rates": {"USDAUD": "1.1"}}, "fx_rates"),
        ({"fx_rates": {"USD/AUD": "-1"}}, "fx_rates"),
        ({"lines": []}, "lines"),
        ({"lines": [LINE, {**LINE, "hs_code": "12AB"}]}, "lines[1].hs_code"),
        ({"lines": [LINE, LINE, LINE, {**LINE, "hs_code": "1234"}]}, "lines[3].hs_code"),
        ({"lines": [{**LINE, "unit_price": "ten"}]}, "lines[0].unit_price"),
        ({"lines": [{**LINE, "unit_price": "-5"}]}, "lines[0].unit_price"),
        ({"lines": [{**LINE, "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": [{**LINE, "origin_country": "QQ"}]}, "lines[0].origin_country"),
        ({"lines": [{**LINE, "duty_rate": "NaN"}]}, "lines[0].duty_rate"),
        ({"lines": [{**LINE, "tax_category": "luxury"}]}, "lines[0].tax_category"),
        ({"currency": "USD"}, "fx_rates"),
        ({"destination_country": "CA", "currency": "CAD"}, "destination_region"),
        ({"lines": [{**LINE, "hs_code": "999999", "unit_price": "200"}]}, "lines[0].hs_code"),
        ({"lines": [{**LINE, "hs_code": "220830"}]}, "lines[0].hs_code"),
    ],
)
def test_each_bad_field_is_named(fields: dict[str, object], expected: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        quote(**fields)
    assert expected in fields_of(exc), exc.value.errors


def test_unknown_hs_code_message_says_what_to_do() -> None:
    with pytest.raises(ValidationFailed) as exc:
        quote(lines=[{**LINE, "hs_code": "999999", "unit_price": "200"}])
    assert "send duty_rate" in exc.value.errors[0].message


def test_ten_thousand_lines_refused_before_any_work() -> None:
    with pytest.raises(ValidationFailed) as exc:
        quote(lines=[LINE] * 10_000)
    assert fields_of(exc) == ["lines"]
    assert "1000" in exc.value.errors[0].message


def test_several_errors_reported_together() -> None:
    with pytest.raises(ValidationFailed) as exc:
        quote(currency="EUX", shipping="-3", lines=[{**LINE, "hs_code": "x"}])
    assert {"currency", "shipping", "lines[0].hs_code"} <= set(fields_of(exc))


def test_float_amount_refused_even_if_built_in_python() -> None:
    req = build_request()
    req.lines[0].unit_price = 9.99  # type: ignore[assignment]
    with pytest.raises(ValidationFailed) as exc:
        compute_quote(req, load_starter_tables())
    assert fields_of(exc) == ["lines[0].unit_price"]


def test_decode_turns_type_errors_into_field_paths() -> None:
    body = msgspec.json.encode(
        {
            "destination_country": "DE",
            "currency": "EUR",
            "date": "2026-11-27",
            "lines": [{"hs_code": "610910", "unit_price": 9.5}],
        }
    )
    with pytest.raises(ValidationFailed) as exc:
        decode_quote_request(body)
    assert fields_of(exc) == ["lines[0].unit_price"]
    with pytest.raises(ValidationFailed) as exc:
        decode_quote_request(b'{"destination_country": "DE", "currency": "EUR", "date": "2026-13-40", "lines": []}')
    assert fields_of(exc) == ["date"]


def test_gb_after_known_rules_is_refused_not_guessed() -> None:
    with pytest.raises(ValidationFailed) as exc:
        quote(destination_country="GB", currency="GBP", date="2029-01-15")
    assert fields_of(exc) == ["date"]
