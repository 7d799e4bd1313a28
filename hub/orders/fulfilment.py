"""The order follows its shipments: carriers report a shipment's new status through the outbox
(``shipment_status_changed``), and the order moves forward: ``booked``, ``in_transit``, ``delivered``,
``exception``, ``returned``. It never moves back because a late event arrives (the rule is
:func:`hub.orders.status.next_order_status`).

An ``exception`` also opens a clerk work item for the shipment and its reason (once, however often
the carrier repeats it; see :mod:`hub.orders.work_items`). A return label (see
:mod:`hub.orders.returns`) is tracked on the order's timeline but never moves the order's status:
the return's own steps do.

The one step back: voiding the last live outgoing label of a ``booked`` order returns it to the
status it had before booking (:func:`label_voided`), since a booked order cannot be cancelled and
cancel asks for the label to be voided first.
"""

from __future__ import annotations

import uuid
from typing import Any

from carriers import shipments as carrier_shipments
from hub.orders import returns, timeline, work_items
from hub.orders.repository import orders as repo
from hub.orders.status import BEFORE_BOOKING, next_order_status


async def shipment_status_changed(ctx: dict[str, Any], tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Outbox job body (runs in the tenant transaction that marks the outbox row done)."""
    del ctx
    order_id = payload.get("order_id")
    if not order_id:
        return
    order = await repo.get_order_row(tenant_id, uuid.UUID(order_id), lock=True)
    if order is None:
        return
    shipment_id = uuid.UUID(str(payload["shipment_id"])) if payload.get("shipment_id") else None
    if payload.get("status") == "exception" and shipment_id is not None:
        await work_items.open_for_exception(tenant_id, order, shipment_id, payload.get("reason"))
    if shipment_id is not None and await returns.is_return_label(tenant_id, shipment_id):
        await returns.label_status_changed(tenant_id, order["id"], payload)
        return
    new = next_order_status(order["status"], str(payload.get("status")))
    if new is None:
        return
    if new == "booked" and await carrier_shipments.live_outbound(tenant_id, order["id"]) is None:
        # A 'booked' read from the outbox after its label was voided: booking the order now would
        # leave it booked with no label to void, and a booked order cannot be cancelled.
        return
    await repo.update_order(tenant_id, order["id"], {"status": new})
    await timeline.record(
        tenant_id,
        order["id"],
        "system:carriers",
        "shipment.status",
        {"shipment_id": payload.get("shipment_id"), "status": payload.get("status"), "reason": payload.get("reason")},
    )
    await timeline.status_changed(tenant_id, order["id"], order["status"], new, "system:carriers")


async def label_voided(tenant_id: uuid.UUID, shipment: dict[str, Any], actor: str) -> None:
    """A label was voided (in its transaction): a booked order left with no live label steps back.

    Without this the order stayed ``booked``: no label to void any more, and a booked order cannot be
    cancelled, so void-then-cancel, which cancel itself asks for, was a dead end. While another
    outgoing label is live the order stays booked. A return label never moves the order.
    """
    order_id = shipment.get("order_id")
    if order_id is None or shipment["purpose"] == "return":
        return
    order = await repo.get_order_row(tenant_id, order_id, lock=True)
    if order is None or order["status"] != "booked":
        return
    if await carrier_shipments.live_outbound(tenant_id, order_id) is not None:
        return
    before = await repo.status_before(tenant_id, order_id, "booked")
    new = before if before in BEFORE_BOOKING else "approved"
    await repo.update_order(tenant_id, order_id, {"status": new})
    await timeline.record(
        tenant_id,
        order_id,
        actor,
        "shipment.status",
        {"shipment_id": str(shipment["id"]), "status": "cancelled", "reason": None},
    )
    await timeline.status_changed(tenant_id, order_id, "booked", new, actor)
