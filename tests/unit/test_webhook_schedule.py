"""The seller webhook retry schedule, as pure functions: enough to outlast a seller's day-long outage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from hub.orders.webhooks import (
    JITTER,
    MAX_ATTEMPTS,
    RETRY_CAP,
    backoff,
    nominal_backoff,
    parse_retry_after,
    retry_delay,
)

HOUR = timedelta(hours=1)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_the_schedule_doubles_from_30_seconds_to_an_hour_and_spans_about_a_day() -> None:
    waits = [nominal_backoff(attempt) for attempt in range(1, MAX_ATTEMPTS)]
    assert waits[:8] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 960, 1920, 3600)]
    assert all(wait == HOUR for wait in waits[7:])
    assert RETRY_CAP == HOUR
    total = sum(waits, timedelta())
    assert timedelta(hours=23, minutes=45) <= total <= timedelta(hours=24, minutes=15), total
    # The old schedule gave up after about four minutes; a seller down for five loses nothing now.
    assert sum(waits[:4], timedelta()) < timedelta(minutes=10) < total


def test_no_attempt_number_overflows_or_passes_the_cap() -> None:
    assert nominal_backoff(10_000) == HOUR
    assert backoff(10_000, spread=JITTER) == HOUR


@pytest.mark.parametrize("spread", [-JITTER, 0.0, JITTER])
def test_jitter_spreads_a_wait_by_at_most_a_tenth(spread: float) -> None:
    for attempt in range(1, MAX_ATTEMPTS):
        wait = backoff(attempt, spread=spread)
        nominal = nominal_backoff(attempt)
        assert nominal * (1 - JITTER) <= wait <= min(nominal * (1 + JITTER), HOUR)


def test_random_jitter_stays_in_bounds_and_varies() -> None:
    waits = {backoff(3) for _ in range(50)}
    assert len(waits) > 1, "no jitter: every seller's retries would arrive together"
    assert all(timedelta(seconds=108) <= w <= timedelta(seconds=132) for w in waits)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 7 ", timedelta(seconds=7)),
        ("0", timedelta(0)),
        (format_datetime(NOW + timedelta(minutes=20), usegmt=True), timedelta(minutes=20)),
        ("Sat, 28 Nov 2026 09:45:00 GMT", timedelta(minutes=45)),
        (format_datetime(NOW - timedelta(minutes=5), usegmt=True), timedelta(0)),  # past: at once
        ("-5", None),
        ("soon", None),
        ("1.5", None),
        ("", None),
        (None, None),
        ("9" * 400, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_retry_after_is_clamped_between_the_backoff_and_an_hour() -> None:
    assert retry_delay(1, timedelta(seconds=1), spread=0.0) == timedelta(seconds=30)
    assert retry_delay(1, timedelta(minutes=20), spread=0.0) == timedelta(minutes=20)
    assert retry_delay(1, timedelta(days=2), spread=0.0) == HOUR
    assert retry_delay(12, timedelta(minutes=20), spread=0.0) == HOUR
    assert retry_delay(2, None, spread=0.0) == timedelta(seconds=60)
