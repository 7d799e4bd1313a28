"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import types
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute

from carriers.controllers import ROUTES as CARRIER_ROUTES
from customs.controllers import ROUTES as CUSTOMS_ROUTES
from hub.auth import UsageRecorder, behind_api_keys
from hub.bodies import check_json_body
from hub.console import ROUTES as CONSOLE_ROUTES
from hub.console import handle_exception, template_config
from hub.core import batching, database
from hub.core.bootstrap import Services, resolve_services
from hub.core.settings import Settings, get_settings
from hub.health import health, ready
from hub.logging import RequestIdMiddleware, configure_logging
from hub.openapi import document_errors
from hub.orders.controllers import ROUTES as ORDER_ROUTES
from hub.queue import open_pool
from hub.reports.controllers import ROUTES as REPORT_ROUTES
from hub.shipping import ShipmentBookingController
from tenants.controllers import ApiKeyController, TenantController, UserController

logger = logging.getLogger("hub.app")

__all__ = ["SERVICES_ENV", "create_app", "create_app_from_environment", "open_resources"]

# Set by ``orderhub serve --workers N`` for its worker processes: the servers the parent resolved.
SERVICES_ENV = "ORDERHUB_SERVICES"
SHUTDOWN_STEP_SECONDS = 10.0


@contextlib.asynccontextmanager
async def open_resources(state: State, settings: Settings, services: Services) -> AsyncIterator[None]:
    """The database pool (as the application role), the arq pool and per-process helpers."""
    database.configure(services.app_database_url)
    await database.start_pool()
    state.settings = settings
    state.services = services
    state.usage_recorder = UsageRecorder()
    try:
        state.arq = await open_pool(services.redis_url)
    except Exception as exc:
        logger.warning("Redis is not reachable at start-up: %s", type(exc).__name__)
        state.arq = None
    # Everything loaded so far (tariff tables, locale data, routes) lives as long as the process:
    # frozen, the collector stops walking it on every full collection, which took tens of
    # milliseconds under load (the p99 of 50-line quotes).
    gc.freeze()
    try:
        yield
    finally:
        # Bounded: with the database gone, a pool acquire would wait for ever and the process would
        # ignore the SIGTERM that asked it to stop.
        try:
            # Rows already accepted reach the database before the pool closes.
            await asyncio.wait_for(batching.drain_all(), SHUTDOWN_STEP_SECONDS)
        except TimeoutError:
            logger.warning("group-commit writers did not finish within %s s at shutdown", SHUTDOWN_STEP_SECONDS)
        try:
            await asyncio.wait_for(state.usage_recorder.flush(), SHUTDOWN_STEP_SECONDS)
        except Exception as exc:
            logger.warning("could not record pending API-key usage at shutdown: %s", type(exc).__name__)
        if state.arq is not None:
            await state.arq.aclose()
        await database.close_pool()


def create_app(settings: Settings | None = None, services: Services | None = None) -> Litestar:
    """Build the app. Without ``services`` the configured (or embedded) servers are used."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_resources(app.state, settings, services or resolve_services(settings)):
            yield

    app = Litestar(
        route_handlers=behind_api_keys(
            [
                health,
                ready,
                TenantController,
                ApiKeyController,
                UserController,
                *ORDER_ROUTES,
                *CUSTOMS_ROUTES,
                *CARRIER_ROUTES,
                *REPORT_ROUTES,
                *CONSOLE_ROUTES,
                ShipmentBookingController,
            ]
        ),
        lifespan=[lifespan],
        exception_handlers={Exception: handle_exception},
        # JSON bodies as declared: media type, depth, exact value types (the console router has its own).
        before_request=check_json_body,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Order hub",
            version="0.1.0",
            description="Multi-tenant order hub for cross-border e-commerce.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(
                security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer", description="API key")}
            ),
            security=[{"apiKey": []}],
        ),
        template_config=template_config(),
        debug=False,
        logging_config=None,
        signature_namespace={"Any": Any},
    )
    # Around Litestar's own exception handling, not among the route middleware: the auth
    # middleware's 401 and the router's 404/405 are answered there, and went out without
    # X-Request-ID and were logged as a 500 (or, from the router, not at all). It also sets
    # X-Content-Type-Options: nosniff on every response.
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    # The error answers each operation really gives, as problem+json (Litestar documents only its own 400).
    document_errors(app)
    allow_every_method(app)
    return app


def allow_every_method(app: Litestar) -> None:
    """Make each path's automatic ``OPTIONS`` answer list all of the path's methods in ``Allow``.

    Litestar makes that handler for the route of the first handler registered at a path and keeps it
    when the path's other handlers join (a new route per join): its answer named that first route's
    methods only (``Allow: GET, OPTIONS`` where ``PATCH`` is served too). Its one free variable is
    that route; it is pointed at the path's final one. A Litestar whose handler has another shape
    fails here at start-up, not with a wrong header.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        function = route.route_handler_map["OPTIONS"][0].fn
        if getattr(function, "__name__", "") != "options_handler":
            continue  # an OPTIONS handler of ours answers for itself
        cells: tuple[types.CellType, ...] = getattr(function, "__closure__", None) or ()
        code = getattr(function, "__code__", None)
        if (
            code is None
            or code.co_freevars != ("self",)
            or len(cells) != 1
            or not isinstance(cells[0].cell_contents, HTTPRoute)
        ):
            raise RuntimeError(f"Litestar's OPTIONS handler of {route.path} has an unknown shape")
        cells[0].cell_contents = route


def create_app_from_environment() -> Litestar:
    """The app of one ``--workers`` process (a uvicorn factory): services from :data:`SERVICES_ENV`."""
    raw = os.environ.get(SERVICES_ENV)
    services = msgspec.json.decode(raw, type=Services) if raw else None
    return create_app(get_settings(), services)
