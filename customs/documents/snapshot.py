"""The order snapshot a customs document is rendered from.

The orders domain builds a :class:`DocumentSnapshot` (it owns the mapping from its tables); this
package only reads it. Nothing here imports ``hub.orders`` or ``carriers``.

Conventions:

* every amount of the consignment is a ``Decimal`` in :attr:`DocumentSnapshot.currency` (on the wire
  a decimal string, ``"12.34"``); figures that come in another currency (the landed-cost quote, the
  order total before FX) are :class:`~hub.core.money.MoneyWire`;
* weights are ``Decimal`` kilograms, and a line's weights are for the *whole line* (all units), as
  on a commercial invoice, a CN22 and a CN23;
* countries are ISO 3166-1 alpha-2, currencies ISO 4217, dates ISO 8601;
* nothing is a float (msgspec decodes ``Decimal`` from a JSON string or number text exactly).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final, Literal

import msgspec

from hub.core.money import MoneyWire

__all__ = [
    "DOC_TYPES",
    "Address",
    "DocType",
    "DocumentLine",
    "DocumentSnapshot",
    "DutiesPayer",
    "FxRate",
    "ItemCategory",
    "LandedCostFigures",
    "Party",
    "ReasonForExport",
    "Signatory",
    "TaxId",
    "decode_snapshot",
]

DocType = Literal["commercial_invoice", "proforma_invoice", "packing_list", "cn22", "cn23"]
DOC_TYPES: Final[tuple[DocType, ...]] = ("commercial_invoice", "proforma_invoice", "packing_list", "cn22", "cn23")

ReasonForExport = Literal["sale", "gift", "sample", "return", "repair", "other"]
"""Reason for export on a commercial or proforma invoice."""

ItemCategory = Literal["gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods", "other"]
"""The UPU "category of item" boxes of CN22 / CN23."""

DutiesPayer = Literal["seller", "buyer", "third_party"]


class Address(msgspec.Struct, frozen=True, kw_only=True):
    line1: str
    city: str
    country: str
    """ISO 3166-1 alpha-2."""
    line2: str = ""
    region: str = ""
    postal_code: str = ""


class TaxId(msgspec.Struct, frozen=True, kw_only=True):
    """An identifier other than EORI / VAT / IOSS, e.g. a US EIN, a Chinese USCC, a CPF."""

    kind: str
    value: str
    country: str = ""


class Party(msgspec.Struct, frozen=True, kw_only=True):
    """Exporter/seller or importer/consignee."""

    name: str
    address: Address
    company: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    eori: str = ""
    vat_number: str = ""
    ioss_number: str = ""
    """Only meaningful for the seller (or its intermediary) under the EU import one-stop shop."""
    tax_ids: list[TaxId] = msgspec.field(default_factory=list)
    is_business: bool = False
    """True for a B2B consignee; False for a private person (B2C)."""


class DocumentLine(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    description: str
    """Customs description in any language (a Chinese seller's catalog is in Chinese)."""
    hs_code: str
    origin_country: str
    quantity: int
    unit_value: Decimal
    net_weight_kg: Decimal | None
    """Net weight of the whole line (all units)."""
    gross_weight_kg: Decimal | None
    """Gross weight of the whole line (all units, with packing)."""
    description_en: str = ""
    """Optional English rendering of ``description``; printed under it when given."""
    line_value: Decimal | None = None
    """The line total as the order states it; when given it must equal quantity x unit value."""
    unit_of_measure: str = "pcs"


class LandedCostFigures(msgspec.Struct, frozen=True, kw_only=True):
    """Duty and tax figures copied from a stored landed-cost quote (needed for DDP)."""

    duty_total: MoneyWire
    tax_total: MoneyWire
    fee_total: MoneyWire | None = None
    payer: DutiesPayer = "seller"
    quote_reference: str = ""
    rules_version: str = ""


class FxRate(msgspec.Struct, frozen=True, kw_only=True):
    """``rate`` units of ``quote`` for one ``base`` (as ``"BASE/QUOTE"`` in the landed-cost API)."""

    base: str
    quote: str
    rate: Decimal
    date: dt.date | None = None
    source: str = ""


class Signatory(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    title: str = ""
    place: str = ""


class DocumentSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a commercial/proforma invoice, packing list, CN22 or CN23 needs, frozen in time."""

    order_number: str
    invoice_number: str
    invoice_date: dt.date
    currency: str
    exporter: Party
    importer: Party
    destination_country: str
    lines: list[DocumentLine]
    incoterm: str = "DAP"
    incoterm_place: str = ""
    reason_for_export: ReasonForExport = "sale"
    reason_explanation: str = ""
    item_category: ItemCategory | None = None
    """CN22/CN23 category; when absent it is derived from ``reason_for_export``."""
    category_explanation: str = ""
    freight: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    other_charges: Decimal = Decimal(0)
    invoice_total: Decimal | None = None
    """The total the order states (goods + freight + insurance + other charges), to reconcile."""
    order_total: MoneyWire | None = None
    """The order's own total when it is in another currency than the document."""
    fx: FxRate | None = None
    """The rate that converts ``order_total`` into ``currency``."""
    eur_rate: Decimal | None = None
    """Euros for one unit of ``currency`` (customs rate), used for the EUR 150 IOSS test."""
    seller_collects_vat: bool = False
    """True when VAT was charged at checkout (EU IOSS, UK <= GBP 135, AU LVG, ...)."""
    duties_paid_by: DutiesPayer | None = None
    landed_cost: LandedCostFigures | None = None
    postal_charges: Decimal | None = None
    """CN23 box 9 "Postal charges/Fees"."""
    number_of_packages: int = 1
    licence_numbers: list[str] = msgspec.field(default_factory=list)
    certificate_numbers: list[str] = msgspec.field(default_factory=list)
    importer_reference: str = ""
    """CN23 "Importer's reference (if any)": tax code / VAT number / importer code."""
    sender_customs_reference: str = ""
    comments: str = ""
    """CN23 box 11, e.g. goods subject to quarantine or other restrictions."""
    declaration_text: str = ""
    """Overrides the standard declaration of the document type when not empty."""
    signatory: Signatory | None = None
    signature_date: dt.date | None = None
    office_of_origin: str = ""


def decode_snapshot(data: bytes | str) -> DocumentSnapshot:
    """Decode a snapshot from JSON (as stored with a rendered document).

    Raises:
        msgspec.ValidationError: naming the bad field.
    """
    return msgspec.json.decode(data, type=DocumentSnapshot)
