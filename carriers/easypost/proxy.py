"""EasyPost HTTP calls (httpx, basic auth with the API key as user name)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from carriers.base import (
    BookingRequest,
    BookingResult,
    CancelResult,
    Message,
    RatesRequest,
    RatesResult,
    TrackingEvent,
    TrackingUpdate,
)
from carriers.easypost import mapper
from carriers.easypost.errors import CARRIER, parse_error
from carriers.easypost.settings import EasyPostSettings
from carriers.http import HttpOutcome, client_scope, send

__all__ = ["EasyPostGateway", "create_gateway"]


class EasyPostGateway:
    """:class:`carriers.base.CarrierGateway` over EasyPost's REST API.

    ``http_client`` is the process-wide client from :func:`carriers.http.create_client`; without
    one, each call opens and closes its own.
    """

    name = CARRIER
    track_concurrency = 4

    def __init__(self, settings: EasyPostSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = http_client

    def __repr__(self) -> str:
        return f"EasyPostGateway(base_url={self.settings.base_url!r})"

    def _auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.settings.api_key.get_secret_value(), "")

    async def _call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | list[str]] | None = None,
    ) -> HttpOutcome:
        return await send(
            client,
            CARRIER,
            method,
            f"{self.settings.base_url}{path}",
            error_parser=parse_error,
            auth=self._auth(),
            json=json,
            params=params,
        )

    async def _create_shipment(self, client: httpx.AsyncClient, request: RatesRequest | BookingRequest) -> RatesResult:
        payload, problems = mapper.build_shipment_payload(
            shipper=request.shipper,
            recipient=request.recipient,
            parcels=request.parcels,
            customs=request.customs,
            reference=request.idempotency_key if isinstance(request, BookingRequest) else request.reference,
            settings=self.settings,
        )
        if payload is None:
            return RatesResult(messages=problems)
        outcome = await self._call(client, "POST", "/shipments", json=payload)
        if outcome.body is None:
            return RatesResult(messages=outcome.messages)
        services = request.services if isinstance(request, RatesRequest) else None
        return mapper.parse_rates(outcome.body, services)

    async def rates(self, request: RatesRequest) -> RatesResult:
        async with client_scope(self._client) as client:
            return await self._create_shipment(client, request)

    async def book(self, request: BookingRequest) -> BookingResult:
        """Buy ``rate_ref`` on ``carrier_shipment_id`` when given, else create, pick and buy.

        The idempotency key is sent as the Shipment ``reference`` so a retried job can find the
        shipment in EasyPost's dashboard or list; EasyPost itself does not de-duplicate buys.
        """
        async with client_scope(self._client) as client:
            messages: list[Message] = []
            shipment_id, rate_id = request.carrier_shipment_id, request.rate_ref
            if not (shipment_id and rate_id):
                quoted = await self._create_shipment(client, request)
                messages.extend(quoted.messages)
                chosen = mapper.select_rate(quoted.rates, request.service, request.provider)
                if chosen is None:
                    if quoted.rates:
                        offered = ", ".join(sorted({f"{r.provider}/{r.service}" for r in quoted.rates}))
                        messages.append(
                            Message(
                                CARRIER, "service_unavailable", f"no rate for {request.service}; offered: {offered}"
                            )
                        )
                    return BookingResult(messages=messages)
                shipment_id, rate_id = chosen.carrier_shipment_id, chosen.rate_ref
            if not (shipment_id and rate_id):
                return BookingResult(messages=[*messages, Message(CARRIER, "no_rate_id", "the chosen rate has no id")])
            outcome = await self._call(
                client, "POST", f"/shipments/{shipment_id}/buy", json=mapper.build_buy_payload(rate_id)
            )
            if outcome.body is None:
                return BookingResult(messages=[*messages, *outcome.messages])
            result = mapper.parse_bought_shipment(outcome.body, request.idempotency_key)
            return BookingResult(shipment=result.shipment, messages=[*messages, *result.messages])

    async def retrieve_booking(self, carrier_shipment_id: str, idempotency_key: str) -> BookingResult:
        """``GET /v2/shipments/{id}``: a shipment with a purchased label is the booking we lost."""
        async with client_scope(self._client) as client:
            outcome = await self._call(client, "GET", f"/shipments/{carrier_shipment_id}")
            if outcome.body is None:
                return BookingResult(messages=outcome.messages)
            return mapper.parse_bought_shipment(outcome.body, idempotency_key)

    async def cancel(self, shipment_ref: str) -> CancelResult:
        """Ask EasyPost to refund (void) the label of ``shipment_ref`` (``shp_...``)."""
        async with client_scope(self._client) as client:
            outcome = await self._call(client, "POST", f"/shipments/{shipment_ref}/refund")
        if outcome.body is None:
            return CancelResult(carrier=CARRIER, shipment_ref=shipment_ref, cancelled=False, messages=outcome.messages)
        return mapper.parse_refund(outcome.body, shipment_ref)

    async def track(self, tracking_numbers: Sequence[str]) -> list[TrackingUpdate]:
        """``GET /trackers?tracking_code=...`` per number (listing is free; creating trackers is not)."""
        gate = asyncio.Semaphore(self.track_concurrency)

        async def one(client: httpx.AsyncClient, number: str) -> TrackingUpdate:
            async with gate:
                outcome = await self._call(
                    client, "GET", "/trackers", params={"tracking_code": number, "page_size": "5"}
                )
            if outcome.body is None:
                return TrackingUpdate(carrier=CARRIER, tracking_number=number, messages=outcome.messages)
            return mapper.parse_tracker_list(outcome.body, number)

        async with client_scope(self._client) as client:
            return list(await asyncio.gather(*(one(client, n) for n in tracking_numbers)))

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes, secret: str) -> bool:
        return mapper.verify_signature(headers, raw_body, secret)

    def parse_webhook(self, raw_body: bytes) -> list[TrackingEvent]:
        return mapper.parse_event_body(raw_body)


def create_gateway(
    credentials: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> EasyPostGateway:
    """Registry factory: ``credentials={"api_key": "EZ..."}``, ``options={"carrier_accounts": [...]}``."""
    return EasyPostGateway(EasyPostSettings.from_account(credentials or {}, options), http_client=http_client)
