"""Data access for the catalog's duty coverage: the active products grouped by HS code and origin.

Every statement names ``tenant_id``; the service holds the transaction and asks the customs engine.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from hub.core.database import fetch


class CatalogGroup(NamedTuple):
    """Active products sharing an HS code and an origin."""

    hs_code: str
    origin: str | None
    products: int
    skus: list[str]
    """The first five, by SKU."""


async def catalog_groups(
    tenant_id: uuid.UUID, default_origin: str | None, *, forced: str | None, limit: int
) -> list[CatalogGroup]:
    """Up to ``limit`` groups, largest first; the origin is ``forced``, else the product's, else ``default_origin``."""
    # Grouped in the database: a catalog of 100,000 products is a few thousand codes.
    rows = await fetch(
        """
        SELECT hs_code, origin, count(*) AS products, (array_agg(sku ORDER BY sku))[1:5] AS skus
        FROM (SELECT hs_code, sku, coalesce({}::text, origin_country, {}::text) AS origin
              FROM products WHERE tenant_id = {} AND active AND hs_code IS NOT NULL) AS p
        GROUP BY hs_code, origin
        ORDER BY count(*) DESC, hs_code, origin
        LIMIT {}
        """,
        forced,
        default_origin,
        tenant_id,
        limit,
    )
    return [CatalogGroup(r["hs_code"], r["origin"], int(r["products"]), list(r["skus"])) for r in rows]


async def count_active_without_hs_code(tenant_id: uuid.UUID) -> int:
    rows = await fetch(
        "SELECT count(*) AS n FROM products WHERE tenant_id = {} AND active AND hs_code IS NULL", tenant_id
    )
    return int(rows[0]["n"])
