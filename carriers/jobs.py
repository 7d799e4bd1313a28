"""arq jobs of the carriers package (registered by hub.worker through JOBS)."""

from __future__ import annotations

from arq.worker import Function

JOBS: list[Function] = []
