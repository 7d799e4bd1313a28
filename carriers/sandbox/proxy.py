"""The sandbox gateway: no network, so this "proxy" only wires the pure mapper to the protocol."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
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
    header_value,
)
from carriers.sandbox import mapper
from carriers.sandbox.settings import SandboxSettings
from carriers.signatures import DEFAULT_TOLERANCE, HUB_SIGNATURE_HEADER, verify_hub

__all__ = ["SandboxGateway", "create_gateway"]


class SandboxGateway:
    """The built-in carrier. ``clock`` (unix seconds) is injectable for signature-tolerance tests."""

    name = mapper.CARRIER

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        tolerance: int = DEFAULT_TOLERANCE,
    ) -> None:
        self.settings = settings or SandboxSettings()
        self._clock = clock
        self._tolerance = tolerance

    async def rates(self, request: RatesRequest) -> RatesResult:
        rates, messages = mapper.quote(request, self.settings)
        return RatesResult(rates=rates, messages=messages)

    async def book(self, request: BookingRequest) -> BookingResult:
        shipment, messages = mapper.booking(request, self.settings)
        return BookingResult(shipment=shipment, messages=messages)

    async def retrieve_booking(self, carrier_shipment_id: str, idempotency_key: str) -> None:
        # Booking is a pure function of the idempotency key: buying again returns the same label.
        del carrier_shipment_id, idempotency_key

    async def cancel(self, shipment_ref: str) -> CancelResult:
        # The sandbox keeps no state: any id it could have issued is voidable. Whether a parcel
        # that already moved may be cancelled is the booking service's rule, not the carrier's.
        if not (shipment_ref.startswith("sbx_") and len(shipment_ref) == 28):
            return CancelResult(
                carrier=self.name,
                shipment_ref=shipment_ref,
                cancelled=False,
                messages=[Message(self.name, "not_found", "no sandbox shipment has that id", field="shipment_ref")],
            )
        return CancelResult(carrier=self.name, shipment_ref=shipment_ref, cancelled=True, refund_status="refunded")

    async def track(self, tracking_numbers: Sequence[str]) -> list[TrackingUpdate]:
        updates = []
        for number in tracking_numbers:
            if not mapper.is_valid_tracking_number(number):
                note = Message(self.name, "invalid_tracking_number", "not a sandbox tracking number", field=number)
            else:
                note = Message(
                    self.name,
                    "push_only",
                    "the sandbox pushes its events by webhook; polling returns none",
                    "info",
                )
            updates.append(TrackingUpdate(carrier=self.name, tracking_number=number, messages=[note]))
        return updates

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes, secret: str) -> bool:
        return verify_hub(
            header_value(headers, HUB_SIGNATURE_HEADER),
            raw_body,
            secret,
            tolerance=self._tolerance,
            now=int(self._clock()),
        )

    def parse_webhook(self, raw_body: bytes) -> list[TrackingEvent]:
        return mapper.parse_webhook_body(raw_body)


def create_gateway(
    credentials: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> SandboxGateway:
    """Registry factory; the sandbox takes no credentials and makes no HTTP calls."""
    del credentials, http_client
    return SandboxGateway(SandboxSettings.from_account(options))
