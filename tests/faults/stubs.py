"""The two outside parties of the fault rig, as real HTTP servers on loopback (threads of the test).

:class:`CarrierStub` answers the hub's EasyPost adapter (the account's ``base_url`` points here, let
through by ``ORDERHUB_EGRESS_ALLOW``): it creates shipments, sells one label per purchase and counts
every label it sold per shipment reference (the hub sends its shipment id, one per Idempotency-Key),
so a double label shows up as a count of two. A purchase can be answered with a fault: a timeout, a
5xx, a body trickled too slowly or too long to read, a cut connection, or held until released (to
kill the API while it waits). Like EasyPost, it never sells a second label for one shipment.

:class:`WebhookReceiver` is a seller's endpoint for the hub's signed webhooks: it records each event
id it acknowledged (2xx) and can stall every request until released.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SERVICE = "Express"
PROVIDER = "StubPost"

# Faults a purchase can meet. "sold" ones take the money before the answer goes wrong, so the hub
# never learns the outcome from that answer: only asking the carrier again (or not buying) is safe.
SOLD_FAULTS = ("timeout", "slow_body", "oversized", "cut_body", "not_json", "502_after_sale", "reset", "hold")
UNSOLD_FAULTS = ("503", "500", "429")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler], owner: Any) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), handler)
    server.owner = owner  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, *, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class CarrierStub:
    """An EasyPost-shaped carrier with a plan of faults for its next purchases."""

    def __init__(self, *, deadline_seconds: float, max_response_bytes: int) -> None:
        self.deadline = deadline_seconds
        self.max_response_bytes = max_response_bytes
        self.lock = threading.Lock()
        self.shipments: dict[str, dict[str, Any]] = {}
        self.labels_sold: Counter[str] = Counter()
        """Labels sold per shipment reference (the hub's shipment id): more than one is a double label."""
        self.refused_rebuys = 0
        self.calls: Counter[str] = Counter()
        self.buy_faults: list[str] = []
        self.create_faults: list[str] = []
        self.lookup_faults: list[str] = []
        self.held = threading.Semaphore(0)
        self.release = threading.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    @contextlib.contextmanager
    def run(self) -> Iterator[CarrierStub]:
        with serving(_CarrierHandler, self) as server:
            self.port = server.server_address[1]
            yield self

    def next_fault(self, plan: list[str]) -> str | None:
        with self.lock:
            return plan.pop(0) if plan else None

    def create(self, payload: dict[str, Any]) -> dict[str, Any]:
        shipment_id = f"shp_{secrets.token_hex(16)}"
        reference = str(payload.get("shipment", {}).get("reference") or "")
        rate = {
            "id": f"rate_{secrets.token_hex(16)}",
            "object": "Rate",
            "service": SERVICE,
            "carrier": PROVIDER,
            "rate": "21.40",
            "currency": "USD",
            "delivery_days": 3,
            "shipment_id": shipment_id,
        }
        shipment = {"id": shipment_id, "object": "Shipment", "reference": reference, "rates": [rate], "messages": []}
        with self.lock:
            self.shipments[shipment_id] = shipment
        return shipment

    def buy(self, shipment_id: str, rate_id: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            shipment = self.shipments.get(shipment_id)
            if shipment is None:
                return 404, {"error": {"code": "NOT_FOUND", "message": "no such shipment"}}
            if shipment.get("tracking_code"):
                self.refused_rebuys += 1
                return 422, {"error": {"code": "SHIPMENT.POSTAGE.EXISTS", "message": "postage already exists"}}
            rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
            if rate is None:
                return 422, {"error": {"code": "SHIPMENT.RATE.INVALID", "message": "no such rate"}}
            shipment["tracking_code"] = f"STUB{secrets.randbelow(10**12):012d}"
            shipment["selected_rate"] = rate
            shipment["postage_label"] = {"label_pdf_url": f"https://labels.invalid/{shipment_id}.pdf"}
            self.labels_sold[shipment["reference"]] += 1
            return 200, shipment

    def double_labels(self) -> int:
        return sum(n - 1 for n in self.labels_sold.values() if n > 1)


class _CarrierHandler(_Handler):
    @property
    def stub(self) -> CarrierStub:
        return self.server.owner  # type: ignore[attr-defined,no-any-return]

    def do_POST(self) -> None:
        stub = self.stub
        path = self.path.split("?")[0]
        payload = json.loads(self._body() or b"{}")
        stub.calls[f"POST {path.rsplit('/', 1)[-1] if path.endswith('/buy') else path}"] += 1
        if path == "/v2/shipments":
            fault = stub.next_fault(stub.create_faults)
            if fault is not None and self._unsold(fault):
                return
            shipment = stub.create(payload)
            if fault == "timeout":
                time.sleep(stub.deadline + 1)
            self._answer(200, shipment)
            return
        if path.startswith("/v2/shipments/") and path.endswith("/buy"):
            fault = stub.next_fault(stub.buy_faults)
            if fault is not None and self._unsold(fault):
                return
            status, body = stub.buy(path.split("/")[3], str(payload.get("rate", {}).get("id", "")))
            self._answer(status, body, fault if status == 200 else None)
            return
        self._answer(404, {"error": {"code": "NOT_FOUND", "message": "no route"}})

    def do_GET(self) -> None:
        stub = self.stub
        path = self.path.split("?")[0]
        stub.calls["GET shipment"] += 1
        if path.startswith("/v2/shipments/"):
            fault = stub.next_fault(stub.lookup_faults)
            if fault is not None and self._unsold(fault):
                return
            with stub.lock:
                shipment = stub.shipments.get(path.split("/")[3])
            if shipment is None:
                self._answer(404, {"error": {"code": "NOT_FOUND", "message": "no such shipment"}})
                return
            self._answer(200, shipment)
            return
        self._answer(404, {"error": {"code": "NOT_FOUND", "message": "no route"}})

    def _unsold(self, fault: str) -> bool:
        """Answer a fault that sells nothing; False when ``fault`` is not one of those."""
        if fault not in UNSOLD_FAULTS:
            return False
        body = json.dumps({"error": {"code": "SERVICE.UNAVAILABLE", "message": f"stub fault {fault}"}}).encode()
        self._send(int(fault), body)
        return True

    def _answer(self, status: int, payload: dict[str, Any], fault: str | None = None) -> None:
        stub = self.stub
        body = json.dumps(payload).encode()
        with contextlib.suppress(OSError):  # the hub may have given up on us long ago
            if fault is None:
                self._send(status, body)
            elif fault == "timeout":
                time.sleep(stub.deadline + 1)
                self._send(status, body)
            elif fault == "slow_body":
                # Headers at once, then a byte every 50 ms: each read is quick, the whole is not.
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for start in range(min(len(body), int(stub.deadline * 40))):
                    self.wfile.write(body[start : start + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            elif fault == "oversized":
                padded = body[:-1] + b', "padding": "' + b"x" * stub.max_response_bytes + b'"}'
                self._send(status, padded)
            elif fault == "cut_body":
                self._send(status, body[: len(body) // 2])
            elif fault == "not_json":
                self._send(status, b"<html><body>502 Bad Gateway (upstream)</body></html>", content_type="text/html")
            elif fault == "502_after_sale":
                self._send(502, b'{"error": {"code": "BAD_GATEWAY", "message": "upstream timed out"}}')
            elif fault == "reset":
                self.close_connection = True
                self.connection.shutdown(2)
            elif fault == "hold":
                stub.held.release()
                stub.release.wait(timeout=60)
                self._send(status, body)
            else:
                raise AssertionError(f"unknown fault {fault}")


class WebhookReceiver:
    """A seller's webhook endpoint: acknowledges (200) and records each event, or stalls when told."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acknowledged: Counter[str] = Counter()
        """Event ids answered 2xx, with how many times (more than once: an at-least-once repeat)."""
        self.order_ids: dict[str, str] = {}
        """order.created events acknowledged: order id to event id."""
        self.requests = 0
        self.stalled = 0
        self.stall = threading.Event()
        self.delay = 0.0
        """Seconds each request waits before its 200: a slow seller, so sends pile up in the queue."""
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/orderhub"

    @contextlib.contextmanager
    def run(self) -> Iterator[WebhookReceiver]:
        with serving(_ReceiverHandler, self) as server:
            self.port = server.server_address[1]
            yield self


class _ReceiverHandler(_Handler):
    def do_POST(self) -> None:
        receiver: WebhookReceiver = self.server.owner  # type: ignore[attr-defined]
        body = self._body()
        with receiver.lock:
            receiver.requests += 1
        if receiver.stall.is_set():
            with receiver.lock:
                receiver.stalled += 1
            while receiver.stall.is_set():
                time.sleep(0.05)
            # The sender may be dead by now: a late answer is not an acknowledgement anyone read,
            # so this one is not counted.
            with contextlib.suppress(OSError):
                self._send(503, b"stalled")
            return
        event = json.loads(body)
        if receiver.delay:
            time.sleep(receiver.delay)
        with contextlib.suppress(OSError):
            self._send(200, b"{}")
            with receiver.lock:
                receiver.acknowledged[event["id"]] += 1
                if event["type"] == "order.created":
                    receiver.order_ids[event["data"]["order_id"]] = event["id"]
