"""The built-in sandbox carrier: quotes, booking, label PDF, event timeline, webhooks."""

from __future__ import annotations

import io
import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest
from _carrier_testkit import CUSTOMS, PARCEL_SMALL, RECIPIENT_DE, SHIPPER_CN, SHIPPER_DE
from pypdf import PdfReader

from carriers.base import BookingRequest, CarrierGateway, Parcel, RatesRequest
from carriers.errors import MalformedWebhook
from carriers.sandbox import SandboxGateway, SandboxSettings
from carriers.sandbox import mapper as sbx
from carriers.signatures import sign_hub
from carriers.units import ShipmentStatus as S
from carriers.units import TrackingReason, TrackingState, advance
from hub.core.money import Money

BOOKED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _booking(**kw: object) -> BookingRequest:
    base: dict[str, object] = {
        "idempotency_key": "shp_01JD7S2K5T",
        "shipper": SHIPPER_CN,
        "recipient": RECIPIENT_DE,
        "parcels": [PARCEL_SMALL],
        "service": "standard",
        "customs": CUSTOMS,
        "reference": "SHOP-1001",
    }
    base.update(kw)
    return BookingRequest(**base)  # type: ignore[arg-type]


def test_gateway_satisfies_the_protocol() -> None:
    assert isinstance(SandboxGateway(), CarrierGateway)


async def test_rates_are_deterministic_decimal_money() -> None:
    gw = SandboxGateway()
    request = RatesRequest(shipper=SHIPPER_CN, recipient=RECIPIENT_DE, parcels=[PARCEL_SMALL], customs=CUSTOMS)
    result = await gw.rates(request)
    assert result.messages == []
    by_service = {r.service: r for r in result.rates}
    # 30x20x5 cm = 0.6 kg volumetric > 0.5 kg actual -> 1.0 kg chargeable; international zone
    assert by_service["standard"].total == Money(Decimal("19.70"), "EUR")
    assert by_service["express"].total == Money(Decimal("38.40"), "EUR")
    assert isinstance(by_service["standard"].total.amount, Decimal)
    assert (by_service["standard"].transit_days, by_service["express"].transit_days) == (7, 3)
    assert by_service["standard"].currency == "EUR"
    assert await gw.rates(request) == result


async def test_rates_by_zone_and_weight() -> None:
    gw = SandboxGateway(SandboxSettings(currency="GBP"))
    heavy = Parcel(weight_kg=Decimal("2.3"))
    domestic = await gw.rates(RatesRequest(shipper=SHIPPER_DE, recipient=RECIPIENT_DE, parcels=[heavy]))
    totals = {r.service: r.total for r in domestic.rates}
    assert totals == {"standard": Money(Decimal("7.90"), "GBP"), "express": Money(Decimal("16.15"), "GBP")}
    assert sbx.zone_for("DE", "FR").value == "eu"
    assert sbx.zone_for("CN", "DE").value == "international"
    assert sbx.chargeable_weight([Parcel(weight_kg=Decimal("0.01"))]) == Decimal("0.5")
    assert sbx.chargeable_weight([Parcel(weight_kg=Decimal("1.01")), Parcel(weight_kg=Decimal("1"))]) == Decimal("2.5")


async def test_rates_filter_warn_and_refuse() -> None:
    gw = SandboxGateway()
    only_express = await gw.rates(
        RatesRequest(shipper=SHIPPER_CN, recipient=RECIPIENT_DE, parcels=[PARCEL_SMALL], services=["express", "drone"])
    )
    assert [r.service for r in only_express.rates] == ["express"]
    codes = {m.code: m.level for m in only_express.messages}
    assert codes == {"unknown_service": "warning", "customs_required": "warning"}
    too_heavy = await gw.rates(
        RatesRequest(shipper=SHIPPER_CN, recipient=RECIPIENT_DE, parcels=[Parcel(weight_kg=Decimal("31"))])
    )
    assert too_heavy.rates == []
    assert [(m.code, m.field) for m in too_heavy.messages] == [("weight_limit", "parcels[0].weight_kg")]
    none = await gw.rates(RatesRequest(shipper=SHIPPER_CN, recipient=RECIPIENT_DE, parcels=[]))
    assert [m.code for m in none.messages] == ["no_parcels"]


def test_tracking_number_format_check_digit_and_idempotency() -> None:
    number = sbx.tracking_number("shp_01JD7S2K5T")
    assert number.startswith("SBX")
    assert len(number) == 13
    assert number[3:].isdigit()
    assert sbx.is_valid_tracking_number(number)
    assert sbx.tracking_number("shp_01JD7S2K5T") == number
    assert sbx.tracking_number("shp_other") != number
    wrong_digit = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not sbx.is_valid_tracking_number(wrong_digit)
    assert not sbx.is_valid_tracking_number("SBX12345")


async def test_booking_returns_label_pdf_with_tracking_number_and_addresses() -> None:
    gw = SandboxGateway()
    result = await gw.book(_booking())
    assert result.ok
    assert result.messages == []
    shipment = result.shipment
    assert shipment is not None
    assert shipment.tracking_number == sbx.tracking_number("shp_01JD7S2K5T")
    assert shipment.carrier_shipment_id.startswith("sbx_")
    assert shipment.idempotency_key == "shp_01JD7S2K5T"
    assert shipment.total == Money(Decimal("19.70"), "EUR")
    assert shipment.label_pdf is not None
    assert shipment.label_pdf.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(shipment.label_pdf)).pages[0].extract_text()
    for expected in (
        shipment.tracking_number,
        "Li Wei",
        "Shenzhen Gadgets Ltd",
        "88 Keyuan Road",
        "Anna Schmidt",
        "Hauptstr. 5",
        "10115 Berlin",
        "STANDARD",
        "SHOP-1001",
    ):
        assert expected in text
    again = await gw.book(_booking())
    assert again == result  # same key, same shipment, byte-identical label


async def test_booking_refusals_are_messages() -> None:
    gw = SandboxGateway()
    no_customs = await gw.book(_booking(customs=None))
    assert not no_customs.ok
    assert [(m.code, m.field) for m in no_customs.messages] == [("customs_required", "customs")]
    intra_eu = await gw.book(_booking(shipper=msgspec.structs.replace(SHIPPER_DE, country="FR"), customs=None))
    assert intra_eu.ok
    bad_service = await gw.book(_booking(service="overnight"))
    assert [m.code for m in bad_service.messages] == ["service_unavailable"]


async def test_cancel_and_track() -> None:
    gw = SandboxGateway()
    booked = (await gw.book(_booking())).shipment
    assert booked is not None
    ok = await gw.cancel(booked.carrier_shipment_id)
    assert ok.cancelled
    unknown = await gw.cancel("shp_somebody_else")
    assert not unknown.cancelled
    assert unknown.messages[0].code == "not_found"
    (update,) = await gw.track([booked.tracking_number])
    assert update.status is None
    assert update.messages[0].code == "push_only"


def test_event_timeline_cross_border_happy_path() -> None:
    tn = sbx.tracking_number("k")
    events = sbx.event_timeline(tn, BOOKED_AT, shipper=SHIPPER_CN, recipient=RECIPIENT_DE)
    assert [e.raw_code for e in events] == [
        "LABEL_CREATED",
        "PICKED_UP",
        "DEPARTED_ORIGIN",
        "ARRIVED_DESTINATION_COUNTRY",
        "CUSTOMS_CLEARED",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
    ]
    assert [e.status for e in events] == [
        S.BOOKED,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
    ]
    assert events[0].occurred_at == BOOKED_AT
    assert events[1].occurred_at - BOOKED_AT == timedelta(hours=4)
    assert all(a.occurred_at < b.occurred_at for a, b in itertools.pairwise(events))
    assert all(e.occurred_at.tzinfo is not None for e in events)
    assert events[1].location == "Shenzhen, CN"
    assert events[-1].location == "Berlin, DE"
    assert [e.carrier_event_id for e in events][:2] == [f"{tn}-01", f"{tn}-02"]
    assert len({e.dedup_key() for e in events}) == len(events)


def test_event_timeline_scenarios_and_express() -> None:
    tn = sbx.tracking_number("k")
    held = sbx.event_timeline(tn, BOOKED_AT, shipper=SHIPPER_CN, recipient=RECIPIENT_DE, scenario="customs_hold")
    hold = next(e for e in held if e.raw_code == "CUSTOMS_HELD")
    assert (hold.status, hold.reason) == (S.EXCEPTION, TrackingReason.CUSTOMS_HOLD)
    state = TrackingState()
    for e in held:
        state = advance(state, e.status, e.occurred_at)
    assert state.status is S.DELIVERED  # the hold was cleared by later progress
    returned = sbx.event_timeline(tn, BOOKED_AT, shipper=SHIPPER_DE, recipient=RECIPIENT_DE, scenario="returned")
    assert [e.raw_code for e in returned][-2:] == ["DELIVERY_FAILED_ADDRESS", "RETURNED_TO_SENDER"]
    assert "ARRIVED_DESTINATION_COUNTRY" not in [e.raw_code for e in returned]  # domestic: no customs leg
    standard = sbx.event_timeline(tn, BOOKED_AT, shipper=SHIPPER_CN, recipient=RECIPIENT_DE)
    express = sbx.event_timeline(tn, BOOKED_AT, shipper=SHIPPER_CN, recipient=RECIPIENT_DE, service="express")
    assert express[-1].occurred_at - BOOKED_AT == (standard[-1].occurred_at - BOOKED_AT) / 2
    with pytest.raises(ValueError, match="scenario"):
        sbx.event_timeline(tn, BOOKED_AT, shipper=SHIPPER_CN, recipient=RECIPIENT_DE, scenario="lost")
    with pytest.raises(ValueError, match="timezone"):
        sbx.event_timeline(tn, datetime(2026, 3, 1), shipper=SHIPPER_CN, recipient=RECIPIENT_DE)  # noqa: DTZ001


def test_webhook_round_trip_with_hub_signature() -> None:
    now = 1_772_536_513
    gw = SandboxGateway(clock=lambda: now)
    tn = sbx.tracking_number("k")
    events = sbx.event_timeline(tn, BOOKED_AT, shipper=SHIPPER_CN, recipient=RECIPIENT_DE)[:3]
    body = sbx.build_webhook_body(events, created_at=BOOKED_AT)
    headers = {"Hub-Signature": sign_hub("sbx_secret", body, timestamp=now - 10)}
    assert gw.verify_webhook(headers, body, "sbx_secret")
    assert gw.verify_webhook({"hub-signature": headers["Hub-Signature"]}, body, "sbx_secret")
    assert not gw.verify_webhook(headers, body, "wrong")
    assert not gw.verify_webhook({}, body, "sbx_secret")
    late = SandboxGateway(clock=lambda: now + 600)
    assert not late.verify_webhook(headers, body, "sbx_secret")
    assert gw.parse_webhook(body) == events


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "x", "type": "tracking.updated", "created_at": "2026-03-01T09:00:00Z"}',
        json.dumps(
            {
                "id": "x",
                "type": "tracking.updated",
                "created_at": "2026-03-01T09:00:00Z",
                "data": {
                    "tracking_number": "SBX1",
                    "events": [{"id": "1", "code": "TELEPORTED", "occurred_at": "2026-03-01T09:00:00Z"}],
                },
            }
        ).encode(),
        json.dumps(
            {
                "id": "x",
                "type": "tracking.updated",
                "created_at": "2026-03-01T09:00:00Z",
                "data": {
                    "tracking_number": "SBX1",
                    "events": [{"id": "1", "code": "DELIVERED", "occurred_at": "2026-03-01T09:00:00"}],
                },
            }
        ).encode(),
    ],
)
def test_malformed_webhook_raises_typed_error(body: bytes) -> None:
    with pytest.raises(MalformedWebhook) as info:
        SandboxGateway().parse_webhook(body)
    assert info.value.status == 400
    assert info.value.code == "malformed-webhook"
