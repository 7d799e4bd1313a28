"""Wire shapes of the landed-cost quote (API.md, "Landed cost quote").

The request carries amounts as decimal strings in ``currency`` and rates as percent strings
(``"5"`` = 5 %); the response carries money as ``{"amount": "..", "currency": ".."}`` in the
destination's currency. Fields beyond the documented ones are additions, never renames.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import msgspec

from hub.core.errors import BadRequest, FieldError, ValidationFailed
from hub.core.money import MoneyWire
from hub.core.validation import date_window_error

__all__ = [
    "DeMinimisWire",
    "DutyMatchWire",
    "EcbImportResult",
    "FeeWire",
    "FxRateCreate",
    "FxRateRead",
    "FxUsedWire",
    "LocalChargeIn",
    "QuoteLineIn",
    "QuoteLineOut",
    "QuoteRequest",
    "QuoteResponse",
    "ScheduleUsedWire",
    "StoredQuote",
    "TariffRowRead",
    "TariffRowsLoaded",
    "TaxWire",
    "decode_quote_request",
]


class QuoteLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """One line of goods. ``weight_kg`` is per unit (as on a product); ``duty_rate`` overrides the tables."""

    description: str = ""
    hs_code: str
    origin_country: str | None = None
    quantity: int = 1
    unit_price: str
    weight_kg: str | None = None
    duty_rate: str | None = None
    # Additions: the VAT/GST category where a reduced rate applies ("standard", "reduced", ...).
    tax_category: str = "standard"
    # Litres per unit, for duties an official schedule charges per litre (wine, spirits, juices).
    volume_litres: str | None = None


class LocalChargeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """A charge arising in the destination (carrier clearance fee, UK "VAT value adjustment").

    It is a fee of the quote and, where the destination's law says so (EU, UK, CH, SG), part of the
    import VAT base. ``currency`` defaults to the request's currency.
    """

    code: str
    amount: str
    currency: str | None = None


def _check_date(value: dt.date) -> None:
    """A quote or rate date in the window every client date keeps (2000-01-01 .. today + 5 years).

    Raised as ValidationFailed, which msgspec lets through from ``__post_init__`` (it converts only
    ValueError and TypeError): these Structs are decoded at the top of a body, so ``date`` is the path.
    """
    if (problem := date_window_error(value)) is not None:
        raise ValidationFailed.single("date", problem)


class QuoteRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """``POST /v1/landed-cost/quotes`` body."""

    origin_country: str | None = None
    ship_from_country: str | None = None
    destination_country: str
    destination_region: str | None = None
    currency: str
    incoterm: str = "DAP"
    transport_mode: str = "courier"
    date: dt.date
    shipping: str = "0"
    insurance: str = "0"
    fx_rates: dict[str, str] | None = None
    lines: list[QuoteLineIn]
    # Additions (defaults keep the documented request valid):
    is_gift: bool = False
    low_value_scheme_registered: bool = True
    local_charges: list[LocalChargeIn] = msgspec.field(default_factory=list)
    cbec_annual_used: str | None = None
    # Preferential (FTA, GSP) rates of an official schedule apply only when origin is claimed.
    claim_preferential_origin: bool = False

    def __post_init__(self) -> None:
        _check_date(self.date)


class DutyMatchWire(msgspec.Struct, kw_only=True):
    """Which official schedule priced a line (one of the quote's ``schedules``), at which code and level."""

    schedule_id: str
    matched_code: str
    level: int
    preference: str | None = None


class ScheduleUsedWire(msgspec.Struct, kw_only=True):
    """An official schedule a quote priced lines from: named once per quote, by id from each line's duty_match."""

    id: str
    source: str
    title: str
    revision: str
    valid_from: str
    publisher: str
    file_name: str
    file_sha256: str
    imported_at: str
    scope: str  # "reference" (loaded for every tenant) or "tenant" (this tenant's own upload)


class QuoteLineOut(msgspec.Struct, kw_only=True):
    hs_code: str
    customs_value: MoneyWire
    duty_rate: str | None
    duty: MoneyWire
    # Additions:
    index: int = 0
    description: str = ""
    value: MoneyWire | None = None
    shipping: MoneyWire | None = None
    insurance: MoneyWire | None = None
    duty_basis: str = ""
    duty_rate_source: str = "table"
    measure_ids: list[str] = msgspec.field(default_factory=list)
    duty_match: DutyMatchWire | None = None


class TaxWire(msgspec.Struct, kw_only=True):
    code: str
    rate: str | None
    base: MoneyWire
    amount: MoneyWire
    collected_at: str


class FeeWire(msgspec.Struct, kw_only=True):
    code: str
    amount: MoneyWire
    source: str = ""


class DeMinimisWire(msgspec.Struct, kw_only=True):
    duty_exempt: bool
    tax_exempt: bool
    rule: str


class FxUsedWire(msgspec.Struct, kw_only=True):
    pair: str
    rate: str
    as_of: str
    source: str


class QuoteResponse(msgspec.Struct, kw_only=True):
    destination_country: str
    currency: str
    customs_value: MoneyWire
    duty_total: MoneyWire
    tax_total: MoneyWire
    fee_total: MoneyWire
    landed_cost_total: MoneyWire
    lines: list[QuoteLineOut]
    taxes: list[TaxWire]
    fees: list[FeeWire]
    de_minimis: DeMinimisWire
    payer: str
    explanation: list[str]
    rules_version: str
    # Additions:
    goods_total: MoneyWire | None = None
    shipping_total: MoneyWire | None = None
    insurance_total: MoneyWire | None = None
    freight_payer: str = ""
    quote_date: str = ""
    fx: list[FxUsedWire] = msgspec.field(default_factory=list)
    schedules: list[ScheduleUsedWire] = msgspec.field(default_factory=list)


class StoredQuote(QuoteResponse, kw_only=True):
    """A quote as stored (immutable): the documented response plus its ``id`` and provenance."""

    id: uuid.UUID
    order_id: uuid.UUID | None = None
    created_at: dt.datetime
    created_by: str


class TariffRowRead(msgspec.Struct, kw_only=True):
    """One of a tenant's tariff rows: ``row`` is the tagged row as it is applied (``status`` "tenant")."""

    id: uuid.UUID
    row_id: str
    kind: str
    row: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class TariffRowsLoaded(msgspec.Struct, kw_only=True):
    """``POST /v1/tariff-rows`` answer: the rows now stored and the tenant's new ``rules_version``."""

    items: list[TariffRowRead]
    rules_version: str


class FxRateCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /v1/fx-rates``: ``rate`` units of ``quote`` for one ``base`` (a decimal string)."""

    base: str
    quote: str
    rate: str
    date: dt.date
    source: str = "manual entry"

    def __post_init__(self) -> None:
        _check_date(self.date)


class FxRateRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    base: str
    quote: str
    rate: str
    date: dt.date
    source: str
    created_at: dt.datetime


class EcbImportResult(msgspec.Struct, kw_only=True):
    """``POST /v1/fx-rates/ecb`` answer: how many EUR/XXX rates were stored, for which dates."""

    imported: int
    dates: list[dt.date]
    source: str


_PATH = re.compile(r"at `\$(?P<path>[^`]*)`")


def decode_quote_request(body: bytes | str) -> QuoteRequest:
    """Decode a JSON body into a :class:`QuoteRequest`, turning msgspec's error into a field error.

    Raises:
        ValidationFailed: naming the JSON path msgspec reports (``lines[0].unit_price``).
        BadRequest: the body is not JSON at all (field ``body``).
    """
    try:
        return msgspec.json.decode(body, type=QuoteRequest)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _PATH.search(message)
        field = match.group("path").lstrip(".") if match else ""
        text = message[: match.start()].rstrip(" -") if match else message
        raise ValidationFailed(message, errors=[FieldError(field or "body", text)]) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(
            f"body: not valid JSON: {exc}", errors=[FieldError("body", f"not valid JSON: {exc}")]
        ) from None
