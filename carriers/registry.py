"""Carrier name -> adapter factory, and what each carrier can do.

::

    gateway = create_gateway("easypost", credentials={"api_key": ...}, http_client=shared_client)
    result = await gateway.rates(request)

Factories take ``(credentials, options, http_client)`` and raise ``ValueError`` for unusable
account data (messages never quote credential values). Register test doubles with
:func:`register`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from carriers import aftership, easypost, sandbox
from carriers.base import CarrierGateway
from carriers.errors import UnknownCarrier

__all__ = ["CARRIERS", "CarrierInfo", "GatewayFactory", "carrier_info", "create_gateway", "register"]


class GatewayFactory(Protocol):
    def __call__(
        self,
        credentials: Mapping[str, str] | None = None,
        options: Mapping[str, Any] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> CarrierGateway: ...


@dataclass(frozen=True, slots=True)
class CarrierInfo:
    name: str
    label: str
    factory: GatewayFactory
    capabilities: frozenset[str]
    """Subset of ``rates``, ``book``, ``cancel``, ``track``, ``webhooks``."""
    required_credentials: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    """Fixed service names, when the carrier has a fixed list (aggregators do not)."""


CARRIERS: dict[str, CarrierInfo] = {
    "sandbox": CarrierInfo(
        name="sandbox",
        label="Sandbox carrier",
        factory=sandbox.create_gateway,
        capabilities=frozenset({"rates", "book", "cancel", "webhooks"}),
        services=("standard", "express"),
    ),
    "easypost": CarrierInfo(
        name="easypost",
        label="EasyPost",
        factory=easypost.create_gateway,
        capabilities=frozenset({"rates", "book", "cancel", "track", "webhooks"}),
        required_credentials=("api_key",),
    ),
    "aftership": CarrierInfo(
        name="aftership",
        label="AfterShip Tracking",
        factory=aftership.create_gateway,
        capabilities=frozenset({"track", "webhooks"}),
        required_credentials=("api_key",),
    ),
}


def carrier_info(name: str) -> CarrierInfo:
    """Raises :class:`carriers.errors.UnknownCarrier` for a name nobody registered."""
    try:
        return CARRIERS[name]
    except KeyError:
        raise UnknownCarrier(name) from None


def create_gateway(
    name: str,
    *,
    credentials: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> CarrierGateway:
    """An adapter for one carrier account.

    Raises:
        UnknownCarrier: ``name`` is not registered.
        ValueError: the credentials or options are unusable (e.g. a missing ``api_key``).
    """
    return carrier_info(name).factory(credentials, options, http_client)


def register(info: CarrierInfo) -> None:
    """Add or replace a carrier (plug-ins, test doubles)."""
    CARRIERS[info.name] = info
