"""EasyPost adapter: payload building, parsing of documented payloads, proxy through MockTransport."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from _carrier_testkit import CUSTOMS, PARCEL_SMALL, RECIPIENT_DE, SHIPPER_US, fixture_bytes

from carriers.base import BookingRequest, CarrierGateway, RatesRequest, SecretStr
from carriers.easypost import EasyPostGateway, EasyPostSettings
from carriers.easypost import mapper as ep
from carriers.easypost.units import cm_to_in, kg_to_oz
from carriers.errors import MalformedWebhook
from carriers.http import create_client
from carriers.units import ShipmentStatus as S
from carriers.units import TrackingReason as R
from hub.core.money import Money

API_KEY = "EZTK_test_key_do_not_log"
SETTINGS = EasyPostSettings(api_key=SecretStr(API_KEY))

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers by (method, path) and keeps every request."""

    def __init__(self, routes: dict[tuple[str, str], httpx.Response | Exception]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "no route", "errors": []}})
        if isinstance(answer, Exception):
            raise answer
        return answer


def _gateway(recorder: Recorder) -> EasyPostGateway:
    return EasyPostGateway(SETTINGS, http_client=create_client(transport=httpx.MockTransport(recorder)))


def _ok(name: str) -> httpx.Response:
    return httpx.Response(200, content=fixture_bytes("easypost", name), headers={"Content-Type": "application/json"})


def _rates_request(**kw: object) -> RatesRequest:
    base: dict[str, object] = {
        "shipper": SHIPPER_US,
        "recipient": RECIPIENT_DE,
        "parcels": [PARCEL_SMALL],
        "customs": CUSTOMS,
    }
    base.update(kw)
    return RatesRequest(**base)  # type: ignore[arg-type]


def _booking(**kw: object) -> BookingRequest:
    base: dict[str, object] = {
        "idempotency_key": "shp-01JD7S2K5T0000000000000000",
        "shipper": SHIPPER_US,
        "recipient": RECIPIENT_DE,
        "parcels": [PARCEL_SMALL],
        "customs": CUSTOMS,
        "service": "PriorityMailInternational",
        "provider": "USPS",
    }
    base.update(kw)
    return BookingRequest(**base)  # type: ignore[arg-type]


def test_protocol_and_secret_hygiene() -> None:
    gw = EasyPostGateway(SETTINGS)
    assert isinstance(gw, CarrierGateway)
    for text in (repr(gw), repr(SETTINGS), str(SETTINGS.api_key), repr(SETTINGS.api_key)):
        assert API_KEY not in text


def test_units_round_up_and_stay_decimal() -> None:
    assert kg_to_oz(Decimal("0.5")) == Decimal("17.7")
    assert kg_to_oz(Decimal("1")) == Decimal("35.3")
    assert cm_to_in(Decimal("30")) == Decimal("11.9")
    assert cm_to_in(Decimal("2.54")) == Decimal("1.0")


def test_build_shipment_payload_with_customs() -> None:
    payload, problems = ep.build_shipment_payload(
        shipper=SHIPPER_US,
        recipient=RECIPIENT_DE,
        parcels=[PARCEL_SMALL],
        customs=CUSTOMS,
        reference="shp-1",
        settings=SETTINGS,
    )
    assert problems == []
    assert payload is not None
    shipment = payload["shipment"]
    assert shipment["to_address"] == {
        "name": "Anna Schmidt",
        "street1": "Hauptstr. 5",
        "city": "Berlin",
        "country": "DE",
        "zip": "10115",
        "phone": "+49301234567",
        "email": "a@example.de",
    }
    assert shipment["from_address"]["state"] == "CA"
    assert shipment["parcel"] == {"weight": "17.7", "length": "11.9", "width": "7.9", "height": "2.0"}
    assert shipment["options"] == {"label_format": "PDF", "incoterm": "DDP"}
    assert shipment["reference"] == "shp-1"
    customs = shipment["customs_info"]
    assert customs["customs_certify"] is True
    assert customs["contents_type"] == "merchandise"
    assert customs["non_delivery_option"] == "return"
    assert customs["customs_items"] == [
        {
            "description": "Cotton T-shirt",
            "quantity": 2,
            "value": "39.80",
            "currency": "USD",
            "weight": "10.6",
            "hs_tariff_number": "610910",
            "origin_country": "CN",
            "code": "TS-RED-M",
        }
    ]
    # money and weights go out as decimal strings, never as JSON floats
    assert '"value":"39.80"' in json.dumps(payload, separators=(",", ":"))


def test_multi_parcel_is_refused_as_a_message() -> None:
    payload, problems = ep.build_shipment_payload(
        shipper=SHIPPER_US,
        recipient=RECIPIENT_DE,
        parcels=[PARCEL_SMALL, PARCEL_SMALL],
        customs=None,
        reference=None,
        settings=SETTINGS,
    )
    assert payload is None
    assert problems[0].code == "multi_parcel_unsupported"


def test_parse_rates_from_the_documented_shipment() -> None:
    result = ep.parse_rates(fixture_bytes("easypost", "shipment_create.json"))
    assert [(r.provider, r.service, r.total, r.transit_days) for r in result.rates] == [
        ("USPS", "ExpressMailInternational", Money(Decimal("75.45"), "USD"), 5),
        ("USPS", "PriorityMailInternational", Money(Decimal("58.20"), "USD"), 8),
        ("USPS", "FirstClassPackageInternationalService", Money(Decimal("21.37"), "USD"), None),
    ]
    assert all(r.carrier_shipment_id == "shp_93170d48eb1a413aa5c0d8bf4384a350" for r in result.rates)
    assert result.rates[0].rate_ref == "rate_3cbb8d9c4ea1477588a17b0ee3e0c5b4"
    (warning,) = result.messages
    assert (warning.code, warning.level) == ("rate_error", "warning")
    assert warning.message.startswith("DHLExpress: ")


async def test_rates_through_mock_transport() -> None:
    rec = Recorder({("POST", "/v2/shipments"): _ok("shipment_create.json")})
    result = await _gateway(rec).rates(_rates_request(services=["PriorityMailInternational"]))
    assert [r.service for r in result.rates] == ["PriorityMailInternational"]
    (request,) = rec.requests
    assert str(request.url) == "https://api.easypost.com/v2/shipments"
    expected_auth = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert request.headers["Authorization"] == expected_auth
    assert request.headers["Content-Type"] == "application/json"
    sent = json.loads(request.content)
    assert sent["shipment"]["parcel"]["weight"] == "17.7"
    assert sent["shipment"]["customs_info"]["customs_items"][0]["hs_tariff_number"] == "610910"


async def test_book_creates_picks_and_buys() -> None:
    shp = "shp_93170d48eb1a413aa5c0d8bf4384a350"
    rec = Recorder(
        {
            ("POST", "/v2/shipments"): _ok("shipment_create.json"),
            ("POST", f"/v2/shipments/{shp}/buy"): _ok("shipment_buy.json"),
        }
    )
    result = await _gateway(rec).book(_booking())
    assert result.ok, result.messages
    shipment = result.shipment
    assert shipment is not None
    assert shipment.carrier_shipment_id == shp
    assert shipment.tracking_number == "LZ123456789US"
    assert shipment.label_url is not None
    assert shipment.label_url.endswith(".pdf")
    assert shipment.label_format == "PDF"
    assert shipment.total == Money(Decimal("58.20"), "USD")
    assert shipment.idempotency_key == "shp-01JD7S2K5T0000000000000000"
    assert shipment.tracking_url is not None
    create, buy = rec.requests
    assert json.loads(create.content)["shipment"]["reference"] == "shp-01JD7S2K5T0000000000000000"
    assert json.loads(buy.content) == {"rate": {"id": "rate_c9e1a6c4be1e40a7af83b42d1115c550"}}
    # the create call's carrier warning is passed on as data
    assert [m.code for m in result.messages] == ["rate_error"]


async def test_book_a_known_rate_buys_directly() -> None:
    shp = "shp_93170d48eb1a413aa5c0d8bf4384a350"
    rec = Recorder({("POST", f"/v2/shipments/{shp}/buy"): _ok("shipment_buy.json")})
    result = await _gateway(rec).book(
        _booking(carrier_shipment_id=shp, rate_ref="rate_c9e1a6c4be1e40a7af83b42d1115c550")
    )
    assert result.ok
    assert len(rec.requests) == 1


async def test_book_unknown_service_lists_what_was_offered() -> None:
    rec = Recorder({("POST", "/v2/shipments"): _ok("shipment_create.json")})
    result = await _gateway(rec).book(_booking(service="Overnight"))
    assert not result.ok
    unavailable = next(m for m in result.messages if m.code == "service_unavailable")
    assert "USPS/PriorityMailInternational" in unavailable.message
    assert len(rec.requests) == 1  # nothing bought


async def test_cancel_submits_a_refund() -> None:
    shp = "shp_93170d48eb1a413aa5c0d8bf4384a350"
    rec = Recorder({("POST", f"/v2/shipments/{shp}/refund"): _ok("shipment_refund.json")})
    result = await _gateway(rec).cancel(shp)
    assert result.cancelled
    assert result.refund_status == "submitted"
    assert result.messages == []


async def test_cancel_refused_by_easypost_is_data() -> None:
    shp = "shp_x"
    body = fixture_bytes("easypost", "error_refund_unavailable.json")
    rec = Recorder({("POST", f"/v2/shipments/{shp}/refund"): httpx.Response(422, content=body)})
    result = await _gateway(rec).cancel(shp)
    assert not result.cancelled
    assert [m.message for m in result.messages] == [
        "Refund is not available for this shipment.",
        "Refund window has closed",
    ]
    assert {m.code for m in result.messages} == {"SHIPMENT.REFUND.UNAVAILABLE"}


async def test_track_lists_trackers() -> None:
    rec = Recorder({("GET", "/v2/trackers"): _ok("trackers_list.json")})
    found, missing = await _gateway(rec).track(["EZ1000000001", "EZ0000000000"])
    assert found.status is S.BOOKED
    assert [e.description for e in found.events] == ["Pre-Shipment Info Sent to USPS", "Shipping Label Created"]
    assert found.events[1].location == "HOUSTON, TX, 77063"
    assert found.estimated_delivery is not None
    assert missing.status is None
    assert missing.messages[0].code == "tracker_not_found"
    assert {r.url.params["tracking_code"] for r in rec.requests} == {"EZ1000000001", "EZ0000000000"}


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx.Response(422, content=fixture_bytes("easypost", "error_422.json")), "ADDRESS.VERIFY.FAILURE"),
        (
            httpx.Response(
                401,
                json={
                    "error": {"code": "APIKEY.INACTIVE", "message": "This api key is no longer active.", "errors": []}
                },
            ),
            "APIKEY.INACTIVE",
        ),
        (httpx.Response(500, text="<html>Internal Server Error</html>"), "http_500"),
        (httpx.Response(503, content=b""), "http_503"),
        # A documented error body on a 5xx still means "try again": the status decides the code.
        (
            httpx.Response(
                503, json={"error": {"code": "SERVICE.UNAVAILABLE", "message": "Try again later.", "errors": []}}
            ),
            "http_503",
        ),
        (httpx.ReadTimeout("read timed out"), "timeout"),
        (httpx.ConnectTimeout("connect timed out"), "timeout"),
        (httpx.ConnectError("connection refused"), "network_error"),
    ],
)
async def test_carrier_http_failures_come_back_as_messages(answer: httpx.Response | Exception, code: str) -> None:
    rec = Recorder({("POST", "/v2/shipments"): answer})
    gw = _gateway(rec)
    rates = await gw.rates(_rates_request())
    assert rates.rates == []
    assert rates.messages[0].code == code
    assert rates.messages[0].level == "error"
    booked = await gw.book(_booking())
    assert not booked.ok
    assert booked.messages[0].code == code
    for message in [*rates.messages, *booked.messages]:
        assert API_KEY not in message.message
    (update,) = await EasyPostGateway(
        SETTINGS, http_client=create_client(transport=httpx.MockTransport(Recorder({("GET", "/v2/trackers"): answer})))
    ).track(["LZ1"])
    assert update.messages[0].code == code


async def test_retrieve_booking_tells_a_bought_label_from_an_unbought_shipment() -> None:
    shipment_id = "shp_93170d48eb1a413aa5c0d8bf4384a350"
    bought = await _gateway(
        Recorder({("GET", f"/v2/shipments/{shipment_id}"): _ok("shipment_buy.json")})
    ).retrieve_booking(shipment_id, "key-1")
    assert bought.shipment is not None
    assert (bought.shipment.carrier_shipment_id, bought.shipment.idempotency_key) == (shipment_id, "key-1")
    assert bought.shipment.tracking_number
    unbought = await _gateway(
        Recorder({("GET", f"/v2/shipments/{shipment_id}"): _ok("shipment_create.json")})
    ).retrieve_booking(shipment_id, "key-1")
    assert unbought.shipment is None
    assert [m.code for m in unbought.messages if m.level == "error"] == ["not_purchased"]
    down = await _gateway(
        Recorder({("GET", f"/v2/shipments/{shipment_id}"): httpx.Response(502, content=b"bad gateway")})
    ).retrieve_booking(shipment_id, "key-1")
    assert down.shipment is None
    assert down.messages[0].code == "http_502"


async def test_field_errors_keep_their_field() -> None:
    rec = Recorder(
        {("POST", "/v2/shipments"): httpx.Response(422, content=fixture_bytes("easypost", "error_422.json"))}
    )
    result = await _gateway(rec).rates(_rates_request())
    assert [(m.field, m.message) for m in result.messages] == [
        (None, "Address not found"),
        ("address", "Address not found"),
        ("street1", "House number is missing"),
    ]


def test_parse_documented_tracker_updated_event() -> None:
    events = EasyPostGateway(SETTINGS).parse_webhook(fixture_bytes("easypost", "event_tracker_updated.json"))
    assert len(events) == 7
    first, picked_up = events[0], events[1]
    assert (first.status, first.raw_code, first.carrier_code) == (S.BOOKED, "pre_transit/label_created", "OC")
    assert first.provider == "FedEx"
    assert first.location == "32837, US"
    assert picked_up.status is S.IN_TRANSIT
    assert picked_up.location == "ORLANDO, FL, 32809, US"
    assert all(e.tracking_number == "1" and e.occurred_at.tzinfo is not None for e in events)
    assert all(e.carrier_event_id is None for e in events)
    assert len({e.dedup_key() for e in events}) == 7  # the two "On the way" scans differ in time and place


def test_parse_customs_hold_then_delivery() -> None:
    events = ep.parse_event_body(fixture_bytes("easypost", "event_tracker_customs_delivered.json"))
    by_text = {e.description: e for e in events}
    hold = by_text["Held in Customs - import duties unpaid"]
    assert (hold.status, hold.reason) == (S.EXCEPTION, R.CUSTOMS_HOLD)
    released = by_text["Released from Customs"]
    assert (released.status, released.reason) == (S.IN_TRANSIT, None)
    assert by_text["Delivered"].status is S.DELIVERED
    assert by_text["Arrived in Destination Country"].occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("status", "detail", "text", "expected"),
    [
        ("unknown", "unknown", None, (S.PENDING, None)),
        ("pre_transit", "label_created", None, (S.BOOKED, None)),
        ("in_transit", "arrived_at_facility", None, (S.IN_TRANSIT, None)),
        ("in_transit", "address_correction", None, (S.IN_TRANSIT, R.ADDRESS_PROBLEM)),
        ("in_transit", "weather_delay", None, (S.IN_TRANSIT, R.DELAY)),
        ("out_for_delivery", "out_for_delivery", None, (S.OUT_FOR_DELIVERY, None)),
        ("available_for_pickup", "arrived_at_pickup_location", None, (S.OUT_FOR_DELIVERY, None)),
        ("delivered", "arrived_at_destination", None, (S.DELIVERED, None)),
        ("return_to_sender", "return", None, (S.RETURNED, None)),
        ("failure", "lost", None, (S.EXCEPTION, R.LOST)),
        ("in_transit", "damaged", None, (S.EXCEPTION, R.DAMAGE)),
        ("failure", "refused", None, (S.EXCEPTION, R.REFUSED)),
        ("failure", "delivery_exception", None, (S.EXCEPTION, R.OTHER)),
        ("failure", None, None, (S.EXCEPTION, R.OTHER)),
        ("error", "unknown", None, (S.EXCEPTION, R.OTHER)),
        ("cancelled", "cancelled", None, (S.CANCELLED, None)),
        ("in_transit", "held", "Held at customs awaiting payment of duties", (S.EXCEPTION, R.CUSTOMS_HOLD)),
        ("in_transit", "status_update", "Customs clearance delay", (S.EXCEPTION, R.CUSTOMS_HOLD)),
        ("delivered", "status_update", "Customs duties paid on delivery", (S.DELIVERED, None)),
        ("brand_new_status", "brand_new_detail", None, (S.PENDING, None)),
    ],
)
def test_easypost_mapping_table(
    status: str, detail: str | None, text: str | None, expected: tuple[S, R | None]
) -> None:
    assert ep.map_status(status, detail, text) == expected


def test_non_tracker_events_are_ignored() -> None:
    body = json.dumps({"id": "evt_2", "object": "Event", "description": "batch.updated", "result": {"id": "batch_1"}})
    assert ep.parse_event_body(body.encode()) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b'{"id": "evt_1"}',
        b'{"id": "evt_1", "object": "Webhook", "description": "tracker.updated"}',
        b'{"id": "evt_1", "object": "Event", "description": "tracker.updated", "result": {"object": "Tracker"}}',
        b'{"id": "evt_1", "object": "Event", "description": "tracker.updated", "result": null}',
        b'{"id": "evt_1", "object": "Event", "description": "tracker.updated",'
        b' "result": {"tracking_code": "1", "object": "Shipment"}}',
    ],
)
def test_malformed_easypost_webhook_raises_typed_error(body: bytes) -> None:
    with pytest.raises(MalformedWebhook) as info:
        ep.parse_event_body(body)
    assert info.value.status == 400
    assert info.value.carrier == "easypost"
