"""Bodies that are not UTF-8 (issue #17, item 1): a 400 problem naming the body on every route that
takes JSON, never a 500 with a traceback in the log.

``{"a":"\\xff"}`` sent as ``application/json`` was a 500 on every POST tried (msgspec raises
UnicodeDecodeError, which nothing mapped) and on a correctly signed Shopify webhook, which Shopify
then retries for days. The mapping is in ``hub/problems.py``, once for every way a body is read.

The walker takes the routes from the app's own OpenAPI document (what the API says takes JSON, the
bodies ``customs`` reads raw included), so a route registered tomorrow is walked tomorrow.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import httpx
import pytest

from hub.app import create_app
from hub.core.bootstrap import Services
from hub.core.settings import Settings
from tests.api.test_shopify import PAYLOAD, _connect, _sign
from tests.conftest import TenantHandle

pytestmark = pytest.mark.api

NOT_UTF8 = b'{"a":"\xff"}'  # the reproduction
NOT_UTF8_KEY = b'{"\xff":1}'  # the bytes in a key, met before any field is matched
PARAM = re.compile(r"\{[^}]+\}")


def json_operations(settings: Settings, services: Services) -> list[tuple[str, str]]:
    """(method, path template) of every operation whose documented request body is JSON."""
    app = create_app(settings, services)  # not started: only its schema is read
    found = []
    for path, item in (app.openapi_schema.paths or {}).items():
        for method in ("post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            content: dict[str, Any] = (operation.to_schema().get("requestBody") or {}).get("content", {})
            if any("json" in str(media) for media in content):
                found.append((method.upper(), path))
    return sorted(found)


def _assert_unreadable(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400
    assert body["detail"] == "The body is not valid UTF-8"
    assert body["errors"] == [{"field": "body", "message": "not UTF-8: invalid start byte"}]


def test_the_walker_sees_every_kind_of_json_route(test_settings: Settings, services: Services) -> None:
    operations = json_operations(test_settings, services)
    paths = {path for _, path in operations}
    for named in (
        "/v1/products",
        "/v1/orders",
        "/v1/customers",
        "/v1/carrier-accounts",
        "/v1/webhook-endpoints",
        "/v1/work-items",
        "/v1/landed-cost/quotes",  # read raw by customs, documented by its operation_class
    ):
        assert named in paths, f"the walker misses {named}"
    assert {method for method, _ in operations} >= {"POST", "PUT", "PATCH"}


async def test_every_json_route_answers_400_for_a_body_that_is_not_utf8(
    client: httpx.AsyncClient,
    tenant: TenantHandle,
    test_settings: Settings,
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = tenant.headers(**{"Content-Type": "application/json"})
    walked = 0
    with caplog.at_level(logging.ERROR, logger="hub.problems"):
        for method, template in json_operations(test_settings, services):
            # Any id will do: the body is read before the handler looks anything up.
            path = PARAM.sub(str(uuid.uuid4()), template)
            for body in (NOT_UTF8_KEY, NOT_UTF8):
                response = await client.request(method, path, content=body, headers=headers)
                # 400 for the bytes; a 422 where the decoder refused a field first (an unknown "a" where
                # unknown fields are forbidden, a required field missing where unknown keys are skipped).
                assert response.status_code in (400, 422), f"{method} {template}: {response.text}"
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["errors"][0]["field"], response.text
            walked += 1
    assert walked >= 30
    for path in ("/v1/products", "/v1/orders", "/v1/customers", "/v1/carrier-accounts", "/v1/webhook-endpoints"):
        _assert_unreadable(await client.post(path, content=NOT_UTF8, headers=headers))
    _assert_unreadable(await client.post("/v1/work-items", content=NOT_UTF8, headers=headers))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a refused body was logged as a 500"


async def test_a_signed_shopify_webhook_that_is_not_utf8_is_a_400_and_stores_nothing(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    path = await _connect(client, tenant)
    for topic in ({}, {"X-Shopify-Topic": "orders/create"}):
        response = await client.post(
            path, content=NOT_UTF8, headers={"X-Shopify-Hmac-Sha256": _sign(NOT_UTF8), **topic}
        )
        _assert_unreadable(response)
    # A valid order after it is still taken in: nothing was left half-done.
    accepted = await client.post(path, content=PAYLOAD, headers={"X-Shopify-Hmac-Sha256": _sign(PAYLOAD)})
    assert accepted.status_code == 200, accepted.text
    listing = (await client.get("/v1/orders", headers=tenant.headers())).json()
    assert len(listing["items"]) == 1
