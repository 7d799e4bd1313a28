"""The order's statuses and the sets of them that decide what may happen to an order."""

from __future__ import annotations

OPEN_STATUSES = frozenset({"received", "in_review", "on_hold", "awaiting_approval", "backordered", "approved"})
"""Statuses in which the order can still change or be cancelled without a return."""
APPROVABLE = frozenset({"in_review", "awaiting_approval"})
