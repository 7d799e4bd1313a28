from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from carriers.base import TrackingEvent
from carriers.units import (
    ShipmentStatus as S,
)
from carriers.units import (
    TrackingReason,
    TrackingState,
    advance,
    event_dedup_key,
    guess_customs_reason,
    next_status,
    parse_carrier_datetime,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "event", "expected"),
    [
        (S.PENDING, S.BOOKED, S.BOOKED),
        (S.BOOKED, S.IN_TRANSIT, S.IN_TRANSIT),
        (S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.OUT_FOR_DELIVERY),
        (S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERED),
        (S.BOOKED, S.DELIVERED, S.DELIVERED),  # skipping stages is forward
        # a late old event is recorded but does not move back
        (S.OUT_FOR_DELIVERY, S.IN_TRANSIT, S.OUT_FOR_DELIVERY),
        (S.IN_TRANSIT, S.BOOKED, S.IN_TRANSIT),
        (S.IN_TRANSIT, S.PENDING, S.IN_TRANSIT),
        # terminal statuses never change
        (S.DELIVERED, S.IN_TRANSIT, S.DELIVERED),
        (S.DELIVERED, S.EXCEPTION, S.DELIVERED),
        (S.RETURNED, S.DELIVERED, S.RETURNED),
        (S.CANCELLED, S.IN_TRANSIT, S.CANCELLED),
        # exception is entered from any non-terminal status
        (S.BOOKED, S.EXCEPTION, S.EXCEPTION),
        (S.OUT_FOR_DELIVERY, S.EXCEPTION, S.EXCEPTION),
        # and left by forward progress (reached unknown: in_transit is enough)
        (S.EXCEPTION, S.IN_TRANSIT, S.IN_TRANSIT),
        (S.EXCEPTION, S.DELIVERED, S.DELIVERED),
        (S.EXCEPTION, S.BOOKED, S.EXCEPTION),
        # returned from anywhere non-terminal; cancelled only before pickup
        (S.EXCEPTION, S.RETURNED, S.RETURNED),
        (S.IN_TRANSIT, S.RETURNED, S.RETURNED),
        (S.BOOKED, S.CANCELLED, S.CANCELLED),
        (S.PENDING, S.CANCELLED, S.CANCELLED),
        (S.IN_TRANSIT, S.CANCELLED, S.IN_TRANSIT),
    ],
)
def test_next_status_moves_forward_only(current: S, event: S, expected: S) -> None:
    assert next_status(current, event) is expected


def test_exception_is_left_only_at_or_beyond_the_high_water_mark() -> None:
    # failed delivery attempt after out_for_delivery: an in_transit re-sort does not clear it
    assert next_status(S.EXCEPTION, S.IN_TRANSIT, reached=S.OUT_FOR_DELIVERY) is S.EXCEPTION
    assert next_status(S.EXCEPTION, S.OUT_FOR_DELIVERY, reached=S.OUT_FOR_DELIVERY) is S.OUT_FOR_DELIVERY
    # an exception raised before pickup can still be cancelled
    assert next_status(S.EXCEPTION, S.CANCELLED, reached=S.BOOKED) is S.CANCELLED
    assert next_status(S.EXCEPTION, S.CANCELLED, reached=S.IN_TRANSIT) is S.EXCEPTION


def test_stale_events_neither_enter_nor_leave_an_exception() -> None:
    assert next_status(S.IN_TRANSIT, S.EXCEPTION, stale=True) is S.IN_TRANSIT
    assert next_status(S.EXCEPTION, S.IN_TRANSIT, stale=True) is S.EXCEPTION
    assert next_status(S.IN_TRANSIT, S.DELIVERED, stale=True) is S.DELIVERED


def test_advance_tracks_high_water_mark_and_staleness() -> None:
    state = TrackingState()
    state = advance(state, S.BOOKED, T0)
    state = advance(state, S.IN_TRANSIT, T0 + timedelta(hours=4))
    state = advance(state, S.EXCEPTION, T0 + timedelta(hours=40))  # customs hold
    assert (state.status, state.reached) == (S.EXCEPTION, S.IN_TRANSIT)
    # the origin scan arrives again, late: it is older than the hold, so it does not clear it
    state = advance(state, S.IN_TRANSIT, T0 + timedelta(hours=4))
    assert state.status is S.EXCEPTION
    assert state.last_event_at == T0 + timedelta(hours=40)
    # released by customs: newer progress clears the exception
    state = advance(state, S.IN_TRANSIT, T0 + timedelta(hours=90))
    assert state.status is S.IN_TRANSIT
    # an old exception delivered late does not come back
    state = advance(state, S.EXCEPTION, T0 + timedelta(hours=41))
    assert state.status is S.IN_TRANSIT
    state = advance(state, S.OUT_FOR_DELIVERY, T0 + timedelta(hours=100))
    state = advance(state, S.DELIVERED, T0 + timedelta(hours=106))
    assert (state.status, state.reached) == (S.DELIVERED, S.DELIVERED)


def _event(**kw: object) -> TrackingEvent:
    base: dict[str, object] = {
        "carrier": "easypost",
        "tracking_number": "LZ123456789US",
        "status": S.IN_TRANSIT,
        "occurred_at": T0,
        "description": "Arrived at FedEx location",
        "location": "ORLANDO, FL, 32809, US",
        "raw_code": "in_transit/arrived_at_facility",
    }
    base.update(kw)
    return TrackingEvent(**base)  # type: ignore[arg-type]


def test_dedup_key_prefers_the_carrier_event_id() -> None:
    key = _event(carrier_event_id="evt-1").dedup_key()
    assert key == "easypost:id:evt-1"
    assert _event(carrier_event_id="evt-1", description="other text").dedup_key() == key


def test_dedup_key_content_hash_is_stable_across_sources() -> None:
    a = _event()
    # same instant in another offset, different case and spacing, different *normalised* status
    b = _event(
        occurred_at=T0.astimezone(timezone(timedelta(hours=-5))),
        description="  ARRIVED at FedEx   location ",
        tracking_number="lz123456789us",
        status=S.EXCEPTION,
        reason=TrackingReason.OTHER,
    )
    assert a.dedup_key() == b.dedup_key()
    assert a.dedup_key().startswith("easypost:sha256:")
    assert event_dedup_key(a) != event_dedup_key(_event(occurred_at=T0 + timedelta(minutes=1)))
    assert event_dedup_key(a) != event_dedup_key(_event(raw_code="in_transit/departed_facility"))
    assert event_dedup_key(a) != event_dedup_key(_event(carrier="aftership"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-07-31T15:00:00Z", datetime(2024, 7, 31, 15, 0, tzinfo=UTC)),
        ("2024-08-02T19:26:52.000Z", datetime(2024, 8, 2, 19, 26, 52, tzinfo=UTC)),
        ("2026-03-05T07:45:00+01:00", datetime(2026, 3, 5, 6, 45, tzinfo=UTC)),
        ("2026-03-05T07:55:00", datetime(2026, 3, 5, 7, 55, tzinfo=UTC)),
        ("2026-03-05", datetime(2026, 3, 5, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_parse_carrier_datetime(raw: str | None, expected: datetime | None) -> None:
    parsed = parse_carrier_datetime(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Held in Customs - import duties unpaid", TrackingReason.CUSTOMS_HOLD),
        ("Customs clearance delay: awaiting documents", TrackingReason.CUSTOMS_HOLD),
        ("Customs clearance completed", None),
        ("Released from Customs", None),
        ("Held at post office", None),
        (None, None),
    ],
)
def test_guess_customs_reason(text: str | None, expected: TrackingReason | None) -> None:
    assert guess_customs_reason(text) is expected
