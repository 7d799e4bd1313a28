"""AfterShip HTTP calls: ``GET /trackings`` with the ``as-api-key`` header; no rating or labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from carriers.aftership import mapper
from carriers.aftership.errors import CARRIER, parse_error
from carriers.aftership.settings import AfterShipSettings
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
from carriers.http import client_scope, send

__all__ = ["AfterShipGateway", "create_gateway"]

_UNSUPPORTED = Message(CARRIER, "unsupported", "AfterShip tracks parcels; it does not rate, book or cancel")


class AfterShipGateway:
    """Tracking-only :class:`carriers.base.CarrierGateway`."""

    name = CARRIER
    batch_size = 50
    """Tracking numbers per ``GET /trackings`` call (the API's ``tracking_numbers`` limit)."""

    def __init__(self, settings: AfterShipSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = http_client

    def __repr__(self) -> str:
        return f"AfterShipGateway(base_url={self.settings.base_url!r})"

    async def rates(self, request: RatesRequest) -> RatesResult:
        return RatesResult(messages=[_UNSUPPORTED])

    async def book(self, request: BookingRequest) -> BookingResult:
        return BookingResult(messages=[_UNSUPPORTED])

    async def retrieve_booking(self, carrier_shipment_id: str, idempotency_key: str) -> None:
        del carrier_shipment_id, idempotency_key  # tracking only: AfterShip never books

    async def cancel(self, shipment_ref: str) -> CancelResult:
        return CancelResult(carrier=CARRIER, shipment_ref=shipment_ref, cancelled=False, messages=[_UNSUPPORTED])

    async def track(self, tracking_numbers: Sequence[str]) -> list[TrackingUpdate]:
        updates: list[TrackingUpdate] = []
        headers = {"as-api-key": self.settings.api_key.get_secret_value()}
        async with client_scope(self._client) as client:
            for start in range(0, len(tracking_numbers), self.batch_size):
                batch = list(tracking_numbers[start : start + self.batch_size])
                outcome = await send(
                    client,
                    CARRIER,
                    "GET",
                    f"{self.settings.base_url}/trackings",
                    error_parser=parse_error,
                    headers=headers,
                    params={"tracking_numbers": ",".join(batch)},
                )
                if outcome.body is None:
                    updates.extend(
                        TrackingUpdate(carrier=CARRIER, tracking_number=n, messages=outcome.messages) for n in batch
                    )
                else:
                    updates.extend(mapper.parse_trackings(outcome.body, batch))
        return updates

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes, secret: str) -> bool:
        return mapper.verify_signature(headers, raw_body, secret)

    def parse_webhook(self, raw_body: bytes) -> list[TrackingEvent]:
        return mapper.parse_webhook_body(raw_body)


def create_gateway(
    credentials: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> AfterShipGateway:
    """Registry factory: ``credentials={"api_key": ...}``, optional ``options={"base_url": ...}``."""
    return AfterShipGateway(AfterShipSettings.from_account(credentials or {}, options), http_client=http_client)
