"""EasyPost account settings; the API key is a :class:`carriers.base.SecretStr`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from carriers.base import SecretStr

__all__ = ["DEFAULT_BASE_URL", "EasyPostSettings"]

DEFAULT_BASE_URL = "https://api.easypost.com/v2"


@dataclass(frozen=True, slots=True)
class EasyPostSettings:
    api_key: SecretStr = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    carrier_accounts: tuple[str, ...] = ()
    """EasyPost carrier account ids (``ca_...``) to rate with; empty means all on the account."""
    label_format: str = "PDF"

    @classmethod
    def from_account(cls, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None) -> EasyPostSettings:
        """Build from a carrier account row: ``credentials={"api_key": ...}``.

        Raises:
            ValueError: the API key is missing (the message never contains credential values).
        """
        key = credentials.get("api_key", "")
        if not key:
            raise ValueError("easypost credentials need an api_key")
        opts = options or {}
        accounts = opts.get("carrier_accounts") or ()
        return cls(
            api_key=SecretStr(key),
            base_url=str(opts.get("base_url", DEFAULT_BASE_URL)).rstrip("/"),
            carrier_accounts=tuple(str(a) for a in accounts),
            label_format=str(opts.get("label_format", "PDF")),
        )
