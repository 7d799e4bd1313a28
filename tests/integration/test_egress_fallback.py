"""The public-only connector tries each address a name resolves to, in order, and raises the last
failure when none answers (hub/core/egress.py, whose ``assert`` issue 16 replaced)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpcore
import pytest

from hub.core import egress

FIRST, SECOND = "1.1.1.1", "8.8.8.8"  # what the name resolves to here; nothing is sent to them


class _LocalInner(httpcore.AnyIOBackend):
    """The real backend, with the public addresses mapped: one refuses, the other is a local server."""

    def __init__(self, port: int, refused: set[str]) -> None:
        self.port, self.refused = port, refused
        self.tried: list[str] = []

    async def connect_tcp(self, host: str, port: int, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.tried.append(host)
        if host in self.refused:
            raise httpcore.ConnectError(f"{host} refused")
        return await super().connect_tcp("127.0.0.1", self.port, **kwargs)


async def _resolves_to_both(name: str, port: int, **kwargs: Any) -> list[Any]:
    return [(2, 1, 6, "", (FIRST, port)), (2, 1, 6, "", (SECOND, port))]


@pytest.fixture
async def server_port() -> Any:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_the_next_address_is_tried_when_one_refuses(monkeypatch: pytest.MonkeyPatch, server_port: int) -> None:
    monkeypatch.setattr(egress.anyio, "getaddrinfo", _resolves_to_both)
    backend = egress._PublicOnlyBackend()
    inner = _LocalInner(server_port, refused={FIRST})
    backend._inner = inner
    stream = await backend.connect_tcp("api.carrier.example", 443, timeout=5)
    await stream.aclose()
    assert inner.tried == [FIRST, SECOND]


async def test_the_last_failure_is_raised_when_none_answers(monkeypatch: pytest.MonkeyPatch, server_port: int) -> None:
    monkeypatch.setattr(egress.anyio, "getaddrinfo", _resolves_to_both)
    backend = egress._PublicOnlyBackend()
    inner = _LocalInner(server_port, refused={FIRST, SECOND})
    backend._inner = inner
    with pytest.raises(httpcore.ConnectError, match=f"^{SECOND} refused$"):
        await backend.connect_tcp("api.carrier.example", 443, timeout=5)
    assert inner.tried == [FIRST, SECOND]
