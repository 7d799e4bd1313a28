"""Booking composes two domains: the order (eligibility, addresses, customs lines, pre-flight) and the
carriers package (rates, one label per idempotency key, cancel). It lives here, in the composition
layer, because ``carriers`` must not import the orders domain.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK

from carriers import booking as carrier_booking
from carriers.base import Address, Parcel, parcel_errors
from carriers.schemas import CustomsLine, RatesRead, ShipmentBookingInput, ShipmentRatesInput, ShipmentRead
from customs.documents.preflight import preflight, raise_for_blocking
from customs.documents.sdr import load_sdr_rates
from customs.quotes import list_quotes_for_order
from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound
from hub.core.ids import path_id
from hub.core.validation import raise_if
from hub.orders import fulfilment
from hub.orders.codec import decode_json, format_number
from hub.orders.documents import DocumentRequest, build_snapshot
from hub.orders.repository import orders as repo
from hub.orders.status import BOOKABLE
from tenants.guards import principal_of, requires
from tenants.roles import Permission
from tenants.schemas import Principal


class ParcelIn(msgspec.Struct, kw_only=True):
    weight_kg: Decimal
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None


class ShipmentCreate(msgspec.Struct, kw_only=True):
    order_id: uuid.UUID
    carrier_account_id: uuid.UUID
    service: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    parcels: Annotated[list[ParcelIn], msgspec.Meta(min_length=1, max_length=50)]
    provider: str | None = None


class RatesRequest(msgspec.Struct, kw_only=True):
    order_id: uuid.UUID
    carrier_account_id: uuid.UUID
    parcels: Annotated[list[ParcelIn], msgspec.Meta(min_length=1, max_length=50)]
    services: list[str] | None = None


def parcels_from(parcels: list[ParcelIn]) -> list[Parcel]:
    """The client's parcels for a carrier, refused (422 naming the field) unless each is a parcel."""
    converted = [
        Parcel(weight_kg=p.weight_kg, length_cm=p.length_cm, width_cm=p.width_cm, height_cm=p.height_cm)
        for p in parcels
    ]
    raise_if(parcel_errors(converted))
    return converted


async def order_for_shipping(
    principal: Principal, order_id: uuid.UUID
) -> tuple[dict[str, Any], Address, Address, list[CustomsLine]]:
    """The order's addresses and customs lines, after the eligibility and customs pre-flight checks."""
    tenant_id = principal.tenant_id
    order = await repo.get_order_row(tenant_id, order_id)
    if order is None:
        raise NotFound("no such order")
    if order["status"] not in BOOKABLE:
        raise Conflict(
            f"order {format_number(order['number'])} is {order['status']}: only approved orders are shipped",
            extra={"current_status": order["status"]},
        )
    lines = await repo.get_lines(tenant_id, order_id)
    exporter_raw = principal.settings.get("exporter")
    if exporter_raw is None:
        raise_if([FieldError("exporter", "set the tenant's exporter (ship-from address) in PATCH /v1/tenant/settings")])
    ship_to = decode_json(order["ship_to"])
    international = ship_to.get("country") != principal.origin_country
    if international:
        # The same pre-flight as the commercial invoice: a label is never bought for a declaration
        # that would not clear.
        quotes = await list_quotes_for_order(tenant_id, order_id)
        snapshot = build_snapshot(
            principal, DocumentRequest(type="commercial_invoice"), order, lines, quotes[-1] if quotes else None
        )
        raise_for_blocking(preflight(snapshot, "commercial_invoice", sdr_rates=load_sdr_rates()))
    exporter = msgspec.to_builtins(exporter_raw) if not isinstance(exporter_raw, dict) else exporter_raw
    origin = exporter["address"]
    ship_from = Address(
        name=exporter.get("name", ""),
        company=exporter.get("company") or None,
        line1=origin.get("line1", ""),
        line2=origin.get("line2") or None,
        city=origin.get("city", ""),
        region=origin.get("region") or None,
        postal_code=origin.get("postal_code") or None,
        country=origin.get("country", ""),
        phone=exporter.get("phone") or None,
        email=exporter.get("email") or None,
    )
    customer = decode_json(order["customer"])
    destination = Address(
        name=ship_to.get("name") or customer.get("name", ""),
        company=ship_to.get("company") or None,
        line1=ship_to.get("line1", ""),
        line2=ship_to.get("line2") or None,
        city=ship_to.get("city", ""),
        region=ship_to.get("region") or None,
        postal_code=ship_to.get("postal_code") or None,
        country=ship_to.get("country", ""),
        phone=customer.get("phone"),
        email=customer.get("email"),
    )
    customs = [
        CustomsLine(
            description=line["name"],
            quantity=line["quantity"],
            value=Decimal(line["line_total"]),
            currency=order["currency"],
            weight=(Decimal(line["weight_kg"]) * line["quantity"]) if line["weight_kg"] is not None else Decimal(0),
            hs_code=line["hs_code"],
            origin=line["origin_country"],
            sku=line["sku"],
        )
        for line in lines
    ]
    return order, ship_from, destination, customs


def _default_key(data: ShipmentCreate) -> str:
    """Without an Idempotency-Key the request itself is the key: a repeated request books one label."""
    return "auto:" + hashlib.sha256(msgspec.json.encode(data)).hexdigest()


class ShipmentBookingController(Controller):
    path = "/v1/shipments"
    tags = ["shipments"]
    opt = requires(Permission.WRITE)

    @post("/rates", operation_id="RateShipment", status_code=HTTP_200_OK)
    async def rates(self, request: Request[Any, Any, Any], data: JSONBody[RatesRequest]) -> RatesRead:
        principal = principal_of(request)
        async with tenant_tx(principal.tenant_id):
            _, ship_from, ship_to, customs = await order_for_shipping(principal, data.order_id)
        return await carrier_booking.rates_for(
            principal.tenant_id,
            ShipmentRatesInput(
                carrier_account_id=data.carrier_account_id,
                parcels=parcels_from(data.parcels),
                ship_from=ship_from,
                ship_to=ship_to,
                customs=customs,
                services=data.services,
            ),
            settings=request.app.state.settings,
        )

    @post(operation_id="BookShipment")
    async def book(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ShipmentCreate],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)] = None,
    ) -> ShipmentRead:
        """Book a label for an approved order that passes the customs pre-flight; one label per key."""
        principal = principal_of(request)
        async with tenant_tx(principal.tenant_id):
            order, ship_from, ship_to, customs = await order_for_shipping(principal, data.order_id)
        return await carrier_booking.book_shipment(
            principal.tenant_id,
            ShipmentBookingInput(
                order_id=data.order_id,
                carrier_account_id=data.carrier_account_id,
                service=data.service,
                parcels=parcels_from(data.parcels),
                ship_from=ship_from,
                ship_to=ship_to,
                customs=customs,
                reference=format_number(order["number"]),
                provider=data.provider,
                incoterm=order["incoterm"],
            ),
            idempotency_key=idempotency_key or _default_key(data),
            settings=request.app.state.settings,
        )

    @post("/{shipment_id:str}/cancel", operation_id="CancelShipment", status_code=HTTP_200_OK)
    async def cancel(self, request: Request[Any, Any, Any], shipment_id: FromPath[str]) -> ShipmentRead:
        """Void a label; an order booked on it alone goes back to where it was before booking."""
        principal = principal_of(request)
        parsed = path_id(shipment_id, "no such shipment")

        async def order_steps_back(shipment: dict[str, Any]) -> None:
            await fulfilment.label_voided(principal.tenant_id, shipment, principal.actor)

        return await carrier_booking.cancel_shipment(
            principal.tenant_id, parsed, settings=request.app.state.settings, on_cancelled=order_steps_back
        )
