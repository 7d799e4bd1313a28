"""Stored landed-cost quotes: compute with the tenant's tables, store immutably, read back.

The entry points other domains call (the orders domain for ``POST /v1/orders/{id}/landed-cost``):

* :func:`create_stored_quote` computes a :class:`~customs.schemas.QuoteRequest`, stores request and
  response, and returns the response with its ``id``;
* :func:`list_quotes_for_order` returns an order's stored quotes, oldest first;
* :func:`get_stored_quote` returns one.

Each opens its own :func:`~hub.core.database.tenant_tx`, which joins the caller's transaction when
there is one (Piccolo nests transactions), so the orders domain can call them inside its own.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import msgspec

from customs import repository, tenant_data
from customs.schemas import QuoteRequest, QuoteResponse, StoredQuote
from customs.service import compute_quote
from hub.core.database import tenant_tx
from hub.core.errors import NotFound, ValidationFailed
from hub.core.ids import new_id

__all__ = ["create_stored_quote", "get_stored_quote", "list_quotes_for_order"]

_ENCODER = msgspec.json.Encoder()
_RESPONSE_DECODER = msgspec.json.Decoder(QuoteResponse)


def _stored(
    response: QuoteResponse, quote_id: uuid.UUID, order_id: uuid.UUID | None, created_at: Any, created_by: str
) -> StoredQuote:
    fields = {name: getattr(response, name) for name in response.__struct_fields__}
    return StoredQuote(**fields, id=quote_id, order_id=order_id, created_at=created_at, created_by=created_by)


async def create_stored_quote(
    tenant_id: uuid.UUID, request: QuoteRequest, *, order_id: uuid.UUID | None, actor: str
) -> StoredQuote:
    """Compute ``request`` with the starter tables merged with the tenant's rows and FX rates, store it
    (request, response, rules version, totals; immutable) and return it with its ``id``.

    Raises:
        ValidationFailed: every bad field, named by its JSON path (nothing is stored).
    """
    quote_id = new_id()
    request_json = _ENCODER.encode(request).decode()
    data = tenant_data.cached_data(tenant_id)
    # With cached tables the quote is computed before the transaction opens: no connection is held
    # for the arithmetic, and a bad request costs one revision check at most.
    response = None
    if data is not None:
        try:
            response = compute_quote(request, data.tables, data.fx)
        except ValidationFailed:
            async with tenant_tx(tenant_id):
                if await repository.get_revision(tenant_id) == data.revision:
                    raise
            data = None  # another process loaded rows or rates: the refusal may be stale
    async with tenant_tx(tenant_id):
        created_at = None
        if data is not None and response is not None:
            created_at = await _insert(tenant_id, quote_id, order_id, request_json, response, actor, data.revision)
        if created_at is None:  # nothing cached, or another process changed the tenant's data meanwhile
            data = await tenant_data.load_data(tenant_id)
            response = compute_quote(request, data.tables, data.fx)
            created_at = await _insert(tenant_id, quote_id, order_id, request_json, response, actor, None)
    assert response is not None
    assert created_at is not None
    return _stored(response, quote_id, order_id, created_at, actor)


async def _insert(
    tenant_id: uuid.UUID,
    quote_id: uuid.UUID,
    order_id: uuid.UUID | None,
    request_json: str,
    response: QuoteResponse,
    actor: str,
    revision: int | None,
) -> Any:
    return await repository.insert_quote(
        tenant_id,
        quote_id,
        order_id=order_id,
        request_json=request_json,
        response_json=_ENCODER.encode(response).decode(),
        rules_version=response.rules_version,
        destination_country=response.destination_country,
        currency=response.currency,
        landed_cost_total=Decimal(response.landed_cost_total.amount),
        created_by=actor,
        expected_revision=revision,
    )


def _from_row(row: dict[str, Any]) -> StoredQuote:
    raw = row["response"]
    response = _RESPONSE_DECODER.decode(raw if isinstance(raw, bytes | str) else _ENCODER.encode(raw))
    return _stored(response, row["id"], row["order_id"], row["created_at"], row["created_by"])


async def get_stored_quote(tenant_id: uuid.UUID, quote_id: uuid.UUID) -> StoredQuote:
    """One stored quote of the tenant. Raises NotFound for an unknown id or another tenant's."""
    async with tenant_tx(tenant_id):
        row = await repository.get_quote(tenant_id, quote_id)
    if row is None:
        raise NotFound("no such landed-cost quote")
    return _from_row(row)


async def list_quotes_for_order(tenant_id: uuid.UUID, order_id: uuid.UUID) -> list[StoredQuote]:
    """The stored quotes of ``order_id`` (oldest first); empty for an order with none."""
    async with tenant_tx(tenant_id):
        rows = await repository.list_quotes_for_order(tenant_id, order_id)
    return [_from_row(row) for row in rows]
