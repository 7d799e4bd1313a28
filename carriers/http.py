"""The shared ``httpx.AsyncClient`` and a request helper that turns failures into messages.

One client per process (built at worker or app start-up with :func:`create_client`, closed at
shutdown) is passed to every adapter; adapters send absolute URLs and per-request auth, so the
client carries no carrier credentials. Without ``transport`` it connects through
:func:`hub.core.egress.public_transport`: a tenant may set an account's ``base_url``, which is
checked when saved, but only the connect-time check also refuses a name that resolves to the hub's
own network later. Tests inject ``httpx.MockTransport`` through ``transport``.

:func:`send` never raises for network trouble: timeouts, connection errors and non-2xx answers come
back as an :class:`HttpOutcome` whose ``messages`` say what happened. Messages never include
credentials or request headers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec

from carriers.base import Message
from hub.core.egress import PrivateAddress, public_transport

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "HttpOutcome",
    "client_scope",
    "create_client",
    "send",
]

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
USER_AGENT = "orderhub-carriers/0.1"


def create_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    max_connections: int = 20,
) -> httpx.AsyncClient:
    """A client with timeouts on every phase and bounded pooling, to public addresses only; pass
    ``transport`` in tests."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections // 2)
    return httpx.AsyncClient(
        transport=transport or public_transport(limits),
        timeout=timeout,
        limits=limits,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )


@asynccontextmanager
async def client_scope(client: httpx.AsyncClient | None) -> AsyncIterator[httpx.AsyncClient]:
    """Use the shared client when given; otherwise a short-lived one that is closed afterwards."""
    if client is not None:
        yield client
        return
    async with create_client() as own:
        yield own


class HttpOutcome(msgspec.Struct, frozen=True):
    """A response body on 2xx; otherwise ``messages`` (and the status when there was one)."""

    status_code: int | None
    body: bytes | None
    messages: list[Message]

    @property
    def ok(self) -> bool:
        return self.body is not None and not any(m.level == "error" for m in self.messages)


ErrorParser = Callable[[int, bytes], list[Message]]


async def send(
    client: httpx.AsyncClient,
    carrier: str,
    method: str,
    url: str,
    *,
    error_parser: ErrorParser,
    auth: httpx.Auth | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    params: Mapping[str, str | list[str]] | None = None,
) -> HttpOutcome:
    """Send one request; 2xx gives the body, anything else gives messages via ``error_parser``."""
    merged = dict(headers or {})
    if json is not None:
        merged.setdefault("Content-Type", "application/json")
    try:
        response = await client.request(
            method,
            url,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            headers=merged,
            content=msgspec.json.encode(json) if json is not None else None,
            params=params,
        )
    except httpx.TimeoutException as exc:
        phase = type(exc).__name__.removesuffix("Timeout").lower() or "request"
        return HttpOutcome(None, None, [Message(carrier, "timeout", f"{carrier} did not answer in time ({phase})")])
    except httpx.TransportError as exc:
        if isinstance(exc.__cause__, PrivateAddress):
            # Refused before connecting: name the reason, so the account's base_url gets fixed.
            return HttpOutcome(None, None, [Message(carrier, "network_error", f"could not reach {carrier}: {exc}")])
        return HttpOutcome(
            None, None, [Message(carrier, "network_error", f"could not reach {carrier}: {type(exc).__name__}")]
        )
    if 200 <= response.status_code < 300:
        return HttpOutcome(response.status_code, response.content, [])
    status = response.status_code
    messages = error_parser(status, response.content)
    if status == 429 or status >= 500:
        # Whatever the body says, the status says "try again later": callers decide retries on the
        # code, so the carrier's own messages are kept as notices beside an http_<status> error.
        detail = f": {messages[0].message}" if messages else ""
        retry = Message(carrier, f"http_{status}", f"{carrier} answered HTTP {status}{detail}")
        messages = [retry, *(msgspec.structs.replace(m, level="warning") for m in messages)]
    elif not messages:
        messages = [Message(carrier, f"http_{status}", f"{carrier} answered HTTP {status}")]
    return HttpOutcome(status, None, messages)
