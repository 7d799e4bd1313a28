"""Inputs the API fuzz (tests/e2e/test_api_fuzz.py) found answered with a 500 or a malformed problem.

Each test is the shrunk reproduction of one finding; the fix is in the kernel's error mapping
(hub/problems.py) unless the test says otherwise.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import TenantHandle

pytestmark = pytest.mark.api

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    return body


async def _order_id(client: httpx.AsyncClient, tenant: TenantHandle) -> str:
    money = {"amount": "5.00", "currency": "EUR"}
    product = {"sku": "REG-1", "name": "Mug", "hs_code": "691200", "origin_country": "CN", "unit_price": money}
    assert (await client.post("/v1/products", json=product, headers=tenant.headers())).status_code == 201
    order = {
        "channel": "api",
        "external_ref": "REG-1",
        "customer": {"code": "C-REG", "name": "Anna Schmidt"},
        "ship_to": {"name": "Anna Schmidt", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115"}
        | {"country": "DE"},
        "currency": "EUR",
        "lines": [{"sku": "REG-1", "quantity": 1, "unit_price": money}],
    }
    created = await client.post("/v1/orders", json=order, headers=tenant.headers())
    assert created.status_code == 201, created.text
    order_id: str = created.json()["id"]
    return order_id


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nno file\r\n--b--\r\n', id="fields-only"
        ),
        pytest.param(b"--b--\r\n", id="no-parts"),
    ],
)
async def test_an_upload_without_a_file_part_is_a_422_naming_data(
    client: httpx.AsyncClient, tenant: TenantHandle, content: bytes
) -> None:
    """Litestar's multipart reader raised StopIteration (a RuntimeError in a coroutine) on a form
    without a file part: 500 on POST /v1/orders/imports and POST /v1/orders/{id}/attachments."""
    order_id = await _order_id(client, tenant)
    headers = tenant.headers(**{"Content-Type": "multipart/form-data; boundary=b"})
    for path in ("/v1/orders/imports", f"/v1/orders/{order_id}/attachments"):
        body = _problem(await client.post(path, content=content, headers=headers), 422)
        assert body["errors"], body
        assert all(error["field"] and error["message"] for error in body["errors"])
        if b"form-data" in content:  # fields but no file: the case the mapping names
            assert body["errors"] == [{"field": "data", "message": "a file part is required (multipart/form-data)"}]


async def test_an_integer_beyond_its_column_is_a_400_not_a_500(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """asyncpg refuses, before sending, an int4 argument above 2**31 - 1 (DataError caused by
    OverflowError): PUT /v1/stock/{sku} {"on_hand": 3007921147099667} was a 500."""
    response = await client.put(
        "/v1/stock/REG-BIG", json={"on_hand": 3007921147099667, "incoming": 0}, headers=tenant.headers()
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == response.status_code
