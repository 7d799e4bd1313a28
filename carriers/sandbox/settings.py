"""Sandbox account options (no credentials: the sandbox has nothing to log in to)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.core.money import is_known_currency

__all__ = ["SandboxSettings"]


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    currency: str = "EUR"
    """Currency the price table is quoted in (the table is the same numbers whatever the code)."""

    @classmethod
    def from_account(cls, options: Mapping[str, Any] | None) -> SandboxSettings:
        currency = str((options or {}).get("currency", "EUR")).upper()
        if not is_known_currency(currency):
            raise ValueError(f"unknown currency {currency!r} in sandbox options")
        return cls(currency=currency)
