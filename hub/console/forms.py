"""The manual order form: flat form fields to an :class:`OrderCreate`, and errors back to the fields.

Inputs are named after the API's JSON paths (``customer.email``, ``ship_to.country``,
``lines[2].quantity``), so a ``ValidationFailed`` error list maps straight onto the inputs. Empty
line rows are skipped; the row numbers of the rows sent are remembered so an error about the API's
``lines[0]`` is shown next to the form row it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec

from hub.console.i18n import translate
from hub.core.errors import FieldError
from hub.core.validation import country
from hub.core.wire_errors import field_errors_from_msgspec
from hub.orders.intake import MAX_LINE_QUANTITY
from hub.orders.schemas import ChangeRequestCreate, OrderCreate

LINE_ROWS = 5
LINE_FIELDS = ("sku", "name", "quantity", "unit_price", "hs_code", "origin_country", "weight_kg")
CUSTOMER_FIELDS = ("code", "name", "email", "phone")
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")
_LINE_PATH = re.compile(r"^lines\[(\d+)\]")

CHANGE_KINDS = ("delivery_date", "quantity", "address", "cancel")
"""The change requests the order page files; ``lines`` (add or remove lines) is filed through the API only."""
CHANGE_ADDRESS_FIELDS = (
    "name",
    "company",
    "line1",
    "line2",
    "postal_code",
    "city",
    "region",
    "country",
    "phone",
    "email",
)
"""Every field of :class:`AddressIn`: the form carries them all, so a field it did not show is not lost."""
MAX_REASON = 2000


class ParsedForm(msgspec.Struct, kw_only=True):
    order: OrderCreate | None
    errors: list[FieldError]
    row_of_line: list[int]
    """Index of the API's ``lines[i]`` -> form row number."""


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _line_rows(
    form: Mapping[str, Any], currency: str, errors: list[FieldError]
) -> tuple[list[dict[str, Any]], list[int]]:
    lines: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in range(LINE_ROWS):
        values = {name: _text(form, f"lines[{row}].{name}") for name in LINE_FIELDS}
        if not any(values.values()):
            continue
        line: dict[str, Any] = {}
        quantity = values["quantity"]
        if not quantity.isdecimal():
            errors.append(FieldError(f"lines[{row}].quantity", "must be a whole number greater than 0"))
        else:
            line["quantity"] = int(quantity)
        if values["unit_price"]:
            line["unit_price"] = {"amount": values["unit_price"], "currency": currency}
        for name in ("sku", "name", "hs_code", "origin_country", "weight_kg"):
            if values[name]:
                line[name] = values[name]
        line.setdefault("quantity", 0)
        lines.append(line)
        rows.append(row)
    return lines, rows


def parse_order_form(form: Mapping[str, Any]) -> ParsedForm:
    """Build the order the form describes, or the errors that stop it (named by form input)."""
    errors: list[FieldError] = []
    currency = _text(form, "currency").upper()
    lines, rows = _line_rows(form, currency, errors)
    if not lines:
        errors.append(FieldError("lines[0].sku", "an order needs at least one line"))
    body: dict[str, Any] = {
        "channel": "manual",
        "channel_detail": _text(form, "channel_detail") or None,
        "customer": {name: _text(form, f"customer.{name}") or None for name in CUSTOMER_FIELDS},
        "ship_to": {name: _text(form, f"ship_to.{name}") for name in ADDRESS_FIELDS},
        "currency": currency,
        "incoterm": _text(form, "incoterm") or "DAP",
        "rush": _text(form, "rush") in ("on", "true", "1"),
        "special_terms": _text(form, "special_terms"),
        "lines": lines,
    }
    body["customer"]["code"] = body["customer"]["code"] or ""
    body["customer"]["name"] = body["customer"]["name"] or ""
    for required in ("code", "name"):
        if not body["customer"][required]:
            errors.append(FieldError(f"customer.{required}", "required"))
    if not currency:
        errors.append(FieldError("currency", "required"))
    if external_ref := _text(form, "external_ref"):
        body["external_ref"] = external_ref
    if delivery := _text(form, "requested_delivery_date"):
        body["requested_delivery_date"] = delivery
    if shipping := _text(form, "shipping"):
        body["shipping"] = {"amount": shipping, "currency": currency}
    if errors:
        return ParsedForm(order=None, errors=errors, row_of_line=rows)
    try:
        order = msgspec.convert(body, OrderCreate, strict=False)
    except msgspec.ValidationError as exc:
        found = [to_form_field(e, rows) for e in field_errors_from_msgspec(str(exc))]
        return ParsedForm(order=None, errors=found, row_of_line=rows)
    return ParsedForm(order=order, errors=[], row_of_line=rows)


def to_form_field(error: FieldError, row_of_line: list[int]) -> FieldError:
    """Rename an API error's ``lines[i]...`` to the form row it came from."""
    match = _LINE_PATH.match(error.field)
    if match is None:
        return error
    index = int(match.group(1))
    row = row_of_line[index] if index < len(row_of_line) else index
    return FieldError(f"lines[{row}]" + error.field[match.end() :], error.message)


def errors_by_input(errors: list[FieldError]) -> dict[str, list[str]]:
    """Errors keyed by the form input they belong to (``lines[0].unit_price.amount`` -> ``lines[0].unit_price``)."""
    inputs = {f"customer.{n}" for n in CUSTOMER_FIELDS} | {f"ship_to.{n}" for n in ADDRESS_FIELDS}
    inputs |= {f"lines[{r}].{n}" for r in range(LINE_ROWS) for n in LINE_FIELDS}
    inputs |= {"external_ref", "channel_detail", "currency", "incoterm", "requested_delivery_date", "shipping"}
    inputs |= {"special_terms"}
    found: dict[str, list[str]] = {}
    for error in errors:
        field = error.field
        while field and field not in inputs:
            field = field.rpartition(".")[0]
        found.setdefault(field or "_", []).append(error.message)
    return found


class ParsedChange(msgspec.Struct, kw_only=True):
    data: ChangeRequestCreate | None
    errors: list[FieldError]
    """Named by the form's input (``reason``, ``quantity.2``, ``ship_to.city``), already in the clerk's language."""
    values: dict[str, str]
    """What the clerk typed, by input name, to put back into the form after an error."""


def _change_date(form: Mapping[str, Any], locale: str, errors: list[FieldError], values: dict[str, str]) -> str:
    raw = _text(form, "requested_delivery_date")
    values["requested_delivery_date"] = raw
    try:
        # NFKC: full-width digits typed with a Chinese input method are digits.
        return date.fromisoformat(unicodedata.normalize("NFKC", raw)).isoformat()
    except ValueError:
        errors.append(FieldError("requested_delivery_date", translate("A date like 2026-12-24.", locale)))
        return ""


def _change_quantities(
    form: Mapping[str, Any],
    current: Mapping[int, int],
    locale: str,
    errors: list[FieldError],
    values: dict[str, str],
) -> dict[str, int]:
    """Line number (as the API spells it) -> new quantity, for the lines whose quantity changed."""
    changed: dict[str, int] = {}
    for line_no, now in current.items():
        name = f"quantity.{line_no}"
        raw = values[name] = _text(form, name)
        if not raw.isdecimal() or int(raw) <= 0:  # not isdigit: int("²") raises
            errors.append(FieldError(name, translate("must be a whole number greater than 0", locale)))
        elif int(raw) > MAX_LINE_QUANTITY:
            errors.append(FieldError(name, translate("At most {n}.", locale).format(n=MAX_LINE_QUANTITY)))
        elif int(raw) != now:
            changed[str(line_no)] = int(raw)
    if not changed and not errors:
        errors.append(FieldError("quantity", translate("Change at least one quantity.", locale)))
    return changed


def _change_address(
    form: Mapping[str, Any], locale: str, errors: list[FieldError], values: dict[str, str]
) -> dict[str, str]:
    address = {name: _text(form, f"ship_to.{name}") for name in CHANGE_ADDRESS_FIELDS}
    values.update({f"ship_to.{name}": value for name, value in address.items()})
    code = country("ship_to.country", address["country"], [], required=True)
    if code is None:
        errors.append(FieldError("ship_to.country", translate("A two-letter country code, e.g. CN.", locale)))
    return {**address, "country": code or address["country"]}


def parse_change_form(
    kind: str, form: Mapping[str, Any], current_quantities: Mapping[int, int], locale: str
) -> ParsedChange:
    """The change request one of the order page's "Request a change" forms describes, or its errors.

    ``current_quantities``: line number -> quantity now; a quantity change carries only the lines
    whose quantity the clerk changed.
    """
    errors: list[FieldError] = []
    reason = _text(form, "reason")[:MAX_REASON]
    values = {"reason": reason}
    body: dict[str, Any] = {"kind": kind, "reason": reason}
    if not reason:
        errors.append(FieldError("reason", translate("Give a reason.", locale)))
    if kind == "delivery_date":
        body["requested_delivery_date"] = _change_date(form, locale, errors, values)
    elif kind == "quantity":
        body["quantities"] = _change_quantities(form, current_quantities, locale, errors, values)
    elif kind == "address":
        body["ship_to"] = _change_address(form, locale, errors, values)
    if errors:
        return ParsedChange(data=None, errors=errors, values=values)
    try:
        data = msgspec.convert(body, ChangeRequestCreate, strict=False)
    except msgspec.ValidationError as exc:
        return ParsedChange(data=None, errors=field_errors_from_msgspec(str(exc)), values=values)
    return ParsedChange(data=data, errors=[], values=values)


def change_input(field: str) -> str:
    """The form input a service error's field belongs to (``quantities.2`` -> ``quantity.2``); ``_`` for the form."""
    if field == "quantities" or field.startswith("quantities."):
        return "quantity" + field.removeprefix("quantities")
    if field in ("reason", "requested_delivery_date"):
        return field
    if field.startswith("ship_to.") and field.removeprefix("ship_to.") in CHANGE_ADDRESS_FIELDS:
        return field
    return "_"
