"""Piccolo tables of the customs package. Keys and policies live in migrations/customs (SQL)."""

from __future__ import annotations

from piccolo.table import Table

TABLES: list[type[Table]] = []
