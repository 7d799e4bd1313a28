"""The rendered content of a document, built once and used for both the JSON and the PDF.

:func:`build_view` turns a snapshot into a :class:`DocumentView`: figures computed (the same
arithmetic as the pre-flight, :mod:`customs.documents.figures`), every amount, weight and date
formatted with Babel for the locale, labels resolved. ``render_json`` is this view as builtins and
the PDF prints its ``display`` strings, so the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Final

import msgspec
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from customs.documents.figures import (
    computed_line_value,
    document_total,
    goods_total,
    money_quantum,
    total_gross_weight,
    total_net_weight,
)
from customs.documents.labels import LABEL_LOCALES, bilingual, label
from customs.documents.preflight import effective_item_category
from customs.documents.snapshot import DOC_TYPES, DocType, DocumentSnapshot, Party
from hub.core.errors import ValidationFailed
from hub.core.money import ROUND_HALF_UP, amount_text

__all__ = [
    "Amount",
    "DocumentView",
    "DutiesView",
    "LineView",
    "PartyView",
    "Totals",
    "Weight",
    "build_view",
    "resolve_locale",
]

_NNBSP: Final = "\u202f"
_NBSP: Final = "\u00a0"


class Amount(msgspec.Struct, frozen=True, kw_only=True):
    amount: str
    currency: str
    display: str
    """As printed on the PDF, formatted by Babel for the document locale."""


class Weight(msgspec.Struct, frozen=True, kw_only=True):
    kg: str
    display: str


class PartyView(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    company: str
    address_lines: list[str]
    country: str
    country_name: str
    contact_name: str
    phone: str
    email: str
    eori: str
    vat_number: str
    ioss_number: str
    tax_ids: list[str]
    is_business: bool


class LineView(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    sku: str
    description: str
    description_en: str
    hs_code: str
    origin_country: str
    quantity: int
    quantity_display: str
    unit_of_measure: str
    unit_value: Amount | None
    line_value: Amount | None
    net_weight: Weight | None
    gross_weight: Weight | None


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    goods: Amount | None
    freight: Amount | None
    insurance: Amount | None
    other_charges: Amount | None
    invoice_total: Amount | None
    net_weight: Weight | None
    gross_weight: Weight
    packages: int


class DutiesView(msgspec.Struct, frozen=True, kw_only=True):
    duty: Amount
    tax: Amount
    fees: Amount | None
    payer: str
    quote_reference: str
    rules_version: str


class DocumentView(msgspec.Struct, frozen=True, kw_only=True):
    doc_type: DocType
    title: str
    locale: str
    requested_locale: str
    currency: str
    order_number: str
    invoice_number: str
    invoice_date: str
    invoice_date_display: str
    incoterm: str
    incoterm_place: str
    reason_for_export: str
    reason_display: str
    item_category: str
    item_category_display: str
    category_explanation: str
    destination_country: str
    destination_name: str
    exporter: PartyView
    importer: PartyView
    lines: list[LineView]
    totals: Totals
    duties: DutiesView | None
    postal_charges: Amount | None
    licence_numbers: list[str]
    certificate_numbers: list[str]
    importer_reference: str
    sender_customs_reference: str
    comments: str
    office_of_origin: str
    declaration: list[str]
    """English first, then the locale's rendering (or the snapshot's own text)."""
    signatory_name: str
    signatory_title: str
    signatory_place: str
    signature_date: str
    signature_date_display: str


@lru_cache(maxsize=64)
def resolve_locale(requested: str) -> tuple[str, Locale]:
    """Map a requested locale to a label locale of :data:`LABEL_LOCALES` and a Babel ``Locale``.

    ``zh``, ``zh_CN``, ``zh-Hans``, ``zh_Hans_CN`` become ``zh_Hans``; ``de_AT`` keeps Austrian number
    formats with German labels. A well-formed locale we have no labels for (``it``, ``zh_Hant``)
    falls back to English.

    Raises:
        ValidationFailed: the string is not a locale identifier at all.
    """
    text = requested.strip().replace("-", "_")
    try:
        parsed = Locale.parse(text)
    except (ValueError, TypeError, UnknownLocaleError):
        raise ValidationFailed.single(
            "locale", f"{requested!r} is not a locale; use one of {', '.join(LABEL_LOCALES)}"
        ) from None
    if parsed.language == "zh":
        traditional = parsed.script == "Hant" or (parsed.script is None and parsed.territory in {"TW", "HK", "MO"})
        return ("en", Locale("en")) if traditional else ("zh_Hans", parsed)
    if parsed.language in LABEL_LOCALES:
        return parsed.language, parsed
    return "en", Locale("en")


@lru_cache(maxsize=512)
def _country_name(code: str) -> str:
    return str(Locale("en").territories.get(code, code))


class _Fmt:
    """Babel formatting for one locale; narrow no-break spaces become no-break spaces (PDF base fonts)."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale

    def money(self, amount: Decimal, currency: str) -> Amount:
        display = format_currency(amount, currency, locale=self.locale, decimal_quantization=False)
        # The snapshot keeps amounts as stored (numeric(19,4): 12.0000): the JSON says them as the API does.
        return Amount(amount=amount_text(amount, currency), currency=currency, display=display.replace(_NNBSP, _NBSP))

    def weight(self, kg: Decimal) -> Weight:
        display = format_decimal(kg, format="#,##0.000", locale=self.locale)
        return Weight(kg=format(kg, "f"), display=display.replace(_NNBSP, _NBSP))

    def integer(self, value: int) -> str:
        return format_decimal(value, locale=self.locale).replace(_NNBSP, _NBSP)

    def date(self, value: dt.date) -> str:
        return format_date(value, format="medium", locale=self.locale).replace(_NNBSP, _NBSP)


def _party_view(party: Party) -> PartyView:
    address = party.address
    city_line = " ".join(p for p in (address.postal_code, address.city) if p)
    lines = [line for line in (address.line1, address.line2, city_line, address.region) if line.strip()]
    return PartyView(
        name=party.name,
        company=party.company,
        address_lines=lines,
        country=address.country,
        country_name=_country_name(address.country),
        contact_name=party.contact_name,
        phone=party.phone,
        email=party.email,
        eori=party.eori,
        vat_number=party.vat_number,
        ioss_number=party.ioss_number,
        tax_ids=[f"{tax.kind}: {tax.value}" for tax in party.tax_ids],
        is_business=party.is_business,
    )


_INVOICES: Final = ("commercial_invoice", "proforma_invoice")
_UNIT_VALUE_EXTRA_DIGITS: Final = 2


def _printed_unit_value(value: Decimal, currency: str) -> Decimal:
    """The unit value as printed: exact when it ends within two digits past the minor unit, else rounded there.

    A discounted line's unit value is its share of the line (29.00 / 3 = 9.666...); the snapshot
    keeps it exact so that quantity x unit value gives the line value back, but printed in full it
    ran to 28 digits. The line value, not the unit value, is what the totals add up.
    """
    quantum = money_quantum(currency).scaleb(-_UNIT_VALUE_EXTRA_DIGITS)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= int(quantum.as_tuple().exponent):
        return value
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def _line_views(snapshot: DocumentSnapshot, fmt: _Fmt, doc_type: DocType) -> list[LineView]:
    """Lines with only the fields the document type prints (the UPU forms print fewer)."""
    currency = snapshot.currency
    unit_values = doc_type in _INVOICES
    line_values = doc_type != "packing_list"
    net_weights = doc_type != "cn22"  # CN22 box 2 is the (gross) weight of the line
    gross_weights = doc_type != "cn23"  # CN23 has net per line (box 3) and the total gross (box 4)
    views = []
    for position, line in enumerate(snapshot.lines, start=1):
        net, gross = line.net_weight_kg, line.gross_weight_kg
        views.append(
            LineView(
                position=position,
                sku=line.sku,
                description=line.description,
                description_en=line.description_en,
                hs_code=line.hs_code,
                origin_country=line.origin_country,
                quantity=line.quantity,
                quantity_display=fmt.integer(line.quantity),
                unit_of_measure=line.unit_of_measure,
                unit_value=fmt.money(_printed_unit_value(line.unit_value, currency), currency) if unit_values else None,
                line_value=fmt.money(computed_line_value(line, currency), currency) if line_values else None,
                net_weight=fmt.weight(net) if net is not None and net_weights else None,
                gross_weight=fmt.weight(gross) if gross is not None and gross_weights else None,
            )
        )
    return views


def _totals(snapshot: DocumentSnapshot, doc_type: DocType, fmt: _Fmt) -> Totals:
    currency = snapshot.currency
    net = fmt.weight(total_net_weight(snapshot))
    gross = fmt.weight(total_gross_weight(snapshot))
    packages = snapshot.number_of_packages
    if doc_type == "packing_list":
        return Totals(
            goods=None,
            freight=None,
            insurance=None,
            other_charges=None,
            invoice_total=None,
            net_weight=net,
            gross_weight=gross,
            packages=packages,
        )
    goods = fmt.money(goods_total(snapshot), currency)
    if doc_type in ("cn22", "cn23"):
        # The postal forms declare the value of the contents (postage goes in box 9 of the CN23)
        # and the total gross weight.
        return Totals(
            goods=goods,
            freight=None,
            insurance=None,
            other_charges=None,
            invoice_total=None,
            net_weight=None,
            gross_weight=gross,
            packages=packages,
        )
    return Totals(
        goods=goods,
        freight=fmt.money(snapshot.freight, currency),
        insurance=fmt.money(snapshot.insurance, currency),
        other_charges=fmt.money(snapshot.other_charges, currency) if snapshot.other_charges else None,
        invoice_total=fmt.money(document_total(snapshot), currency),
        net_weight=net,
        gross_weight=gross,
        packages=packages,
    )


def _duties(snapshot: DocumentSnapshot, doc_type: DocType, fmt: _Fmt) -> DutiesView | None:
    quote = snapshot.landed_cost
    if quote is None or doc_type not in ("commercial_invoice", "proforma_invoice"):
        return None
    return DutiesView(
        duty=fmt.money(Decimal(quote.duty_total.amount), quote.duty_total.currency),
        tax=fmt.money(Decimal(quote.tax_total.amount), quote.tax_total.currency),
        fees=fmt.money(Decimal(quote.fee_total.amount), quote.fee_total.currency) if quote.fee_total else None,
        payer=quote.payer,
        quote_reference=quote.quote_reference,
        rules_version=quote.rules_version,
    )


def _declaration(snapshot: DocumentSnapshot, doc_type: DocType, label_locale: str) -> list[str]:
    if snapshot.declaration_text.strip():
        return [snapshot.declaration_text.strip()]
    key = "declaration_postal" if doc_type in ("cn22", "cn23") else "declaration_invoice"
    english = label(key, "en")
    local = label(key, label_locale)
    return [english] if local == english else [english, local]


def build_view(snapshot: DocumentSnapshot, doc_type: DocType, locale: str) -> DocumentView:
    """Everything the document shows, formatted for ``locale``.

    Raises:
        ValidationFailed: unknown ``doc_type`` or a ``locale`` that is not a locale identifier.
    """
    if doc_type not in DOC_TYPES:
        raise ValidationFailed.single("type", f"{doc_type!r} is not one of {', '.join(DOC_TYPES)}")
    label_locale, babel_locale = resolve_locale(locale)
    fmt = _Fmt(babel_locale)
    currency = snapshot.currency
    category = effective_item_category(snapshot)
    signatory = snapshot.signatory
    signature_date = snapshot.signature_date or snapshot.invoice_date
    return DocumentView(
        doc_type=doc_type,
        title=bilingual(doc_type, label_locale),
        locale=label_locale,
        requested_locale=locale,
        currency=currency,
        order_number=snapshot.order_number,
        invoice_number=snapshot.invoice_number,
        invoice_date=snapshot.invoice_date.isoformat(),
        invoice_date_display=fmt.date(snapshot.invoice_date),
        incoterm=snapshot.incoterm.strip().upper(),
        incoterm_place=snapshot.incoterm_place,
        reason_for_export=snapshot.reason_for_export,
        reason_display=bilingual(f"reason_{snapshot.reason_for_export}", label_locale),
        item_category=category,
        item_category_display=bilingual(f"cat_{category}", label_locale),
        category_explanation=snapshot.category_explanation or snapshot.reason_explanation,
        destination_country=snapshot.destination_country,
        destination_name=_country_name(snapshot.destination_country),
        exporter=_party_view(snapshot.exporter),
        importer=_party_view(snapshot.importer),
        lines=_line_views(snapshot, fmt, doc_type),
        totals=_totals(snapshot, doc_type, fmt),
        duties=_duties(snapshot, doc_type, fmt),
        postal_charges=(
            fmt.money(snapshot.postal_charges, currency)
            if snapshot.postal_charges is not None and doc_type == "cn23"
            else None
        ),
        licence_numbers=list(snapshot.licence_numbers),
        certificate_numbers=list(snapshot.certificate_numbers),
        importer_reference=snapshot.importer_reference,
        sender_customs_reference=snapshot.sender_customs_reference,
        comments=snapshot.comments,
        office_of_origin=snapshot.office_of_origin,
        declaration=_declaration(snapshot, doc_type, label_locale),
        signatory_name=signatory.name if signatory else "",
        signatory_title=signatory.title if signatory else "",
        signatory_place=signatory.place if signatory else "",
        signature_date=signature_date.isoformat(),
        signature_date_display=fmt.date(signature_date),
    )
