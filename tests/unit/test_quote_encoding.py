"""The HTTP answer of a created quote is spliced from the stored response JSON: it must be exactly
what encoding the StoredQuote gives (field order, id, order id, timestamp, actor)."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
import pytest

from customs.quotes import _Created
from customs.schemas import QuoteRequest
from customs.service import compute_quote
from customs.tariffs import load_starter_tables
from hub.core.errors import ValidationFailed
from tests.unit.test_quote_golden import CASES, fx_table, request_body

STAMPS = [
    dt.datetime(2026, 11, 27, 10, 30, 0, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 27, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
]


@pytest.mark.parametrize("order_id", [None, uuid.UUID("01937f6e-0000-7000-8000-000000000001")])
def test_spliced_json_is_the_stored_quote_encoded(order_id: uuid.UUID | None) -> None:
    tables, fx = load_starter_tables(), fx_table()
    checked = 0
    for seed in range(0, CASES, 7):
        try:
            response = compute_quote(msgspec.convert(request_body(seed), QuoteRequest), tables, fx)
        except ValidationFailed:
            continue
        created = _Created(
            response, msgspec.json.encode(response), uuid.uuid4(), order_id, STAMPS[seed % 2], 'user:"q\u00e9"'
        )
        assert created.json() == msgspec.json.encode(created.stored())
        checked += 1
    assert checked > 40
