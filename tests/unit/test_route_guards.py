"""Every route behind an API key checks the caller's role: a route added without a permission fails here."""

from __future__ import annotations

import re

from litestar import Router, get
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from hub.app import create_app
from hub.auth import auth_middleware, behind_api_keys, is_public_path
from hub.bodies import check_json_body
from hub.console.controllers import console_before_request
from hub.core.bootstrap import Services
from hub.core.settings import Settings
from hub.health import no_request_checks
from tenants.guards import required_permission
from tenants.roles import GRANTS, Permission


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
        f"{sorted(handler.http_methods)} {path}" for path, handler in api if required_permission(handler.opt) is None
    ]
    assert unguarded == []


def test_no_route_runs_a_litestar_guard(test_settings: Settings, services: Services) -> None:
    """Permissions are ``opt`` checked by the key middleware: a guard would copy the handler per request."""
    guarded = [
        f"{sorted(h.http_methods)} {path}" for path, h in _handlers(test_settings, services) if h.resolve_guards()
    ]
    assert guarded == []


def test_every_role_may_read() -> None:
    """A handler's permission replaces its controller's (``opt`` merges innermost first): that drops
    the controller's ``read`` only because no role lacks it."""
    assert all(Permission.READ in grants for grants in GRANTS.values())


def test_a_handler_permission_replaces_its_controllers(test_settings: Settings, services: Services) -> None:
    found = {
        (path, method): required_permission(handler.opt)
        for path, handler in _handlers(test_settings, services)
        for method in handler.http_methods
    }
    assert found[("/v1/orders", "GET")] is Permission.READ
    assert found[("/v1/orders", "POST")] is Permission.WRITE
    assert found[("/v1/orders/{order_id:str}/approve", "POST")] is Permission.APPROVE


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


def test_every_automatic_options_answer_names_all_of_its_paths_methods(
    test_settings: Settings, services: Services
) -> None:
    """Console paths too (``/console/login`` serves GET and POST), which the API test cannot reach."""
    app = create_app(test_settings, services)
    wrong = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "OPTIONS" in route.route_handler_map:
            handler = route.route_handler_map["OPTIONS"][0]
            if handler.fn.__name__ == "options_handler":
                allow = handler.fn({}).headers["Allow"]
                if allow != ", ".join(sorted(route.methods)):
                    wrong[route.path] = allow
    assert len([r for r in app.routes if isinstance(r, HTTPRoute)]) > 50
    assert wrong == {}
