"""A tenant's own customs data: tariff rows layered over the starter tables, and FX rates.

The merged :class:`~customs.tariffs.TariffTables` and :class:`~customs.fx.FxTable` of a tenant are
built once and cached in this process, keyed by the tenant's data revision (a counter bumped in the
transaction that loads rows or rates). A load in this process drops the entry at once; another
process notices on its next quote, whose INSERT only succeeds while the revision is unchanged
(:func:`customs.quotes.create_stored_quote`). So a quote never makes a database round trip per line,
and never uses tables older than the data committed before it started.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
import pycountry

from customs import repository
from customs.fx import ECB_SOURCE, FxRate, FxTable, manual_rate, parse_ecb_xml
from customs.rules import RULES
from customs.rules.ca import PROVINCES
from customs.schedules.lookup import info_from_row
from customs.schedules.matching import ScheduleInfo
from customs.schemas import EcbImportResult, FxRateCreate, FxRateRead, TariffRowRead, TariffRowsLoaded
from customs.tariffs import (
    Destination,
    DutyMeasure,
    Fee,
    TariffRow,
    TariffTables,
    TaxRate,
    Threshold,
    as_override,
    decode_rows,
    load_starter_tables,
    merge_overrides,
    normalize_hs,
    rank_ties,
)
from hub.core.database import tenant_tx
from hub.core.errors import BadRequest, FieldError, ValidationFailed
from hub.core.ids import new_id
from hub.core.money import MAX_AMOUNT, is_known_currency
from hub.core.pagination import Page, check_limit, decode_cursor, page_of

__all__ = [
    "MAX_ROWS_PER_UPLOAD",
    "TenantData",
    "add_fx_rate",
    "cached_data",
    "import_ecb_rates",
    "invalidate",
    "list_fx_rates",
    "list_tariff_rows",
    "load_data",
    "load_tariff_rows",
]

MAX_ROWS_PER_UPLOAD = 5000
MAX_CACHED_TENANTS = 1024
_ROW_KINDS: dict[type[msgspec.Struct], str] = {
    Destination: "destination",
    DutyMeasure: "duty",
    TaxRate: "tax",
    Threshold: "threshold",
    Fee: "fee",
}
_MSGSPEC_PATH = re.compile(r"\s*-\s*at\s*`\$(?P<path>[^`]*)`")
_CODE = re.compile(r"^[A-Z]{2}$")
# Customs unions whose rows are keyed by the union (Destination.union, RuleContext.duty_key).
_UNIONS = frozenset({"EU"})


def _is_country(code: str) -> bool:
    return bool(_CODE.match(code)) and pycountry.countries.get(alpha_2=code) is not None


@dataclass(frozen=True, slots=True)
class TenantData:
    """What a quote needs of a tenant, immutable: merged tables, FX rates and the data revision."""

    tables: TariffTables
    fx: FxTable
    revision: int
    # The active official schedule per duty key (GB, US, EU): the tenant's own upload, else reference.
    schedules: dict[str, ScheduleInfo] = field(default_factory=dict)


_CACHE: OrderedDict[uuid.UUID, TenantData] = OrderedDict()
_EMPTY_FX = FxTable()


def cached_data(tenant_id: uuid.UUID) -> TenantData | None:
    hit = _CACHE.get(tenant_id)
    if hit is not None:
        _CACHE.move_to_end(tenant_id)
    return hit


def invalidate(tenant_id: uuid.UUID) -> None:
    _CACHE.pop(tenant_id, None)


async def _build(tenant_id: uuid.UUID) -> TenantData:
    # The revision is read first: data committed after it can only make the entry newer than its
    # revision says, and a stale revision merely costs one more load.
    revision = await repository.get_revision(tenant_id)
    bodies = await repository.tariff_row_bodies(tenant_id)
    rates = await repository.all_fx_rates(tenant_id)
    schedules = {row["destination"]: info_from_row(row) for row in await repository.active_schedules()}
    starter = load_starter_tables()
    tables = merge_overrides(starter, decode_rows("[" + ",".join(bodies) + "]")) if bodies else starter
    return TenantData(tables=tables, fx=_fx_table(rates), revision=revision, schedules=schedules)


async def load_data(tenant_id: uuid.UUID) -> TenantData:
    """Read the tenant's rows and rates (inside its tenant transaction), build and cache the tables."""
    data = await _build(tenant_id)
    _CACHE[tenant_id] = data
    _CACHE.move_to_end(tenant_id)
    while len(_CACHE) > MAX_CACHED_TENANTS:
        _CACHE.popitem(last=False)
    return data


def _fx_table(rows: list[dict[str, Any]]) -> FxTable:
    """ECB rates first, then every other source: a keyed-in rate for the same pair and day wins, and
    of two keyed-in ones the one keyed in last (by source name, a clerk's correction under another
    source was ignored whenever that name sorted first)."""
    if not rows:
        return _EMPTY_FX
    by_key: dict[tuple[str, str, dt.date], FxRate] = {}
    for row in sorted(rows, key=lambda r: (r["source"] != ECB_SOURCE, r["created_at"])):
        rate = FxRate(
            base=row["base"], quote=row["quote"], rate=row["rate"], as_of=row["rate_date"], source=row["source"]
        )
        by_key[(rate.base, rate.quote, rate.as_of)] = rate
    return FxTable(by_key.values())


# -- tariff rows ----------------------------------------------------------------------------------


def _field_from_msgspec(message: str) -> FieldError:
    match = _MSGSPEC_PATH.search(message)
    text = _MSGSPEC_PATH.sub("", message).strip()
    return FieldError(match.group("path") if match else "body", text)


def _kind(row: TariffRow) -> str:
    return _ROW_KINDS.get(type(row), "notice")


def _check_row(i: int, row: TariffRow, errors: list[FieldError]) -> None:
    """What the row types cannot say: codes that exist, sane rates, a validity that is not empty."""
    path = f"[{i}]"
    if not row.id.strip() or len(row.id) > 200:
        errors.append(FieldError(f"{path}.id", "1 to 200 characters"))
    if not row.source.strip():
        errors.append(FieldError(f"{path}.source", "say where the figure comes from (a ruling, a schedule, a broker)"))
    if row.valid_to is not None and row.valid_to <= row.valid_from:
        errors.append(FieldError(f"{path}.valid_to", "must be after valid_from"))
    if isinstance(row, Destination):
        _check_destination(path, row, errors)
        return
    if row.destination not in _UNIONS and not _is_country(row.destination):
        errors.append(
            FieldError(
                f"{path}.destination",
                f"unknown destination {row.destination!r}: an ISO 3166-1 alpha-2 country code such as DE, "
                "or EU for the customs union",
            )
        )
    if isinstance(row, TaxRate) and row.destination == "CA" and row.region is not None and row.region not in PROVINCES:
        errors.append(
            FieldError(
                f"{path}.region",
                f"unknown Canadian province or territory {row.region!r}: one of {', '.join(sorted(PROVINCES))}",
            )
        )
    for name in ("rate", "amount", "minimum", "maximum", "min_unit_value"):
        value = getattr(row, name, None)
        # Bounded like a request's amounts: NaN failed the range checks below (a 500 at load), and
        # 1e400 was stored and made every later quote for the destination fail to round (a 500).
        if isinstance(value, Decimal) and not (value.is_finite() and 0 <= value < MAX_AMOUNT):
            errors.append(FieldError(f"{path}.{name}", f"must be a finite number from 0 to below {MAX_AMOUNT:f}"))
    currency = getattr(row, "currency", None)
    if currency is not None and not is_known_currency(currency):
        errors.append(FieldError(f"{path}.currency", f"unknown currency {currency!r}"))
    if isinstance(row, DutyMeasure):
        _check_duty(path, row, errors)
    if isinstance(row, TaxRate) and row.rate.is_finite() and row.rate > 100:
        errors.append(FieldError(f"{path}.rate", "a percent from 0 to 100"))


def _check_destination(path: str, row: Destination, errors: list[FieldError]) -> None:
    if not _is_country(row.country):
        message = f"unknown country {row.country!r}: an ISO 3166-1 alpha-2 code such as DE"
        errors.append(FieldError(f"{path}.country", message))
    if row.rules not in RULES:
        errors.append(FieldError(f"{path}.rules", f"one of {sorted(RULES)}"))
    if not is_known_currency(row.currency):
        errors.append(FieldError(f"{path}.currency", f"unknown currency {row.currency!r}"))


def _check_duty(path: str, row: DutyMeasure, errors: list[FieldError]) -> None:
    for prefix in row.hs_prefixes or (row.hs_prefix,):
        digits = normalize_hs(prefix)
        if digits and (not digits.isdigit() or len(digits) > 10):
            errors.append(FieldError(f"{path}.hs_prefix", f"{prefix!r} is not an HS prefix: up to 10 digits"))
    if row.kind in ("ad_valorem", "compound") and row.rate is None:
        errors.append(FieldError(f"{path}.rate", f"required for a {row.kind} measure (percent)"))
    if row.kind in ("specific", "compound") and (row.amount is None or row.per is None):
        errors.append(FieldError(f"{path}.amount", f"a {row.kind} measure needs amount and per"))
    if row.rate is not None and row.rate.is_finite() and row.rate > 1000:
        errors.append(FieldError(f"{path}.rate", "a percent from 0 to 1000"))


def parse_tariff_rows(body: bytes) -> list[TariffRow]:
    """Decode and check an upload (a JSON list of tagged rows); every bad field is named, e.g. ``[3].rate``.

    Raises:
        ValidationFailed: malformed JSON, a wrong type, an unknown ``type`` tag, or a row that makes no sense.
    """
    try:
        rows = decode_rows(body)
    except msgspec.ValidationError as exc:
        error = _field_from_msgspec(str(exc))
        raise ValidationFailed(f"{error.field}: {error.message}", errors=[error]) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(
            f"body: not valid JSON: {exc}", errors=[FieldError("body", f"not valid JSON: {exc}")]
        ) from None
    if not rows:
        raise ValidationFailed.single("body", "send a JSON list of at least one tariff row")
    if len(rows) > MAX_ROWS_PER_UPLOAD:
        raise ValidationFailed.single("body", f"at most {MAX_ROWS_PER_UPLOAD} rows per upload, got {len(rows)}")
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row.id in seen:
            errors.append(FieldError(f"[{i}].id", f"duplicate of [{seen[row.id]}].id in this upload"))
        seen.setdefault(row.id, i)
        _check_row(i, row, errors)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    # A tenant's row is the tenant's word, whatever status it claims: quotes say so next to the figure.
    return [msgspec.structs.replace(row, status="tenant") for row in rows]


def _refuse_rank_ties(upload: list[TariffRow], tenant_rows: list[TariffRow]) -> None:
    """Refuse two rows the engine ranks the same (:func:`customs.tariffs.rank_ties`), at least one of
    them in this upload: the quote would take whichever was loaded first, and say nothing.

    ``tenant_rows`` are all the tenant's rows once the upload is stored (an uploaded row replaces a
    stored one of the same id, which is therefore no tie). Ties among rows stored earlier alone do
    not block an unrelated upload.
    """
    index = {row.id: i for i, row in enumerate(upload)}
    errors: list[FieldError] = []
    for first, second in rank_ties(as_override(r) for r in tenant_rows):
        pair = sorted((first, second), key=lambda r: (r.id not in index, -index.get(r.id, 0), r.id))
        new, other = pair
        if new.id not in index:
            continue
        where = f"[{index[other.id]}] (id {other.id!r})" if other.id in index else f"stored row {other.id!r}"
        errors.append(
            FieldError(
                f"[{index[new.id]}]",
                f"id {new.id!r} ranks equal with {where}: {new.destination} duty at HS prefix "
                f"{new.hs_prefix!r} or a shared prefix, priority {new.priority} (at least 100 for a tenant row), "
                f"{'origin-specific' if new.origin_in is not None else 'any origin'}, valid from "
                f"{new.valid_from.isoformat()}, and both can apply to one origin; a quote would take "
                "whichever was loaded first. Give one a higher priority, another valid_from or another origin",
            )
        )
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def _row_read(row: dict[str, Any]) -> TariffRowRead:
    return TariffRowRead(
        id=row["id"],
        row_id=row["row_id"],
        kind=row["kind"],
        row=msgspec.json.decode(row["row"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def load_tariff_rows(tenant_id: uuid.UUID, rows: list[TariffRow]) -> TariffRowsLoaded:
    """Store ``rows`` (a row with an existing ``id`` replaces it) and rebuild the tenant's tables."""
    records = [(new_id(), row.id, _kind(row), msgspec.json.encode(row).decode()) for row in rows]
    async with tenant_tx(tenant_id):
        stored = await repository.upsert_tariff_rows(tenant_id, records)
        # Inside the transaction: a refusal rolls the whole load back.
        _refuse_rank_ties(rows, decode_rows("[" + ",".join(await repository.tariff_row_bodies(tenant_id)) + "]"))
        await repository.bump_revision(tenant_id)
        data = await _build(tenant_id)  # also proves the merged rows build
    invalidate(tenant_id)  # after the commit: the next quote in this process reads the new state
    return TariffRowsLoaded(items=[_row_read(r) for r in stored], rules_version=data.tables.version)


async def list_tariff_rows(tenant_id: uuid.UUID, *, limit: int, cursor: str | None) -> Page[TariffRowRead]:
    check_limit(limit)
    before = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await repository.list_tariff_rows(tenant_id, limit=limit, before=before)
    return page_of([_row_read(r) for r in rows], limit)


# -- FX rates -------------------------------------------------------------------------------------


def _rate_read(row: dict[str, Any]) -> FxRateRead:
    return FxRateRead(
        id=row["id"],
        base=row["base"],
        quote=row["quote"],
        rate=format(row["rate"], "f"),
        date=row["rate_date"],
        source=row["source"],
        created_at=row["created_at"],
    )


async def _store_rates(tenant_id: uuid.UUID, rates: list[FxRate]) -> list[dict[str, Any]]:
    unique = {(r.base, r.quote, r.as_of, r.source): r for r in rates}
    records = [(new_id(), r.base, r.quote, r.rate, r.as_of, r.source) for r in unique.values()]
    async with tenant_tx(tenant_id):
        stored = await repository.upsert_fx_rates(tenant_id, records)
        await repository.bump_revision(tenant_id)
    invalidate(tenant_id)
    return stored


async def add_fx_rate(tenant_id: uuid.UUID, data: FxRateCreate) -> FxRateRead:
    """Store a keyed-in rate (``rate`` units of ``quote`` for one ``base`` on ``date``, from ``source``)."""
    errors: list[FieldError] = []
    for name in ("base", "quote"):
        code = getattr(data, name)
        if not is_known_currency(code) or code != code.upper():
            errors.append(FieldError(name, f"unknown currency {code!r}: use an ISO 4217 code such as EUR"))
    if data.base == data.quote:
        errors.append(FieldError("quote", "base and quote currency are the same"))
    if not data.source.strip() or len(data.source) > 200:
        errors.append(FieldError("source", "1 to 200 characters: where the rate comes from"))
    rate: FxRate | None = None
    try:
        rate = manual_rate(data.base, data.quote, data.rate, data.date, data.source.strip())
    except ValueError as exc:
        errors.append(FieldError("rate", str(exc)))
    if rate is not None and rate.rate.as_tuple().exponent < -12:  # type: ignore[operator]
        errors.append(FieldError("rate", "at most 12 decimal places"))
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    assert rate is not None
    return _rate_read((await _store_rates(tenant_id, [rate]))[0])


async def import_ecb_rates(tenant_id: uuid.UUID, xml: bytes) -> EcbImportResult:
    """Store every EUR/XXX rate of an ECB eurofxref XML document (daily, -hist-90d or -hist)."""
    try:
        rates = parse_ecb_xml(xml)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.single("body", str(exc)) from None
    unknown = sorted({r.quote for r in rates if not is_known_currency(r.quote)})
    if unknown:
        raise ValidationFailed.single("body", f"unknown currencies in the ECB XML: {unknown}")
    await _store_rates(tenant_id, rates)
    return EcbImportResult(imported=len(rates), dates=sorted({r.as_of for r in rates}), source=ECB_SOURCE)


async def list_fx_rates(
    tenant_id: uuid.UUID, *, limit: int, cursor: str | None, base: str | None, quote: str | None
) -> Page[FxRateRead]:
    check_limit(limit)
    before = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        rows = await repository.list_fx_rates(tenant_id, limit=limit, before=before, base=base, quote=quote)
    return page_of([_rate_read(r) for r in rows], limit)
