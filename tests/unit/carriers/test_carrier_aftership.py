"""AfterShip adapter: tag/sub-tag mapping, webhooks (current and legacy shapes), polling."""

from __future__ import annotations

import httpx
import pytest
from _carrier_testkit import PARCEL_SMALL, RECIPIENT_DE, SHIPPER_DE, fixture_bytes

from carriers.aftership import AfterShipGateway, AfterShipSettings
from carriers.aftership import mapper as af
from carriers.aftership.units import map_tag
from carriers.base import BookingRequest, CarrierGateway, RatesRequest, SecretStr
from carriers.errors import MalformedWebhook
from carriers.http import create_client
from carriers.units import ShipmentStatus as S
from carriers.units import TrackingReason as R

API_KEY = "asat_secret_key_do_not_log"
SETTINGS = AfterShipSettings(api_key=SecretStr(API_KEY))


def _gateway(handler: httpx.MockTransport) -> AfterShipGateway:
    return AfterShipGateway(SETTINGS, http_client=create_client(transport=handler))


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Pending", "Pending_001", (S.PENDING, None)),
        ("InfoReceived", "InfoReceived_001", (S.BOOKED, None)),
        ("InTransit", "InTransit_007", (S.IN_TRANSIT, None)),
        ("OutForDelivery", "OutForDelivery_001", (S.OUT_FOR_DELIVERY, None)),
        ("AvailableForPickup", "AvailableForPickup_001", (S.OUT_FOR_DELIVERY, None)),
        ("AttemptFail", "AttemptFail_001", (S.EXCEPTION, R.OTHER)),
        ("Delivered", "Delivered_005", (S.DELIVERED, None)),
        ("Expired", "Expired_001", (S.EXCEPTION, R.OTHER)),
        ("Exception", "Exception_001", (S.EXCEPTION, R.OTHER)),
        ("Exception", "Exception_002", (S.EXCEPTION, R.ADDRESS_PROBLEM)),
        ("Exception", "Exception_003", (S.EXCEPTION, R.REFUSED)),
        ("Exception", "Exception_004", (S.EXCEPTION, R.CUSTOMS_HOLD)),
        ("Exception", "Exception_005", (S.EXCEPTION, R.DELAY)),
        ("Exception", "Exception_006", (S.EXCEPTION, R.CUSTOMS_HOLD)),
        ("Exception", "Exception_007", (S.EXCEPTION, R.ADDRESS_PROBLEM)),
        ("Exception", "Exception_010", (S.RETURNED, R.OTHER)),
        ("Exception", "Exception_011", (S.RETURNED, R.OTHER)),
        ("Exception", "Exception_012", (S.EXCEPTION, R.DAMAGE)),
        ("Exception", "Exception_013", (S.EXCEPTION, R.LOST)),
        ("Exception", "Exception_017", (S.EXCEPTION, R.DELAY)),
        ("Exception", "Exception_018", (S.EXCEPTION, R.CUSTOMS_HOLD)),
        ("Exception", "Exception_020", (S.CANCELLED, R.OTHER)),
        ("Exception", "Exception_099", (S.EXCEPTION, R.OTHER)),
        ("SomethingNew", None, (S.PENDING, None)),
        (None, None, (S.PENDING, None)),
    ],
)
def test_aftership_mapping_table(tag: str | None, subtag: str | None, expected: tuple[S, R | None]) -> None:
    assert map_tag(tag, subtag) == expected


def test_parse_tracking_update_webhook() -> None:
    gw = AfterShipGateway(SETTINGS)
    assert isinstance(gw, CarrierGateway)
    events = gw.parse_webhook(fixture_bytes("aftership", "webhook_tracking_update.json"))
    assert [(e.status, e.raw_code) for e in events] == [
        (S.BOOKED, "InfoReceived_001"),
        (S.IN_TRANSIT, "InTransit_002"),
        (S.IN_TRANSIT, "InTransit_007"),
        (S.IN_TRANSIT, "InTransit_003"),
        (S.EXCEPTION, "Exception_004"),
    ]
    hold = events[-1]
    assert hold.reason is R.CUSTOMS_HOLD
    assert hold.carrier_code == "OH"
    assert hold.provider == "dhl"
    assert hold.location == "Leipzig, DEU"
    assert hold.carrier_event_id == "9a1f0c1e2b7d4e0c8f7a6b5c4d3e2f14"
    assert hold.dedup_key() == "aftership:id:9a1f0c1e2b7d4e0c8f7a6b5c4d3e2f14"
    assert hold.occurred_at.utcoffset() is not None
    assert all(e.tracking_number == "1234567890" for e in events)


def test_legacy_webhook_without_hash_or_offsets() -> None:
    events = af.parse_webhook_body(fixture_bytes("aftership", "webhook_delivered_legacy.json"))
    assert [e.status for e in events] == [S.OUT_FOR_DELIVERY, S.DELIVERED]
    delivered = events[-1]
    assert delivered.carrier_event_id is None
    assert delivered.dedup_key().startswith("aftership:sha256:")
    assert delivered.occurred_at.tzinfo is not None  # naive local time read as UTC
    assert delivered.location == "BERLIN"


def test_tracking_level_tag_without_checkpoint_gives_an_event() -> None:
    body = (
        b'{"event": "tracking_update", "msg": {"tracking_number": "X1", "slug": "ups", "tag": "Expired",'
        b' "subtag": "Expired_001", "subtag_message": "Expired", "updated_at": "2026-04-02T00:00:00+00:00",'
        b' "checkpoints": []}}'
    )
    (event,) = af.parse_webhook_body(body)
    assert (event.status, event.reason, event.raw_code) == (S.EXCEPTION, R.OTHER, "Expired_001")


@pytest.mark.parametrize(
    "body",
    [b"", b"nope", b"{}", b'{"event": "tracking_update"}', b'{"event": "tracking_update", "msg": {"slug": "dhl"}}'],
)
def test_malformed_aftership_webhook_raises_typed_error(body: bytes) -> None:
    with pytest.raises(MalformedWebhook) as info:
        AfterShipGateway(SETTINGS).parse_webhook(body)
    assert info.value.carrier == "aftership"


async def test_polling_get_trackings() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=fixture_bytes("aftership", "trackings_list.json"))

    found, missing = await _gateway(httpx.MockTransport(handler)).track(["1234567890", "999"])
    assert found.status is S.EXCEPTION
    assert found.reason is R.CUSTOMS_HOLD
    assert len(found.events) == 5
    assert missing.status is None
    assert missing.messages[0].code == "tracking_not_found"
    (request,) = seen
    assert request.url.path == "/tracking/2026-07/trackings"
    assert request.url.params["tracking_numbers"] == "1234567890,999"
    assert request.headers["as-api-key"] == API_KEY


async def test_polling_batches_of_fifty() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(len(request.url.params["tracking_numbers"].split(",")))
        return httpx.Response(200, json={"meta": {"code": 200}, "data": {"trackings": []}})

    updates = await _gateway(httpx.MockTransport(handler)).track([f"N{i}" for i in range(120)])
    assert calls == [50, 50, 20]
    assert [u.tracking_number for u in updates] == [f"N{i}" for i in range(120)]


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (httpx.Response(401, content=fixture_bytes("aftership", "error_401.json")), "Unauthorized_401"),
        (httpx.Response(502, text="Bad Gateway"), "http_502"),
        (httpx.ReadTimeout("slow"), "timeout"),
    ],
)
async def test_polling_failures_are_messages_on_every_update(response: httpx.Response | Exception, code: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    updates = await _gateway(httpx.MockTransport(handler)).track(["A", "B"])
    assert [u.messages[0].code for u in updates] == [code, code]
    assert all(API_KEY not in u.messages[0].message for u in updates)


async def test_rating_and_booking_are_unsupported_data() -> None:
    gw = AfterShipGateway(SETTINGS)
    rates = await gw.rates(RatesRequest(shipper=SHIPPER_DE, recipient=RECIPIENT_DE, parcels=[PARCEL_SMALL]))
    assert rates.messages[0].code == "unsupported"
    booking = await gw.book(
        BookingRequest(
            idempotency_key="k", shipper=SHIPPER_DE, recipient=RECIPIENT_DE, parcels=[PARCEL_SMALL], service="x"
        )
    )
    assert not booking.ok
    cancel = await gw.cancel("x")
    assert not cancel.cancelled
    assert API_KEY not in repr(gw)
    assert API_KEY not in repr(SETTINGS)
