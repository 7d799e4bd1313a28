"""The floor: the least an app on the hub's stack does for the requests the hub benchmarks send.

Run by ``bench_floor.py`` (it creates the database, the schema and the keys, then serves this app in
a child process): ``uv run python tests/benchmarks/floor_app.py --dsn URL --port N --secret S``.

The same stack as ``orderhub serve``: Litestar 2 under uvicorn (uvloop, httptools, one process, no
access log), an asyncpg pool of 10 on the same PostgreSQL configured as the hub's (no reset query on
release: asyncpg's default costs a round trip per request, which the hub skips too), msgspec for the
body. Nothing else: no middleware, no logging, no OpenAPI, no cache. What each endpoint does, per
request:

* ``GET /health``: returns ``{"status": "ok"}``.
* ``POST /orders``: decodes the hub benchmark's order body into typed structs with msgspec (Decimal
  amounts), then one transaction: the bearer key's SHA-256 looked up in ``floor_keys``, one row
  inserted into ``floor_orders`` (a few columns and the body as jsonb, unique per tenant and external
  reference), committed. Four round trips: BEGIN, SELECT, INSERT, COMMIT. 201 with the row's id.
* ``GET /rows/{id}``: the key looked up, then that tenant's row read (two statements, no explicit
  transaction). 200 with the stored jsonb.
* ``POST /events``: the ``Hub-Signature`` HMAC checked against one configured secret, the raw body
  inserted into ``floor_events`` in its own (autocommit) transaction. 202 with the row's id.

A bad key is a 401, an unknown row a 404, a body msgspec refuses a 400, a bad signature a 401.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import asyncpg
import msgspec
import uvicorn
from litestar import Litestar, Request, Response, get, post

SCHEMA = """
CREATE TABLE floor_keys (
    key_hash bytea PRIMARY KEY,
    tenant_id integer NOT NULL
);
CREATE TABLE floor_orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id integer NOT NULL,
    external_ref text NOT NULL,
    currency text NOT NULL,
    total numeric(14, 2) NOT NULL,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, external_ref)
);
CREATE TABLE floor_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    body bytea NOT NULL
);
"""

KEY_SQL = "SELECT tenant_id FROM floor_keys WHERE key_hash = $1"
INSERT_ORDER_SQL = (
    "INSERT INTO floor_orders (tenant_id, external_ref, currency, total, body) "
    "VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id"
)
READ_ROW_SQL = "SELECT body::text FROM floor_orders WHERE id = $1 AND tenant_id = $2"
INSERT_EVENT_SQL = "INSERT INTO floor_events (body) VALUES ($1) RETURNING id"
SIGNATURE_TOLERANCE = 300


class Money(msgspec.Struct, forbid_unknown_fields=True):
    amount: Decimal
    currency: str


class Customer(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    code: str | None = None
    email: str | None = None
    phone: str | None = None


class Address(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    line1: str
    city: str
    postal_code: str
    country: str


class Discount(msgspec.Struct, forbid_unknown_fields=True):
    type: str
    value: Decimal


class Line(msgspec.Struct, forbid_unknown_fields=True):
    quantity: int
    unit_price: Money
    sku: str | None = None
    name: str | None = None
    hs_code: str | None = None
    origin_country: str | None = None
    weight_kg: Decimal | None = None
    discount: Discount | None = None


class Order(msgspec.Struct, forbid_unknown_fields=True):
    channel: str
    external_ref: str
    customer: Customer
    ship_to: Address
    currency: str
    lines: list[Line]
    incoterm: str | None = None
    shipping: Money | None = None


class Created(msgspec.Struct):
    id: int


_ORDER_DECODER = msgspec.json.Decoder(Order)
_JSON = "application/json"


def _error(status: int, detail: str) -> Response[bytes]:
    return Response(msgspec.json.encode({"detail": detail}), status_code=status, media_type=_JSON)


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _bearer_hash(request: Request[object, object, object]) -> bytes | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return key_hash(token) if scheme.lower() == "bearer" and token else None


def _total(order: Order) -> Decimal:
    total = sum((line.unit_price.amount * line.quantity for line in order.lines), Decimal(0))
    if order.shipping is not None:
        total += order.shipping.amount
    return total.quantize(Decimal("0.01"))


def _signature_ok(secret: bytes, header: str, body: bytes, now: float) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp = fields.get("t", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > SIGNATURE_TOLERANCE:
        return False
    expected = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


def _pool(request: Request[object, object, object]) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@post("/orders")
async def create_order(request: Request[object, object, object]) -> Response[bytes]:
    digest = _bearer_hash(request)
    if digest is None:
        return _error(401, "send Authorization: Bearer <key>")
    body = await request.body()
    try:
        order = _ORDER_DECODER.decode(body)
    except msgspec.ValidationError as exc:
        return _error(400, str(exc))
    async with _pool(request).acquire() as connection, connection.transaction():
        tenant_id = await connection.fetchval(KEY_SQL, digest)
        if tenant_id is None:
            return _error(401, "unknown key")
        row_id = await connection.fetchval(
            INSERT_ORDER_SQL, tenant_id, order.external_ref, order.currency, _total(order), body.decode()
        )
    return Response(msgspec.json.encode(Created(row_id)), status_code=201, media_type=_JSON)


@get("/rows/{row_id:int}")
async def read_row(request: Request[object, object, object], row_id: int) -> Response[bytes]:
    digest = _bearer_hash(request)
    if digest is None:
        return _error(401, "send Authorization: Bearer <key>")
    async with _pool(request).acquire() as connection:
        tenant_id = await connection.fetchval(KEY_SQL, digest)
        if tenant_id is None:
            return _error(401, "unknown key")
        stored = await connection.fetchval(READ_ROW_SQL, row_id, tenant_id)
    if stored is None:
        return _error(404, f"no row {row_id}")
    return Response(stored.encode(), status_code=200, media_type=_JSON)


@post("/events")
async def receive_event(request: Request[object, object, object]) -> Response[bytes]:
    body = await request.body()
    secret: bytes = request.app.state.secret
    if not _signature_ok(secret, request.headers.get("hub-signature", ""), body, time.time()):
        return _error(401, "bad signature")
    row_id = await _pool(request).fetchval(INSERT_EVENT_SQL, body)
    return Response(msgspec.json.encode(Created(row_id)), status_code=202, media_type=_JSON)


async def _no_reset(connection: asyncpg.Connection) -> None:
    """As the hub's pool (``hub.core.database``): the floor keeps no session state to undo."""
    del connection


def create_floor_app(dsn: str, secret: str) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10, reset=_no_reset)
        app.state.secret = secret.encode()
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(
        route_handlers=[health, create_order, read_row, receive_event],
        lifespan=[lifespan],
        openapi_config=None,
        logging_config=None,
        debug=False,
    )


async def create_schema(dsn: str, keys: dict[str, int], read_row: Order) -> int:
    """The floor's tables, ``keys`` (key -> tenant number) and ``read_row`` stored for the lowest
    tenant; returns that row's id, the one ``GET /rows/{id}`` reads."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SCHEMA)
        await connection.executemany(
            "INSERT INTO floor_keys (key_hash, tenant_id) VALUES ($1, $2)",
            [(key_hash(key), tenant) for key, tenant in keys.items()],
        )
        first_tenant = min(keys.values())
        row_id: int = await connection.fetchval(
            INSERT_ORDER_SQL,
            first_tenant,
            read_row.external_ref,
            read_row.currency,
            _total(read_row),
            msgspec.json.encode(read_row).decode(),
        )
        return row_id
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True, help="the Hub-Signature secret of POST /events")
    args = parser.parse_args()
    uvicorn.run(
        create_floor_app(args.dsn, args.secret),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        lifespan="on",
        log_level="warning",
    )


if __name__ == "__main__":
    main()
