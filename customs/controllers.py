"""HTTP handlers of the customs package (registered by hub.app through ROUTES)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
