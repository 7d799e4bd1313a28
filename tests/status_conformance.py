"""Every response the API tests receive must carry a status its OpenAPI operation declares.

:class:`StatusRecorder` wraps the app that the ``client`` fixture serves (``tests/conftest.py``).
Litestar names the matched route in the ASGI scope (``path_template``) before the handler, its
guards or the auth middleware run, so each answer is looked up under the operation that took the
request. An answer outside the operation's ``responses`` is kept, and the test that caused it fails
at teardown with the request, the status and what the document declares. Requests that matched no
operation (an unknown path, a method the path does not serve, the console's pages) are not
checked: there is no operation to declare anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["StatusRecorder", "declared_statuses"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def declared_statuses(app: Litestar) -> dict[tuple[str, str], frozenset[int]]:
    """(METHOD, path template) -> the statuses its operation declares, from the served document."""
    document = app.openapi_schema.to_schema()
    declared: dict[tuple[str, str], frozenset[int]] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                declared[(method.upper(), path)] = frozenset(int(status) for status in operation.get("responses", {}))
    return declared


@dataclass
class StatusRecorder:
    """An ASGI wrapper noting each answer whose status its operation does not declare."""

    app: Litestar
    undeclared: list[str] = field(default_factory=list)
    _declared: dict[tuple[str, str], frozenset[int]] | None = None

    def _statuses(self, method: str, template: str) -> frozenset[int] | None:
        if self._declared is None:
            self._declared = declared_statuses(self.app)
        return self._declared.get((method, template))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def checked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._check(scope, int(message["status"]))
            await send(message)

        inner: ASGIApp = self.app
        await inner(scope, receive, checked_send)

    def _check(self, scope: Any, status: int) -> None:
        template = scope.get("path_template")
        if not template:
            return  # routing failed: no operation took the request
        method = str(scope.get("method", "GET"))
        statuses = self._statuses(method, template)
        if statuses is None or status in statuses:
            return
        self.undeclared.append(
            f"{method} {scope.get('path')} ({method} {template}) answered {status}; "
            f"its operation declares {sorted(statuses)}"
        )

    def take(self) -> list[str]:
        """The undeclared answers since the last call (one test's), clearing them."""
        found, self.undeclared = self.undeclared, []
        return found
