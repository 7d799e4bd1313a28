"""HTTP handlers for orders, review decisions, change requests, stock and the timeline."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from customs.schemas import StoredQuote
from hub.core.errors import ValidationFailed
from hub.core.ids import path_id
from hub.core.pagination import Page
from hub.core.wire_errors import request_locale
from hub.orders import (
    attachments,
    changes,
    customers,
    decisions,
    documents,
    imports,
    intake,
    landed_cost,
    reading,
    review,
    settings,
    shopify,
    stock,
    webhooks,
)
from hub.orders.schemas import (
    AttachmentRead,
    AttemptRead,
    ChangeRequestCreate,
    ChangeRequestRead,
    Decision,
    DeliveryRead,
    EndpointRead,
    Finding,
    OrderCreate,
    OrderEventRead,
    OrderRead,
    OrderSummary,
    StockRead,
    StockSet,
)
from tenants.guards import action, principal_of, requires
from tenants.roles import Permission
from tenants.schemas import TenantRead

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]
Query = Annotated[str | None, QueryParameter(max_length=200)]


def _localized(request: Request[Any, Any, Any], order: OrderRead) -> OrderRead:
    """Findings are stored in English with their parameters; each reader gets them in their locale."""
    return msgspec.structs.replace(order, findings=review.localize(order.findings, request_locale(request)))


def order_id_of(raw: str) -> Any:
    return path_id(raw, "no such order")


class OrderController(Controller):
    path = "/v1/orders"
    tags = ["orders"]
    opt = requires(Permission.READ)

    @post(operation_id="CreateOrder", opt=requires(Permission.WRITE))
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[OrderCreate], idempotency_key: IdempotencyKey = None
    ) -> OrderRead:
        principal = principal_of(request)
        order = await intake.create_order_once(principal, data, idempotency_key)
        return _localized(request, order)

    @post(
        "/imports",
        operation_id="ImportOrders",
        opt=requires(Permission.WRITE),
        request_max_body_size=MAX_UPLOAD_BYTES,
        status_code=HTTP_200_OK,
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> imports.ImportReport:
        """CSV or XLSX (first sheet), one row per line; the report names each rejected row's column and reason."""
        content = await data.read()
        if not content:
            raise ValidationFailed.single("file", "the upload is empty")
        return await imports.import_orders(principal_of(request), data.filename or "upload.csv", content)

    @get(operation_id="ListOrders")
    async def index(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Query = None,
        status: Query = None,
        channel: Query = None,
        q: Query = None,
        created_from: Annotated[date | None, QueryParameter()] = None,
        created_to: Annotated[date | None, QueryParameter()] = None,
    ) -> Page[OrderSummary]:
        return await reading.list_orders(
            principal_of(request).tenant_id,
            limit=limit,
            cursor=cursor,
            status=status,
            channel=channel,
            q=q,
            created_from=created_from,
            created_to=created_to,
        )

    @get("/export.csv", operation_id="ExportOrdersCsv", media_type="text/csv")
    async def export_csv(
        self,
        request: Request[Any, Any, Any],
        status: Query = None,
        channel: Query = None,
        q: Query = None,
        created_from: Annotated[date | None, QueryParameter()] = None,
        created_to: Annotated[date | None, QueryParameter()] = None,
    ) -> Response[bytes]:
        """The filtered list as CSV (UTF-8 with BOM so spreadsheet programs read Chinese names), up to 10,000 rows."""
        content = await reading.export_csv(
            principal_of(request).tenant_id,
            status=status,
            channel=channel,
            q=q,
            created_from=created_from,
            created_to=created_to,
        )
        return Response(
            content,
            # Litestar appends "; charset=utf-8" to any text/* type; naming it here too sent it twice.
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
        )

    @get("/{order_id:str}", operation_id="GetOrder")
    async def show(self, request: Request[Any, Any, Any], order_id: FromPath[str]) -> OrderRead:
        return _localized(request, await reading.get_order(principal_of(request).tenant_id, order_id_of(order_id)))

    @get("/{order_id:str}/findings", operation_id="GetOrderFindings")
    async def findings(self, request: Request[Any, Any, Any], order_id: FromPath[str]) -> list[Finding]:
        findings = await reading.findings(principal_of(request).tenant_id, order_id_of(order_id))
        return review.localize(findings, request_locale(request))

    @get("/{order_id:str}/events", operation_id="ListOrderEvents")
    async def events(self, request: Request[Any, Any, Any], order_id: FromPath[str]) -> list[OrderEventRead]:
        return await reading.list_events(principal_of(request).tenant_id, order_id_of(order_id))

    @action("/{order_id:str}/approve", operation_id="ApproveOrder", permission=Permission.APPROVE)
    async def approve(
        self, request: Request[Any, Any, Any], order_id: FromPath[str], data: JSONBody[Decision]
    ) -> OrderRead:
        return _localized(request, await decisions.approve(principal_of(request), order_id_of(order_id), data.reason))

    @action("/{order_id:str}/reject", operation_id="RejectOrder", permission=Permission.APPROVE)
    async def reject(
        self, request: Request[Any, Any, Any], order_id: FromPath[str], data: JSONBody[Decision]
    ) -> OrderRead:
        return _localized(request, await decisions.reject(principal_of(request), order_id_of(order_id), data.reason))

    @action("/{order_id:str}/cancel", operation_id="CancelOrder", permission=Permission.WRITE)
    async def cancel(
        self, request: Request[Any, Any, Any], order_id: FromPath[str], data: JSONBody[Decision]
    ) -> OrderRead:
        return _localized(request, await decisions.cancel(principal_of(request), order_id_of(order_id), data.reason))

    @post("/{order_id:str}/landed-cost", operation_id="QuoteOrderLandedCost", opt=requires(Permission.WRITE))
    async def landed_cost(
        self, request: Request[Any, Any, Any], order_id: FromPath[str], data: JSONBody[landed_cost.OrderQuoteOptions]
    ) -> StoredQuote:
        """Duties, taxes and fees for this order now; stored immutably in the order's quote history."""
        return await landed_cost.quote_order(principal_of(request), order_id_of(order_id), data)

    @get("/{order_id:str}/landed-cost", operation_id="ListOrderLandedCost")
    async def landed_cost_history(self, request: Request[Any, Any, Any], order_id: FromPath[str]) -> list[StoredQuote]:
        return await landed_cost.history(principal_of(request).tenant_id, order_id_of(order_id))

    @post(
        "/{order_id:str}/documents",
        operation_id="RequestDocument",
        opt=requires(Permission.WRITE),
        status_code=HTTP_202_ACCEPTED,
    )
    async def request_document(
        self, request: Request[Any, Any, Any], order_id: FromPath[str], data: JSONBody[documents.DocumentRequest]
    ) -> documents.DocumentRead:
        """Pre-flight now (409 with the findings if anything blocks); the PDF is rendered by a job."""
        return await documents.request_document(principal_of(request), order_id_of(order_id), data)

    @get("/{order_id:str}/documents", operation_id="ListOrderDocuments")
    async def list_documents(
        self, request: Request[Any, Any, Any], order_id: FromPath[str]
    ) -> list[documents.DocumentRead]:
        return await documents.list_for_order(principal_of(request).tenant_id, order_id_of(order_id))

    @post("/{order_id:str}/change-requests", operation_id="FileChangeRequest", opt=requires(Permission.WRITE))
    async def file_change(
        self, request: Request[Any, Any, Any], order_id: FromPath[str], data: JSONBody[ChangeRequestCreate]
    ) -> ChangeRequestRead:
        return await changes.file(principal_of(request), order_id_of(order_id), data)

    @get("/{order_id:str}/change-requests", operation_id="ListChangeRequests")
    async def list_changes(self, request: Request[Any, Any, Any], order_id: FromPath[str]) -> list[ChangeRequestRead]:
        return await changes.list_for_order(principal_of(request).tenant_id, order_id_of(order_id))


class ChangeRequestController(Controller):
    path = "/v1/change-requests"
    tags = ["orders"]
    opt = requires(Permission.APPROVE)

    @post("/{request_id:str}/approve", operation_id="ApproveChangeRequest", status_code=HTTP_200_OK)
    async def approve(
        self, request: Request[Any, Any, Any], request_id: FromPath[str], data: JSONBody[Decision]
    ) -> ChangeRequestRead:
        parsed = path_id(request_id, "no such change request")
        return await changes.decide(principal_of(request), parsed, approve=True, reason=data.reason)

    @post("/{request_id:str}/reject", operation_id="RejectChangeRequest", status_code=HTTP_200_OK)
    async def reject(
        self, request: Request[Any, Any, Any], request_id: FromPath[str], data: JSONBody[Decision]
    ) -> ChangeRequestRead:
        parsed = path_id(request_id, "no such change request")
        return await changes.decide(principal_of(request), parsed, approve=False, reason=data.reason)


class StockController(Controller):
    path = "/v1/stock"
    tags = ["catalog"]
    opt = requires(Permission.READ)

    @put("/{sku:str}", operation_id="PutStock", opt=requires(Permission.WRITE))
    async def put_stock(
        self, request: Request[Any, Any, Any], sku: FromPath[str], data: JSONBody[StockSet]
    ) -> StockRead:
        return await stock.put_stock(principal_of(request).tenant_id, sku, data)

    @get("/{sku:str}", operation_id="GetStock")
    async def get_stock(self, request: Request[Any, Any, Any], sku: FromPath[str]) -> StockRead:
        return await stock.get_stock(principal_of(request).tenant_id, sku)


class WebhookEndpointController(Controller):
    path = "/v1/webhook-endpoints"
    tags = ["webhooks"]
    opt = requires(Permission.MANAGE)

    @post(operation_id="CreateWebhookEndpoint")
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[webhooks.EndpointCreate]) -> EndpointRead:
        return await webhooks.create_endpoint(principal_of(request).tenant_id, data)

    @get(operation_id="ListWebhookEndpoints")
    async def index(self, request: Request[Any, Any, Any]) -> list[EndpointRead]:
        return await webhooks.list_endpoints(principal_of(request).tenant_id)

    @delete("/{endpoint_id:str}", operation_id="DeleteWebhookEndpoint")
    async def remove(self, request: Request[Any, Any, Any], endpoint_id: FromPath[str]) -> None:
        """Stop sending to the endpoint, pending retries included; its deliveries stay readable."""
        await webhooks.delete_endpoint(principal_of(request).tenant_id, path_id(endpoint_id, "no such endpoint"))

    @put("/{endpoint_id:str}/secret", operation_id="RotateWebhookSecret")
    async def rotate_secret(
        self, request: Request[Any, Any, Any], endpoint_id: FromPath[str], data: JSONBody[webhooks.SecretRotate]
    ) -> EndpointRead:
        """Replace the signing secret; the next send, a pending retry included, is signed with it."""
        return await webhooks.rotate_secret(
            principal_of(request).tenant_id, path_id(endpoint_id, "no such endpoint"), data
        )

    @get("/{endpoint_id:str}/deliveries", operation_id="ListWebhookDeliveries")
    async def deliveries(self, request: Request[Any, Any, Any], endpoint_id: FromPath[str]) -> list[DeliveryRead]:
        parsed = path_id(endpoint_id, "no such endpoint")
        return await webhooks.list_deliveries(principal_of(request).tenant_id, parsed)

    @get("/{endpoint_id:str}/deliveries/{delivery_id:str}/attempts", operation_id="ListWebhookDeliveryAttempts")
    async def attempts(
        self, request: Request[Any, Any, Any], endpoint_id: FromPath[str], delivery_id: FromPath[str]
    ) -> list[AttemptRead]:
        """Every attempt of one delivery, newest first (at most 200): status, error, an excerpt of the answer."""
        return await webhooks.list_attempts(
            principal_of(request).tenant_id,
            path_id(endpoint_id, "no such endpoint"),
            path_id(delivery_id, "no such delivery"),
        )

    @post(
        "/{endpoint_id:str}/deliveries/{delivery_id:str}/replay",
        operation_id="ReplayWebhookDelivery",
        status_code=HTTP_202_ACCEPTED,
    )
    async def replay(
        self, request: Request[Any, Any, Any], endpoint_id: FromPath[str], delivery_id: FromPath[str]
    ) -> None:
        """Send a delivery again (given up or delivered) with a fresh budget of attempts."""
        await webhooks.replay(
            principal_of(request).tenant_id,
            path_id(endpoint_id, "no such endpoint"),
            path_id(delivery_id, "no such delivery"),
        )


class ShopifyConnectionController(Controller):
    path = "/v1/shopify-connections"
    tags = ["channels"]
    opt = requires(Permission.MANAGE)

    @post(operation_id="CreateShopifyConnection")
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[shopify.ConnectionCreate]
    ) -> shopify.ConnectionRead:
        return await shopify.create_connection(principal_of(request).tenant_id, data)


@post(
    "/webhooks/shopify/{token:str}",
    operation_id="ShopifyOrderWebhook",
    tags=["webhooks"],
    status_code=HTTP_200_OK,
    request_max_body_size=shopify.MAX_BODY,
)
async def shopify_webhook(request: Request[Any, Any, Any], token: FromPath[str]) -> shopify.WebhookResult:
    """Shopify order webhooks by ``X-Shopify-Topic`` (create, cancelled, updated; others ignored), HMAC-verified
    against the connection's secret; a redelivery is answered 200."""
    body = await request.body()
    return await shopify.receive(
        token,
        body,
        request.headers.get("x-shopify-hmac-sha256"),
        request.headers.get("x-shopify-shop-domain"),
        topic=request.headers.get("x-shopify-topic"),
        webhook_id=request.headers.get("x-shopify-webhook-id"),
    )


class AttachmentController(Controller):
    path = "/v1"
    tags = ["attachments"]
    opt = requires(Permission.READ)

    @post(
        "/orders/{order_id:str}/attachments",
        operation_id="AddAttachment",
        opt=requires(Permission.WRITE),
        request_max_body_size=MAX_UPLOAD_BYTES,
    )
    async def add(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[str],
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
        kind: Annotated[str, QueryParameter(max_length=20)] = "other",
    ) -> AttachmentRead:
        principal = principal_of(request)
        settings = request.app.state.settings
        return await attachments.add(
            principal.tenant_id,
            order_id_of(order_id),
            filename=data.filename or "attachment",
            content=await data.read(),
            kind=kind,
            actor=principal.actor,
            data_dir=settings.data_dir,
            max_bytes=settings.max_upload_bytes,
        )

    @get("/orders/{order_id:str}/attachments", operation_id="ListAttachments")
    async def index(self, request: Request[Any, Any, Any], order_id: FromPath[str]) -> list[AttachmentRead]:
        return await attachments.list_for_order(principal_of(request).tenant_id, order_id_of(order_id))

    @get("/attachments/{attachment_id:str}", operation_id="GetAttachment")
    async def show(self, request: Request[Any, Any, Any], attachment_id: FromPath[str]) -> AttachmentRead:
        parsed = path_id(attachment_id, "no such attachment")
        return await attachments.get(principal_of(request).tenant_id, parsed)

    @get("/attachments/{attachment_id:str}/file", operation_id="DownloadAttachment")
    async def download(self, request: Request[Any, Any, Any], attachment_id: FromPath[str]) -> File:
        parsed = path_id(attachment_id, "no such attachment")
        tenant_id = principal_of(request).tenant_id
        found = await attachments.get(tenant_id, parsed)
        path = attachments.file_path(request.app.state.settings.data_dir, tenant_id, found)
        return File(path=path, filename=found.filename, media_type=found.content_type)


class DocumentController(Controller):
    path = "/v1/documents"
    tags = ["documents"]
    opt = requires(Permission.READ)

    @get("/{document_id:str}", operation_id="GetDocument")
    async def show(self, request: Request[Any, Any, Any], document_id: FromPath[str]) -> documents.DocumentRead:
        parsed = path_id(document_id, "no such document")
        return await documents.get_document(principal_of(request).tenant_id, parsed)

    @get("/{document_id:str}/file", operation_id="DownloadDocument", media_type="application/pdf")
    async def file(self, request: Request[Any, Any, Any], document_id: FromPath[str]) -> Response[bytes]:
        parsed = path_id(document_id, "no such document")
        pdf, name = await documents.document_pdf(principal_of(request).tenant_id, parsed)
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )


class CustomerController(Controller):
    path = "/v1/customers"
    tags = ["customers"]
    opt = requires(Permission.READ)

    @post(operation_id="CreateCustomer", opt=requires(Permission.WRITE))
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[customers.CustomerCreate]
    ) -> customers.CustomerRead:
        return await customers.create(principal_of(request).tenant_id, data)

    @get(operation_id="ListCustomers")
    async def index(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Query = None,
        q: Query = None,
    ) -> Page[customers.CustomerRead]:
        return await customers.list_customers(principal_of(request).tenant_id, limit=limit, cursor=cursor, q=q)

    @get("/{customer_id:str}", operation_id="GetCustomer")
    async def show(self, request: Request[Any, Any, Any], customer_id: FromPath[str]) -> customers.CustomerRead:
        parsed = path_id(customer_id, "no such customer")
        return await customers.get(principal_of(request).tenant_id, parsed)

    @patch("/{customer_id:str}", operation_id="UpdateCustomer", opt=requires(Permission.WRITE))
    async def update(
        self, request: Request[Any, Any, Any], customer_id: FromPath[str], data: JSONBody[customers.CustomerUpdate]
    ) -> customers.CustomerRead:
        parsed = path_id(customer_id, "no such customer")
        return await customers.update(principal_of(request).tenant_id, parsed, data)


@patch("/v1/tenant/settings", operation_id="UpdateTenantSettings", tags=["tenant"], opt=requires(Permission.MANAGE))
async def update_tenant_settings(
    request: Request[Any, Any, Any], data: JSONBody[settings.SettingsUpdate]
) -> TenantRead:
    """Price policy, auto-approval of clean orders, and the exporter printed on customs documents."""
    return await settings.update(principal_of(request).tenant_id, data)
