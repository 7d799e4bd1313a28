"""AfterShip account settings; the API key is a :class:`carriers.base.SecretStr`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from carriers.base import SecretStr

__all__ = ["DEFAULT_BASE_URL", "AfterShipSettings"]

DEFAULT_BASE_URL = "https://api.aftership.com/tracking/2026-07"
"""Versioned base URL; pin another version through ``options={"base_url": ...}``."""


@dataclass(frozen=True, slots=True)
class AfterShipSettings:
    api_key: SecretStr = field(repr=False)
    base_url: str = DEFAULT_BASE_URL

    @classmethod
    def from_account(
        cls, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None
    ) -> AfterShipSettings:
        """Build from ``credentials={"api_key": ...}``.

        Raises:
            ValueError: the API key is missing (never quoting credential values).
        """
        key = credentials.get("api_key", "")
        if not key:
            raise ValueError("aftership credentials need an api_key")
        base = str((options or {}).get("base_url", DEFAULT_BASE_URL)).rstrip("/")
        return cls(api_key=SecretStr(key), base_url=base)
