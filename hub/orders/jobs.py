"""arq jobs of the orders domain (registered by hub.worker through JOBS)."""

from __future__ import annotations

from arq.worker import Function, func

from hub.core.outbox import outbox_job
from hub.orders.documents import render_document
from hub.orders.fulfilment import shipment_status_changed
from hub.orders.webhooks import deliver_webhook, fan_out

JOBS: list[Function] = [
    func(outbox_job(fan_out, name="deliver_order_event"), name="deliver_order_event", max_tries=5),
    func(deliver_webhook, name="deliver_webhook", max_tries=3, timeout=60),
    func(
        outbox_job(shipment_status_changed, name="shipment_status_changed"), name="shipment_status_changed", max_tries=5
    ),
    func(outbox_job(render_document, name="render_document"), name="render_document", max_tries=3, timeout=120),
]
