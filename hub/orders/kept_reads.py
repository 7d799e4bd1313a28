"""Intake's reads kept between orders: the catalog, stock and HS answers an order needs, in memory.

Reading them cost every order a round trip of its own (``intake_reads``): on 2026-12-07 a fifth of
the API's CPU per order and a sixth of the database's. An order whose SKUs and HS codes are all
kept here is priced and reviewed on them, and its insert statement checks, under the stock rows'
locks, that they still hold: the stock as it always did (enough available, the same ETA, the same
SKUs with a stock row) and the catalog and nomenclature by their versions, which every statement
that writes products or HS codes changes (migration 2026-12-07T23:30). If any does not hold,
nothing is written and the intake reads afresh, so a kept read can make an intake slower, never
wrong. Each API process keeps its own; the check makes that safe across processes too.

Bounded: at most :data:`MAX_ENTRIES` SKUs over all tenants (the least recently used tenants go
first) and :data:`MAX_CODES` HS subheadings.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from hub.orders.repository.orders import IntakeReads, ReadVersions, StockSeen
from hub.orders.schemas import ProductRead

MAX_ENTRIES = 50_000
"""SKUs kept over all tenants: a product read is about half a kilobyte, so some 25 MB at most."""
MAX_CODES = 20_000
"""6-digit HS subheadings kept (HS 2022 has about 5,600; the rest is room for codes that do not exist)."""


def subheadings(codes: Iterable[str | None]) -> set[str]:
    """The 6-digit subheadings of ``codes`` as ``intake_reads`` takes them (empty codes left out)."""
    return {code[:6] for code in codes if code}


@dataclass
class _TenantReads:
    catalog_version: int | None
    products: dict[str, ProductRead | None] = field(default_factory=dict)
    """SKU -> its product, or None: not in the catalog at ``catalog_version``."""
    stock: dict[str, StockSeen | None] = field(default_factory=dict)
    """SKU -> its stock row as last seen, or None: it had none."""


@dataclass
class _Nomenclature:
    version: int | None = None
    loaded: bool = False
    known: dict[str, bool] = field(default_factory=dict)


class KeptReads:
    """What :func:`hub.orders.repository.orders.intake_reads` answered, by tenant and SKU."""

    def __init__(self) -> None:
        self._tenants: OrderedDict[uuid.UUID, _TenantReads] = OrderedDict()
        self._entries = 0
        self._nomenclature = _Nomenclature()

    def get(self, tenant_id: uuid.UUID, skus: list[str], hs_codes: list[str]) -> IntakeReads | None:
        """The reads of ``skus`` and ``hs_codes`` if every one of them is kept, else None."""
        kept = self._tenants.get(tenant_id)
        if kept is None:
            return None
        products, stock = kept.products, kept.stock
        catalog: dict[str, ProductRead] = {}
        seen: dict[str, StockSeen] = {}
        codes = subheadings(hs_codes)
        for sku in skus:
            if sku not in products or sku not in stock:
                return None
            product, row = products[sku], stock[sku]
            if product is not None:
                catalog[sku] = product
                if product.hs_code:
                    codes.add(product.hs_code[:6])
            if row is not None:
                seen[sku] = row
        nomenclature = self._nomenclature
        unknown: frozenset[str] | None = None
        if nomenclature.loaded:
            known = nomenclature.known
            if any(code not in known for code in codes):
                return None
            unknown = frozenset(code for code in codes if not known[code])
        self._tenants.move_to_end(tenant_id)
        return IntakeReads(catalog, seen, unknown, ReadVersions(kept.catalog_version, nomenclature.version))

    def keep(self, tenant_id: uuid.UUID, skus: list[str], hs_codes: list[str], reads: IntakeReads) -> None:
        """Remember ``reads``, the answer of ``intake_reads`` for ``skus`` and ``hs_codes``.

        Reads at another catalog (or nomenclature) version than those kept replace them.
        """
        versions, unknown = reads.versions, reads.unknown_subheadings
        nomenclature = self._nomenclature
        if nomenclature.version != versions.nomenclature or nomenclature.loaded != (unknown is not None):
            nomenclature = self._nomenclature = _Nomenclature(versions.nomenclature, unknown is not None)
        if unknown is not None:
            codes = subheadings(hs_codes) | subheadings(product.hs_code for product in reads.catalog.values())
            if len(nomenclature.known) + len(codes) > MAX_CODES:
                nomenclature.known.clear()
            for code in codes:
                nomenclature.known[code] = code not in unknown

        kept = self._tenants.get(tenant_id)
        if kept is None or kept.catalog_version != versions.catalog:
            self._forget(tenant_id)
            kept = self._tenants[tenant_id] = _TenantReads(versions.catalog)
        self._tenants.move_to_end(tenant_id)
        before = len(kept.products)
        for sku in skus:
            kept.products[sku] = reads.catalog.get(sku)
            kept.stock[sku] = reads.stock.get(sku)
        self._entries += len(kept.products) - before
        while self._entries > MAX_ENTRIES and self._tenants:
            self._forget(next(iter(self._tenants)))

    def took(self, tenant_id: uuid.UUID, taken: dict[str, int]) -> None:
        """An order committed with ``taken`` units of each SKU reserved: less is available now."""
        kept = self._tenants.get(tenant_id)
        if kept is None:
            return
        for sku, units in taken.items():
            row = kept.stock.get(sku)
            if row is not None:
                kept.stock[sku] = StockSeen(row.available - units, row.incoming_eta)

    def forget_stock(self, tenant_id: uuid.UUID, skus: Iterable[str]) -> None:
        """The stock of ``skus`` is not known any more (it was reserved as it stood)."""
        kept = self._tenants.get(tenant_id)
        if kept is None:
            return
        for sku in skus:
            kept.stock.pop(sku, None)

    def _forget(self, tenant_id: uuid.UUID) -> None:
        kept = self._tenants.pop(tenant_id, None)
        if kept is not None:
            self._entries -= len(kept.products)


KEPT = KeptReads()
"""This process's kept reads."""
