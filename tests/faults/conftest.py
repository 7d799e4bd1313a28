"""One rig for the whole faults suite: private PostgreSQL and Redis, the API and worker processes,
the carrier stub and a seller's webhook receiver, and a tenant set up to take orders and book labels."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.faults.rig import Rig
from tests.faults.stubs import CarrierStub, WebhookReceiver

CARRIER_DEADLINE_SECONDS = 2.0
CARRIER_MAX_RESPONSE_BYTES = 65_536
OUTBOX_LEASE_SECONDS = 4.0
SANDBOX_TIME_SCALE = 120_000  # the sandbox's days-long timeline in about three seconds
WEBHOOK_SECRET = "faults-seller-signing-secret"
SKU = "FAULT-MUG"
SHIP_TO = {"name": "Anna Schmidt", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115", "country": "DE"}


REPORT: list[str] = []
"""One line per scenario, printed at the end of the run by :func:`pytest_terminal_summary`."""


def report(scenario: str, **counts: Any) -> None:
    line = f"{scenario}: " + ", ".join(f"{name}={value}" for name, value in counts.items())
    REPORT.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("fault injection: counts")
        for line in REPORT:
            terminalreporter.write_line(line)


@dataclass
class Faults:
    rig: Rig
    carrier: CarrierStub
    receiver: WebhookReceiver
    easypost_account: str
    sandbox_account: str
    http: httpx.Client

    def order_body(self, ref: str) -> dict[str, Any]:
        return {
            "external_ref": ref,
            "incoterm": "DAP",
            "currency": "EUR",
            "customer": {"code": f"C-{ref}", "name": "Anna Schmidt", "email": "anna@example.de"},
            "ship_to": SHIP_TO,
            "lines": [{"sku": SKU, "quantity": 1}],
        }

    def reconnect(self) -> None:
        """A fresh client after the API was restarted (its kept-alive connections died with it)."""
        self.http.close()
        self.http = httpx.Client(base_url=self.rig.base, headers=self.rig.headers, timeout=30)

    def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return self.http.post(path, json=body, headers=headers)

    def new_order(self, prefix: str) -> dict[str, Any]:
        """One approved order, created with an Idempotency-Key and retried until the hub says 201."""
        ref = f"{prefix}-{uuid.uuid4().hex[:10]}"
        answer = self.post("/v1/orders", self.order_body(ref), **{"Idempotency-Key": ref})
        assert answer.status_code == 201, answer.text
        order: dict[str, Any] = answer.json()
        assert order["status"] == "approved", order
        return order


def _setup_tenant(http: httpx.Client, carrier: CarrierStub, receiver: WebhookReceiver) -> tuple[str, str]:
    exporter = {
        "name": "Faults Exports",
        "address": {"line1": "1 Keji Rd", "city": "Shenzhen", "country": "CN", "postal_code": "518057"},
    }
    assert http.patch("/v1/tenant/settings", json={"exporter": exporter}).is_success
    product = {
        "sku": SKU,
        "name": "Ceramic mug",
        "hs_code": "691200",
        "origin_country": "CN",
        "unit_price": {"amount": "8.50", "currency": "EUR"},
        "weight_kg": "0.35",
    }
    assert http.post("/v1/products", json=product).status_code == 201
    assert http.put(f"/v1/stock/{SKU}", json={"on_hand": 1_000_000}).is_success
    hook = http.post(
        "/v1/webhook-endpoints", json={"url": receiver.url, "secret": WEBHOOK_SECRET, "events": ["order.created"]}
    )
    assert hook.status_code == 201, hook.text
    easypost = http.post(
        "/v1/carrier-accounts",
        json={
            "carrier": "easypost",
            "name": "EasyPost-shaped stub",
            "credentials": {"api_key": "EZTK_faults"},
            "options": {"base_url": carrier.base_url},
        },
    )
    assert easypost.status_code == 201, easypost.text
    sandbox = http.post(
        "/v1/carrier-accounts",
        json={"carrier": "sandbox", "name": "Fast sandbox", "options": {"time_scale": SANDBOX_TIME_SCALE}},
    )
    assert sandbox.status_code == 201, sandbox.text
    return easypost.json()["id"], sandbox.json()["id"]


@pytest.fixture(scope="session")
def faults() -> Iterator[Faults]:
    carrier = CarrierStub(deadline_seconds=CARRIER_DEADLINE_SECONDS, max_response_bytes=CARRIER_MAX_RESPONSE_BYTES)
    receiver = WebhookReceiver()
    with carrier.run(), receiver.run():
        rig = Rig(
            egress_allow=[carrier.port, receiver.port],
            extra_env={
                "ORDERHUB_OUTBOX_LEASE_SECONDS": str(OUTBOX_LEASE_SECONDS),
                "ORDERHUB_CARRIER_DEADLINE_SECONDS": str(CARRIER_DEADLINE_SECONDS),
                "ORDERHUB_CARRIER_MAX_RESPONSE_BYTES": str(CARRIER_MAX_RESPONSE_BYTES),
            },
        )
        try:
            rig.start()
            http = httpx.Client(base_url=rig.base, headers=rig.headers, timeout=30)
            easypost, sandbox = _setup_tenant(http, carrier, receiver)
            state = Faults(rig, carrier, receiver, easypost, sandbox, http)
            yield state
            state.http.close()
        finally:
            rig.stop()
