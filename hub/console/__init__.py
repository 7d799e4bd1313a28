"""The clerk web console: server-rendered pages (Jinja), signed in with the same users and roles.

Everything lives under one router at ``/console`` (the API-key middleware leaves that prefix
alone): the session middleware, the CSRF check on every POST and the sign-in requirement
(:func:`hub.console.controllers.console_before_request`), and HTML error pages instead of
problem+json. No JavaScript is needed; nothing is loaded from another origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from hub.console.controllers import HANDLERS, console_before_request, console_exception_handler
from hub.console.operations import HANDLERS as OPERATION_HANDLERS
from hub.console.reports import HANDLERS as REPORT_HANDLERS
from hub.console.session import ConsoleSessionMiddleware
from hub.problems import handle_exception as problem_exception_handler

TEMPLATES = Path(__file__).resolve().parent / "templates"
# No script runs on console pages; styles are inline in the base template; forms post only here.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

console_router = Router(
    path="/console",
    route_handlers=[*HANDLERS, *OPERATION_HANDLERS, *REPORT_HANDLERS],
    middleware=[ConsoleSessionMiddleware],
    before_request=console_before_request,
    exception_handlers={Exception: console_exception_handler},
    include_in_schema=False,
    response_headers=HEADERS,
)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The app's handler. What never reached a console route (an unknown address under /console, a
    method the address does not serve: a POST-only address typed into the address bar) is answered
    with a console page like the routes' own errors; everything else as problem+json."""
    path = request.url.path
    if path == "/console" or path.startswith("/console/"):
        response = console_exception_handler(request, exc)
        response.headers.update(HEADERS)
        return response
    return problem_exception_handler(request, exc)


ROUTES: list[ControllerRouterHandler] = []
ROUTES.append(console_router)


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)
