"""The shared ``httpx.AsyncClient`` and a request helper that turns failures into messages.

One client per process (built at worker or app start-up with :func:`create_client`, closed at
shutdown) is passed to every adapter; adapters send absolute URLs and per-request auth, so the
client carries no carrier credentials. Without ``transport`` it connects through
:func:`hub.core.egress.public_transport`: a tenant may set an account's ``base_url``, which is
checked when saved, but only the connect-time check also refuses a name that resolves to the hub's
own network later. Tests inject ``httpx.MockTransport`` through ``transport``.

:func:`send` never raises for network trouble: timeouts, connection errors and non-2xx answers come
back as an :class:`HttpOutcome` whose ``messages`` say what happened. Messages never include
credentials or request headers. Two limits hold for every call, whatever the carrier does: the whole
call (connect, headers, body) ends within ``carrier_deadline_seconds`` even when each read arrives
just inside httpx's per-read timeout (a body trickled a byte at a time), and an answer longer than
``carrier_max_response_bytes`` is refused without being read to its end (see
:class:`hub.core.settings.Settings`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec

from carriers.base import Message
from hub.core.egress import PrivateAddress, public_transport
from hub.core.settings import get_settings

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


class _TooLarge(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge(response.status_code)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise _TooLarge(response.status_code)
    return bytes(body)


def _too_large(carrier: str, status: int, limit: int) -> HttpOutcome:
    """An answer too long to read. Its status still says what happened: a 2xx whose body is lost is
    ``response_too_large`` (the carrier did something, we cannot tell what: a caller that bought a
    label must ask the carrier again, not call it refused); a 429 or 5xx stays ``http_<status>``, a
    retry; any other status is the carrier's refusal."""
    note = Message(carrier, "response_too_large", f"{carrier} answered with more than {limit} bytes; not read")
    if 200 <= status < 300:
        return HttpOutcome(status, None, [note])
    refusal = Message(carrier, f"http_{status}", f"{carrier} answered HTTP {status}")
    return HttpOutcome(status, None, [refusal, msgspec.structs.replace(note, level="warning")])


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
    settings = get_settings()
    limit = settings.carrier_max_response_bytes
    try:
        async with asyncio.timeout(settings.carrier_deadline_seconds):
            request = client.build_request(
                method,
                url,
                headers=merged,
                content=msgspec.json.encode(json) if json is not None else None,
                params=params,
            )
            response = await client.send(
                request, auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT, stream=True
            )
            try:
                content = await _read_capped(response, limit)
            finally:
                await response.aclose()
    except TimeoutError:
        deadline = f"{settings.carrier_deadline_seconds:g} s"
        return HttpOutcome(None, None, [Message(carrier, "timeout", f"{carrier} did not answer within {deadline}")])
    except _TooLarge as exc:
        return _too_large(carrier, exc.status, limit)
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
        return HttpOutcome(response.status_code, content, [])
    status = response.status_code
    messages = error_parser(status, content)
    if status == 429 or status >= 500:
        # Whatever the body says, the status says "try again later": callers decide retries on the
        # code, so the carrier's own messages are kept as notices beside an http_<status> error.
        detail = f": {messages[0].message}" if messages else ""
        retry = Message(carrier, f"http_{status}", f"{carrier} answered HTTP {status}{detail}")
        messages = [retry, *(msgspec.structs.replace(m, level="warning") for m in messages)]
    elif not messages:
        messages = [Message(carrier, f"http_{status}", f"{carrier} answered HTTP {status}")]
    return HttpOutcome(status, None, messages)
