"""A client that closes its connection before the whole body arrived is answered 400, not logged as a
server error (Litestar reports it as a 500 "client disconnected prematurely")."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.conftest import TenantHandle


async def test_a_body_cut_off_by_a_disconnect_is_no_server_error(
    client: httpx.AsyncClient, tenant: TenantHandle, caplog: pytest.LogCaptureFixture
) -> None:
    transport = client._transport  # the test's ASGI app, driven below message by message
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    key = tenant.headers()["Authorization"]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/orders",
        "raw_path": b"/v1/orders",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", key.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"400"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    incoming = [{"type": "http.request", "body": b'{"channel": "api", "cust', "more_body": True}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.ERROR, logger="hub.problems"):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"incomplete" in body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "logged as a server error"
