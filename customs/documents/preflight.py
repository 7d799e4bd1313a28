"""Pre-flight: what would make customs query or hold the consignment, found before any paperwork.

:func:`preflight` returns a list of :class:`Finding`. A ``blocking`` finding refuses the document
(the API answers 409 with the findings, see :func:`raise_for_blocking`); a ``warning`` is shown to
the clerk and does not block.

Rules (each one is a small function below, in this order):

* parties and destination present, countries real ISO 3166-1 codes (pycountry);
* HS code present, digits only, at least 6 digits, and a national length of the destination when
  longer (EU 8/10, US 10, UK 10, CH 8, JP 9, ...); 6 digits where the destination uses longer
  national codes is a warning;
* description not vague ("gift", "parts", "礼物", "Zubehör", "échantillons", "部品", ...), checked
  in English, Chinese, German, French, Spanish and Japanese;
* origin present and a real country;
* weights present, positive, gross >= net;
* values reconcile: quantity > 0, unit value > 0, line totals == quantity x unit value, the sum
  == the stated invoice total, and the order total converted with its FX rate == the invoice total;
* CN22 only up to 300 SDR (rates are data, :mod:`customs.documents.sdr`); above, CN23;
* CN22/CN23 category of item ("other" needs an explanation);
* IOSS number required (and well-formed, ``IM`` + 10 digits, python-stdnum ``stdnum.eu.oss``) for EU
  B2C consignments of intrinsic value <= EUR 150 when the seller collects the VAT;
* EORI required for EU (and GB) imports by businesses; EORI format checked (python-stdnum 2.2 has
  no EORI module, so the structure ``CC`` + 1-15 alphanumerics is checked here); VAT numbers
  checked with ``stdnum.eu.vat`` or the country's ``stdnum.<cc>.vat`` where one exists;
* incoterm is an Incoterms 2020 code and consistent with who pays import duty (DDP: the seller,
  with the duty/tax figures of a landed-cost quote);
* Arabic or Hebrew text (a buyer in the UAE, a product name) needs a font for its script on this
  server (:mod:`customs.documents.rtl`); without one the text would print unreadable, so each such
  field is a warning. The font lookup reads the file system once per process (cached); everything
  else here is pure.

Messages are English source strings wrapped in ``_()`` so that Babel extraction finds them; each
finding also carries its ``params`` so the API layer can translate the template by ``code`` later.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Final, Literal

import msgspec
import pycountry
from stdnum.eu import oss as eu_oss
from stdnum.eu import vat as eu_vat
from stdnum.util import get_cc_module

from customs.documents import rtl
from customs.documents.figures import computed_line_value, document_total, goods_total, money_quantum
from customs.documents.sdr import CN22_LIMIT_SDR, SdrRates
from customs.documents.snapshot import DocType, DocumentLine, DocumentSnapshot, ItemCategory, Party
from hub.core.errors import Conflict
from hub.core.money import is_known_currency

__all__ = [
    "BLOCKING",
    "EU_MEMBER_STATES",
    "WARNING",
    "Finding",
    "PreflightRefused",
    "Severity",
    "effective_item_category",
    "has_blocking",
    "is_vague_description",
    "is_valid_eori",
    "is_valid_vat",
    "preflight",
    "raise_for_blocking",
]


def _(message: str) -> str:
    """Marks a source string for Babel extraction; i18n is not wired yet, so it returns it as is."""
    return message


Severity = Literal["blocking", "warning"]
BLOCKING: Final[Severity] = "blocking"
WARNING: Final[Severity] = "warning"


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One pre-flight result; ``field`` is a JSON path into the snapshot (``lines[0].hs_code``)."""

    code: str
    severity: Severity
    field: str
    message: str
    params: dict[str, str] = msgspec.field(default_factory=dict)


class PreflightRefused(Conflict):
    """A document was requested while blocking findings remain (409, with the findings)."""

    code = "customs-document-refused"
    title = "The customs document cannot be produced until the blocking findings are fixed"

    def __init__(self, findings: list[Finding]) -> None:
        blocking = [f for f in findings if f.severity == BLOCKING]
        super().__init__(
            "; ".join(f"{f.field}: {f.message}" for f in blocking),
            extra={"findings": msgspec.to_builtins(findings)},
        )
        self.findings = findings


# --- messages (English source strings; placeholders filled with str.format) -------------------

MSG_NO_LINES = _("The consignment has no lines.")
MSG_PARTY_NAME = _("Name is missing.")
MSG_PARTY_ADDRESS = _("Address (street and city) is incomplete.")
MSG_COUNTRY_INVALID = _("{value!r} is not an ISO 3166-1 alpha-2 country code.")
MSG_DEST_MISMATCH = _("Destination {destination} differs from the consignee's country {country}.")
MSG_CURRENCY_INVALID = _("{value!r} is not an ISO 4217 currency code.")
MSG_HS_MISSING = _("HS code is missing.")
MSG_HS_FORMAT = _("HS code {hs_code!r} must contain digits only (dots and spaces are allowed).")
MSG_HS_TOO_SHORT = _("HS code {hs_code} has {digits} digits; at least 6 are required.")
MSG_HS_TOO_LONG = _("HS code {hs_code} has {digits} digits; no tariff uses more than 14.")
MSG_HS_NATIONAL = _(
    "HS code {hs_code} has only 6 digits; {destination} uses {lengths}-digit national codes. "
    "Give the full code to avoid a query."
)
MSG_HS_BAD_LENGTH = _("HS code {hs_code} has {digits} digits; {destination} accepts 6 or {lengths} digits.")
MSG_DESC_MISSING = _("Customs description is missing.")
MSG_DESC_VAGUE = _(
    "Description {description!r} is too vague for customs. Say what the item is, what it is made of "
    "and what it is for (e.g. 'cotton T-shirt, men's, knitted')."
)
MSG_ORIGIN_MISSING = _("Country of origin is missing.")
MSG_WEIGHT_MISSING = _("{which} weight is missing.")
MSG_WEIGHT_NOT_POSITIVE = _("{which} weight must be greater than zero.")
MSG_GROSS_BELOW_NET = _("Gross weight {gross} kg is less than net weight {net} kg.")
MSG_QUANTITY = _("Quantity must be at least 1.")
MSG_UNIT_VALUE = _("Unit value must be greater than zero; customs need a value even for gifts and samples.")
MSG_LINE_VALUE = _("Line value {stated} does not equal quantity x unit value = {computed}.")
MSG_CHARGE_NEGATIVE = _("{which} must not be negative.")
MSG_TOTAL_MISMATCH = _(
    "Invoice total {stated} does not equal goods {goods} + freight {freight} + insurance {insurance} "
    "+ other charges {other} = {computed}."
)
MSG_FX_MISSING = _("The order total is in {order_currency} but the document is in {currency}: an FX rate is needed.")
MSG_FX_MISMATCH = _(
    "Order total {order_total} {order_currency} at {rate} gives {converted} {currency}, "
    "but the document total is {total} {currency}."
)
MSG_CN22_OVER_LIMIT = _(
    "Contents are worth {sdr} SDR ({value} {currency}), above the CN22 limit of 300 SDR. Use a CN23 instead."
)
MSG_CN22_NO_RATE = _("No SDR rate for {currency}: the CN22 limit of 300 SDR cannot be checked. Use a CN23.")
MSG_SDR_STALE = _("The SDR rates are dated {rates_date}, more than {days} days from the invoice date {invoice_date}.")
MSG_CATEGORY_EXPLANATION = _("Category 'other' needs an explanation of the contents.")
MSG_REASON_EXPLANATION = _("Reason for export 'other' should be explained.")
MSG_IOSS_INVALID = _("{value!r} is not a valid IOSS number (IM + 10 digits, e.g. IM2760000001).")
MSG_IOSS_REQUIRED = _(
    "An IOSS number is required: EU B2C consignment of {value} EUR (<= 150 EUR) with VAT collected at checkout."
)
MSG_IOSS_OVER_LIMIT = _(
    "Intrinsic value {value} EUR is above 150 EUR: IOSS does not apply and import VAT will be charged "
    "at the border, on top of any VAT collected at checkout."
)
MSG_EUR_UNKNOWN = _("The value in EUR cannot be determined for {currency}; give the customs EUR rate.")
MSG_EORI_REQUIRED = _("An EORI number is required for a business importing into {region}.")
MSG_EORI_INVALID = _("{value!r} is not a valid EORI number (country code followed by up to 15 letters or digits).")
MSG_EORI_REGION = _("EORI {value} is not issued in {region}; an import into {region} needs a {region} EORI.")
MSG_EORI_EXPORT = _("Exports from the EU by a business normally need the exporter's EORI number.")
MSG_VAT_INVALID = _("{value!r} is not a valid VAT number.")
MSG_INCOTERM_UNKNOWN = _(
    "{value!r} is not an Incoterms 2020 rule (EXW, FCA, FAS, FOB, CFR, CIF, CPT, CIP, DAP, DPU, DDP)."
)
MSG_INCOTERM_DDU = _("DDU is not an Incoterms rule since 2011; it is read as DAP (the buyer pays import duty and tax).")
MSG_DDP_BUYER_PAYS = _("Incoterm DDP means the seller pays import duty and tax, but the order says the {payer} pays.")
MSG_DDP_NO_FIGURES = _("Incoterm DDP needs the duty and tax figures of a landed-cost quote.")
MSG_NOT_DDP_SELLER_PAYS = _(
    "Incoterm {incoterm} leaves import duty to the buyer, but the order says the seller pays. Use DDP."
)
MSG_FONT_MISSING = _(
    "{script} text cannot be typeset: no {script} font is installed on this server (install "
    "fonts-noto-core or set {setting}), so it will print unreadable. Check the PDF before sending it."
)
MSG_QUOTE_SELLER_PAYS = _("The landed-cost quote has the seller paying duty, which does not match incoterm {incoterm}.")


# --- reference data ---------------------------------------------------------------------------

EU_MEMBER_STATES: Final = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
_EU_VAT_PREFIXES: Final = (EU_MEMBER_STATES - {"GR"}) | {"EL", "XI"}

# National tariff code lengths beyond HS6. Sources: docs/CUSTOMS-RULES.md section 4 (EU CN 8 / TARIC
# 10, US HTSUS 10, UK 10, CH TARES 8, JP 9); CA, AU and CN are common practice (unverified there).
_HS_NATIONAL_LENGTHS: Final[dict[str, tuple[int, ...]]] = {
    "EU": (8, 10),
    "US": (10,),
    "GB": (10,),
    "CH": (8,),
    "JP": (9,),
    "CA": (10,),
    "AU": (8, 10),
    "CN": (10,),
}

INCOTERMS_2020: Final = frozenset({"EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP"})

IOSS_LIMIT_EUR: Final = Decimal(150)
SDR_STALE_DAYS: Final = 62

_EORI_RE: Final = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")

# Descriptions customs refuse when they stand alone (carriers' and postal operators' lists of
# unacceptable descriptions, in the languages our sellers and destinations use). Normalised with
# NFKC + casefold; a description is vague when every word of it is in this set.
_VAGUE_WORDS: Final = frozenset(
    {
        # English
        "gift", "gifts", "present", "presents", "part", "parts", "spare", "spares", "spare part",
        "spare parts", "sample", "samples", "goods", "good", "accessory", "accessories", "clothes",
        "clothing", "apparel", "garment", "garments", "merchandise", "item", "items", "stuff",
        "product", "products", "electronics", "electronic", "tools", "equipment", "general",
        "general merchandise", "misc", "miscellaneous", "various", "personal", "personal items",
        "personal effects", "household", "household goods", "commodity", "commodities", "article",
        "articles", "things", "cargo", "materials", "material", "other", "others", "machine parts",
        "auto parts", "car parts", "computer parts", "textiles", "shoes", "toys", "food",
        # Chinese
        "礼物", "礼品", "赠品", "配件", "样品", "零件", "零配件", "货物", "商品", "产品", "物品",
        "衣服", "服装", "饰品", "配饰", "电子产品", "日用品", "杂物", "杂货", "用品", "东西", "材料",
        # German
        "geschenk", "geschenke", "teile", "ersatzteile", "muster", "probe", "proben", "ware", "waren",
        "zubehör", "kleidung", "artikel", "elektronik", "sachen", "gegenstände", "produkte", "sonstiges",
        # French
        "cadeau", "cadeaux", "pièce", "pièces", "pièces détachées", "échantillon", "échantillons",
        "marchandise", "marchandises", "accessoire", "accessoires", "vêtement", "vêtements",
        "produit", "produits", "objets", "divers", "électronique",
        # Spanish
        "regalo", "regalos", "pieza", "piezas", "repuesto", "repuestos", "muestra", "muestras",
        "mercancía", "mercancías", "mercancia", "mercancias", "accesorio", "accesorios", "ropa",
        "prendas", "artículo", "artículos", "productos", "producto", "varios", "electrónica",
        # Japanese
        "贈り物", "ギフト", "プレゼント", "部品", "パーツ", "サンプル", "見本", "品物", "アクセサリー",
        "付属品", "衣類", "服", "雑貨", "製品", "電子機器",  # 日用品 and 物品 are in the Chinese list
    }
)  # fmt: skip
_CONNECTORS: Final = frozenset(
    {"and", "or", "&", "+", "of", "und", "oder", "et", "ou", "y", "o", "de", "和", "及", "与", "或", "と", "や", "の"}
)
_SPLIT_RE: Final = re.compile(r"[\s,;:/|()\[\]、，；：（）·・\-]+")


# --- entry points -----------------------------------------------------------------------------


def preflight(snapshot: DocumentSnapshot, doc_type: DocType, *, sdr_rates: SdrRates) -> list[Finding]:
    """Check ``snapshot`` for ``doc_type``; blocking findings first, then warnings, in rule order.

    Pure: no I/O. ``sdr_rates`` is the dated table to use (``customs.documents.sdr.load_sdr_rates()``
    reads the packaged one).
    """
    ctx = _Ctx(snapshot=snapshot, doc_type=doc_type, sdr_rates=sdr_rates)
    findings: list[Finding] = []
    for rule in _RULES:
        findings.extend(rule(ctx))
    findings.sort(key=lambda f: f.severity != BLOCKING)
    return findings


def has_blocking(findings: list[Finding]) -> bool:
    return any(f.severity == BLOCKING for f in findings)


def raise_for_blocking(findings: list[Finding]) -> None:
    """Raise :class:`PreflightRefused` (409) when any finding blocks.

    Raises:
        PreflightRefused: with every finding (warnings included) in ``extra["findings"]``.
    """
    if has_blocking(findings):
        raise PreflightRefused(findings)


_REASON_TO_CATEGORY: Final[dict[str, ItemCategory]] = {
    "sale": "sale_of_goods",
    "gift": "gift",
    "sample": "commercial_sample",
    "return": "returned_goods",
    "repair": "other",
    "other": "other",
}


def effective_item_category(snapshot: DocumentSnapshot) -> ItemCategory:
    """The CN22/CN23 category: the snapshot's own, else derived from the reason for export."""
    return snapshot.item_category or _REASON_TO_CATEGORY[snapshot.reason_for_export]


# --- rule machinery ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ctx:
    snapshot: DocumentSnapshot
    doc_type: DocType
    sdr_rates: SdrRates


def _finding(code: str, severity: Severity, field: str, template: str, **params: object) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        field=field,
        message=template.format(**params),
        params={k: str(v) for k, v in params.items()},
    )


@lru_cache(maxsize=512)
def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def _fmt(value: Decimal) -> str:
    return format(value, "f")


# --- rules ------------------------------------------------------------------------------------


def _check_parties(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    if not snap.lines:
        yield _finding("lines.missing", BLOCKING, "lines", MSG_NO_LINES)
    if not is_known_currency(snap.currency):
        yield _finding("currency.invalid", BLOCKING, "currency", MSG_CURRENCY_INVALID, value=snap.currency)
    if not _is_country(snap.destination_country):
        yield _finding(
            "destination.invalid", BLOCKING, "destination_country", MSG_COUNTRY_INVALID, value=snap.destination_country
        )
    for name, party in (("exporter", snap.exporter), ("importer", snap.importer)):
        yield from _check_party(name, party)
    if snap.importer.address.country != snap.destination_country and _is_country(snap.importer.address.country):
        yield _finding(
            "destination.mismatch",
            WARNING,
            "destination_country",
            MSG_DEST_MISMATCH,
            destination=snap.destination_country,
            country=snap.importer.address.country,
        )


def _check_party(name: str, party: Party) -> Iterator[Finding]:
    if not party.name.strip():
        yield _finding("party.name_missing", BLOCKING, f"{name}.name", MSG_PARTY_NAME)
    if not party.address.line1.strip() or not party.address.city.strip():
        yield _finding("party.address_incomplete", BLOCKING, f"{name}.address", MSG_PARTY_ADDRESS)
    if not _is_country(party.address.country):
        yield _finding(
            "party.country_invalid",
            BLOCKING,
            f"{name}.address.country",
            MSG_COUNTRY_INVALID,
            value=party.address.country,
        )


def _hs_region(destination: str) -> str:
    return "EU" if destination in EU_MEMBER_STATES else destination


def _check_hs_codes(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    region = _hs_region(snap.destination_country)
    national = _HS_NATIONAL_LENGTHS.get(region, ())
    lengths = " or ".join(str(n) for n in national)
    postal_non_commercial = ctx.doc_type in ("cn22", "cn23") and effective_item_category(snap) in ("gift", "documents")
    for i, line in enumerate(snap.lines):
        field = f"lines[{i}].hs_code"
        raw = line.hs_code.strip()
        if not raw:
            # CN22/CN23 ask for the HS number "for commercial items only".
            yield _finding("hs_code.missing", WARNING if postal_non_commercial else BLOCKING, field, MSG_HS_MISSING)
            continue
        digits = raw.replace(".", "").replace(" ", "")
        if not digits.isascii() or not digits.isdigit():
            yield _finding("hs_code.format", BLOCKING, field, MSG_HS_FORMAT, hs_code=raw)
        elif len(digits) < 6:
            yield _finding("hs_code.too_short", BLOCKING, field, MSG_HS_TOO_SHORT, hs_code=raw, digits=len(digits))
        elif len(digits) > 14:
            yield _finding("hs_code.too_long", BLOCKING, field, MSG_HS_TOO_LONG, hs_code=raw, digits=len(digits))
        elif national and len(digits) == 6:
            yield _finding(
                "hs_code.national_length",
                WARNING,
                field,
                MSG_HS_NATIONAL,
                hs_code=raw,
                destination=region,
                lengths=lengths,
            )
        elif national and len(digits) not in national:
            yield _finding(
                "hs_code.length_for_destination",
                BLOCKING,
                field,
                MSG_HS_BAD_LENGTH,
                hs_code=raw,
                digits=len(digits),
                destination=region,
                lengths=lengths,
            )


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip(" .!?。！？")


def is_vague_description(description: str) -> bool:
    """True when the description is only words such as "gift", "parts", "配件", "Zubehör"."""
    text = _normalise(description)
    if text in _VAGUE_WORDS:
        return True
    words = [w for w in _SPLIT_RE.split(text) if w]
    if not words:
        return True
    meaningful = [w for w in words if w not in _CONNECTORS]
    return bool(meaningful) and all(w in _VAGUE_WORDS for w in meaningful)


def _check_descriptions(ctx: _Ctx) -> Iterator[Finding]:
    for i, line in enumerate(ctx.snapshot.lines):
        field = f"lines[{i}].description"
        if not line.description.strip():
            yield _finding("description.missing", BLOCKING, field, MSG_DESC_MISSING)
        elif is_vague_description(line.description):
            yield _finding("description.vague", BLOCKING, field, MSG_DESC_VAGUE, description=line.description.strip())


def _check_origins(ctx: _Ctx) -> Iterator[Finding]:
    for i, line in enumerate(ctx.snapshot.lines):
        field = f"lines[{i}].origin_country"
        origin = line.origin_country.strip()
        if not origin:
            yield _finding("origin.missing", BLOCKING, field, MSG_ORIGIN_MISSING)
        elif not _is_country(origin):
            yield _finding("origin.invalid", BLOCKING, field, MSG_COUNTRY_INVALID, value=origin)


def _check_weights(ctx: _Ctx) -> Iterator[Finding]:
    for i, line in enumerate(ctx.snapshot.lines):
        yield from _check_line_weights(i, line)


def _check_line_weights(i: int, line: DocumentLine) -> Iterator[Finding]:
    ok = True
    for which, field, value in (
        ("Net", f"lines[{i}].net_weight_kg", line.net_weight_kg),
        ("Gross", f"lines[{i}].gross_weight_kg", line.gross_weight_kg),
    ):
        if value is None:
            ok = False
            yield _finding("weight.missing", BLOCKING, field, MSG_WEIGHT_MISSING, which=which)
        elif value <= 0:
            ok = False
            yield _finding("weight.not_positive", BLOCKING, field, MSG_WEIGHT_NOT_POSITIVE, which=which)
    gross, net = line.gross_weight_kg, line.net_weight_kg
    if ok and gross is not None and net is not None and gross < net:
        yield _finding(
            "weight.gross_below_net",
            BLOCKING,
            f"lines[{i}].gross_weight_kg",
            MSG_GROSS_BELOW_NET,
            gross=_fmt(gross),
            net=_fmt(net),
        )


def _check_line_values(ctx: _Ctx) -> Iterator[Finding]:
    currency = ctx.snapshot.currency
    for i, line in enumerate(ctx.snapshot.lines):
        if line.quantity < 1:
            yield _finding("value.quantity", BLOCKING, f"lines[{i}].quantity", MSG_QUANTITY)
        if line.unit_value <= 0:
            yield _finding("value.unit_value", BLOCKING, f"lines[{i}].unit_value", MSG_UNIT_VALUE)
        computed = computed_line_value(line, currency)
        if line.line_value is not None and line.line_value != computed:
            yield _finding(
                "value.line_mismatch",
                BLOCKING,
                f"lines[{i}].line_value",
                MSG_LINE_VALUE,
                stated=_fmt(line.line_value),
                computed=_fmt(computed),
            )


def _check_totals(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    for which, field, value in (
        ("Freight", "freight", snap.freight),
        ("Insurance", "insurance", snap.insurance),
        ("Other charges", "other_charges", snap.other_charges),
    ):
        if value < 0:
            yield _finding("value.negative_charge", BLOCKING, field, MSG_CHARGE_NEGATIVE, which=which)
    computed = document_total(snap)
    if snap.invoice_total is not None and snap.invoice_total != computed:
        yield _finding(
            "value.total_mismatch",
            BLOCKING,
            "invoice_total",
            MSG_TOTAL_MISMATCH,
            stated=_fmt(snap.invoice_total),
            goods=_fmt(goods_total(snap)),
            freight=_fmt(snap.freight),
            insurance=_fmt(snap.insurance),
            other=_fmt(snap.other_charges),
            computed=_fmt(computed),
        )
    yield from _check_order_fx(snap, computed)


def _check_order_fx(snap: DocumentSnapshot, computed: Decimal) -> Iterator[Finding]:
    order = snap.order_total
    if order is None:
        return
    try:
        order_amount = Decimal(order.amount)
    except ArithmeticError:
        yield _finding("value.order_total", BLOCKING, "order_total.amount", MSG_CURRENCY_INVALID, value=order.amount)
        return
    total = snap.invoice_total if snap.invoice_total is not None else computed
    rate = _fx_rate(snap, order.currency)
    if rate is None:
        yield _finding(
            "fx.missing", BLOCKING, "fx", MSG_FX_MISSING, order_currency=order.currency, currency=snap.currency
        )
        return
    quantum = money_quantum(snap.currency)
    converted = (order_amount * rate).quantize(quantum)
    # Converting line by line may round each line: allow one minor unit per line (+1 for charges).
    tolerance = quantum * (len(snap.lines) + 1) if order.currency != snap.currency else Decimal(0)
    if abs(converted - total) > tolerance:
        yield _finding(
            "fx.mismatch",
            BLOCKING,
            "order_total",
            MSG_FX_MISMATCH,
            order_total=order.amount,
            order_currency=order.currency,
            rate=_fmt(rate),
            converted=_fmt(converted),
            currency=snap.currency,
            total=_fmt(total),
        )


def _fx_rate(snap: DocumentSnapshot, order_currency: str) -> Decimal | None:
    """Units of the document currency for one unit of the order currency."""
    if order_currency == snap.currency:
        return Decimal(1)
    fx = snap.fx
    if fx is None or fx.rate <= 0:
        return None
    if (fx.base, fx.quote) == (order_currency, snap.currency):
        return fx.rate
    if (fx.base, fx.quote) == (snap.currency, order_currency):
        return 1 / fx.rate
    return None


def _check_cn22_limit(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    if ctx.doc_type not in ("cn22", "cn23"):
        return
    if abs((snap.invoice_date - ctx.sdr_rates.date).days) > SDR_STALE_DAYS:
        yield _finding(
            "sdr.stale",
            WARNING,
            "sdr_rates",
            MSG_SDR_STALE,
            rates_date=ctx.sdr_rates.date.isoformat(),
            days=SDR_STALE_DAYS,
            invoice_date=snap.invoice_date.isoformat(),
        )
    if ctx.doc_type != "cn22":
        return
    value = goods_total(snap)
    sdr = ctx.sdr_rates.to_sdr(value, snap.currency)
    if sdr is None:
        yield _finding("cn22.no_sdr_rate", BLOCKING, "currency", MSG_CN22_NO_RATE, currency=snap.currency)
    elif sdr > CN22_LIMIT_SDR:
        yield _finding(
            "cn22.over_limit",
            BLOCKING,
            "doc_type",
            MSG_CN22_OVER_LIMIT,
            sdr=_fmt(sdr.quantize(Decimal("0.01"))),
            value=_fmt(value),
            currency=snap.currency,
        )


def _check_category(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    if ctx.doc_type in ("cn22", "cn23"):
        if effective_item_category(snap) == "other" and not (
            snap.category_explanation.strip() or snap.reason_explanation.strip()
        ):
            yield _finding("category.explanation", BLOCKING, "category_explanation", MSG_CATEGORY_EXPLANATION)
    elif snap.reason_for_export == "other" and not snap.reason_explanation.strip():
        yield _finding("reason.explanation", WARNING, "reason_explanation", MSG_REASON_EXPLANATION)


def _value_in_eur(ctx: _Ctx, amount: Decimal) -> Decimal | None:
    snap = ctx.snapshot
    if snap.currency == "EUR":
        return amount
    if snap.eur_rate is not None and snap.eur_rate > 0:
        return amount * snap.eur_rate
    return ctx.sdr_rates.convert(amount, snap.currency, "EUR")


def _check_ioss(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    ioss = snap.exporter.ioss_number.strip()
    if ioss and not (eu_oss.compact(ioss).startswith("IM") and eu_oss.is_valid(ioss)):
        yield _finding("ioss.invalid", BLOCKING, "exporter.ioss_number", MSG_IOSS_INVALID, value=ioss)
    if snap.destination_country not in EU_MEMBER_STATES or snap.importer.is_business or not snap.seller_collects_vat:
        return
    value = _value_in_eur(ctx, goods_total(snap))
    if value is None:
        yield _finding("ioss.eur_unknown", WARNING, "eur_rate", MSG_EUR_UNKNOWN, currency=snap.currency)
        return
    shown = _fmt(value.quantize(Decimal("0.01")))
    if value <= IOSS_LIMIT_EUR and not ioss:
        yield _finding("ioss.required", BLOCKING, "exporter.ioss_number", MSG_IOSS_REQUIRED, value=shown)
    elif value > IOSS_LIMIT_EUR:
        yield _finding("ioss.over_limit", WARNING, "seller_collects_vat", MSG_IOSS_OVER_LIMIT, value=shown)


def _eori_region(country: str) -> tuple[str, frozenset[str]] | None:
    """The EORI area a destination belongs to and the country prefixes valid there."""
    if country in EU_MEMBER_STATES:
        return "EU", EU_MEMBER_STATES | {"XI"}
    if country == "GB":
        return "GB", frozenset({"GB"})
    return None


def is_valid_eori(value: str) -> bool:
    """Structure check: ISO country prefix (or XI) and 1-15 letters/digits. No registry lookup."""
    eori = value.replace(" ", "").upper()
    return bool(_EORI_RE.match(eori)) and (eori[:2] == "XI" or _is_country(eori[:2]))


def _check_eori(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    importer_eori = snap.importer.eori.strip()
    exporter_eori = snap.exporter.eori.strip()
    for field, value in (("importer.eori", importer_eori), ("exporter.eori", exporter_eori)):
        if value and not is_valid_eori(value):
            yield _finding("eori.invalid", BLOCKING, field, MSG_EORI_INVALID, value=value)
    region = _eori_region(snap.destination_country)
    if region is not None and snap.importer.is_business:
        name, prefixes = region
        if not importer_eori:
            yield _finding("eori.required", BLOCKING, "importer.eori", MSG_EORI_REQUIRED, region=name)
        elif is_valid_eori(importer_eori) and importer_eori.upper()[:2] not in prefixes:
            yield _finding("eori.region", BLOCKING, "importer.eori", MSG_EORI_REGION, value=importer_eori, region=name)
    exporting_from_eu = (
        snap.exporter.address.country in EU_MEMBER_STATES and snap.destination_country not in EU_MEMBER_STATES
    )
    is_sale_invoice = snap.reason_for_export == "sale" and ctx.doc_type in ("commercial_invoice", "proforma_invoice")
    if exporting_from_eu and is_sale_invoice and not exporter_eori:
        yield _finding("eori.exporter_missing", WARNING, "exporter.eori", MSG_EORI_EXPORT)


def is_valid_vat(value: str, country: str) -> bool | None:
    """Validate a VAT number with python-stdnum; ``None`` when no validator applies."""
    number = value.replace(" ", "").upper()
    if number[:2] in _EU_VAT_PREFIXES:
        return bool(eu_vat.is_valid(number))
    module = get_cc_module(country, "vat") if _is_country(country) else None
    if module is None:
        return None
    return bool(module.is_valid(number))


def _check_vat_numbers(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    for name, party in (("exporter", snap.exporter), ("importer", snap.importer)):
        candidates = [(f"{name}.vat_number", party.vat_number, party.address.country)]
        candidates += [
            (f"{name}.tax_ids[{i}]", tax.value, tax.country or party.address.country)
            for i, tax in enumerate(party.tax_ids)
            if tax.kind.casefold() == "vat"
        ]
        for field, value, country in candidates:
            if value.strip() and is_valid_vat(value, country) is False:
                yield _finding("vat.invalid", BLOCKING, field, MSG_VAT_INVALID, value=value.strip())


def _check_incoterm(ctx: _Ctx) -> Iterator[Finding]:
    snap = ctx.snapshot
    incoterm = snap.incoterm.strip().upper()
    if incoterm == "DDU":
        yield _finding("incoterm.obsolete", WARNING, "incoterm", MSG_INCOTERM_DDU)
        incoterm = "DAP"
    elif incoterm not in INCOTERMS_2020:
        yield _finding("incoterm.unknown", BLOCKING, "incoterm", MSG_INCOTERM_UNKNOWN, value=snap.incoterm)
        return
    quote = snap.landed_cost
    if incoterm == "DDP":
        payer = snap.duties_paid_by or (quote.payer if quote else "seller")
        if payer != "seller":
            yield _finding("incoterm.ddp_payer", BLOCKING, "duties_paid_by", MSG_DDP_BUYER_PAYS, payer=payer)
        if quote is None:
            severity = BLOCKING if ctx.doc_type in ("commercial_invoice", "proforma_invoice") else WARNING
            yield _finding("incoterm.ddp_figures", severity, "landed_cost", MSG_DDP_NO_FIGURES)
        return
    if snap.duties_paid_by == "seller":
        yield _finding("incoterm.seller_pays", BLOCKING, "duties_paid_by", MSG_NOT_DDP_SELLER_PAYS, incoterm=incoterm)
    elif quote is not None and quote.payer == "seller":
        yield _finding("incoterm.quote_payer", WARNING, "landed_cost.payer", MSG_QUOTE_SELLER_PAYS, incoterm=incoterm)


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """(JSON path, text) of every string in a snapshot's builtins."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def _check_fonts(ctx: _Ctx) -> Iterator[Finding]:
    if not rtl.has_rtl(msgspec.json.encode(ctx.snapshot).decode()):
        return
    for field, text in _strings(msgspec.to_builtins(ctx.snapshot), ""):
        for script in rtl.missing_scripts(text):
            yield _finding(
                "text.font_missing",
                WARNING,
                field,
                MSG_FONT_MISSING,
                script=script.title(),
                setting=rtl.FONT_ENV[script],
            )


_RULES: Final = (
    _check_parties,
    _check_hs_codes,
    _check_descriptions,
    _check_origins,
    _check_weights,
    _check_line_values,
    _check_totals,
    _check_cn22_limit,
    _check_category,
    _check_ioss,
    _check_eori,
    _check_vat_numbers,
    _check_incoterm,
    _check_fonts,
)
