"""The automated review: every order, and again after each change. Pure: data in, findings out.

Each rule yields :class:`~hub.orders.schemas.Finding` with a stable ``code``, a severity, the field and
an ``action`` that decides the status (in the spirit of Odoo's sale exceptions):

* ``fix``: data is missing or wrong; the order waits ``on_hold`` until a change request fixes it;
* ``approve``: a person must agree (price deviation, rush, customization): ``awaiting_approval``;
* ``wait``: stock is short; what exists is reserved and the order is ``backordered`` with the ETA;
* ``info``: a warning; it never blocks.

The first that applies wins, in that order; a clean order is ``approved`` (tenant setting, default on)
or waits ``in_review`` for a clerk.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

import msgspec

from hub.orders.schemas import Finding
from hub.orders.status import OrderStatus
from i18n import gettext, mark

# Countries whose addresses carry no postal code (after Google's address metadata, libaddressinput).
NO_POSTAL_CODE = frozenset(
    [
        "AE",
        "AG",
        "AN",
        "AO",
        "AW",
        "BF",
        "BI",
        "BJ",
        "BO",
        "BS",
        "BW",
        "BZ",
        "CD",
        "CF",
        "CG",
        "CI",
        "CK",
        "CM",
        "CW",
        "DJ",
        "DM",
        "ER",
        "FJ",
        "GA",
        "GD",
        "GH",
        "GM",
        "GQ",
        "GY",
        "HK",
        "HM",
        "JM",
        "KI",
        "KM",
        "KN",
        "KP",
        "LC",
        "ML",
        "MO",
        "MR",
        "MS",
        "MW",
        "NR",
        "NU",
        "QA",
        "RW",
        "SB",
        "SC",
        "SL",
        "SO",
        "SR",
        "SS",
        "ST",
        "SX",
        "SY",
        "TD",
        "TF",
        "TG",
        "TK",
        "TL",
        "TO",
        "TT",
        "TV",
        "TZ",
        "UG",
        "VU",
        "YE",
        "ZW",
    ]
)

DEFAULT_MAX_DISCOUNT_PERCENT = Decimal(10)

MESSAGES = {
    "contact_missing": mark("The customer has neither an e-mail address nor a phone number."),
    "address_field_missing": mark("The ship-to address lacks {field}."),
    "postal_code_missing": mark("Addresses in {country} need a postal code."),
    "sku_unknown": mark("SKU {sku} is not in the catalog."),
    "line_incomplete": mark("A line without a catalog SKU needs a name and a unit price."),
    "price_below_policy": mark(
        "Line {line} is sold at {price} against a list price of {list_price}: {percent} % below list, "
        "more than the {limit} % the price policy allows without approval."
    ),
    "price_currency_mismatch": mark("The list price of {sku} is in {list_currency}, the order in {currency}."),
    "stock_short": mark("Only {reserved} of {quantity} x {sku} could be reserved; {short} backordered{eta}."),
    "substitute_available": mark("In stock with the same HS heading: {substitutes}."),
    "rush": mark("Rush order: needs approval."),
    "customization": mark("Customized goods: special terms need approval."),
    "hs_code_missing": mark("International line {line} needs an HS code for customs."),
    "origin_missing": mark("International line {line} needs a country of origin for customs."),
    "weight_missing": mark("Line {line} has no weight; carriers and customs need one."),
    "hs_code_unknown": mark("HS code {hs_code} of line {line} is not in the imported HS nomenclature; check the code."),
    "delivery_date_past": mark("The requested delivery date {date} is in the past."),
}


class LineFacts(msgspec.Struct, frozen=True, kw_only=True):
    line_no: int
    sku: str | None
    known_sku: bool
    name: str
    hs_code: str | None
    origin_country: str | None
    weight_kg: Decimal | None
    quantity: int
    unit_net: Decimal
    """The unit price after every discount share, for the price policy."""
    list_price: Decimal | None
    list_currency: str | None
    reserved: int
    eta: date | None = None
    substitutes: tuple[str, ...] = ()
    hs_known: bool = True
    """False when an imported nomenclature exists and lacks the code's subheading."""


class OrderFacts(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    origin_country: str
    customer_email: str | None
    customer_phone: str | None
    ship_to: dict[str, str]
    lines: list[LineFacts]
    rush: bool
    customization: bool
    requested_delivery_date: date | None
    today: date
    max_discount_percent: Decimal = DEFAULT_MAX_DISCOUNT_PERCENT


Action = Literal["fix", "approve", "wait", "info"]


def _finding(code: str, severity: str, target: str, action: Action, **params: object) -> Finding:
    text = {k: str(v) for k, v in params.items()}
    return Finding(
        code=code,
        severity="blocking" if severity == "blocking" else "warning",
        field=target,
        message=MESSAGES[code].format(**text),
        action=action,
        params=text,
    )


def _plain(number: Decimal) -> str:
    """Without storage padding and never in exponent form: normalize() alone writes 10 as 1E+1."""
    return format(number.normalize(), "f")


def _completeness(facts: OrderFacts) -> list[Finding]:
    found: list[Finding] = []
    if not facts.customer_email and not facts.customer_phone:
        found.append(_finding("contact_missing", "blocking", "customer", "fix"))
    for name in ("name", "line1", "city", "country"):
        if not facts.ship_to.get(name):
            found.append(_finding("address_field_missing", "blocking", f"ship_to.{name}", "fix", field=name))
    country = facts.ship_to.get("country", "")
    if country and country not in NO_POSTAL_CODE and not facts.ship_to.get("postal_code"):
        found.append(_finding("postal_code_missing", "blocking", "ship_to.postal_code", "fix", country=country))
    if facts.requested_delivery_date is not None and facts.requested_delivery_date < facts.today:
        found.append(
            _finding(
                "delivery_date_past", "warning", "requested_delivery_date", "info", date=facts.requested_delivery_date
            )
        )
    return found


def _line_rules(facts: OrderFacts, line: LineFacts, index: int, international: bool) -> list[Finding]:
    found: list[Finding] = []
    field = f"lines[{index}]"
    if line.sku and not line.known_sku and not line.name:
        found.append(_finding("sku_unknown", "blocking", f"{field}.sku", "fix", sku=line.sku))
    if line.list_price is not None and line.list_currency is not None:
        if line.list_currency != facts.currency:
            found.append(
                _finding(
                    "price_currency_mismatch",
                    "warning",
                    f"{field}.unit_price",
                    "info",
                    sku=line.sku,
                    list_currency=line.list_currency,
                    currency=facts.currency,
                )
            )
        elif line.list_price > 0:
            below = (line.list_price - line.unit_net) / line.list_price * 100
            if below > facts.max_discount_percent:
                found.append(
                    _finding(
                        "price_below_policy",
                        "blocking",
                        f"{field}.unit_price",
                        "approve",
                        line=line.line_no,
                        price=line.unit_net.quantize(Decimal("0.01")),
                        list_price=_plain(line.list_price),
                        percent=below.quantize(Decimal("0.1")),
                        limit=_plain(facts.max_discount_percent),
                    )
                )
    if line.reserved < line.quantity and line.known_sku:
        eta = f", expected {line.eta.isoformat()}" if line.eta else ""
        found.append(
            _finding(
                "stock_short",
                "blocking",
                f"{field}.quantity",
                "wait",
                sku=line.sku,
                quantity=line.quantity,
                reserved=line.reserved,
                short=line.quantity - line.reserved,
                eta=eta,
            )
        )
        if line.substitutes:
            found.append(
                _finding(
                    "substitute_available", "warning", f"{field}.sku", "info", substitutes=", ".join(line.substitutes)
                )
            )
    found.extend(_customs_rules(line, field, international))
    return found


def _customs_rules(line: LineFacts, field: str, international: bool) -> list[Finding]:
    """What customs will ask of a line: a known HS code, and for export an origin and a weight."""
    found: list[Finding] = []
    if line.hs_code and not line.hs_known:
        found.append(
            _finding("hs_code_unknown", "blocking", f"{field}.hs_code", "fix", hs_code=line.hs_code, line=line.line_no)
        )
    if international:
        if not line.hs_code:
            found.append(_finding("hs_code_missing", "blocking", f"{field}.hs_code", "fix", line=line.line_no))
        if not line.origin_country:
            found.append(_finding("origin_missing", "blocking", f"{field}.origin_country", "fix", line=line.line_no))
        if line.weight_kg is None:
            found.append(_finding("weight_missing", "warning", f"{field}.weight_kg", "info", line=line.line_no))
    return found


def review(facts: OrderFacts) -> list[Finding]:
    """Every finding for ``facts``, blocking ones first."""
    found = _completeness(facts)
    international = bool(facts.ship_to.get("country")) and facts.ship_to.get("country") != facts.origin_country
    for index, line in enumerate(facts.lines):
        found.extend(_line_rules(facts, line, index, international))
    if facts.rush:
        found.append(_finding("rush", "blocking", "rush", "approve"))
    if facts.customization:
        found.append(_finding("customization", "blocking", "special_terms", "approve"))
    return sorted(found, key=lambda f: f.severity != "blocking")


def status_for(findings: list[Finding], *, auto_approve: bool) -> OrderStatus:
    """The status the findings call for (see the module docstring)."""
    actions = {f.action for f in findings if f.severity == "blocking"}
    if "fix" in actions:
        return "on_hold"
    if "approve" in actions:
        return "awaiting_approval"
    if "wait" in actions:
        return "backordered"
    return "approved" if auto_approve else "in_review"


def localize(findings: list[Finding], locale: str) -> list[Finding]:
    """The findings with their messages in ``locale`` (stored in English, rendered per reader)."""
    if locale == "en":
        return findings
    return [
        msgspec.structs.replace(f, message=gettext(MESSAGES[f.code], locale).format(**f.params))
        if f.code in MESSAGES
        else f
        for f in findings
    ]
