"""Fault injection against real processes: PostgreSQL restarted mid-intake, Redis lost and restarted,
the worker and the API SIGKILLed mid-work, a carrier that times out, fails, trickles or floods.

Each scenario counts what clients sent and were told, what the database holds and what the outside
parties (the carrier stub, the seller's webhook receiver) saw, and asserts zero loss: no order a
client was acknowledged is missing or doubled, no label is sold twice, no tracking event or seller
webhook is lost, every outbox job completes after recovery, and no answer is a 500. The counts are
printed per test and in the run's summary (``REPORT``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis
from arq.constants import default_queue_name

from carriers.base import Address
from carriers.sandbox.mapper import event_timeline
from hub.core.ids import new_id
from tests.faults.conftest import SHIP_TO, Faults, report
from tests.faults.rig import wait_for


def settle(faults: Faults, since: uuid.UUID, timeout: float = 90) -> dict[str, int]:
    """Wait until every outbox job is done; the counts of the jobs written since ``since`` (a UUIDv7
    taken when the scenario began): rows, dispatched more than once, done with an error."""
    state: dict[str, int] = {}

    def done() -> bool:
        [pending] = faults.rig.sql("SELECT count(*) AS n FROM outbox WHERE completed_at IS NULL")
        [row] = faults.rig.sql(
            "SELECT count(*) AS jobs, count(*) FILTER (WHERE dispatch_count > 1) AS redispatched, "
            "count(*) FILTER (WHERE last_error IS NOT NULL) AS failed FROM outbox WHERE id >= $1",
            since,
        )
        state.update(row, pending=pending["n"])
        return bool(pending["n"] == 0)

    wait_for("every outbox job completes", done, timeout, every=0.25, log=faults.rig.worker.log)
    return state


def outbox_counts(outbox: dict[str, int]) -> dict[str, int]:
    """:func:`settle`'s counts as the report names them."""
    return {f"outbox_{name}": outbox[name] for name in ("jobs", "redispatched", "failed", "pending")}


def missing_events(faults: Faults, order_ids: set[str]) -> set[str]:
    with faults.receiver.lock:
        return order_ids - set(faults.receiver.order_ids)


def wait_events(faults: Faults, order_ids: set[str], timeout: float = 90) -> None:
    wait_for(
        "the seller receives order.created for every order",
        lambda: not missing_events(faults, order_ids),
        timeout,
        every=0.2,
        log=faults.rig.worker.log,
    )


# -- (a) PostgreSQL restarted mid-intake ---------------------------------------------------------


CLIENTS = 8
ORDERS_PER_CLIENT = 30


def _intake_client(faults: Faults, prefix: str, acked: dict[str, str], statuses: Counter[str], stop: float) -> None:
    """Post orders one after another; each is retried with its Idempotency-Key until it is a 201."""
    with httpx.Client(base_url=faults.rig.base, headers=faults.rig.headers, timeout=15) as http:
        for _ in range(ORDERS_PER_CLIENT):
            ref = f"{prefix}-{uuid.uuid4().hex[:12]}"
            while time.monotonic() < stop:
                try:
                    answer = http.post("/v1/orders", json=faults.order_body(ref), headers={"Idempotency-Key": ref})
                except httpx.TransportError as exc:
                    statuses[type(exc).__name__] += 1
                    time.sleep(0.2)
                    continue
                statuses[str(answer.status_code)] += 1
                if answer.status_code == 201:
                    acked[ref] = answer.json()["id"]
                    break
                if answer.status_code == 503:
                    problem = answer.headers.get("content-type", "").startswith("application/problem+json")
                    if not problem or not answer.headers.get("Retry-After", "").isdigit():
                        statuses["503 without problem+json and Retry-After"] += 1  # fails the test
                    time.sleep(min(float(answer.headers.get("Retry-After", "1")), 1.0))
                    continue
                time.sleep(0.2)  # anything else is counted (and fails the test below), then retried


@pytest.mark.timeout(300)
def test_intake_survives_postgres_restarts(faults: Faults) -> None:
    since = new_id()
    prefix = f"A{uuid.uuid4().hex[:6]}"
    acked: dict[str, str] = {}
    statuses: Counter[str] = Counter()
    stop = time.monotonic() + 150
    threads = [
        threading.Thread(target=_intake_client, args=(faults, prefix, acked, statuses, stop)) for _ in range(CLIENTS)
    ]
    sent = CLIENTS * ORDERS_PER_CLIENT
    for thread in threads:
        thread.start()
    restarts = 0
    for threshold, mode in ((sent // 4, "fast"), (sent // 2, "immediate")):
        wait_for(f"{threshold} orders acknowledged", lambda t=threshold: len(acked) >= t, 90)
        faults.rig.postgres.stop(mode)  # "immediate" is a crash: no checkpoint, recovery at start
        time.sleep(1.5)
        faults.rig.postgres.start()
        restarts += 1
    for thread in threads:
        thread.join(timeout=160)

    rows = faults.rig.sql("SELECT external_ref, id::text AS id FROM orders WHERE external_ref LIKE $1", f"{prefix}-%")
    found = Counter(row["external_ref"] for row in rows)
    ids = {row["external_ref"]: row["id"] for row in rows}
    replayed = 0
    for ref, order_id in acked.items():  # a client retrying with its key gets the same order
        again = faults.post("/v1/orders", faults.order_body(ref), **{"Idempotency-Key": ref})
        assert again.status_code == 201, again.text
        assert again.json()["id"] == order_id
        replayed += 1
    wait_events(faults, set(acked.values()))
    outbox = settle(faults, since)
    report(
        "intake, PostgreSQL restarted twice (fast, immediate)",
        orders_sent=sent,
        acked=len(acked),
        found=len(found),
        doubled=sum(1 for n in found.values() if n > 1),
        replayed_same_order=replayed,
        answers=dict(sorted(statuses.items())),
        seller_events=len(set(acked.values()) - missing_events(faults, set(acked.values()))),
        **outbox_counts(outbox),
    )
    assert restarts == 2
    assert faults.rig.api.alive()
    assert faults.rig.worker.alive()
    assert outbox["failed"] == 0
    assert len(acked) == sent, f"only {len(acked)} of {sent} orders were acknowledged: {statuses}"
    assert set(found) == set(acked), "an acknowledged order is missing, or an unacknowledged one exists"
    assert all(n == 1 for n in found.values())
    assert ids == acked
    unexpected = {code: n for code, n in statuses.items() if code[0].isdigit() and code not in {"201", "503"}}
    assert not unexpected, f"answers other than 201 and a retryable 503: {unexpected}"
    assert statuses["503"] > 0, "PostgreSQL was restarted but no request noticed: the scenario tested nothing"


# -- (b) Redis stopped and restarted empty ---------------------------------------------------------


def _queued(faults: Faults) -> int:
    """Jobs in arq's queue on the rig's Redis (waiting, or running: arq keeps those there too)."""
    with redis.Redis.from_url(faults.rig.redis.url(), socket_timeout=2) as client:
        return int(client.zcard(default_queue_name))


@pytest.mark.timeout(300)
def test_redis_lost_and_restarted_empty_loses_no_job(faults: Faults) -> None:
    since = new_id()
    receiver = faults.receiver
    receiver.delay = 1.0  # a slow seller: sends pile up as arq jobs waiting in Redis
    try:
        before = [faults.new_order("B1")["id"] for _ in range(60)]
        wait_for("sends queued in Redis", lambda: receiver.requests > 0 and _queued(faults) > 0, 15)
        queued_at_kill = _queued(faults)
        faults.rig.redis.stop()  # SIGKILL: every job waiting in Redis is gone
        during = [faults.new_order("B2")["id"] for _ in range(20)]  # intake needs PostgreSQL only
        time.sleep(2)
        faults.rig.redis.start()  # empty
        orders = set(before) | set(during)
        wait_events(faults, orders)
    finally:
        receiver.delay = 0.0
    outbox = settle(faults, since)
    deliveries = faults.rig.sql(
        "SELECT count(*) AS total, count(*) FILTER (WHERE delivered_at IS NULL) AS undelivered FROM webhook_deliveries"
    )[0]
    report(
        "Redis killed with jobs queued, restarted empty",
        orders_acked=len(orders),
        acked_while_redis_down=len(during),
        jobs_lost_with_redis=queued_at_kill,
        seller_events=len(orders - missing_events(faults, orders)),
        **outbox_counts(outbox),
        deliveries_undelivered=deliveries["undelivered"],
    )
    assert not missing_events(faults, orders)
    assert deliveries["undelivered"] == 0
    assert outbox["pending"] == 0
    assert outbox["failed"] == 0
    assert faults.rig.worker.alive(), "the worker exited when Redis went away"
    assert queued_at_kill > 0, "no job was waiting in Redis when it died: the scenario tested nothing"
    assert outbox["redispatched"] > 0  # what Redis lost came back from the outbox


# -- (c) processes SIGKILLed mid-work ------------------------------------------------------------


@pytest.mark.timeout(300)
def test_worker_killed_mid_webhook_send_delivers_every_event(faults: Faults) -> None:
    since = new_id()
    receiver = faults.receiver
    receiver.stall.set()
    try:
        orders = {faults.new_order("C1")["id"] for _ in range(12)}
        wait_for("sends in flight to a stalled seller", lambda: receiver.stalled >= 3, 15)
        faults.rig.worker.kill()
    finally:
        receiver.stall.clear()
    in_flight = receiver.stalled
    faults.rig.worker.start()
    wait_events(faults, orders)
    outbox = settle(faults, since)
    with receiver.lock:
        repeats = sum(receiver.acknowledged[receiver.order_ids[o]] - 1 for o in orders)
    report(
        "worker SIGKILLed mid-webhook-send",
        orders_acked=len(orders),
        sends_in_flight_at_kill=in_flight,
        seller_events=len(orders - missing_events(faults, orders)),
        repeated_deliveries=repeats,
        **outbox_counts(outbox),
    )
    assert not missing_events(faults, orders)
    assert outbox["pending"] == 0
    assert outbox["failed"] == 0


def _book(faults: Faults, order_id: str, account: str, key: str, service: str) -> httpx.Response:
    body = {"order_id": order_id, "carrier_account_id": account, "service": service, "parcels": [{"weight_kg": "0.4"}]}
    return faults.post("/v1/shipments", body, **{"Idempotency-Key": key})


def _expected_sandbox_events() -> int:
    shipper = Address(name="Faults Exports", line1="1 Keji Rd", city="Shenzhen", country="CN", postal_code="518057")
    recipient = Address(**SHIP_TO)
    return len(event_timeline("SBX", datetime.now(UTC), shipper=shipper, recipient=recipient, service="express"))


@pytest.mark.timeout(300)
def test_worker_killed_mid_tracking_loses_no_event(faults: Faults) -> None:
    """The sandbox carrier's events are posted by the worker to the hub's webhook URL, stored by the
    API and processed by the worker: killing it in the middle must lose none of them."""
    since = new_id()
    shipments = []
    for index in range(6):
        order = faults.new_order("C2")
        booked = _book(faults, order["id"], faults.sandbox_account, f"C2-{uuid.uuid4().hex}-{index}", "express")
        assert booked.status_code == 201, booked.text
        shipments.append(booked.json()["id"])
    per_shipment = _expected_sandbox_events()
    expected = per_shipment * len(shipments)

    def stored() -> int:
        return int(
            faults.rig.sql(
                "SELECT count(DISTINCT (shipment_id, dedup_key)) AS n FROM tracking_events "
                "WHERE shipment_id::text = ANY($1)",
                shipments,
            )[0]["n"]
        )

    wait_for("the first tracking events arrive", lambda: stored() > 0, 20)
    faults.rig.worker.kill()
    at_kill = stored()
    time.sleep(1)
    faults.rig.worker.start()
    wait_for(f"all {expected} tracking events stored", lambda: stored() == expected, 90, log=faults.rig.worker.log)
    outbox = settle(faults, since)
    delivered = faults.rig.sql(
        "SELECT count(*) AS n FROM shipments WHERE id::text = ANY($1) AND status = 'delivered'", shipments
    )[0]["n"]
    report(
        "worker SIGKILLed mid-tracking (sandbox timeline)",
        shipments=len(shipments),
        events_expected=expected,
        events_stored_at_kill=at_kill,
        events_stored=stored(),
        shipments_delivered=delivered,
        **outbox_counts(outbox),
    )
    assert at_kill < expected, "every event was in before the kill: the scenario tested nothing"
    assert stored() == expected
    assert outbox["failed"] == 0
    assert delivered == len(shipments)


@pytest.mark.timeout(300)
def test_api_killed_mid_booking_sells_one_label(faults: Faults) -> None:
    """Booking runs in the API process: kill it while the carrier has sold the label but not answered;
    the client's retry with its Idempotency-Key adopts that label instead of buying another."""
    carrier = faults.carrier
    order = faults.new_order("C3")
    key = f"C3-{uuid.uuid4().hex}"
    carrier.buy_faults.append("hold")
    outcome: list[Any] = []

    def first_attempt() -> None:
        try:
            outcome.append(_book(faults, order["id"], faults.easypost_account, key, "Express").status_code)
        except httpx.TransportError as exc:
            outcome.append(type(exc).__name__)

    attempt = threading.Thread(target=first_attempt)
    attempt.start()
    assert carrier.held.acquire(timeout=20), "the purchase never reached the carrier"
    faults.rig.api.kill()
    carrier.release.set()
    attempt.join(timeout=30)
    carrier.release.clear()
    faults.rig.api.start()
    faults.rig.wait_api_ready()
    faults.reconnect()
    retried = _book(faults, order["id"], faults.easypost_account, key, "Express")
    assert retried.status_code == 201, retried.text
    shipment = retried.json()
    sold = carrier.labels_sold[shipment["id"]]
    report(
        "API SIGKILLed mid-booking (label sold, answer lost)",
        first_attempt=outcome[0] if outcome else "no answer",
        retry=retried.status_code,
        labels_sold=sold,
        rebuys_refused_by_carrier=carrier.refused_rebuys,
    )
    assert shipment["status"] == "booked"
    assert sold == 1
    with carrier.lock:
        [bought] = [
            s for s in carrier.shipments.values() if s["reference"] == shipment["id"] and s.get("tracking_code")
        ]
    assert shipment["tracking_number"] == bought["tracking_code"]


# -- (d) a carrier that times out, fails, trickles or floods -------------------------------------


CARRIER_FAULTS = [
    ("buy", "timeout"),
    ("buy", "slow_body"),
    ("buy", "oversized"),
    ("buy", "cut_body"),
    ("buy", "not_json"),
    ("buy", "502_after_sale"),
    ("buy", "reset"),
    ("buy", "503"),
    ("buy", "500"),
    ("buy", "429"),
    ("create", "timeout"),
    ("create", "503"),
]


@pytest.mark.timeout(300)
def test_carrier_faults_never_500_never_double_label(faults: Faults) -> None:
    carrier = faults.carrier
    outcomes: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    booked: list[dict[str, Any]] = []
    for step, fault in [*CARRIER_FAULTS, ("buy+lookup", "timeout+503")]:
        order = faults.new_order("D")
        key = f"D-{fault}-{uuid.uuid4().hex[:8]}"
        if step == "buy+lookup":  # the retry's question to the carrier fails too: ask again later
            carrier.buy_faults.append("timeout")
            carrier.lookup_faults.append("503")
        else:
            (carrier.buy_faults if step == "buy" else carrier.create_faults).append(fault)
        answers = []
        for _ in range(4):
            answer = _book(faults, order["id"], faults.easypost_account, key, "Express")
            statuses[answer.status_code] += 1
            answers.append(answer.status_code)
            if answer.status_code != 503:
                break
            assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
        outcomes[f"{step}:{fault}"] = "->".join(map(str, answers))
        assert answers[-1] == 201, f"{step} {fault}: {answers}: {answer.text}"
        assert answers[0] == 503, f"{step} {fault}: the first attempt was {answers[0]}, not a retryable 503"
        shipment = answer.json()
        assert shipment["status"] == "booked"
        booked.append(shipment)
    assert not carrier.buy_faults
    assert not carrier.create_faults
    assert not carrier.lookup_faults
    labels = {s["id"]: carrier.labels_sold[s["id"]] for s in booked}
    report(
        "carrier faults (each: first attempt, then retries with the same key)",
        bookings=len(booked),
        labels_sold=sum(labels.values()),
        double_labels=carrier.double_labels(),
        answers=dict(sorted(statuses.items())),
        outcomes=outcomes,
    )
    assert statuses[500] == 0
    assert all(n == 1 for n in labels.values()), labels
    assert carrier.double_labels() == 0
