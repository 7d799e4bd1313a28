"""EasyPost response shapes, as far as we read them (docs.easypost.com, examples in
``tests/fixtures/carriers/easypost``). Unknown fields are ignored; numeric fields we do not need
(parcel and tracker weights are JSON floats) are deliberately not declared, so no float is ever
decoded. Money amounts arrive as strings (``"7.47"``) and become ``Decimal`` in the mapper.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "EPError",
    "EPErrorBody",
    "EPEvent",
    "EPFieldError",
    "EPMessage",
    "EPPostageLabel",
    "EPRate",
    "EPShipment",
    "EPTracker",
    "EPTrackerList",
    "EPTrackingDetail",
    "EPTrackingLocation",
]


class EPRate(msgspec.Struct, frozen=True):
    id: str
    service: str
    carrier: str
    rate: str
    currency: str
    delivery_days: int | None = None
    est_delivery_days: int | None = None
    shipment_id: str | None = None
    carrier_account_id: str | None = None


class EPMessage(msgspec.Struct, frozen=True):
    message: str | list[str] | None = None
    carrier: str | None = None
    type: str | None = None
    carrier_account_id: str | None = None


class EPPostageLabel(msgspec.Struct, frozen=True):
    label_url: str | None = None
    label_pdf_url: str | None = None
    label_file_type: str | None = None


class EPTrackingLocation(msgspec.Struct, frozen=True):
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None


class EPTrackingDetail(msgspec.Struct, frozen=True):
    status: str | None = None
    status_detail: str | None = None
    message: str | None = None
    description: str | None = None
    datetime: str | None = None
    source: str | None = None
    carrier_code: str | None = None
    tracking_location: EPTrackingLocation | None = None


class EPTracker(msgspec.Struct, frozen=True):
    tracking_code: str
    id: str | None = None
    object: str = "Tracker"
    status: str | None = None
    status_detail: str | None = None
    carrier: str | None = None
    est_delivery_date: str | None = None
    public_url: str | None = None
    tracking_details: list[EPTrackingDetail] = []


class EPShipment(msgspec.Struct, frozen=True):
    id: str
    object: str = "Shipment"
    reference: str | None = None
    tracking_code: str | None = None
    rates: list[EPRate] = []
    selected_rate: EPRate | None = None
    postage_label: EPPostageLabel | None = None
    messages: list[EPMessage] = []
    refund_status: str | None = None
    tracker: EPTracker | None = None


class EPTrackerList(msgspec.Struct, frozen=True):
    trackers: list[EPTracker] = []
    has_more: bool = False


class EPEvent(msgspec.Struct, frozen=True):
    """A webhook ``Event``; ``result`` is decoded by the mapper according to ``description``."""

    id: str
    description: str
    object: str = "Event"
    result: msgspec.Raw = msgspec.Raw(b"null")


class EPFieldError(msgspec.Struct, frozen=True):
    field: str | None = None
    message: str | None = None
    suggestion: str | None = None


class EPError(msgspec.Struct, frozen=True):
    code: str | None = None
    message: str | list[str] | None = None
    errors: list[EPFieldError | str] = []


class EPErrorBody(msgspec.Struct, frozen=True):
    error: EPError
