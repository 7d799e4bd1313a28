"""Catalog service: products with validated HS codes, countries and exact prices."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from hub.core.database import tenant_tx
from hub.core.errors import FieldError, NotFound
from hub.core.ids import new_id
from hub.core.pagination import Page, check_limit, decode_cursor, page_of
from hub.core.validation import MAX_WEIGHT_KG, country, decimal, hs_code, money, raise_if, unit_price_places
from hub.orders.repository import products as repository
from hub.orders.schemas import ProductCreate, ProductRead, ProductUpdate


def _product_values(data: ProductCreate | ProductUpdate) -> dict[str, Any]:
    """Validate the fields present in ``data`` and map them to columns; raises ValidationFailed."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in ("sku", "name", "spec", "customs_description", "active"):
        value = getattr(data, name, msgspec.UNSET)
        if value is not msgspec.UNSET:
            values[name] = value.strip() if isinstance(value, str) else value
    if data.unit_price is not msgspec.UNSET:
        price = money("unit_price", data.unit_price, errors)
        if price is not None:
            unit_price_places("unit_price.amount", price.amount, errors)
            values["unit_price_amount"] = price.amount
            values["unit_price_currency"] = price.currency.code
    if data.hs_code is not msgspec.UNSET:
        values["hs_code"] = hs_code("hs_code", data.hs_code, errors)
    if data.origin_country is not msgspec.UNSET:
        values["origin_country"] = country("origin_country", data.origin_country, errors, required=False)
    if data.weight_kg is not msgspec.UNSET:
        values["weight_kg"] = decimal("weight_kg", data.weight_kg, errors, maximum=MAX_WEIGHT_KG, max_places=3)
    if "name" in values and not values["name"]:
        errors.append(FieldError("name", "must not be blank"))
    raise_if(errors)
    return values


async def create_product(tenant_id: uuid.UUID, data: ProductCreate) -> ProductRead:
    values = _product_values(data)
    async with tenant_tx(tenant_id):
        return await repository.insert_product(tenant_id, new_id(), values)


async def get_product(tenant_id: uuid.UUID, product_id: uuid.UUID) -> ProductRead:
    async with tenant_tx(tenant_id):
        product = await repository.get_product(tenant_id, product_id)
    if product is None:
        raise NotFound("no such product")
    return product


async def update_product(tenant_id: uuid.UUID, product_id: uuid.UUID, data: ProductUpdate) -> ProductRead:
    values = _product_values(data)
    async with tenant_tx(tenant_id):
        product = await repository.update_product(tenant_id, product_id, values)
    if product is None:
        raise NotFound("no such product")
    return product


async def list_products(tenant_id: uuid.UUID, *, limit: int, cursor: str | None, q: str | None) -> Page[ProductRead]:
    check_limit(limit)
    before = decode_cursor(cursor)
    async with tenant_tx(tenant_id):
        items = await repository.list_products(tenant_id, limit=limit, before=before, q=q)
    return page_of(items, limit)
