"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from hub.core.database import fetch


class Health(msgspec.Struct):
    status: str


class Ready(msgspec.Struct):
    status: str
    database: str
    redis: str


async def no_request_checks(request: Request[Any, Any, Any]) -> None:
    """The probes' ``before_request``, in place of the app's body check: they read no body and no
    parameter, and a load balancer calls them many times a second."""
    del request


PROBE: dict[str, Any] = {"tags": ("health",), "opt": {"public": True}, "before_request": no_request_checks}
"""What makes a route a probe: public, outside the API keys, and without the body check."""


@get("/health", operation_id="Health", sync_to_thread=False, **PROBE)
def health() -> Health:
    """Liveness: the process answers. Touches nothing else."""
    return Health(status="ok")


@get(
    "/ready",
    operation_id="Ready",
    **PROBE,
    # A probe's answer, not a problem: the same body, naming what is down.
    responses={503: ResponseSpec(Ready, description="PostgreSQL or Redis does not answer")},
)
async def ready(state: State) -> Response[Ready]:
    """Readiness: PostgreSQL answers a query and Redis a PING, each within 2 seconds."""

    async def database() -> str:
        try:
            await asyncio.wait_for(fetch("SELECT 1 AS ok"), timeout=2)
        except Exception as exc:
            return f"down: {type(exc).__name__}"
        return "ok"

    async def redis() -> str:
        pool: Any = state.get("arq")
        if pool is None:
            return "down: not connected"
        try:
            await asyncio.wait_for(pool.ping(), timeout=2)
        except Exception as exc:
            return f"down: {type(exc).__name__}"
        return "ok"

    db_status, redis_status = await asyncio.gather(database(), redis())
    ok = db_status == "ok" and redis_status == "ok"
    body = Ready(status="ok" if ok else "unavailable", database=db_status, redis=redis_status)
    return Response(body, status_code=200 if ok else 503)
