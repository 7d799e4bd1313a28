"""Property-based fuzzing of the whole public API, over real HTTP, with schemathesis.

The product rule under test: every input a client can send gets a clear problem+json answer that
names the field, never a 500. The app runs under uvicorn in a spawned child process on a free port of
127.0.0.1, against the session's throw-away database (the ``services`` fixture); the child first
creates a tenant and hands its owner API key back over a pipe. The schema is loaded from the running
server's ``/schema/openapi.json`` and every operation in it is fuzzed with the owner key, with both
schema-valid (positive) and schema-invalid (negative) data; path parameters are drawn from both
generated values and the IDs of a few real objects seeded first, so requests reach the services
and not only the router's 404.

Checks on every response (ours, see :func:`_violations`):

* the status is never 5xx;
* every 4xx is ``application/problem+json`` with ``type``, ``title``, ``status`` (equal to the HTTP
  status) and ``detail``; a 422 also carries a non-empty ``errors`` list of ``{field, message}``.

Schemathesis's own conformance checks, and which of them we run:

* ``content_type_conformance`` and ``response_schema_conformance`` on 2xx answers: the document
  describes success bodies precisely, so a mismatch there is a real bug.
* Not ``status_code_conformance``, and no schemathesis check on 4xx: Litestar documents only its
  default ``400`` (a ``{status_code, detail, extra}`` JSON body) per operation, while the hub answers
  401/403/404/409/413/415/422 as problem+json by design. Those answers are validated by our own
  problem+json check above, which is stricter than "documented"; failing on them would only test
  Litestar's generated document.
* Not ``negative_data_rejection``: schemathesis's idea of "invalid" is the document's, and the
  document is looser or stricter than the services in places (free-form strings the services
  normalise, e.g. a lower-case country code); acceptance of such input is not an error to a client.

Webhook routes (``/webhooks/...``) are public but signed: they are fuzzed as described by the
document (no body) and additionally with arbitrary bodies and signature headers against both
unknown tokens and the real token of a seeded Shopify connection; they must answer 2xx or a 4xx
problem+json, never 5xx.

Bounded for a 2-core CI box: ``FUZZ_EXAMPLES`` examples per operation and mode (default 12),
``derandomize=True`` so every run sends the same requests, no shrinking (a failure is reported
with the exact request instead), and no example database. Failures are collected across all
operations and reported together, one reproduction (method, URL, body, response) per distinct
(operation, status, problem).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.engine import events, from_schema

from hub.core.bootstrap import Services
from hub.core.settings import Settings

pytestmark = pytest.mark.timeout(300)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
STATEFUL_SCENARIOS = int(os.environ.get("FUZZ_STATEFUL_SCENARIOS", "40"))
SEED = int(os.environ.get("FUZZ_SEED", "20261205"))
STARTUP_SECONDS = 60
REQUEST_TIMEOUT = 30.0
PROBLEM_JSON = "application/problem+json"
SHOPIFY_SECRET = "shopify-fuzz-secret-0123456789"
CARRIER_SECRET = "carrier-fuzz-secret-0123456789"
SIGNED_SHOPIFY = "POST /webhooks/shopify/{token} (validly signed bodies)"

EXCLUDED_OPERATIONS: dict[str, str] = {}
"""``"METHOD /path"`` -> why it is not fuzzed: known domain bugs whose owner has the reproduction
(also in tests/api/test_fuzz_regressions.py's history and the fuzz report). Remove an entry once fixed."""


# --- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _owner_keys(services: Services) -> tuple[str, str]:
    """The owner keys of two tenants: the fuzzing one, and a peer that must never see its objects."""
    from hub.core import database  # noqa: PLC0415
    from tenants import service as tenant_service  # noqa: PLC0415
    from tenants.schemas import TenantCreate  # noqa: PLC0415

    database.configure(services.app_database_url)
    await database.start_pool(2)
    try:
        keys = []
        for name in ("Fuzz Ltd", "Peer GmbH"):
            slug = f"fuzz-{uuid.uuid4().hex[:8]}"
            _tenant, key = await tenant_service.create_tenant(
                TenantCreate(slug=slug, name=name, base_currency="EUR", origin_country="CN")
            )
            keys.append(key)
        return keys[0], keys[1]
    finally:
        await database.close_pool()


def _serve(app_settings: Settings, services: Services, port: int, key_out: Connection) -> None:
    """The child: make the tenant (its own short-lived pool), send the owner key, serve the app."""
    import uvicorn  # noqa: PLC0415

    from hub.app import create_app  # noqa: PLC0415

    key_out.send(asyncio.run(_owner_keys(services)))
    key_out.close()
    # Access lines for ~1500 requests are noise; errors (a 500's traceback) still reach stderr.
    app = create_app(msgspec.structs.replace(app_settings, log_level="WARNING"), services)
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on", log_level="warning")


@dataclass
class Served:
    base_url: str
    key: str
    peer_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
def served(test_settings: Settings, services: Services) -> Iterator[Served]:
    port = _free_port()
    context = multiprocessing.get_context("spawn")
    key_in, key_out = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(test_settings, services, port, key_out), daemon=True)
    process.start()
    key_out.close()
    base_url = f"http://127.0.0.1:{port}"
    try:
        if not key_in.poll(STARTUP_SECONDS):
            pytest.fail("the API child did not create the tenant")
        key, peer_key = key_in.recv()
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.is_alive(), "the API child exited"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the API did not come up"
            time.sleep(0.1)
        yield Served(base_url, key, peer_key)
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(5)


# --- what every response must be ----------------------------------------------------------------


def _violations(status: int, content_type: str, text: str) -> list[str]:
    """What is wrong with one response under the product rule; empty when it is fine."""
    if status >= 500:
        return [f"server error {status}"]
    if status < 400:
        return []
    problems: list[str] = []
    if content_type.split(";", maxsplit=1)[0].strip().lower() != PROBLEM_JSON:
        problems.append(f"{status} with content-type {content_type!r}, not {PROBLEM_JSON}")
        return problems
    try:
        body = json.loads(text)
    except ValueError:
        return [f"{status} problem body is not JSON"]
    if not isinstance(body, dict):
        return [f"{status} problem body is not an object"]
    for member in ("type", "title", "detail"):
        if not isinstance(body.get(member), str) or not body[member]:
            problems.append(f"{status} problem without a {member!r} string")
    if body.get("status") != status:
        problems.append(f"{status} problem with status {body.get('status')!r}")
    if status == 422:
        errors = body.get("errors")
        if not isinstance(errors, list) or not errors:
            problems.append("422 without an 'errors' list")
        elif not all(
            isinstance(e, dict) and isinstance(e.get("field"), str) and e["field"] and isinstance(e.get("message"), str)
            for e in errors
        ):
            problems.append("422 'errors' entry without a field and a message")
    return problems


@dataclass
class Findings:
    """Distinct failures across the run: (operation, what) -> the first request that showed it."""

    seen: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)

    def count(self, status: int) -> None:
        self.requests += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1

    def add(self, operation: str, what: str, reproduction: str) -> None:
        self.seen.setdefault((operation, what), reproduction)

    def report(self) -> str:
        return "\n\n".join(f"{op}: {what}\n{repro}" for (op, what), repro in sorted(self.seen.items()))


def _reproduction(response: httpx.Response | Any) -> str:
    request = response.request
    body = request.body if hasattr(request, "body") else getattr(request, "content", b"")
    if isinstance(body, bytes):
        body = body[:2000].decode("utf-8", "backslashreplace")
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    return (
        f"  {request.method} {request.url}\n  headers: {headers}\n  body: {body!r}\n"
        f"  -> {response.status_code} {response.headers.get('content-type')}: {response.text[:600]}"
    )


# --- schemathesis: every check it has, and the one narrow allowance ------------------------------

POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
"""``positive_data_acceptance``'s own default: what a schema-valid request may be answered with
(a 5xx is still a failure: ``not_a_server_error`` and ours)."""

_CURSOR = "cursor: an opaque token this API issued; another string of the documented length is refused"
_CODES = "ISO 3166/4217 codes and other reference data the service looks up; the document types them as strings"
_ENUM = "a closed set of words the service checks (its message lists them); the document types it as a string"
_DECIMAL = "a decimal string (weight, rate, percent) the service parses and bounds; the document says string"
_RULE = "a rule across fields or against stored objects (an order, a sku, a person) that a schema cannot state"
_CONTENT = "the content of an uploaded file or document (CSV encoding, ECB XML, a PDF or image)"
_FORMAT = "a format the service checks (phone, URL, shop domain, HS code digits, a date); the document says string"

POSITIVE_REFUSALS: dict[str, str] = {
    "GET /v1/carrier-accounts": _CURSOR,
    "GET /v1/customers": _CURSOR,
    "GET /v1/fx-rates": f"{_CURSOR}; {_CODES}",
    "GET /v1/hs-codes": _FORMAT,
    "GET /v1/hs-codes/{code}": _FORMAT,
    "GET /v1/orders": f"{_CURSOR}; {_ENUM} (channel, status); {_FORMAT}",
    "GET /v1/orders/export.csv": f"{_ENUM} (channel, status); {_FORMAT}",
    "GET /v1/products": _CURSOR,
    "GET /v1/products/duty-coverage": f"{_CODES}; {_FORMAT}",
    "GET /v1/tariff-rows": _CURSOR,
    "GET /v1/tariff-schedules": _CURSOR,
    "GET /v1/tariff-schedules/{schedule_id}/measures": _FORMAT,
    "GET /v1/work-items": f"{_CURSOR}; {_ENUM} (kind, status)",
    "PATCH /v1/customers/{customer_id}": _FORMAT,
    "PATCH /v1/products/{product_id}": f"{_DECIMAL}; {_CODES}; {_FORMAT}",
    "PATCH /v1/tenant/settings": f"{_DECIMAL}; {_CODES}",
    "POST /v1/api-keys": _RULE,
    "POST /v1/carrier-accounts": f"{_ENUM} (carrier); {_RULE}",
    "POST /v1/customers": _FORMAT,
    "POST /v1/fx-rates": f"{_CODES}; {_DECIMAL}; {_RULE}",
    "POST /v1/fx-rates/ecb": _CONTENT,
    "POST /v1/landed-cost/quotes": f"{_CODES}; {_DECIMAL}; {_RULE}",
    "POST /v1/orders": f"{_CODES}; {_DECIMAL}; {_RULE}",
    "POST /v1/orders/imports": _CONTENT,
    "POST /v1/orders/{order_id}/attachments": _CONTENT,
    "POST /v1/orders/{order_id}/change-requests": f"{_DECIMAL}; {_CODES}; {_RULE}",
    "POST /v1/products": f"{_CODES}; {_DECIMAL}; {_FORMAT}",
    "POST /v1/returns/{return_id}/label": f"{_DECIMAL}; {_RULE}",
    "POST /v1/shipments": f"{_DECIMAL}; {_RULE}",
    "POST /v1/shipments/rates": f"{_DECIMAL}; {_RULE}",
    "POST /v1/shopify-connections": _FORMAT,
    "POST /v1/tariff-rows": f"{_CODES}; {_ENUM} (rules, type, status); {_RULE}",
    "POST /v1/tariff-schedules": f"{_ENUM} (source); {_CONTENT}",
    "POST /v1/webhook-endpoints": _FORMAT,
    "POST /v1/work-items": _RULE,
    "PUT /v1/stock/{sku}": f"{_RULE} (on_hand within 0..10^9, not below what is reserved)",
}
"""``positive_data_acceptance`` also accepts a 422 on these operations, and only a 422 (any other
refusal of schema-valid data, a 400 or a 415, still fails): each checks its input further than its
request schema says, for the reason given. Every other operation must accept every schema-valid
request. The 422 itself is still held to the product rule (problem+json naming each field)."""


def _config(served: Served, directory: Path, *, key_sent_by_caller: bool = False) -> schemathesis.Config:
    """Every check schemathesis has, ours too; the API key of the fuzzing tenant, and a second tenant's
    as the peer that ``object_level_authorization`` replays each read with (it must get a 404).

    ``key_sent_by_caller``: the test sends the key itself on every case, so no ``Authorization``
    value is generated (a negated one would be replaced by the valid key, and the answer then
    wrongly counted as negative data accepted); ``ignored_auth`` still probes without it."""
    auth = directory / "wfc-auth.json"
    auth.write_text(
        json.dumps(
            {
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {key}"}]}
                    for name, key in (("fuzz", served.key), ("peer", served.peer_key))
                ]
            }
        ),
        encoding="utf-8",
    )
    operations = []
    for label, _reason in sorted(POSITIVE_REFUSALS.items()):
        method, _, path = label.partition(" ")
        operations.append(
            {
                "include-method": method,
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "422"]}},
            }
        )
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "request-timeout": REQUEST_TIMEOUT,
            "auth": {"wfc": {"path": str(auth), "user": "fuzz", "peers": ["fuzz", "peer"]}},
            "generation": {
                "max-examples": EXAMPLES,
                "no-shrink": True,
                "deterministic": True,
                "database": "none",
                "with-security-parameters": not key_sent_by_caller,
            },
            "checks": {"enabled": True},
            "phases": {"stateful": {"max-steps": 8, "generation": {"max-examples": STATEFUL_SCENARIOS}}},
            "operations": operations,
        }
    )


@schemathesis.check
def problem_json_for_every_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The product rule (:func:`_violations`) as one more schemathesis check, on every answer."""
    del ctx, case
    content_type = (response.headers.get("content-type") or [""])[0]
    problems = _violations(response.status_code, content_type, response.text or "")
    if problems:
        raise AssertionError("; ".join(problems))
    return None


def _all_checks() -> list[str]:
    load_all_checks()
    return sorted(CHECKS.get_all_names())


# --- the fuzz -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def known(served: Served) -> dict[str, list[str]]:
    """A few real objects, so generated requests also reach existing rows: path parameter -> values."""
    with httpx.Client(base_url=served.base_url, headers=served.auth, timeout=REQUEST_TIMEOUT) as http:

        def made(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = http.request(method, path, json=body)
            assert response.is_success, f"seeding {method} {path}: {response.status_code} {response.text}"
            result: dict[str, Any] = response.json()
            return result

        money = {"amount": "19.90", "currency": "EUR"}
        product = made(
            "POST",
            "/v1/products",
            {"sku": "FUZZ", "name": "T-shirt", "hs_code": "610910", "origin_country": "CN", "unit_price": money},
        )
        made("PUT", "/v1/stock/FUZZ", {"on_hand": 1000, "incoming": 0})
        customer = made("POST", "/v1/customers", {"code": "C-FUZZ", "name": "Anna Schmidt"})
        address = {"name": "Anna Schmidt", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115"}
        order = made(
            "POST",
            "/v1/orders",
            {
                "channel": "api",
                "external_ref": "FUZZ",
                "customer": {"code": "C-FUZZ", "name": "Anna Schmidt"},
                "ship_to": {**address, "country": "DE"},
                "currency": "EUR",
                "lines": [{"sku": "FUZZ", "quantity": 1, "unit_price": money}],
            },
        )
        shopify = made(
            "POST", "/v1/shopify-connections", {"shop_domain": "fuzz.myshopify.com", "webhook_secret": SHOPIFY_SECRET}
        )
        accounts = {
            carrier: made(
                "POST",
                "/v1/carrier-accounts",
                {
                    "carrier": carrier,
                    "name": f"{carrier} fuzz",
                    "webhook_secret": CARRIER_SECRET,
                    **({"options": {"simulate_tracking": False}} if carrier == "sandbox" else {}),
                    **({} if carrier == "sandbox" else {"credentials": {"api_key": "fuzz-api-key"}}),
                },
            )
            for carrier in ("sandbox", "easypost", "aftership")
        }
    return {
        "product_id": [product["id"]],
        "customer_id": [customer["id"]],
        "order_id": [order["id"]],
        "sku": [product["sku"]],
        "token": [shopify["webhook_url"].rsplit("/", 1)[1]],
        **{f"endpoint_token:{name}": [account["webhook_url"].rsplit("/", 1)[1]] for name, account in accounts.items()},
    }


def _label(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def _strategy(operation: APIOperation, known: dict[str, list[str]]) -> st.SearchStrategy[Case]:
    """Positive and negative cases; where every path parameter has a seeded value, also cases on it."""
    names = {parameter.name for parameter in operation.path_parameters}
    fixed = {name: st.sampled_from(known[name]) for name in names if name in known}
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if fixed and len(fixed) == len(names):
            strategies.append(
                st.fixed_dictionaries(fixed).flatmap(
                    partial(_on_path, operation=operation, mode=mode),
                )
            )
    return st.one_of(strategies)


def _on_path(values: dict[str, str], *, operation: APIOperation, mode: GenerationMode) -> st.SearchStrategy[Case]:
    return operation.as_strategy(generation_mode=mode, path_parameters=values)


def _fuzz(operation: APIOperation, served: Served, known: dict[str, list[str]], findings: Findings) -> None:
    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, known))
    def fuzz(case: Case) -> None:
        response = case.call(base_url=served.base_url, headers=served.auth, timeout=REQUEST_TIMEOUT)
        findings.count(response.status_code)
        label = _label(case.method, case.path)
        try:
            # Every check the configuration enables (all of them, ours included), on every answer.
            case.validate_response(
                response,
                headers=served.auth,
                transport_kwargs={"base_url": served.base_url, "headers": served.auth, "timeout": REQUEST_TIMEOUT},
            )
        except FailureGroup as group:
            for failure in group.exceptions:
                findings.add(
                    label,
                    f"{failure.title}: {failure.message.splitlines()[0] if failure.message else ''}",
                    _reproduction(response),
                )
        except AssertionError as failure:
            findings.add(label, str(failure).strip().splitlines()[0], _reproduction(response))

    fuzz()


def test_every_operation_on_seeded_objects_passes_every_check(
    served: Served, known: dict[str, list[str]], tmp_path: Path
) -> None:
    """Positive and negative cases on generated and on seeded path ids, each answer through every check."""
    config = _config(served, tmp_path, key_sent_by_caller=True)
    url = f"{served.base_url}/schema/openapi.json"
    schema = schemathesis.openapi.from_url(url, config=config, timeout=REQUEST_TIMEOUT)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the document lists every public operation"
    findings = Findings()
    started = time.monotonic()
    fuzzed = 0
    for operation in operations:
        if _label(operation.method, operation.path) not in EXCLUDED_OPERATIONS:
            _fuzz(operation, served, known, findings)
            fuzzed += 1
    elapsed = time.monotonic() - started
    print(f"seeded: {fuzzed} operations, {findings.requests} requests in {elapsed:.1f}s: {findings.by_status}")
    assert not findings.seen, findings.report()


# --- webhooks: arbitrary bodies, with forged, malformed and valid signatures ----------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_ANY = _JSON | st.sampled_from(["", "0", "-1", "1e400", "x" * 300, "\u0000", "2030-02-30", "ÄÖ"])
_SHOPIFY_ORDER = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | _ANY,
        "name": _ANY,
        "email": _ANY,
        "currency": st.sampled_from(["EUR", "USD", "eur", "XXX"]) | _ANY,
        "created_at": _ANY,
        "customer": st.fixed_dictionaries({}, optional={"id": _ANY, "first_name": _ANY, "email": _ANY}) | _ANY,
        "shipping_address": st.fixed_dictionaries(
            {}, optional={"name": _ANY, "address1": _ANY, "city": _ANY, "zip": _ANY, "country_code": _ANY}
        )
        | _ANY,
        "line_items": st.lists(
            st.fixed_dictionaries({}, optional={"sku": _ANY, "quantity": _ANY, "price": _ANY, "title": _ANY}) | _ANY,
            max_size=3,
        )
        | _ANY,
        "shipping_lines": st.lists(st.fixed_dictionaries({}, optional={"price": _ANY}), max_size=2) | _ANY,
    },
)
_TRACKING_EVENT = st.fixed_dictionaries(
    {},
    optional={
        "event_id": _ANY,
        "id": _ANY,
        "tracking_number": _ANY,
        "shipment_id": _ANY,
        "status": st.sampled_from(["in_transit", "delivered", "unknown"]) | _ANY,
        "occurred_at": _ANY,
        "description": _ANY,
        "result": _ANY,
        "msg": _ANY,
        "data": _ANY,
    },
)


def _body(kind: str) -> st.SearchStrategy[bytes]:
    shaped = _SHOPIFY_ORDER if kind == "shopify" else _TRACKING_EVENT
    as_json = (shaped | _JSON).map(lambda value: json.dumps(value).encode())
    return as_json | st.binary(max_size=300)


def _signers() -> dict[str, tuple[str, Callable[[bytes], str]]]:
    """Carrier -> (signature header, how the carrier signs a body with CARRIER_SECRET)."""
    from carriers.aftership import mapper as aftership  # noqa: PLC0415
    from carriers.easypost import mapper as easypost  # noqa: PLC0415
    from carriers.signatures import HUB_SIGNATURE_HEADER, sign_hub  # noqa: PLC0415

    return {
        "sandbox": (HUB_SIGNATURE_HEADER, partial(sign_hub, CARRIER_SECRET)),
        "easypost": (easypost.SIGNATURE_HEADER, lambda body: easypost.sign_body(body, CARRIER_SECRET)),
        "aftership": (aftership.SIGNATURE_HEADER, lambda body: aftership.sign_body(body, CARRIER_SECRET)),
    }


def _webhook_requests(known: dict[str, list[str]]) -> st.SearchStrategy[tuple[str, bytes, dict[str, str]]]:
    """(path, body, headers) for both webhook routes: real or unknown endpoints; signatures valid
    (two draws in three on a real endpoint, so the parsers behind them are reached), forged or absent."""
    segment = st.text(min_size=1, max_size=40).map(lambda text: quote(text, safe=""))
    header_text = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=80)
    signers = _signers()

    @st.composite
    def shopify(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
        body = draw(_body("shopify"))
        valid = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        forged = base64.b64encode(hmac.new(b"not-the-secret", body, hashlib.sha256).digest()).decode()
        signature = draw(
            st.sampled_from([forged if SIGNED_SHOPIFY in EXCLUDED_OPERATIONS else valid, None]) | header_text
        )
        token = draw(st.sampled_from(known["token"]) | st.sampled_from(known["token"]) | segment)
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Shopify-Hmac-Sha256"] = signature
        return f"/webhooks/shopify/{token}", body, headers

    @st.composite
    def tracking(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
        body = draw(_body("tracking"))
        carrier = draw(st.sampled_from(sorted(signers)))
        header, sign = signers[carrier]
        valid = sign(body)
        signature = draw(st.sampled_from([valid, valid, None, "t=1,v1=zz", "hmac-sha256-hex=", "t=x"]) | header_text)
        endpoint = known[f"endpoint_token:{carrier}"][0]
        path = draw(
            st.sampled_from([f"{carrier}/{endpoint}"] * 2)
            | st.tuples(st.sampled_from([carrier]) | segment, segment).map("/".join)
        )
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[header] = signature
        return f"/webhooks/tracking/{path}", body, headers

    return shopify() | tracking()


def test_webhooks_answer_problem_json_for_any_body_and_signature(served: Served, known: dict[str, list[str]]) -> None:
    findings = Findings()
    with httpx.Client(base_url=served.base_url, timeout=REQUEST_TIMEOUT) as http:

        @settings(
            max_examples=EXAMPLES * 8,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(request=_webhook_requests(known))
        def fuzz(request: tuple[str, bytes, dict[str, str]]) -> None:
            path, body, headers = request
            response = http.post(path, content=body, headers=headers)
            findings.count(response.status_code)
            label = "POST /webhooks/shopify/{token}" if "/shopify/" in path else "POST /webhooks/tracking/..."
            for what in _violations(response.status_code, response.headers.get("content-type", ""), response.text):
                findings.add(label, what, _reproduction(response))

        fuzz()
    print(f"webhooks: {findings.requests} requests: {findings.by_status}")
    assert not findings.seen, findings.report()


# --- schemathesis's engine: examples, coverage, fuzzing and stateful phases -----------------------


@dataclass
class EngineRun:
    cases: dict[str, int] = field(default_factory=dict)
    checks: dict[str, int] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def scenario(self, phase: str, recorder: Any) -> None:
        self.cases[phase] = self.cases.get(phase, 0) + len(recorder.cases)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                self.checks[check.name] = self.checks.get(check.name, 0) + 1
                if check.failure_info is not None:
                    key = (recorder.label, f"{check.name}: {check.failure_info.failure.title}")
                    self.failures.setdefault(key, _engine_reproduction(recorder, case_id, check.failure_info))

    def report(self) -> str:
        return "\n\n".join(f"{label} -- {what}\n{detail}" for (label, what), detail in sorted(self.failures.items()))


def _engine_reproduction(recorder: Any, case_id: str, info: Any) -> str:
    lines = [info.failure.message, info.code_sample]
    interaction = recorder.interactions.get(case_id)
    if interaction is not None:
        lines.append(f"  body: {(interaction.request.body or b'')[:600]!r}")
        if interaction.response is not None:
            lines.append(f"  -> {interaction.response.status_code}: {interaction.response.content[:600]!r}")
    return "\n".join(lines)


def test_schemathesis_engine_runs_every_check_in_every_phase(served: Served, tmp_path: Path) -> None:
    """The CLI's engine in-process: explicit examples, the coverage phase (boundary values, missing
    required headers, methods the path does not serve), fuzzing, and stateful sequences along the
    links schemathesis infers (create, then read, change or delete what was created), which is where
    ``use_after_free``, ``ensure_resource_availability`` and ``object_level_authorization`` apply."""
    assert set(_all_checks()) >= {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
        "object_level_authorization",
        "problem_json_for_every_error",
    }
    schema = schemathesis.openapi.from_url(
        f"{served.base_url}/schema/openapi.json", config=_config(served, tmp_path), timeout=REQUEST_TIMEOUT
    )
    run = EngineRun()
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            run.scenario(str(event.phase.value), event.recorder)
        elif isinstance(event, events.FuzzScenarioFinished):
            run.scenario("fuzzing", event.recorder)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            run.errors.append(repr(event.exception))
    elapsed = time.monotonic() - started
    print(
        f"engine: {sum(run.cases.values())} cases in {elapsed:.1f}s, by phase {run.cases}; "
        f"check runs {dict(sorted(run.checks.items()))}"
    )
    assert not run.errors, run.errors
    assert not run.failures, run.report()
    assert set(run.checks) == set(_all_checks()), "every check ran"
    assert run.cases.get("stateful", 0) > 0, "links were inferred and followed"
