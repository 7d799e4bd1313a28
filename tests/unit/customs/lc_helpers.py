"""Helpers for the landed-cost unit tests: build a request from keywords and compute it.

Plain functions (no conftest fixtures) so they never leak into sibling test folders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from customs.fx import FxTable
from customs.schemas import QuoteRequest, QuoteResponse
from customs.service import compute_quote
from customs.tariffs import TariffTables, load_starter_tables

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "customs"


def build_request(**fields: Any) -> QuoteRequest:
    body: dict[str, Any] = {
        "origin_country": "CN",
        "ship_from_country": "CN",
        "destination_country": "DE",
        "currency": "EUR",
        "incoterm": "DAP",
        "transport_mode": "courier",
        "date": "2026-11-27",
        "shipping": "0",
        "insurance": "0",
        "lines": [{"description": "T-shirt", "hs_code": "610910", "quantity": 1, "unit_price": "100.00"}],
    }
    body.update(fields)
    if isinstance(body["date"], dt.date):
        body["date"] = body["date"].isoformat()
    return msgspec.convert(body, QuoteRequest)


def starter() -> TariffTables:
    return load_starter_tables()


def quote(*, tables_: TariffTables | None = None, fx: FxTable | None = None, **fields: Any) -> QuoteResponse:
    """Compute a quote for the default request updated with ``fields``."""
    return compute_quote(build_request(**fields), tables_ or load_starter_tables(), fx)


def amt(money: Any) -> str:
    return str(money.amount)
