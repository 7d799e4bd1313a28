"""Which of the seller's active products an official schedule prices: ``GET /v1/products/duty-coverage``.

The catalog is grouped in PostgreSQL by HS code and origin (the product's own, else the tenant's;
a query ``origin`` overrides both), and each group is checked by the customs engine's own matching
(:func:`customs.schedules.coverage.check_codes`), so the answer is what a quote of that product
would do: priced from the schedule at which code and level, refused as ambiguous (naming the
national codes that differ), no duty for that origin, or an expression the engine cannot compute.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import msgspec

from customs.schedules.coverage import CodeCoverage, CoverageStatus, check_codes
from customs.schemas import ScheduleUsedWire
from customs.service import schedule_wire
from hub.core.database import tenant_tx
from hub.core.errors import FieldError, ValidationFailed
from hub.core.validation import client_date, country, raise_if
from hub.orders.repository import duty_coverage as coverage_repo
from tenants.schemas import Principal

__all__ = ["CatalogDutyCoverage", "CoverageLine", "catalog_coverage"]

MAX_GROUPS = 20_000  # distinct (code, origin) pairs answered; a larger catalog is answered in part, and says so


class CoverageLine(msgspec.Struct, kw_only=True):
    hs_code: str
    origin_country: str | None
    products: int
    skus: list[str]  # the first few, in order
    status: CoverageStatus
    matched_code: str | None = None
    level: int | None = None
    expression: str | None = None
    measure: str | None = None
    detail: str = ""


class CatalogDutyCoverage(msgspec.Struct, kw_only=True):
    destination_country: str
    date: str
    claim_preferential_origin: bool
    schedule: ScheduleUsedWire | None  # None: no official schedule loaded; quotes use the hub's tables
    products: int  # active products with an HS code
    products_without_hs_code: int
    summary: dict[str, int]  # products per status
    lines: list[CoverageLine]
    truncated: bool = False


async def catalog_coverage(
    principal: Principal,
    *,
    destination: str | None,
    origin: str | None,
    on: str | None,
    claim_preferential_origin: bool,
) -> CatalogDutyCoverage:
    """The coverage of the tenant's active catalog for ``destination`` (query values, validated here).

    Raises:
        ValidationFailed: a bad destination, origin or date, each named.
    """
    errors: list[FieldError] = []
    dest = country("destination", destination, errors)
    forced_origin = country("origin", origin, errors, required=False)
    day = client_date("date", on, errors) if on is not None else dt.datetime.now(dt.UTC).date()
    raise_if(errors)
    if dest is None or day is None:  # country() and client_date() recorded why; raise_if raised it
        raise ValidationFailed.single("destination", "an ISO 3166-1 alpha-2 country code is required")
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        groups = await coverage_repo.catalog_groups(
            tenant_id, forced_origin or principal.origin_country, forced=forced_origin, limit=MAX_GROUPS + 1
        )
        missing = await coverage_repo.count_active_without_hs_code(tenant_id)
    truncated = len(groups) > MAX_GROUPS
    groups = groups[:MAX_GROUPS]
    by_origin: dict[str | None, list[str]] = {}
    for row in groups:
        by_origin.setdefault(row.origin, []).append(row.hs_code)
    results: dict[tuple[str, str | None], CodeCoverage] = {}
    schedule = None
    for group_origin, codes in by_origin.items():
        info, covered = await check_codes(
            tenant_id, dest, codes, origin=group_origin, day=day, claim_preference=claim_preferential_origin
        )
        if info is None:
            break
        schedule = schedule_wire(info)
        for item in covered:
            results[(item.hs_code, group_origin)] = item
    lines: list[CoverageLine] = []
    summary: Counter[str] = Counter()
    for row in groups:
        found = results.get((row.hs_code, row.origin))
        if found is None:  # no schedule for the destination
            continue
        summary[found.status] += row.products
        lines.append(
            CoverageLine(
                hs_code=row.hs_code,
                origin_country=row.origin,
                products=row.products,
                skus=row.skus,
                status=found.status,
                matched_code=found.matched_code,
                level=found.level,
                expression=found.expression,
                measure=found.measure,
                detail=found.detail,
            )
        )
    return CatalogDutyCoverage(
        destination_country=dest,
        date=day.isoformat(),
        claim_preferential_origin=claim_preferential_origin,
        schedule=schedule,
        products=sum(row.products for row in groups),
        products_without_hs_code=missing,
        summary=dict(sorted(summary.items())),
        lines=lines,
        truncated=truncated,
    )
