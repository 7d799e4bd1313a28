"""Authentication, roles, problem+json for every kind of bad input, idempotency, health and schema."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

import httpx
import msgspec
import pytest
from arq.connections import ArqRedis
from litestar.datastructures import State

from hub.auth import ApiKeyAuthMiddleware, is_public_path
from hub.core.settings import Settings
from hub.health import ready
from tenants.roles import Role
from tests.conftest import TenantHandle

pytestmark = pytest.mark.api

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def product(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": f"SKU-{uuid.uuid4().hex[:10]}",
        "name": "Bluetooth speaker",
        "customs_description": "Portable wireless loudspeaker",
        "hs_code": "851822",
        "origin_country": "CN",
        "unit_price": {"amount": "49.90", "currency": "EUR"},
        "weight_kg": "0.8",
    }
    body.update(overrides)
    return body


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Every error: the status, problem+json, and the four RFC 9457 members."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"].startswith("https://orderhub.dev/problems/")
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


async def product_count(client: httpx.AsyncClient, tenant: TenantHandle) -> int:
    response = await client.get("/v1/products", params={"limit": 200}, headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


# --- authentication ---------------------------------------------------------------------------


async def test_every_operation_outside_the_public_paths_needs_a_key(client: httpx.AsyncClient) -> None:
    """The API-key middleware sits on a router of its own (``hub.auth.behind_api_keys``): an operation
    left out of it would answer without a key. Every documented one that is not public says 401."""
    app = client._transport.app.app  # type: ignore[attr-defined]  (the StatusRecorder's app)
    document = app.openapi_schema.to_schema()
    checked = 0
    for path, item in document["paths"].items():
        if is_public_path(path):
            continue
        for method in ("get", "put", "post", "patch", "delete"):
            if method not in item:
                continue
            concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            response = await client.request(method.upper(), concrete, json={})
            assert response.status_code == 401, (method, path, response.status_code)
            checked += 1
    assert checked > 50  # the document was read, not skipped


async def test_public_routes_run_without_the_key_middleware(client: httpx.AsyncClient) -> None:
    app = client._transport.app.app  # type: ignore[attr-defined]  (the StatusRecorder's app)
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            public = is_public_path(route.path)
            keyed = any(getattr(m, "middleware", m) is ApiKeyAuthMiddleware for m in handler.resolve_middleware())
            assert public is not keyed, route.path
    assert (await client.get("/health")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "ohk_no_scheme_at_all"},
        {"Authorization": "Bearer ohk_" + "x" * 43},
        {"Authorization": "Bearer not-even-our-prefix"},
        {"Authorization": "Bearer ohk_" + "y" * 500},
    ],
    ids=["none", "empty", "scheme-only", "blank-token", "basic", "no-scheme", "unknown", "foreign", "huge"],
)
async def test_missing_malformed_or_unknown_key_is_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/v1/products"), ("POST", "/v1/products"), ("GET", "/v1/tenant")):
        response = await client.request(method, path, headers=headers, json=product() if method == "POST" else None)
        body = assert_problem(response, 401)
        assert body["type"].endswith("/unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_revoked_key_is_refused_on_the_next_call(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    created = await client.post("/v1/api-keys", json={"role": "clerk", "name": "to revoke"}, headers=tenant.headers())
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["api_key"].startswith("ohk_")
    as_new_key = {"Authorization": f"Bearer {key['api_key']}"}
    assert (await client.get("/v1/products", headers=as_new_key)).status_code == 200

    revoked = await client.post(f"/v1/api-keys/{key['id']}/revoke", headers=tenant.headers())
    assert revoked.status_code == 204, revoked.text

    after = await client.get("/v1/products", headers=as_new_key)
    assert_problem(after, 401)
    assert "www-authenticate" in after.headers
    # Revoking twice is harmless; the owner's own key still works.
    assert (await client.post(f"/v1/api-keys/{key['id']}/revoke", headers=tenant.headers())).status_code == 204
    listed = (await client.get("/v1/api-keys", headers=tenant.headers())).json()
    assert next(k for k in listed if k["id"] == key["id"])["revoked_at"] is not None
    assert all("key_hash" not in k and "api_key" not in k for k in listed)


async def test_revoking_an_unknown_or_malformed_key_id_is_404(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    assert_problem(await client.post(f"/v1/api-keys/{uuid.uuid4()}/revoke", headers=tenant.headers()), 404)
    assert_problem(await client.post("/v1/api-keys/not-a-uuid/revoke", headers=tenant.headers()), 404)


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.APPROVER])
async def test_readers_cannot_create_products(client: httpx.AsyncClient, tenant: TenantHandle, role: Role) -> None:
    before = await product_count(client, tenant)
    body = assert_problem(await client.post("/v1/products", json=product(), headers=tenant.headers(role)), 403)
    assert body["type"].endswith("/permission-denied")
    assert await product_count(client, tenant) == before


async def test_viewer_cannot_patch(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    created = await client.post("/v1/products", json=product(), headers=tenant.headers(Role.CLERK))
    assert created.status_code == 201
    response = await client.patch(
        f"/v1/products/{created.json()['id']}", json={"name": "changed"}, headers=tenant.headers(Role.VIEWER)
    )
    assert_problem(response, 403)


@pytest.mark.parametrize("role", [Role.CLERK, Role.APPROVER, Role.VIEWER])
async def test_only_owner_and_admin_manage_keys(client: httpx.AsyncClient, tenant: TenantHandle, role: Role) -> None:
    assert_problem(await client.post("/v1/api-keys", json={"role": "owner"}, headers=tenant.headers(role)), 403)
    assert_problem(await client.get("/v1/api-keys", headers=tenant.headers(role)), 403)
    listed = (await client.get("/v1/api-keys", headers=tenant.headers())).json()
    assert_problem(await client.post(f"/v1/api-keys/{listed[0]['id']}/revoke", headers=tenant.headers(role)), 403)


async def test_admin_manages_keys(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    created = await client.post("/v1/api-keys", json={"role": "viewer"}, headers=tenant.headers(Role.ADMIN))
    assert created.status_code == 201, created.text


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"sku": "A",}', b"\xff\xfe", b'{"sku": "A"} trailing'], ids=repr)
async def test_malformed_json_is_400_naming_body(client: httpx.AsyncClient, tenant: TenantHandle, raw: bytes) -> None:
    response = await client.post(
        "/v1/products", content=raw, headers=tenant.headers(**{"Content-Type": "application/json"})
    )
    body = assert_problem(response, 400)
    assert "body" in error_fields(body), body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit_price": {"amount": 12, "currency": "EUR"}}, "unit_price.amount"),
        ({"unit_price": {"amount": 12.5, "currency": "EUR"}}, "unit_price.amount"),
        ({"unit_price": {"amount": "12.50", "currency": 978}}, "unit_price.currency"),
        ({"unit_price": "12.50 EUR"}, "unit_price"),
        ({"sku": 12345}, "sku"),
        ({"sku": ""}, "sku"),
        ({"sku": "has space"}, "sku"),
        ({"name": None}, "name"),
        ({"weight_kg": [1]}, "weight_kg"),
        ({"hs_code": 851822}, "hs_code"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_wrong_types_are_422_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantHandle, overrides: dict[str, Any], field: str
) -> None:
    body = assert_problem(await client.post("/v1/products", json=product(**overrides), headers=tenant.headers()), 422)
    assert field in error_fields(body), body


async def test_missing_required_field_is_422(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    payload = product()
    del payload["unit_price"]
    body = assert_problem(await client.post("/v1/products", json=payload, headers=tenant.headers()), 422)
    assert "unit_price" in body["detail"] or "unit_price" in error_fields(body), body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hs_code": "12"}, "hs_code"),
        ({"hs_code": "abcdef"}, "hs_code"),
        ({"hs_code": "12345678901"}, "hs_code"),
        ({"hs_code": "８５１８２２"}, "hs_code"),
        ({"origin_country": "XX"}, "origin_country"),
        ({"origin_country": "Germany"}, "origin_country"),
        ({"origin_country": "D"}, "origin_country"),
        ({"unit_price": {"amount": "-1.00", "currency": "EUR"}}, "unit_price.amount"),
        ({"unit_price": {"amount": "abc", "currency": "EUR"}}, "unit_price.amount"),
        ({"unit_price": {"amount": "NaN", "currency": "EUR"}}, "unit_price.amount"),
        ({"unit_price": {"amount": "Infinity", "currency": "EUR"}}, "unit_price.amount"),
        ({"unit_price": {"amount": "1e400", "currency": "EUR"}}, "unit_price.amount"),
        ({"unit_price": {"amount": "1.00", "currency": "XYZ"}}, "unit_price.currency"),
        ({"unit_price": {"amount": "1.00", "currency": "eur"}}, "unit_price.currency"),
        ({"unit_price": {"amount": "1.00", "currency": ""}}, "unit_price.currency"),
        ({"weight_kg": "-0.5"}, "weight_kg"),
        ({"weight_kg": "0.0001"}, "weight_kg"),
    ],
)
async def test_bad_values_are_422_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantHandle, overrides: dict[str, Any], field: str
) -> None:
    body = assert_problem(await client.post("/v1/products", json=product(**overrides), headers=tenant.headers()), 422)
    assert field in error_fields(body), body
    assert body["type"].endswith("/validation-failed")
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
        assert error["message"]


async def test_every_bad_field_is_reported_at_once(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    payload = product(hs_code="12", origin_country="XX", unit_price={"amount": "-1", "currency": "EUR"})
    body = assert_problem(await client.post("/v1/products", json=payload, headers=tenant.headers()), 422)
    assert {"hs_code", "origin_country", "unit_price.amount"} <= error_fields(body)


async def test_bad_values_in_patch_are_422(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    created = await client.post("/v1/products", json=product(), headers=tenant.headers())
    path = f"/v1/products/{created.json()['id']}"
    body = assert_problem(await client.patch(path, json={"hs_code": "abcdef"}, headers=tenant.headers()), 422)
    assert "hs_code" in error_fields(body)
    body = assert_problem(
        await client.patch(path, json={"unit_price": {"amount": 3.5, "currency": "EUR"}}, headers=tenant.headers()),
        422,
    )
    assert "unit_price.amount" in error_fields(body)


async def test_bad_query_parameter_is_a_client_error(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for params in ({"limit": "0"}, {"limit": "1000"}, {"limit": "lots"}, {"cursor": "!!not-a-cursor!!"}):
        response = await client.get("/v1/products", params=params, headers=tenant.headers())
        assert response.status_code in (400, 422), (params, response.text)
        assert_problem(response, response.status_code)


async def test_oversized_body_is_413(client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings) -> None:
    padding = "x" * (test_settings.max_body_bytes + 1)
    response = await client.post(
        "/v1/products",
        content=b'{"sku": "BIG", "name": "' + padding.encode() + b'"}',
        headers=tenant.headers(**{"Content-Type": "application/json"}),
    )
    body = assert_problem(response, 413)
    assert body["type"].endswith("/payload-too-large")


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for path in ("/v1/no-such-thing", "/nope", "/v1/products/a/b/c"):
        assert_problem(await client.get(path, headers=tenant.headers()), 404)
    assert_problem(await client.get("/v1/no-such-thing"), 404)


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    assert_problem(await client.delete("/v1/products", headers=tenant.headers()), 405)
    assert_problem(await client.put("/v1/tenant", json={}, headers=tenant.headers()), 405)
    assert_problem(await client.post("/health"), 405)


async def test_options_needs_a_key_and_names_every_method_of_the_path(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # Each of these paths has a handler registered after the first: Litestar's OPTIONS answer named
    # the first one's methods only.
    expected = {
        "/v1/customers": "GET, OPTIONS, POST",
        "/v1/api-keys": "GET, OPTIONS, POST",
        "/v1/orders": "GET, OPTIONS, POST",
        f"/v1/products/{uuid.uuid4()}": "GET, OPTIONS, PATCH",
    }
    for path in expected:
        assert_problem(await client.options(path), 401)
    answered = {path: await client.options(path, headers=tenant.headers()) for path in expected}
    assert {path: (r.status_code, r.headers.get("allow")) for path, r in answered.items()} == {
        path: (204, allow) for path, allow in expected.items()
    }
    # The path's permission holds for OPTIONS too: a viewer may not manage keys.
    assert_problem(await client.options("/v1/api-keys", headers=tenant.headers(Role.VIEWER)), 403)


async def test_unknown_product_is_404(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for product_id in (str(uuid.uuid4()), "not-a-uuid", "%00", "1' OR '1'='1"):
        body = assert_problem(await client.get(f"/v1/products/{product_id}", headers=tenant.headers()), 404)
        assert body["type"].endswith("/not-found")


# --- request ids and the access log -----------------------------------------------------------


async def test_every_response_carries_its_request_id_and_is_logged_with_its_status(
    client: httpx.AsyncClient, tenant: TenantHandle, test_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Refusals from the auth middleware (401) and the router (404, 405) are answered outside the
    route's own middleware stack: they must still echo the request id and be logged as what they were."""
    caplog.set_level(logging.INFO, logger="hub.access")
    oversized = b'{"sku": "' + b"x" * (test_settings.max_body_bytes + 1) + b'"}'
    cases: list[tuple[str, str, dict[str, str], bytes | None, int]] = [
        ("GET", "/v1/products", {}, None, 401),
        ("GET", "/v1/products", {"Authorization": "Bearer ohk_" + "x" * 43}, None, 401),
        ("POST", "/v1/products", tenant.headers(Role.VIEWER), b"{}", 403),
        ("GET", "/v1/no-such-thing", {}, None, 404),
        ("GET", "/v1/no-such-thing", tenant.headers(), None, 404),
        ("DELETE", "/v1/products", tenant.headers(), None, 405),
        ("POST", "/v1/products", tenant.headers(**{"Content-Type": "application/json"}), oversized, 413),
        ("GET", "/v1/products", tenant.headers(), None, 200),
    ]
    for method, path, headers, content, status in cases:
        request_id = f"rid-{uuid.uuid4().hex}"
        caplog.clear()
        response = await client.request(method, path, headers={**headers, "X-Request-ID": request_id}, content=content)
        assert response.status_code == status, (method, path, response.text)
        assert response.headers.get("x-request-id") == request_id, (method, path, status)
        logged = [r for r in caplog.records if r.name == "hub.access" and getattr(r, "path", None) == path]
        assert [(getattr(r, "method", None), getattr(r, "status", None)) for r in logged] == [(method, status)], (
            method,
            path,
        )
    caplog.clear()
    generated = await client.get("/v1/products")
    assert len(generated.headers["x-request-id"]) == 32  # none sent: one is made up


async def test_every_response_forbids_content_sniffing(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """A browser must take JSON (and problem+json) for what it says it is, never sniff it into HTML."""
    for response in (
        await client.get("/v1/products", headers=tenant.headers()),
        await client.get("/v1/products"),
        await client.get("/v1/no-such-thing"),
        await client.get("/health"),
        await client.get("/console/login"),
    ):
        assert response.headers.get_list("x-content-type-options") == ["nosniff"], response.url


# --- localisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "language", "title"),
    [
        ("zh-CN", "zh-Hans", "未找到"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans", "未找到"),
        ("de-DE", "de", "Nicht gefunden"),
        ("ja", "ja", "見つかりません"),
        ("fr;q=0.2, es;q=0.9", "es", "No encontrado"),
        ("zh-TW", "en", "Not found"),
    ],
)
async def test_problem_titles_follow_accept_language(
    client: httpx.AsyncClient, tenant: TenantHandle, accept: str, language: str, title: str
) -> None:
    response = await client.get(f"/v1/products/{uuid.uuid4()}", headers=tenant.headers(**{"Accept-Language": accept}))
    body = assert_problem(response, 404)
    assert body["title"] == title
    assert response.headers["content-language"] == language


async def test_chinese_validation_and_auth_titles(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    chinese = {"Accept-Language": "zh-CN"}
    invalid = await client.post("/v1/products", json=product(hs_code="12"), headers=tenant.headers(**chinese))
    body = assert_problem(invalid, 422)
    assert body["title"] == "请求中有无效字段"
    assert invalid.headers["content-language"] == "zh-Hans"
    # Field names stay machine-readable whatever the language.
    assert "hs_code" in error_fields(body)
    unauthenticated = await client.get("/v1/products", headers=chinese)
    assert assert_problem(unauthenticated, 401)["title"] == "需要有效的 API 密钥"
    assert unauthenticated.headers["content-language"] == "zh-Hans"


# --- idempotency ------------------------------------------------------------------------------


async def test_same_key_same_body_replays_the_response(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    payload = product()
    headers = tenant.headers(Role.CLERK, **{"Idempotency-Key": f"create-{uuid.uuid4()}"})
    first = await client.post("/v1/products", json=payload, headers=headers)
    second = await client.post("/v1/products", json=payload, headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert first.json() == second.json()
    assert await product_count(client, tenant) == 1


async def test_same_key_other_body_is_409(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    headers = tenant.headers(**{"Idempotency-Key": "k-1"})
    assert (await client.post("/v1/products", json=product(sku="A-1"), headers=headers)).status_code == 201
    clash = await client.post("/v1/products", json=product(sku="A-2"), headers=headers)
    body = assert_problem(clash, 409)
    assert body["type"].endswith("/conflict")
    assert await product_count(client, tenant) == 1


async def test_idempotency_keys_are_per_tenant(
    client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    key = {"Idempotency-Key": "shared-key"}
    mine = await client.post("/v1/products", json=product(sku="MINE"), headers=tenant.headers(**key))
    theirs = await client.post("/v1/products", json=product(sku="THEIRS"), headers=other_tenant.headers(**key))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


async def test_concurrent_requests_with_one_key_create_one_product(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    payload = product()
    headers = tenant.headers(**{"Idempotency-Key": f"race-{uuid.uuid4()}"})
    responses = await asyncio.gather(*(client.post("/v1/products", json=payload, headers=headers) for _ in range(4)))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await product_count(client, tenant) == 1


async def test_a_failed_request_does_not_burn_its_key(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """The key row rolls back with a refused request, so a corrected retry with the key succeeds."""
    existing = product()
    assert (await client.post("/v1/products", json=existing, headers=tenant.headers())).status_code == 201
    headers = tenant.headers(**{"Idempotency-Key": "retry-after-conflict"})
    assert_problem(await client.post("/v1/products", json=existing, headers=headers), 409)
    again = await client.post("/v1/products", json=existing, headers=headers)
    assert_problem(again, 409)
    assert "Idempotency-Key" not in again.text


async def test_bad_idempotency_key_is_422(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    headers = tenant.headers(**{"Idempotency-Key": "k" * 256})
    body = assert_problem(await client.post("/v1/products", json=product(), headers=headers), 422)
    assert "Idempotency-Key" in error_fields(body)


# --- health, readiness, schema ----------------------------------------------------------------


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_openapi_document_lists_the_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert "/v1/products" in document["paths"]
    assert "/v1/products/{product_id}" in document["paths"]
    assert "/v1/api-keys" in document["paths"]
    assert "apiKey" in document["components"]["securitySchemes"]


# --- no 500 for anything a client can send ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/v1/products", {"json": product(sku="NUL\u0000SKU")}),
        ("POST", "/v1/products", {"json": product(name="name\u0000")}),
        ("POST", "/v1/products", {"json": product(weight_kg="9" * 20)}),
        ("POST", "/v1/products", {"json": product(unit_price={"amount": "1" * 30, "currency": "EUR"})}),
        ("POST", "/v1/products", {"content": b"[" * 100_000 + b"]" * 100_000}),
        ("POST", "/v1/products", {"content": b'{"sku": "\\ud800"}'}),
        ("POST", "/v1/api-keys", {"json": {"role": "viewer", "name": "key\u0000"}}),
        ("GET", "/v1/products?q=%00", {}),
        ("GET", "/v1/products?cursor=%00", {}),
        ("GET", "/v1/stock/A%00B", {}),
        ("PUT", "/v1/stock/A%00B", {"json": {"on_hand": 1}}),
        ("GET", "/v1/customers?q=%00", {}),
        ("GET", "/v1/orders?q=%00", {}),
        ("GET", "/v1/orders?status=%00", {}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_hostile_input_is_a_client_error_not_a_500(
    client: httpx.AsyncClient, tenant: TenantHandle, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    headers = tenant.headers(**{"Content-Type": "application/json"} if "content" in kwargs else {})
    response = await client.request(method, path, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)


async def test_ready_is_503_when_redis_is_unreachable(client: httpx.AsyncClient) -> None:
    """The readiness handler itself, with no arq pool and with one on a dead port."""
    del client  # the database pool the handler queries
    response = await ready.fn(State({"arq": None}))
    assert response.status_code == 503
    assert msgspec.to_builtins(response.content) == {
        "status": "unavailable",
        "database": "ok",
        "redis": "down: not connected",
    }
    dead = ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = await ready.fn(State({"arq": dead}))
    finally:
        await dead.aclose()
    assert response.status_code == 503
    assert msgspec.to_builtins(response.content)["redis"].startswith("down: ")
