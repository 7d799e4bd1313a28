"""Piccolo tables of the carriers package. Keys and policies live in migrations/carriers (SQL)."""

from __future__ import annotations

from piccolo.table import Table

TABLES: list[type[Table]] = []
