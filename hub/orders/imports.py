"""Bulk import of orders from CSV or XLSX (first sheet): one row per line, rows sharing ``external_ref``
form one order. Valid orders go in; every bad row is reported with its row number, column and reason,
and a bad row rejects its whole order, never half of it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any, Literal

import msgspec

from hub.core.errors import AppError, Conflict, ValidationFailed
from hub.core.wire_errors import field_errors_from_msgspec
from hub.orders import intake
from hub.orders.schemas import OrderCreate
from tenants.schemas import Principal

REQUIRED = (
    "external_ref",
    "customer_code",
    "customer_name",
    "ship_to_name",
    "line1",
    "city",
    "country",
    "currency",
    "quantity",
    "unit_price",
)
OPTIONAL = (
    "customer_email",
    "customer_phone",
    "line2",
    "region",
    "postal_code",
    "incoterm",
    "sku",
    "name",
    "hs_code",
    "origin_country",
    "weight_kg",
    "spec",
)
MAX_ROWS = 10_000
MAX_XLSX_INFLATED_BYTES = 64 * 1024 * 1024
"""What an XLSX may inflate to (its parts together): ten thousand rows are a few megabytes of XML."""

# Where a field of the order body came from, to name the column in a row error.
FIELD_TO_COLUMN = {
    "customer.code": "customer_code",
    "customer.name": "customer_name",
    "customer.email": "customer_email",
    "customer.phone": "customer_phone",
    "ship_to.name": "ship_to_name",
    "ship_to.line1": "line1",
    "ship_to.line2": "line2",
    "ship_to.city": "city",
    "ship_to.region": "region",
    "ship_to.postal_code": "postal_code",
    "ship_to.country": "country",
    "currency": "currency",
    "incoterm": "incoterm",
}
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.([a-z_]+)")


class RowError(msgspec.Struct, kw_only=True):
    row: int
    column: str
    reason: str
    external_ref: str | None = None


class ImportedOrder(msgspec.Struct, kw_only=True):
    external_ref: str
    order_id: str
    number: str
    status: str
    rows: list[int]


class ImportReport(msgspec.Struct, kw_only=True):
    channel: Literal["csv", "xlsx"]
    rows: int
    created: list[ImportedOrder]
    rejected: list[RowError]


Rows = list[tuple[int, dict[str, str]]]
"""Each non-blank row with the row number a spreadsheet shows for it (the header is row 1)."""
Cells = set[tuple[int, str]]
"""Cells by row number and column name."""

UNSAVED_FORMULA = "a formula with no saved value: open and save the file in a spreadsheet program, or paste values"


def _delimiter(text: str) -> str:
    """Comma, or the semicolon (or tab) that Excel writes where the comma is the decimal separator."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def _csv_rows(content: bytes) -> tuple[list[str], Rows, Cells]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        # csv.reader, not DictReader: DictReader drops empty lines, and the rows after one would be
        # reported under the wrong number.
        records = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        header = [name.strip() for name in next(records, [])]
        rows = [
            (number, {name: value.strip() for name, value in zip(header, values, strict=False)})
            for number, values in enumerate(records, start=2)
        ]
        return header, _without_blank_rows(rows), set()
    raise ValidationFailed.single("file", "the CSV is neither UTF-8 nor GB18030 text")


def _xlsx_rows(content: bytes) -> tuple[list[str], Rows, Cells]:
    """The first sheet's values, and which of the required cells that read empty hold a formula.

    A spreadsheet program saves each formula's value beside it; a file written by a program
    (openpyxl, a report generator) may hold the formula alone, which reads as an empty cell.
    """
    import openpyxl  # noqa: PLC0415  (only for XLSX uploads)

    try:
        # The sizes the archive declares: openpyxl would inflate a zip bomb whole before any row is read.
        inflated = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(content)).infolist())
    except zipfile.BadZipFile:
        inflated = 0  # not a zip: openpyxl says so below
    if inflated > MAX_XLSX_INFLATED_BYTES:
        raise ValidationFailed.single(
            "file", f"the workbook would inflate to more than {MAX_XLSX_INFLATED_BYTES // (1024 * 1024)} MB"
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationFailed.single("file", f"not a readable XLSX workbook ({type(exc).__name__})") from None
    sheet = workbook.worksheets[0]
    header: list[str] = []
    rows: Rows = []
    unread: set[tuple[int, int]] = set()
    filled = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = ["" if cell is None else str(cell).strip() for cell in values]
        if number == 1:
            header = cells
        else:
            rows.append((number, dict(zip(header, cells, strict=False))))
            filled += any(cells)
            if filled > MAX_ROWS:
                break  # one row too many is enough for read_rows to refuse the file; the rest is never read
            unread.update((number, i) for i, cell in enumerate(values) if cell is None and i < len(header))
    workbook.close()
    rows = _without_blank_rows(rows)
    kept = {number for number, _ in rows}
    required = {i for i, name in enumerate(header) if name in REQUIRED}
    unread = {(number, i) for number, i in unread if number in kept and i in required}
    formulas = _formula_cells(content, unread) if unread else set()
    return header, rows, {(number, header[i]) for number, i in formulas}


def _formula_cells(content: bytes, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of ``cells`` (row number, column index) that read empty hold a formula.

    Read a second time with formulas instead of values: only a formula reads differently. Done only
    when a required cell reads empty, so a clean file is read once.
    """
    import openpyxl  # noqa: PLC0415  (only for XLSX uploads)

    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    last = max(number for number, _ in cells)
    found = {
        (number, i)
        for number, values in enumerate(workbook.worksheets[0].iter_rows(max_row=last, values_only=True), start=1)
        for i, value in enumerate(values)
        if value is not None and (number, i) in cells
    }
    workbook.close()
    return found


def _without_blank_rows(rows: Rows) -> Rows:
    """Empty rows (a file's trailing ``,,,,`` lines, a spacer row) are no rows: never rejected, never counted."""
    return [(number, row) for number, row in rows if any(row.values())]


def read_rows(filename: str, content: bytes) -> tuple[Literal["csv", "xlsx"], Rows, Cells]:
    """The channel, the rows, and the cells that read empty because they hold an unsaved formula."""
    is_xlsx = filename.lower().endswith(".xlsx") or content[:2] == b"PK"
    channel: Literal["csv", "xlsx"] = "xlsx" if is_xlsx else "csv"
    try:
        header, rows, unsaved = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    except csv.Error as exc:
        raise ValidationFailed.single("file", f"malformed CSV: {exc}") from None
    if len(rows) > MAX_ROWS:
        raise ValidationFailed.single("file", f"at most {MAX_ROWS} rows per import; split the file")
    missing = [column for column in REQUIRED if column not in header]
    if not rows:
        raise ValidationFailed.single("file", "the file has a header but no rows" if header else "the file is empty")
    if missing:
        raise ValidationFailed.single("file", f"missing required columns: {', '.join(missing)}")
    return channel, rows, unsaved


def _empty(number: int, column: str, unsaved: Cells) -> str:
    """Why a required cell is refused as empty."""
    return UNSAVED_FORMULA if (number, column) in unsaved else "required"


def _order_body(
    channel: str, ref: str, rows: list[tuple[int, dict[str, str]]], unsaved: Cells
) -> tuple[dict[str, Any], list[RowError]]:
    first = rows[0][1]
    errors: list[RowError] = []
    for number, row in rows:
        for column in REQUIRED:
            if not (row.get(column) or "").strip():
                reason = _empty(number, column, unsaved)
                errors.append(RowError(row=number, column=column, reason=reason, external_ref=ref))
        quantity = (row.get("quantity") or "").strip()
        if quantity and not re.fullmatch(r"\d+", quantity):
            errors.append(RowError(row=number, column="quantity", reason="a whole number", external_ref=ref))
    body = {
        "channel": channel,
        "external_ref": ref,
        "customer": {
            "code": first.get("customer_code", ""),
            "name": first.get("customer_name", ""),
            "email": first.get("customer_email") or None,
            "phone": first.get("customer_phone") or None,
        },
        "ship_to": {
            k: first.get(c, "") or ""
            for k, c in (
                ("name", "ship_to_name"),
                ("line1", "line1"),
                ("line2", "line2"),
                ("city", "city"),
                ("region", "region"),
                ("postal_code", "postal_code"),
                ("country", "country"),
            )
        },
        "currency": first.get("currency", ""),
        "incoterm": first.get("incoterm") or "DAP",
        "lines": [
            {
                "sku": row.get("sku") or None,
                "name": row.get("name") or None,
                "spec": row.get("spec") or "",
                "quantity": int(row["quantity"]) if re.fullmatch(r"\d+", row.get("quantity") or "") else 0,
                "unit_price": {"amount": row.get("unit_price") or "0", "currency": first.get("currency", "")},
                "hs_code": row.get("hs_code") or None,
                "origin_country": row.get("origin_country") or None,
                "weight_kg": row.get("weight_kg") or None,
            }
            for _, row in rows
        ],
    }
    return body, errors


def _row_errors(error: AppError, rows: list[tuple[int, dict[str, str]]], ref: str) -> list[RowError]:
    found: list[RowError] = []
    for field_error in error.errors or []:
        match = LINE_FIELD.match(field_error.field)
        if match:
            index, name = int(match.group(1)), match.group(2)
            row_number = rows[min(index, len(rows) - 1)][0]
            column = {"unit_price": "unit_price", "discount": "unit_price"}.get(name, name)
        else:
            row_number = rows[0][0]
            column = FIELD_TO_COLUMN.get(field_error.field, field_error.field)
        found.append(RowError(row=row_number, column=column, reason=field_error.message, external_ref=ref))
    if not found:
        found.append(RowError(row=rows[0][0], column="external_ref", reason=error.detail, external_ref=ref))
    return found


async def import_orders(principal: Principal, filename: str, content: bytes) -> ImportReport:
    channel, rows, unsaved = read_rows(filename, content)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    rejected: list[RowError] = []
    for number, row in rows:
        ref = (row.get("external_ref") or "").strip()
        if not ref:
            rejected.append(RowError(row=number, column="external_ref", reason=_empty(number, "external_ref", unsaved)))
            continue
        groups.setdefault(ref, []).append((number, row))
    created: list[ImportedOrder] = []
    for ref, group in groups.items():
        body, errors = _order_body(channel, ref, group, unsaved)
        if errors:
            rejected.extend(errors)
            continue
        try:
            data = msgspec.convert(body, OrderCreate)
        except msgspec.ValidationError as exc:
            # A value of the wrong shape (incoterm "ddp", weight "heavy"): msgspec names its path in
            # the body, which maps back to a row and column like the service's own field errors.
            shape = ValidationFailed(str(exc), errors=field_errors_from_msgspec(str(exc)))
            rejected.extend(_row_errors(shape, group, ref))
            continue
        try:
            order = await intake.create_order(principal, data)
        except (ValidationFailed, Conflict) as exc:
            rejected.extend(_row_errors(exc, group, ref))
            continue
        created.append(
            ImportedOrder(
                external_ref=ref,
                order_id=str(order.id),
                number=order.number,
                status=order.status,
                rows=[n for n, _ in group],
            )
        )
    return ImportReport(channel=channel, rows=len(rows), created=created, rejected=rejected)
