from __future__ import annotations

import httpx
import msgspec
import pytest

from carriers.aftership import AfterShipGateway
from carriers.base import CarrierGateway, Rate, enc_hook
from carriers.easypost import EasyPostGateway
from carriers.errors import UnknownCarrier
from carriers.registry import CARRIERS, carrier_info, create_gateway
from carriers.sandbox import SandboxGateway
from hub.core.money import Money


async def test_registry_builds_every_carrier() -> None:
    async with httpx.AsyncClient() as client:
        _check_factories(client)


def _check_factories(client: httpx.AsyncClient) -> None:
    assert isinstance(create_gateway("sandbox", options={"currency": "USD"}), SandboxGateway)
    ep = create_gateway(
        "easypost", credentials={"api_key": "k"}, options={"carrier_accounts": ["ca_1"]}, http_client=client
    )
    assert isinstance(ep, EasyPostGateway)
    assert ep.settings.carrier_accounts == ("ca_1",)
    assert isinstance(create_gateway("aftership", credentials={"api_key": "k"}), AfterShipGateway)
    for name in CARRIERS:
        info = carrier_info(name)
        gw = info.factory({"api_key": "k"}, None, None)
        assert isinstance(gw, CarrierGateway)
        assert gw.name == name
    assert carrier_info("sandbox").services == ("standard", "express")
    assert "book" not in carrier_info("aftership").capabilities


def test_unknown_carrier_and_bad_credentials() -> None:
    with pytest.raises(UnknownCarrier) as info:
        create_gateway("pigeon")
    assert info.value.status == 404
    with pytest.raises(ValueError, match="api_key"):
        create_gateway("easypost", credentials={})
    with pytest.raises(ValueError, match="currency"):
        create_gateway("sandbox", options={"currency": "XXQ"})


def test_results_encode_money_in_the_wire_shape() -> None:
    rate = Rate(carrier="sandbox", service="standard", total=Money("19.70", "EUR"), currency="EUR", transit_days=7)
    encoded = msgspec.json.decode(msgspec.json.encode(rate, enc_hook=enc_hook))
    assert encoded["total"] == {"amount": "19.70", "currency": "EUR"}
