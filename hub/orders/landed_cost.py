"""An order's landed cost: the order becomes a quote request, ``customs`` computes and stores it.

The order keeps its quote history (``GET /v1/orders/{id}/landed-cost``); each stored quote is immutable.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from customs.quotes import create_stored_quote, list_quotes_for_order
from customs.schemas import QuoteLineIn, QuoteRequest, StoredQuote
from hub.core.database import tenant_tx
from hub.core.errors import Conflict, FieldError, NotFound
from hub.core.validation import client_date, raise_if
from hub.orders import timeline
from hub.orders.codec import decode_json, format_number, plain_amount
from hub.orders.repository import orders as repo
from tenants.schemas import Principal


class OrderQuoteOptions(msgspec.Struct, kw_only=True):
    """Everything is optional: the order supplies goods, shipping, incoterm and destination."""

    date: str | None = None
    """YYYY-MM-DD, from 2000-01-01 to five years from today; today (UTC) when left out."""
    transport_mode: Annotated[str, msgspec.Meta(max_length=20)] = "courier"
    insurance: str = "0"
    fx_rates: dict[str, str] | None = None
    is_gift: bool = False
    # The order claims preferential origin (an FTA or GSP rate of an official schedule), with the proof.
    claim_preferential_origin: bool = False


def _line(line: dict[str, object]) -> QuoteLineIn:
    quantity = int(line["quantity"])  # type: ignore[call-overload]
    total = Decimal(str(line["line_total"]))
    weight = line["weight_kg"]
    # A net unit price that does not divide evenly would change the customs value when multiplied back;
    # then the line goes in as one unit carrying the whole value and weight.
    unit = total / quantity
    even = unit * quantity == total and unit == unit.quantize(Decimal("0.0001"))
    return QuoteLineIn(
        description=str(line["name"]),
        hs_code=str(line["hs_code"] or ""),
        origin_country=str(line["origin_country"]) if line["origin_country"] else None,
        quantity=quantity if even else 1,
        unit_price=plain_amount(unit if even else total),
        weight_kg=None if weight is None else plain_amount(Decimal(str(weight)) * (1 if even else quantity)),
    )


async def quote_order(principal: Principal, order_id: uuid.UUID, options: OrderQuoteOptions) -> StoredQuote:
    tenant_id = principal.tenant_id
    errors: list[FieldError] = []
    # Checked here, before the quote request is built: a date msgspec cannot read was a 500 there.
    on = client_date("date", options.date or None, errors) or datetime.now(UTC).date()
    raise_if(errors)
    async with tenant_tx(tenant_id):
        order = await repo.get_order_row(tenant_id, order_id)
        if order is None:
            raise NotFound("no such order")
        if order["status"] in ("cancelled", "rejected"):
            raise Conflict(f"order {format_number(order['number'])} is {order['status']}")
        ship_to = decode_json(order["ship_to"])
        lines = await repo.get_lines(tenant_id, order_id)
        request = msgspec.convert(
            {
                "origin_country": principal.origin_country,
                "ship_from_country": principal.origin_country,
                "destination_country": ship_to.get("country") or "",
                "destination_region": ship_to.get("region") or None,
                "currency": order["currency"],
                "incoterm": order["incoterm"],
                "transport_mode": options.transport_mode,
                "date": on.isoformat(),
                "shipping": plain_amount(order["shipping"]),
                "insurance": options.insurance,
                "fx_rates": options.fx_rates,
                "is_gift": options.is_gift,
                "claim_preferential_origin": options.claim_preferential_origin,
                "lines": [msgspec.to_builtins(_line(line)) for line in lines],
            },
            QuoteRequest,
        )
        quote = await create_stored_quote(tenant_id, request, order_id=order_id, actor=principal.actor)
        await timeline.record(
            tenant_id,
            order_id,
            principal.actor,
            "landed_cost.quoted",
            {
                "quote_id": str(quote.id),
                "landed_cost_total": msgspec.to_builtins(quote.landed_cost_total),
                "rules_version": quote.rules_version,
            },
        )
        return quote


async def history(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[StoredQuote]:
    async with tenant_tx(tenant_id):
        if await repo.get_order_row(tenant_id, order_id) is None:
            raise NotFound("no such order")
        return await list_quotes_for_order(tenant_id, order_id)
