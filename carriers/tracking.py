"""Tracking events into shipments: de-duplicate, match by tracking number, move status forward only.

Webhooks (:mod:`carriers.inbound`), polling (:mod:`carriers.sweeps`) and booking (events that came
before their label, :func:`match_unmatched`) all end here. The status rules are the pure ones of
:mod:`carriers.units`; a shipment's new status is announced as an outbox event,
``shipment_status_changed`` (:func:`announce_status`), which the orders domain handles, since this
package never imports it. Call inside the caller's ``tenant_tx``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from carriers import repository
from carriers.base import TrackingEvent
from carriers.repository import Row
from carriers.units import ShipmentStatus, TrackingState, advance
from hub.core import outbox
from hub.core.ids import new_id

STATUS_CHANGED_JOB = "shipment_status_changed"


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    stored: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0


@dataclass(frozen=True, slots=True)
class _Step:
    status: ShipmentStatus
    reason: str | None
    occurred_at: datetime


def _pick_shipment(candidates: list[Row], carrier_account_id: uuid.UUID | None, carrier: str) -> Row | None:
    """Prefer the shipment booked on the same account, then with the same carrier, then the newest."""
    live = [c for c in candidates if c["status"] != "failed"]
    for match in (
        [c for c in live if c["carrier_account_id"] == carrier_account_id],
        [c for c in live if c["carrier"] == carrier],
        live,
    ):
        if match:
            return match[0]
    return None


async def ingest_events(
    tenant_id: uuid.UUID,
    events: Sequence[TrackingEvent],
    *,
    carrier_account_id: uuid.UUID | None,
    source: str,
    inbound_event_id: uuid.UUID | None = None,
) -> IngestOutcome:
    """Store events once each (by ``dedup_key``), match them to shipments and move status forward.

    Call inside a ``tenant_tx``. Events whose tracking number matches no shipment are kept with no
    shipment and matched by :func:`match_unmatched` when the shipment appears.
    """
    stored = duplicates = matched = unmatched = 0
    by_number: dict[str, list[TrackingEvent]] = {}
    for event in events:
        by_number.setdefault(event.tracking_number.strip().upper(), []).append(event)
    for number, group in by_number.items():
        target = _pick_shipment(
            await repository.find_shipments_by_tracking(tenant_id, number), carrier_account_id, group[0].carrier
        )
        fresh: list[_Step] = []
        for event in sorted(group, key=lambda e: e.occurred_at):
            inserted = await repository.insert_tracking_event(
                tenant_id,
                new_id(),
                event,
                shipment_id=target["id"] if target else None,
                carrier_account_id=carrier_account_id,
                inbound_event_id=inbound_event_id,
                source=source,
            )
            if not inserted:
                duplicates += 1
                continue
            stored += 1
            fresh.append(_Step(event.status, event.reason.value if event.reason else None, event.occurred_at))
        if target is None:
            unmatched += len(fresh)
        else:
            matched += len(fresh)
            await _apply(tenant_id, target, fresh)
    return IngestOutcome(stored=stored, duplicates=duplicates, matched=matched, unmatched=unmatched)


async def _apply(tenant_id: uuid.UUID, shipment: Row, steps: Sequence[_Step]) -> None:
    """Move one shipment's status forward through ``steps`` (rules in :mod:`carriers.units`)."""
    if not steps or shipment["status"] not in ShipmentStatus.__members__.values():
        return
    current = ShipmentStatus(shipment["status"])
    state = TrackingState(
        status=current, reached=ShipmentStatus(shipment["reached"]), last_event_at=shipment["last_event_at"]
    )
    reason: str | None = shipment["status_reason"]
    for step in sorted(steps, key=lambda s: s.occurred_at):
        before = state.status
        stale = state.last_event_at is not None and step.occurred_at < state.last_event_at
        state = advance(state, step.status, step.occurred_at)
        if state.status is not before:
            reason = step.reason
        elif (
            state.status is ShipmentStatus.EXCEPTION
            and step.status is ShipmentStatus.EXCEPTION
            and step.reason is not None
            and not stale
        ):
            # New trouble while already in trouble (damaged while held in customs): the status
            # stays, but the newest reason is what a clerk must act on, so it is announced too.
            reason = step.reason
    await repository.update_shipment(
        tenant_id,
        shipment["id"],
        status=state.status.value,
        reached=state.reached.value,
        last_event_at=state.last_event_at,
        status_reason=reason,
    )
    if state.status is not current or (
        state.status is ShipmentStatus.EXCEPTION and reason != shipment["status_reason"]
    ):
        await announce_status(tenant_id, shipment, state.status.value, reason)


async def announce_status(tenant_id: uuid.UUID, shipment: Row, status: str, reason: str | None) -> None:
    await outbox.enqueue(
        tenant_id,
        STATUS_CHANGED_JOB,
        {
            "shipment_id": str(shipment["id"]),
            "order_id": str(shipment["order_id"]),
            "status": status,
            "reason": reason,
        },
    )


async def match_unmatched(tenant_id: uuid.UUID, shipment_id: uuid.UUID) -> int:
    """Attach waiting events with the shipment's tracking number and apply them (inside ``tenant_tx``)."""
    shipment = await repository.get_shipment(tenant_id, shipment_id, lock=True)
    if shipment is None or not shipment["tracking_number"]:
        return 0
    waiting = await repository.lock_unmatched(tenant_id, shipment["tracking_number"])
    if not waiting:
        return 0
    await repository.attach_events(tenant_id, [w["id"] for w in waiting], shipment_id)
    steps = [_Step(ShipmentStatus(w["status"]), w["reason"], w["occurred_at"]) for w in waiting]
    await _apply(tenant_id, shipment, steps)
    return len(waiting)
