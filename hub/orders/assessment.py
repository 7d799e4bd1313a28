"""Assess an order: reserve its stock, run the review over it and route it to the status it calls for.

Intake assesses an order in memory before it is inserted (:func:`assess`); a change request that is
applied assesses the stored order again and moves it (:func:`review_and_route`). The rules are in
:mod:`hub.orders.review` (pure); this module gathers the facts they need.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from customs import hs_codes
from hub.core.errors import NotFound
from hub.orders import timeline
from hub.orders.codec import decode_json
from hub.orders.repository import orders as repo
from hub.orders.repository import products as catalog_repo
from hub.orders.review import DEFAULT_MAX_DISCOUNT_PERCENT, LineFacts, OrderFacts, review, status_for
from hub.orders.schemas import Finding, ProductRead
from hub.orders.stock import reserve_lines
from tenants.schemas import Principal


def review_summary(findings: list[Finding]) -> dict[str, Any]:
    """The ``review.completed`` event's payload: the findings' codes and how many block."""
    return {"findings": [f.code for f in findings], "blocking": sum(f.severity == "blocking" for f in findings)}


async def assess(
    principal: Principal,
    *,
    currency: str,
    customer_email: str | None,
    customer_phone: str | None,
    ship_to: dict[str, Any],
    rush: bool,
    customization: bool,
    requested_delivery_date: date | None,
    lines: list[dict[str, Any]],
    reserved: dict[int, tuple[int, date | None]],
    catalog: dict[str, ProductRead],
    unknown_codes: set[str],
) -> tuple[list[Finding], str, date | None]:
    """Run the review over the order as it is in memory: (findings, status, backorder ETA).

    ``unknown_codes`` are the lines' HS codes no loaded nomenclature knows (read before any lock).
    """
    tenant_id = principal.tenant_id
    facts_lines = []
    for line in lines:
        take, eta = reserved[line["line_no"]]
        product = catalog.get(line["sku"]) if line["sku"] else None
        subs: tuple[str, ...] = ()
        if product is not None and take < line["quantity"] and line["hs_code"]:
            subs = tuple(await repo.substitutes(tenant_id, line["hs_code"], line["sku"], line["quantity"] - take))
        facts_lines.append(
            LineFacts(
                line_no=line["line_no"],
                sku=line["sku"],
                known_sku=product is not None,
                # intake.resolve_lines names a line after its SKU when nothing else does: for a SKU the
                # catalog lacks, that is no name of its own, and the line is an unknown SKU.
                name="" if product is None and line["name"] == line["sku"] else line["name"],
                hs_code=line["hs_code"],
                origin_country=line["origin_country"],
                weight_kg=line["weight_kg"],
                quantity=line["quantity"],
                unit_net=Decimal(line["line_total"]) / line["quantity"],
                list_price=Decimal(product.unit_price.amount) if product else None,
                list_currency=product.unit_price.currency if product else None,
                reserved=take,
                eta=eta,
                substitutes=subs,
                hs_known=line["hs_code"] not in unknown_codes,
            )
        )
    policy = principal.settings.get("max_discount_percent")
    findings = review(
        OrderFacts(
            currency=currency,
            origin_country=principal.origin_country,
            customer_email=customer_email,
            customer_phone=customer_phone,
            ship_to=ship_to,
            lines=facts_lines,
            rush=rush,
            customization=customization,
            requested_delivery_date=requested_delivery_date,
            today=datetime.now(UTC).date(),
            max_discount_percent=Decimal(str(policy)) if policy is not None else DEFAULT_MAX_DISCOUNT_PERCENT,
        )
    )
    status = status_for(findings, auto_approve=bool(principal.settings.get("auto_approve_clean_orders", True)))
    etas = [eta for ln in facts_lines if ln.reserved < ln.quantity and (eta := ln.eta) is not None]
    return findings, status, max(etas) if etas else None


async def review_and_route(principal: Principal, order_id: uuid.UUID, *, previous_status: str) -> str:
    """Re-reserve stock, re-run the review over the stored order and move it; returns the new status."""
    tenant_id = principal.tenant_id
    order = await repo.get_order_row(tenant_id, order_id, lock=True)
    if order is None:
        raise NotFound("no such order")
    lines = await repo.get_lines(tenant_id, order_id)
    reserved = await reserve_lines(tenant_id, lines)
    await repo.set_lines_reserved(tenant_id, order_id, {n: take for n, (take, _) in reserved.items()})
    catalog = await catalog_repo.get_products_by_sku(tenant_id, [ln["sku"] for ln in lines if ln["sku"]])
    customer = decode_json(order["customer"])
    findings, status, eta = await assess(
        principal,
        currency=order["currency"],
        customer_email=customer.get("email"),
        customer_phone=customer.get("phone"),
        ship_to=decode_json(order["ship_to"]),
        rush=order["rush"],
        customization=order["customization"],
        requested_delivery_date=order["requested_delivery_date"],
        lines=lines,
        reserved=reserved,
        catalog=catalog,
        unknown_codes=await hs_codes.unknown_subheadings([ln["hs_code"] for ln in lines if ln["hs_code"]]),
    )
    await repo.update_order(
        tenant_id, order_id, {"status": status, "findings": msgspec.to_builtins(findings), "backorder_eta": eta}
    )
    await timeline.record(tenant_id, order_id, "system:review", "review.completed", review_summary(findings))
    await timeline.status_changed(tenant_id, order_id, previous_status, status, "system:review")
    return status
