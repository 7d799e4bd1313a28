"""Stored landed-cost quotes: compute with the tenant's tables, store immutably, read back.

The entry points other domains call (the orders domain for ``POST /v1/orders/{id}/landed-cost``):

* :func:`create_stored_quote` computes a :class:`~customs.schemas.QuoteRequest`, stores request and
  response, and returns the response with its ``id``;
* :func:`list_quotes_for_order` returns an order's stored quotes, oldest first;
* :func:`get_stored_quote` returns one.

Each opens its own :func:`~hub.core.database.tenant_tx`, which joins the caller's transaction when
there is one (Piccolo nests transactions), so the orders domain can call them inside its own. A new
quote outside any transaction is group-committed (:class:`~hub.core.batching.GroupCommit`) with
the quotes that arrive alongside it, and answered once committed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from customs import repository, tenant_data
from customs.schedules import lookup
from customs.schedules.matching import ScheduleView
from customs.schemas import QuoteRequest, QuoteResponse, StoredQuote
from customs.service import compute_quote, duty_key_for
from hub.core.batching import GroupCommit, OneStatement
from hub.core.database import tenant_tx
from hub.core.errors import NotFound, ValidationFailed
from hub.core.ids import new_id

__all__ = ["create_stored_quote", "create_stored_quote_json", "get_stored_quote", "list_quotes_for_order"]

_ENCODER = msgspec.json.Encoder()
_RESPONSE_DECODER = msgspec.json.Decoder(QuoteResponse)


class _Provenance(msgspec.Struct):
    """The fields :class:`StoredQuote` adds to :class:`QuoteResponse`, in its order."""

    id: uuid.UUID
    order_id: uuid.UUID | None
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class _Created:
    response: QuoteResponse
    response_json: bytes  # as stored
    id: uuid.UUID
    order_id: uuid.UUID | None
    created_at: dt.datetime
    created_by: str

    def stored(self) -> StoredQuote:
        return _stored(self.response, self.id, self.order_id, self.created_at, self.created_by)

    def json(self) -> bytes:
        """The StoredQuote's JSON, byte for byte what encoding :meth:`stored` gives, from the stored
        response JSON: msgspec writes a subclass's fields after its base's, so only the tail is new."""
        tail = _ENCODER.encode(_Provenance(self.id, self.order_id, self.created_at, self.created_by))
        return self.response_json[:-1] + b"," + tail[1:]


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
    return (await _create(tenant_id, request, order_id=order_id, actor=actor)).stored()


async def create_stored_quote_json(
    tenant_id: uuid.UUID, request: QuoteRequest, *, order_id: uuid.UUID | None, actor: str
) -> bytes:
    """:func:`create_stored_quote`, answered as the StoredQuote's JSON (the response is encoded once,
    for storage, and the HTTP answer reuses those bytes)."""
    return (await _create(tenant_id, request, order_id=order_id, actor=actor)).json()


async def _create(tenant_id: uuid.UUID, request: QuoteRequest, *, order_id: uuid.UUID | None, actor: str) -> _Created:
    quote_id = new_id()
    request_json = _ENCODER.encode(request).decode()
    data = tenant_data.cached_data(tenant_id)
    # With cached tables the quote is computed before any transaction opens: no connection is held
    # for the arithmetic, and a bad request costs one revision check at most. The row is then
    # group-committed with concurrent quotes, unless the tenant's data changed since the tables
    # were built: then it is not stored, and is recomputed from fresh data below.
    if data is not None:
        try:
            response = compute_quote(request, data.tables, data.fx, await _schedule_view(tenant_id, data, request))
        except ValidationFailed:
            async with tenant_tx(tenant_id):
                if await repository.get_revision(tenant_id) == data.revision:
                    raise
            # another process loaded rows or rates: the refusal may be stale
        else:
            response_json = _ENCODER.encode(response)
            row = _row(quote_id, order_id, request_json, response, response_json, actor, data.revision)
            created_at = await _writer.submit(tenant_id, row)
            if created_at is not None:
                return _Created(response, response_json, quote_id, order_id, created_at, actor)
    async with tenant_tx(tenant_id):  # nothing cached, or another process changed the tenant's data
        data = await tenant_data.load_data(tenant_id)
        response = compute_quote(request, data.tables, data.fx, await _schedule_view(tenant_id, data, request))
        response_json = _ENCODER.encode(response)
        row = _row(quote_id, order_id, request_json, response, response_json, actor, None)
        (created_at,) = await repository.insert_quotes(tenant_id, [row])
    assert created_at is not None
    return _Created(response, response_json, quote_id, order_id, created_at, actor)


async def _schedule_view(
    tenant_id: uuid.UUID, data: tenant_data.TenantData, request: QuoteRequest
) -> ScheduleView | None:
    """The official schedule for the request's destination, with its codes' measures read (cached)."""
    if not data.schedules:
        return None
    return await lookup.view_for(
        tenant_id,
        data.schedules,
        duty_key_for(request, data.tables),
        [line.hs_code for line in request.lines if line.duty_rate is None],
        claim_preference=request.claim_preferential_origin,
    )


def _row(
    quote_id: uuid.UUID,
    order_id: uuid.UUID | None,
    request_json: str,
    response: QuoteResponse,
    response_json: bytes,
    actor: str,
    revision: int | None,
) -> repository.QuoteRow:
    return repository.QuoteRow(
        id=quote_id,
        order_id=order_id,
        request_json=request_json,
        response_json=response_json.decode(),
        rules_version=response.rules_version,
        destination_country=response.destination_country,
        currency=response.currency,
        landed_cost_total=Decimal(response.landed_cost_total.amount),
        created_by=actor,
        expected_revision=revision,
    )


# Quotes arrive concurrently (a storefront's checkout, a batch of orders): their rows share one
# transaction (BEGIN, one INSERT, COMMIT) instead of three round trips each. Each caller is still
# answered only once its row is committed; one inside a transaction is written in it. Two writers
# and batches of at most 8: a burst is written as two transactions side by side, and the callers
# of the first to commit compute their next quote while the second is still being written (one
# writer with unbounded batches left this process idle during every write: 0.14 of /health
# against 0.164 in the same benchmark, five rounds, two runs each).
# A batch is one statement, so it is sent on a tenant session as a statement that commits on its
# own: one round trip, not BEGIN, INSERT and COMMIT.
_writer: GroupCommit[repository.QuoteRow, dt.datetime | None] = GroupCommit(
    "landed-cost-quotes", OneStatement(repository.quotes_statement, repository.quotes_stored), writers=2, max_batch=8
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
