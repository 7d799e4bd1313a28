"""HTTP handlers of the carriers package (registered by hub.app through ROUTES)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
