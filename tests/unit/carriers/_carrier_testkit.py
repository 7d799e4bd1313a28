"""Shared helpers for the carrier unit tests (a plain module: no conftest name clashes)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from carriers.base import Address, CustomsInfo, CustomsItem, Parcel
from hub.core.money import Money

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "carriers"


def fixture_bytes(carrier: str, name: str) -> bytes:
    return (FIXTURES / carrier / name).read_bytes()


def fixture_json(carrier: str, name: str) -> Any:
    return json.loads(fixture_bytes(carrier, name))


SHIPPER_CN = Address(
    name="Li Wei",
    company="Shenzhen Gadgets Ltd",
    line1="88 Keyuan Road",
    city="Shenzhen",
    postal_code="518057",
    country="CN",
    phone="+8675512345678",
)
SHIPPER_US = Address(
    name="EasyPost",
    line1="417 Montgomery Street",
    line2="5th Floor",
    city="San Francisco",
    region="CA",
    postal_code="94104",
    country="US",
    phone="4153334445",
    email="support@easypost.com",
)
RECIPIENT_DE = Address(
    name="Anna Schmidt",
    line1="Hauptstr. 5",
    city="Berlin",
    postal_code="10115",
    country="DE",
    phone="+49301234567",
    email="a@example.de",
)
SHIPPER_DE = Address(name="Lager GmbH", line1="Industriestr. 1", city="Hamburg", postal_code="20095", country="DE")
PARCEL_SMALL = Parcel(weight_kg=Decimal("0.5"), length_cm=Decimal(30), width_cm=Decimal(20), height_cm=Decimal(5))

CUSTOMS = CustomsInfo(
    contents_type="merchandise",
    signer="Li Wei",
    incoterm="DDP",
    items=[
        CustomsItem(
            description="Cotton T-shirt",
            quantity=2,
            value=Money(Decimal("39.80"), "USD"),
            weight_kg=Decimal("0.3"),
            hs_code="610910",
            origin_country="CN",
            sku="TS-RED-M",
        )
    ],
)
