"""Every route behind an API key checks the caller's role: a route added without a guard fails here."""

from __future__ import annotations

import re

from litestar import Router, get
from litestar.handlers.http_handlers import HTTPRouteHandler

from hub.app import create_app
from hub.auth import auth_middleware, behind_api_keys, is_public_path
from hub.bodies import check_json_body
from hub.console.controllers import console_before_request
from hub.core.bootstrap import Services
from hub.core.settings import Settings
from hub.health import no_request_checks


def _handlers(settings: Settings, services: Services) -> list[tuple[str, HTTPRouteHandler]]:
    app = create_app(settings, services)  # building the app connects to nothing
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler):
                found.append((route.path, handler))
    return found


def test_every_api_route_has_a_role_guard(test_settings: Settings, services: Services) -> None:
    handlers = _handlers(test_settings, services)
    # Litestar's own OPTIONS answers (the Allow header, no data) carry no guard of ours.
    api = [(path, h) for path, h in handlers if path.startswith("/v1") and h.http_methods != {"OPTIONS"}]
    assert len(api) > 50  # the walk found the API, not an empty app
    unguarded = [
        f"{sorted(handler.http_methods)} {path}"
        for path, handler in api
        if not any(getattr(guard, "__name__", "").startswith("requires_") for guard in handler.resolve_guards())
    ]
    assert unguarded == []


def test_routes_outside_v1_are_public_on_purpose(test_settings: Settings, services: Services) -> None:
    # The auth middleware skips these prefixes; anything else outside /v1 would be an unguarded gap.
    outside = {path for path, _ in _handlers(test_settings, services) if not path.startswith("/v1")}
    assert outside
    assert all(is_public_path(path) for path in outside), sorted(outside)


LOOKALIKES = ["/healthz", "/ready-to-ship", "/schemas", "/webhooks-admin", "/consoles", "/v1/health"]
PUBLIC = ["/health", "/ready", "/schema/openapi.json", "/webhooks/carriers/dhl", "/console", "/console/orders"]


def test_a_public_path_is_a_whole_segment() -> None:
    """A future ``/healthz`` or ``/webhooks-admin`` must not be served without a key by its spelling."""
    assert [path for path in PUBLIC if not is_public_path(path)] == []
    assert [path for path in LOOKALIKES if is_public_path(path)] == []


def test_the_key_middleware_skips_exactly_the_public_paths() -> None:
    # Its exclusions are the second wall behind the router split; Litestar joins them into one pattern.
    exclude = re.compile("|".join(auth_middleware().kwargs["exclude"]))
    assert {path: bool(exclude.findall(path)) for path in PUBLIC + LOOKALIKES} == {
        path: is_public_path(path) for path in PUBLIC + LOOKALIKES
    }


def test_a_lookalike_route_goes_behind_the_keys() -> None:
    @get("/healthz", sync_to_thread=False)
    def lookalike() -> None: ...

    @get("/health", sync_to_thread=False)
    def probe() -> None: ...

    *public, keyed = behind_api_keys([lookalike, probe])
    assert public == [probe]
    assert isinstance(keyed, Router)
    assert [route.path for route in keyed.routes] == ["/healthz"]


def test_every_route_but_the_probes_checks_bodies_and_parameters(test_settings: Settings, services: Services) -> None:
    """The probes skip the app's ``before_request`` (they read nothing a client sends) and the console
    has its own (a form's checks); every other route keeps the NUL and JSON-shape checks."""
    wrong = []
    for path, handler in _handlers(test_settings, services):
        if handler.http_methods == {"OPTIONS"}:  # Litestar's own Allow answers
            continue
        if path in {"/health", "/ready"}:
            wanted: object = no_request_checks
        elif path.startswith("/console"):
            wanted = console_before_request
        else:
            wanted = check_json_body
        if handler.resolve_before_request() is not wanted:
            wrong.append(f"{sorted(handler.http_methods)} {path}")
    assert wrong == []
