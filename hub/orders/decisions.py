"""A person decides an order: approve or reject it (four-eyes), or cancel it.

Whoever entered an order, or requested the change last applied to it, may not approve or reject
it (:func:`ensure_other_person`, which returns and change requests use too). A rejected or cancelled
order gives its stock back and its pending change requests are closed.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from carriers import shipments as carrier_shipments
from hub.core.database import tenant_tx
from hub.core.errors import Conflict, NotFound, PermissionDenied
from hub.orders import timeline
from hub.orders.codec import decode_json, format_number
from hub.orders.reading import read_order
from hub.orders.repository import orders as repo
from hub.orders.schemas import Finding, OrderRead
from hub.orders.status import Verb, ensure_permits
from hub.orders.stock import release_reservations
from tenants.schemas import Principal

ORDER_CANCELLED = "order cancelled"
ORDER_REJECTED = "order rejected"
"""Decision reasons of pending change requests closed because their order was cancelled or rejected."""


def ensure_other_person(principal: Principal, author: str, what: str) -> None:
    """Four-eyes: whoever entered or requested something may not approve it."""
    if principal.same_person(author):
        raise PermissionDenied(f"you {what}; another person must decide (four-eyes rule)")


async def _ensure_neither_author(principal: Principal, order: dict[str, Any]) -> None:
    """Four-eyes on an order decision: not who entered the order, nor who requested the change last
    applied to it (whose re-review may be what put the order in front of an approver)."""
    ensure_other_person(principal, order["entered_by"], "entered this order")
    requester = await repo.last_applied_change_requester(principal.tenant_id, order["id"])
    if requester is not None:
        ensure_other_person(principal, requester, "requested the change now under review")


async def _lock_for_decision(principal: Principal, order_id: uuid.UUID, verb: Verb) -> dict[str, Any]:
    """The opening every approver's decision shares: lock the order row, refuse the order's own
    authors (four-eyes), and refuse a verb its status does not permit."""
    order = await repo.get_order_row(principal.tenant_id, order_id, lock=True)
    if order is None:
        raise NotFound("no such order")
    await _ensure_neither_author(principal, order)
    ensure_permits(verb, order["status"])
    return order


async def approve(principal: Principal, order_id: uuid.UUID, reason: str) -> OrderRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await _lock_for_decision(principal, order_id, "approve")
        findings_now = msgspec.convert(decode_json(order["findings"]), list[Finding])
        short = any(f.action == "wait" and f.severity == "blocking" for f in findings_now)
        new_status = "backordered" if short else "approved"
        await repo.update_order(tenant_id, order_id, {"status": new_status})
        await timeline.record(tenant_id, order_id, principal.actor, "order.approved", {"reason": reason})
        await timeline.status_changed(tenant_id, order_id, order["status"], new_status, principal.actor)
        return await read_order(tenant_id, order_id)


async def reject(principal: Principal, order_id: uuid.UUID, reason: str) -> OrderRead:
    tenant_id = principal.tenant_id
    async with tenant_tx(tenant_id):
        order = await _lock_for_decision(principal, order_id, "reject")
        await release_reservations(tenant_id, order_id)
        await repo.update_order(tenant_id, order_id, {"status": "rejected"})
        await timeline.record(tenant_id, order_id, principal.actor, "order.rejected", {"reason": reason})
        await _close_pending_changes(principal, order_id, ORDER_REJECTED)
        await timeline.status_changed(tenant_id, order_id, order["status"], "rejected", principal.actor)
        return await read_order(tenant_id, order_id)


async def cancel_in_tx(
    principal: Principal, order_id: uuid.UUID, reason: str, *, change_request_id: uuid.UUID | None = None
) -> None:
    """Cancel, release the stock, and reject the order's other pending change requests.

    ``change_request_id`` is the cancel request being applied, which its caller marks applied. The
    others could never be applied to a cancelled order, and left pending they waited for ever.
    """
    tenant_id = principal.tenant_id
    order = await repo.get_order_row(tenant_id, order_id, lock=True)
    if order is None:
        raise NotFound("no such order")
    ensure_permits("cancel", order["status"])
    # The order turns 'booked' only when the outbox job follows the shipment; until then it still
    # reads 'approved', and a cancel would leave a paid label on a cancelled order.
    shipment = await carrier_shipments.live_outbound(tenant_id, order_id)
    if shipment is not None:
        raise Conflict(
            f"order {format_number(order['number'])} has a label booked; cancel the shipment first",
            extra={"current_status": order["status"], "shipment_id": str(shipment.id)},
        )
    await release_reservations(tenant_id, order_id)
    await repo.update_order(tenant_id, order_id, {"status": "cancelled", "version": order["version"] + 1})
    await timeline.record(tenant_id, order_id, principal.actor, "order.cancelled", {"reason": reason})
    await _close_pending_changes(principal, order_id, ORDER_CANCELLED, keep=change_request_id)
    await timeline.status_changed(tenant_id, order_id, order["status"], "cancelled", principal.actor)


async def _close_pending_changes(
    principal: Principal, order_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
) -> None:
    """Reject the order's pending change requests (but ``keep``), each with a timeline event: an order
    that ended can no longer be changed, and left pending they would wait for ever."""
    closed = await repo.close_pending_change_requests(principal.tenant_id, order_id, principal.actor, reason, keep=keep)
    await timeline.record_many(
        principal.tenant_id,
        order_id,
        [
            timeline.Event(
                principal.actor,
                "change_request.rejected",
                {"change_request_id": str(row["id"]), "kind": row["kind"], "reason": reason},
            )
            for row in closed
        ],
    )


async def cancel(principal: Principal, order_id: uuid.UUID, reason: str) -> OrderRead:
    async with tenant_tx(principal.tenant_id):
        await cancel_in_tx(principal, order_id, reason)
        return await read_order(principal.tenant_id, order_id)
