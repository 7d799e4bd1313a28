"""HTTP handlers of the orders domain: parse, authorize, call a service."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from hub.core.idempotency import run_idempotent
from hub.core.ids import path_id
from hub.core.pagination import Page
from hub.orders import catalog
from hub.orders.aftercare_controllers import ROUTES as AFTERCARE_ROUTES
from hub.orders.duty_coverage import CatalogDutyCoverage, catalog_coverage
from hub.orders.order_controllers import (
    AttachmentController,
    ChangeRequestController,
    CustomerController,
    DocumentController,
    OrderController,
    ShopifyConnectionController,
    StockController,
    WebhookEndpointController,
    shopify_webhook,
    update_tenant_settings,
)
from hub.orders.schemas import ProductCreate, ProductRead, ProductUpdate
from tenants.guards import principal_of, requires
from tenants.roles import Permission

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]


class ProductController(Controller):
    path = "/v1/products"
    tags = ["catalog"]
    opt = requires(Permission.READ)

    @post(operation_id="CreateProduct", opt=requires(Permission.WRITE))
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[ProductCreate], idempotency_key: IdempotencyKey = None
    ) -> ProductRead:
        principal = principal_of(request)
        return await run_idempotent(
            principal.tenant_id,
            idempotency_key,
            "products.create",
            data,
            ProductRead,
            lambda: catalog.create_product(principal.tenant_id, data),
        )

    @get(operation_id="ListProducts")
    async def list(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Page[ProductRead]:
        return await catalog.list_products(principal_of(request).tenant_id, limit=limit, cursor=cursor, q=q)

    @get("/duty-coverage", operation_id="GetCatalogDutyCoverage")
    async def duty_coverage(
        self,
        request: Request[Any, Any, Any],
        destination: Annotated[str | None, QueryParameter(max_length=100)] = None,
        origin: Annotated[str | None, QueryParameter(max_length=100)] = None,
        date: Annotated[str | None, QueryParameter(max_length=100)] = None,
        claim_preferential_origin: Annotated[bool, QueryParameter()] = False,
    ) -> CatalogDutyCoverage:
        """Which active products the destination's official schedule prices, grouped by HS code and origin."""
        return await catalog_coverage(
            principal_of(request),
            destination=destination,
            origin=origin,
            on=date,
            claim_preferential_origin=claim_preferential_origin,
        )

    @get("/{product_id:str}", operation_id="GetProduct")
    async def get(self, request: Request[Any, Any, Any], product_id: FromPath[str]) -> ProductRead:
        return await catalog.get_product(principal_of(request).tenant_id, path_id(product_id, "no such product"))

    @patch("/{product_id:str}", operation_id="UpdateProduct", opt=requires(Permission.WRITE))
    async def update(
        self, request: Request[Any, Any, Any], product_id: FromPath[str], data: JSONBody[ProductUpdate]
    ) -> ProductRead:
        return await catalog.update_product(
            principal_of(request).tenant_id, path_id(product_id, "no such product"), data
        )


ROUTES: list[ControllerRouterHandler] = [
    ProductController,
    OrderController,
    ChangeRequestController,
    StockController,
    WebhookEndpointController,
    ShopifyConnectionController,
    shopify_webhook,
    AttachmentController,
    DocumentController,
    CustomerController,
    update_tenant_settings,
    *AFTERCARE_ROUTES,
]
