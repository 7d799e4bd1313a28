"""The OpenAPI document declares the error answers the API really gives (issue #17, item 7).

Every error is ``application/problem+json`` with the shared ``ProblemDetails`` schema; the statuses of
each operation are derived from its code by ``hub/openapi.py``. What an operation answers but does
not declare is caught at run time too: every API test's answers are checked against the document
(``tests/status_conformance.py``), and the fuzz test runs schemathesis's ``status_code_conformance``.
"""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from litestar import Litestar, get, post
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath

from hub.app import create_app
from hub.auth import is_public_path
from hub.core.bootstrap import Services
from hub.core.errors import AppError, Conflict, ServiceUnavailable
from hub.core.settings import Settings
from hub.openapi import PROBLEM_JSON, PROBLEM_SCHEMA, ProblemDetails, document_errors
from tests.conftest import TenantHandle
from tests.status_conformance import StatusRecorder

pytestmark = pytest.mark.api

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_REF = f"#/components/schemas/{PROBLEM_SCHEMA}"
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def app(test_settings: Settings, services: Services) -> Litestar:
    return create_app(test_settings, services)  # not started: only its document is read


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, item[method])
        for path, item in sorted(document["paths"].items())
        for method in METHODS
        if method in item
    ]


def errors_of(operation: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(status): answer for status, answer in operation["responses"].items() if int(status) >= 400}


def test_create_order_declares_its_problems(document: dict[str, Any]) -> None:
    errors = errors_of(document["paths"]["/v1/orders"]["post"])
    assert {400, 401, 403, 409, 413, 415, 422} <= set(errors)
    for status in (400, 401, 403, 409, 413, 415, 422):
        assert errors[status]["content"] == {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}, status
    # Nothing Litestar invented: its default 400 was application/json {status_code, detail, extra}.
    assert "application/json" not in errors[400]["content"]
    assert errors[401]["headers"]["WWW-Authenticate"]["required"] is True
    assert errors[409]["description"].startswith(Conflict.title)


def test_statuses_follow_the_route(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert 404 in errors_of(paths["/v1/orders/{order_id}"]["get"])
    # Read-only: no body, so no 413/415; a query limit is validated (422).
    listing = errors_of(paths["/v1/orders"]["get"])
    assert {401, 403, 422} <= set(listing)
    assert not {404, 409, 413, 415} & set(listing)
    # A GET that can conflict: a document's PDF before it has been rendered (hub/orders/documents.py).
    assert 409 in errors_of(paths["/v1/documents/{document_id}/file"]["get"])
    # The carrier may be down while a label is bought or voided.
    assert 503 in errors_of(paths["/v1/shipments"]["post"])
    assert 503 in errors_of(paths["/v1/shipments/{shipment_id}/cancel"]["post"])
    # Public: no API key (security: []) and no 401 for one; webhooks answer 401 for a bad signature.
    assert paths["/health"]["get"]["security"] == []
    assert not errors_of(paths["/health"]["get"])
    webhook = paths["/webhooks/tracking/{carrier}/{endpoint_token}"]["post"]
    assert webhook["security"] == []
    assert {401, 404, 413} <= set(errors_of(webhook))


def test_every_error_is_a_problem_and_none_is_plain_json(document: dict[str, Any]) -> None:
    found = operations(document)
    assert len(found) > 80, "the walk found the API"
    wrong = []
    for method, path, operation in found:
        for status, answer in errors_of(operation).items():
            if (method, path, status) == ("GET", "/ready", 503):
                # The readiness probe's own body (which of PostgreSQL and Redis is down), declared by the handler.
                assert answer["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}
                continue
            if answer.get("content") != {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}:
                wrong.append(f"{method} {path} {status}: {sorted(answer.get('content') or {})}")
            elif not answer.get("headers", {}).get("Content-Language", {}).get("required"):
                wrong.append(f"{method} {path} {status}: no Content-Language header")
    assert wrong == []


def test_every_route_behind_a_key_declares_401_and_403(app: Litestar, document: dict[str, Any]) -> None:
    """401 from the middleware, 403 from the role guard (found in the guard's code, not by a rule)."""
    missing = []
    for method, path, operation in operations(document):
        if is_public_path(path):
            continue
        statuses = set(errors_of(operation))
        if not {401, 403} <= statuses:
            missing.append(f"{method} {path}: {sorted(statuses)}")
    assert missing == []


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    # The OpenAPI 3.1 meta-schema (schemathesis's copy), then every schema in it as JSON Schema 2020-12.
    schemathesis.openapi.from_dict(document).validate()
    schemas = list(document["components"]["schemas"].values())
    for _, _, operation in operations(document):
        for answer in operation["responses"].values():
            schemas.extend(media["schema"] for media in (answer.get("content") or {}).values() if "schema" in media)
            schemas.extend(header["schema"] for header in (answer.get("headers") or {}).values())
    for schema in schemas:
        jsonschema_rs.meta.validate(schema)
    # Every reference resolves.
    refs: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            refs.extend([node["$ref"]] if isinstance(node.get("$ref"), str) else [])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    names = set(document["components"]["schemas"])
    assert {ref.removeprefix("#/components/schemas/") for ref in refs} <= names


def _extension_members() -> dict[str, str]:
    """Every ``extra={...}`` key given to one of our errors, in the source: key -> where."""
    error_names = {cls.__name__ for cls in _subclasses(AppError)} | {"super"}
    found: dict[str, str] = {}
    for package in ("hub", "tenants", "customs", "carriers"):
        for file in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(file.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                callee = node.func
                name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Call):
                    name = getattr(callee.value.func, "id", "")  # super().__init__(...)
                if name not in error_names:
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                        for key in keyword.value.keys:
                            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                                found.setdefault(key.value, f"{file.relative_to(ROOT)}:{node.lineno}")
    return found


def _subclasses(cls: type) -> set[type]:
    return {cls} | {sub for direct in cls.__subclasses__() for sub in _subclasses(direct)}


def test_problem_details_lists_every_extension_member_the_code_sends() -> None:
    members = _extension_members()
    assert {"current_status", "existing_id", "key_kind", "findings"} <= set(members), "the scan finds raise sites"
    documented = set(ProblemDetails.__struct_fields__)
    undocumented = {key: where for key, where in members.items() if key not in documented}
    assert undocumented == {}
    # An extension member must never shadow an RFC 9457 member (hub.problems writes those last).
    assert not {"type", "title", "status", "detail", "errors"} & set(members)


# --- a route added later, with nothing written for it ---------------------------------------------


def _conflicting_helper(name: str) -> None:
    if name == "taken":
        raise Conflict("the report is being built", extra={"current_status": "building"})


@get("/v1/reports/{report_id:str}", operation_id="GetReportForTest", sync_to_thread=False)
def get_report(report_id: FromPath[str]) -> dict[str, str]:
    _conflicting_helper(report_id)
    return {"id": report_id}


@post("/v1/reports/{report_id:str}/refresh", operation_id="RefreshReportForTest")
async def refresh_report(report_id: FromPath[str]) -> None:
    failure = ServiceUnavailable("the warehouse does not answer") if report_id == "down" else None
    if failure is not None:
        raise failure


def test_a_new_route_gets_its_statuses_from_its_code() -> None:
    app = Litestar(route_handlers=[get_report, refresh_report], openapi_config=OpenAPIConfig("t", "1"))
    document_errors(app)
    paths = app.openapi_schema.to_schema()["paths"]
    read = errors_of(paths["/v1/reports/{report_id}"]["get"])
    # 401 (not public), 404 (a path id) and 409 from the helper it calls; nothing else.
    assert set(read) == {401, 404, 409}
    assert read[409]["content"][PROBLEM_JSON]["schema"] == {"$ref": PROBLEM_REF}
    # An error made first and raised later counts as well.
    assert 503 in errors_of(paths["/v1/reports/{report_id}/refresh"]["post"])


# --- the run-time check every API test goes through -----------------------------------------------


async def test_an_undeclared_answer_is_reported(test_settings: Settings, services: Services) -> None:
    app = create_app(test_settings, services)  # no lifespan: a request without a key needs no database
    recorder = StatusRecorder(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=recorder), base_url="http://test") as http:
        response = await http.get(f"/v1/orders/{uuid.uuid4()}")
        assert response.status_code == 401
        assert recorder.take() == []  # declared
        # The same answer, from an operation whose document forgot the 401.
        statuses = recorder._statuses("GET", "/v1/orders/{order_id}")
        assert statuses is not None
        assert recorder._declared is not None
        recorder._declared[("GET", "/v1/orders/{order_id}")] = statuses - {401}
        await http.get(f"/v1/orders/{uuid.uuid4()}")
        assert [line.partition(" answered ")[2][:3] for line in recorder.take()] == ["401"]
        # An address no operation takes is not checked (there is nothing to declare it).
        assert (await http.get("/v1/no-such-thing")).status_code == 404
        assert recorder.take() == []


# --- what the fuzzer found (tests/e2e/test_api_fuzz.py), each fixed in the handler layer ------------


async def test_a_method_the_path_does_not_serve_is_405_with_allow(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # RFC 9110: a 405 names the methods the resource has. The problem handler dropped Litestar's header.
    response = await client.request("TRACE", f"/v1/orders/{uuid.uuid4()}", headers=tenant.headers())
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "OPTIONS"}


async def test_a_nul_character_in_a_query_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # Was a 400 naming nothing (PostgreSQL refused the text); schema-valid for the document.
    response = await client.get("/v1/orders/export.csv", params={"q": "a\x00b"}, headers=tenant.headers())
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "q", "message": "must not contain the NUL character (\\u0000)"}]
    # In a path it names nothing that can exist.
    assert (await client.get("/v1/stock/A%00B", headers=tenant.headers())).status_code == 404


async def test_a_nul_character_in_a_json_string_is_a_422_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    response = await client.post("/v1/customers", json={"code": "C-1", "name": "Li\x00Wei"}, headers=tenant.headers())
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "name", "message": "must not contain the NUL character (\\u0000)"}]
