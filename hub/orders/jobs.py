"""arq jobs of the orders domain (registered by hub.worker through JOBS)."""

from __future__ import annotations

from arq.worker import Function

JOBS: list[Function] = []
