"""Catalog products: the only importer of ``hub.orders.tables`` (the Piccolo table of products)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.columns import Column

from hub.core.database import fetch
from hub.core.errors import Conflict, NotFound
from hub.core.money import MoneyWire, amount_text
from hub.orders.schemas import ProductRead
from hub.orders.tables import Product

_PRODUCT_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.spec,
    Product.customs_description,
    Product.hs_code,
    Product.origin_country,
    Product.unit_price_amount,
    Product.unit_price_currency,
    Product.weight_kg,
    Product.active,
    Product.created_at,
    Product.updated_at,
)


def product_read(row: dict[str, Any]) -> ProductRead:
    currency = row["unit_price_currency"]
    return ProductRead(
        id=row["id"],
        sku=row["sku"],
        name=row["name"],
        spec=row["spec"],
        customs_description=row["customs_description"],
        hs_code=row["hs_code"],
        origin_country=row["origin_country"],
        unit_price=MoneyWire(amount=amount_text(row["unit_price_amount"], currency), currency=currency),
        weight_kg=row["weight_kg"],
        active=row["active"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def insert_product(tenant_id: uuid.UUID, product_id: uuid.UUID, values: dict[str, Any]) -> ProductRead:
    now = datetime.now(UTC)
    try:
        await Product.insert(Product(tenant_id=tenant_id, id=product_id, created_at=now, updated_at=now, **values))
    except UniqueViolationError:
        raise Conflict(f"a product with sku {values['sku']!r} exists", extra={"field": "sku"}) from None
    product = await get_product(tenant_id, product_id)
    if product is None:  # inserted just now, in this transaction
        raise NotFound("no such product")
    return product


async def get_product(tenant_id: uuid.UUID, product_id: uuid.UUID) -> ProductRead | None:
    row = await (
        Product.select(*_PRODUCT_COLUMNS).where((Product.tenant_id == tenant_id) & (Product.id == product_id)).first()
    )
    return product_read(row) if row else None


# The product columns for raw SQL over ``products p``.
PRODUCT_SQL_COLUMNS = ", ".join(f"p.{column._meta.db_column_name}" for column in _PRODUCT_COLUMNS)


async def get_products_by_sku(tenant_id: uuid.UUID, skus: list[str]) -> dict[str, ProductRead]:
    # Raw SQL: on the intake path Piccolo's query building cost more CPU than the query.
    if not skus:
        return {}
    rows = await fetch(
        f"SELECT {PRODUCT_SQL_COLUMNS} FROM products p WHERE p.tenant_id = {{}} AND p.sku = ANY({{}}::text[])",  # noqa: S608  (column names come from code)
        tenant_id,
        skus,
    )
    return {row["sku"]: product_read(row) for row in rows}


async def update_product(tenant_id: uuid.UUID, product_id: uuid.UUID, values: dict[str, Any]) -> ProductRead | None:
    if values:
        changes: dict[Column | str, Any] = {"updated_at": datetime.now(UTC)}
        changes.update(values)
        await Product.update(changes).where((Product.tenant_id == tenant_id) & (Product.id == product_id))
    return await get_product(tenant_id, product_id)


async def list_products(
    tenant_id: uuid.UUID, *, limit: int, before: uuid.UUID | None, q: str | None
) -> list[ProductRead]:
    query = Product.select(*_PRODUCT_COLUMNS).where(Product.tenant_id == tenant_id)
    if before is not None:
        query = query.where(Product.id < before)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Product.sku.ilike(pattern) | Product.name.ilike(pattern))
    rows = await query.order_by(Product.id, ascending=False).limit(limit + 1)
    return [product_read(row) for row in rows]
