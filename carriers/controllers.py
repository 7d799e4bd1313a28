"""HTTP handlers of the carriers package (registered by hub.app through ROUTES)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED
from litestar.types import ControllerRouterHandler

from carriers import accounts, inbound, shipments
from carriers.schemas import CarrierAccountCreate, CarrierAccountRead, InboundAccepted, ShipmentRead, TrackingEventRead
from hub.core.errors import PayloadTooLarge
from hub.core.idempotency import run_idempotent
from hub.core.ids import path_id
from hub.core.pagination import Page
from tenants.guards import principal_of, requires
from tenants.roles import Permission

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]


def _shipment_id(raw: str) -> Any:
    return path_id(raw, "no such shipment")


class CarrierAccountController(Controller):
    path = "/v1/carrier-accounts"
    tags = ["carriers"]
    opt = requires(Permission.MANAGE)

    @post(operation_id="CreateCarrierAccount")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CarrierAccountCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> CarrierAccountRead:
        """Credentials and the webhook secret are stored encrypted and never returned."""
        principal = principal_of(request)
        settings = request.app.state.settings
        return await run_idempotent(
            principal.tenant_id,
            idempotency_key,
            "carrier_accounts.create",
            data,
            CarrierAccountRead,
            lambda: accounts.create_account(principal.tenant_id, data, settings=settings),
        )

    @get(operation_id="ListCarrierAccounts")
    async def index(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Page[CarrierAccountRead]:
        return await accounts.list_accounts(
            principal_of(request).tenant_id, settings=request.app.state.settings, limit=limit, cursor=cursor
        )


class ShipmentController(Controller):
    path = "/v1/shipments"
    tags = ["shipments"]
    opt = requires(Permission.READ)

    @get("/{shipment_id:str}", operation_id="GetShipment")
    async def show(self, request: Request[Any, Any, Any], shipment_id: FromPath[str]) -> ShipmentRead:
        return await shipments.get_shipment(principal_of(request).tenant_id, _shipment_id(shipment_id))

    @get("/{shipment_id:str}/events", operation_id="ListShipmentEvents")
    async def events(self, request: Request[Any, Any, Any], shipment_id: FromPath[str]) -> list[TrackingEventRead]:
        """Tracking events, oldest first."""
        return await shipments.list_shipment_events(principal_of(request).tenant_id, _shipment_id(shipment_id))

    @get("/{shipment_id:str}/label", operation_id="GetShipmentLabel", media_type="application/pdf")
    async def label(self, request: Request[Any, Any, Any], shipment_id: FromPath[str]) -> Response[bytes]:
        pdf = await shipments.get_label(principal_of(request).tenant_id, _shipment_id(shipment_id))
        return Response(pdf, media_type="application/pdf")


@post(
    "/webhooks/tracking/{carrier:str}/{endpoint_token:str}",
    operation_id="InboundTrackingWebhook",
    tags=["webhooks"],
    status_code=HTTP_202_ACCEPTED,
    request_max_body_size=inbound.MAX_WEBHOOK_BODY,
    security=[],
)
async def tracking_webhook(
    request: Request[Any, Any, Any], carrier: FromPath[str], endpoint_token: FromPath[str]
) -> InboundAccepted:
    """A carrier's tracking webhook: signature checked, raw body stored, 202 before any parsing."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > inbound.MAX_WEBHOOK_BODY:
        raise PayloadTooLarge(f"tracking webhooks are limited to {inbound.MAX_WEBHOOK_BODY} bytes")
    body = await request.body()  # Litestar counts the streamed bytes too and stops at the limit
    return await inbound.receive_webhook(
        carrier, endpoint_token, dict(request.headers), body, settings=request.app.state.settings
    )


ROUTES: list[ControllerRouterHandler] = [CarrierAccountController, ShipmentController, tracking_webhook]
