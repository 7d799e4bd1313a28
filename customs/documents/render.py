"""Render a customs document from a snapshot: PDF bytes or the same content as JSON.

Entry points: :func:`render_pdf` and :func:`render_json`, for the document types
``commercial_invoice``, ``proforma_invoice``, ``packing_list`` (A4) and the UPU forms ``cn22``
(a 100 x 150 mm label) and ``cn23`` (A4). Both go through one :class:`~customs.documents.view.DocumentView`
so the PDF prints exactly the figures of the JSON. Labels are bilingual (English plus the locale:
``zh_Hans``, ``de``, ``fr``, ``es``, ``ja``); money, numbers and dates are formatted by Babel.

PDF library: **reportlab** (see :mod:`customs.documents.pdf` for the measurements): it has built-in
CID fonts for Chinese and Japanese, so CJK product names are searchable and extractable with no font
file to ship, and it draws a 20-line invoice in milliseconds. Arabic and Hebrew (a buyer in the UAE, a
product name) are shaped and reordered by :mod:`customs.documents.rtl` and drawn in an embedded
system TTF.

These functions do not run the pre-flight: the caller runs
:func:`customs.documents.preflight.preflight` first and refuses the document on blocking findings
(:func:`customs.documents.preflight.raise_for_blocking`), so a refused CN22 is never rendered.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from customs.documents.labels import bilingual, label
from customs.documents.pdf import A4, CN22_SIZE, Align, Layout
from customs.documents.snapshot import DocType, DocumentSnapshot
from customs.documents.view import Amount, DocumentView, LineView, PartyView, Weight, build_view

__all__ = ["render_json", "render_pdf"]

_CATEGORIES: Final = ("gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods", "other")


def render_json(snapshot: DocumentSnapshot, doc_type: DocType, locale: str) -> dict[str, Any]:
    """The document's content as JSON-ready builtins (amounts as decimal strings plus their display).

    Raises:
        ValidationFailed: unknown ``doc_type`` or a ``locale`` that is not a locale identifier.
    """
    result: dict[str, Any] = msgspec.to_builtins(build_view(snapshot, doc_type, locale))
    return result


def render_pdf(snapshot: DocumentSnapshot, doc_type: DocType, locale: str) -> bytes:
    """The document as a PDF with extractable text (CJK included).

    Raises:
        ValidationFailed: unknown ``doc_type`` or a ``locale`` that is not a locale identifier.
    """
    view = build_view(snapshot, doc_type, locale)
    if doc_type == "cn22":
        layout = _Cn22(view).layout()
    elif doc_type == "cn23":
        layout = _Cn23(view).layout()
    else:
        layout = _Invoice(view).layout()
    page_label = bilingual("page", view.locale)
    refs = f"{label('order_number', 'en')} {view.order_number} · {label('invoice_number', 'en')} {view.invoice_number}"
    return layout.build(
        title=f"{label(doc_type, 'en')} {view.invoice_number}",
        author=view.exporter.company or view.exporter.name,
        subject=f"Order {view.order_number}",
        footer=lambda n, total: f"{refs} · {page_label} {n}/{total}",
    )


# --- shared pieces ----------------------------------------------------------------------------


def _display(value: Amount | Weight | None) -> str:
    return "" if value is None else value.display


def _party_lines(party: PartyView, locale: str, *, ids: bool = True) -> list[tuple[str, bool]]:
    """(text, bold) lines of a party box."""
    lines: list[tuple[str, bool]] = [(party.name, True)]
    if party.company:
        lines.append((party.company, False))
    lines += [(line, False) for line in party.address_lines]
    lines.append((f"{party.country_name} ({party.country})", False))
    if party.contact_name:
        lines.append((f"{bilingual('contact', locale)}: {party.contact_name}", False))
    if party.phone:
        lines.append((f"{bilingual('phone', locale)}: {party.phone}", False))
    if party.email:
        lines.append((f"{bilingual('email', locale)}: {party.email}", False))
    if ids:
        for key, value in (("eori", party.eori), ("vat", party.vat_number), ("ioss", party.ioss_number)):
            if value:
                lines.append((f"{bilingual(key, locale)}: {value}", False))
        lines += [(f"{bilingual('tax_id', locale)}: {tax}", False) for tax in party.tax_ids]
    return lines


class _Base:
    """Helpers every form uses; subclasses lay out their own boxes."""

    size = A4
    margin = 36.0

    def __init__(self, view: DocumentView) -> None:
        self.view = view
        self.loc = view.locale
        self.pdf = Layout(width=self.size[0], height=self.size[1], margin=self.margin)

    def lbl(self, key: str) -> str:
        return bilingual(key, self.loc)

    def title(self, size: float) -> None:
        pdf = self.pdf
        english = label(self.view.doc_type, "en")
        local = label(self.view.doc_type, self.loc)
        pdf.text(pdf.left, pdf.y - size, english.upper(), size, bold=True)
        pdf.y -= size + 4
        if local != english:
            pdf.text(pdf.left, pdf.y - size * 0.75, local, size * 0.75)
            pdf.y -= size * 0.75 + 4

    def boxed_lines(self, x: float, width: float, heading: str, lines: list[tuple[str, bool]], size: float) -> float:
        """A titled box at the cursor; returns its height (the cursor is not moved)."""
        pdf = self.pdf
        leading = size * 1.25
        wrapped: list[tuple[str, bool]] = []
        for text, bold in lines:
            wrapped += [(part, bold) for part in pdf.wrap(text, width - 8, size, bold)]
        heading_lines = pdf.wrap(heading, width - 8, size * 0.85, True)
        height = 6 + len(heading_lines) * leading + len(wrapped) * leading + 2
        top = pdf.y
        y = pdf.lines(x + 4, top - 4 - size * 0.85, heading_lines, size * 0.85, leading, bold=True)
        for text, bold in wrapped:
            pdf.text(x + 4, y, text, size, bold=bold)
            y -= leading
        pdf.rect(x, top - height, width, height)
        return height

    def cells(self, cells: list[tuple[str, str]], size: float, *, bold_values: bool = True) -> None:
        """A row of equal boxes, each a small label above its value; moves the cursor below it."""
        pdf = self.pdf
        width = pdf.content_width / len(cells)
        label_size = size * 0.78
        wrapped = [
            (pdf.wrap(name, width - 6, label_size), pdf.wrap(value, width - 6, size, bold_values))
            for name, value in cells
        ]
        height = max(len(n) * label_size * 1.2 + len(v) * size * 1.25 for n, v in wrapped) + 6
        pdf.ensure(height)
        top = pdf.y
        for i, (names, values) in enumerate(wrapped):
            x = pdf.left + i * width
            y = pdf.lines(x + 3, top - 2 - label_size, names, label_size, label_size * 1.2)
            pdf.lines(x + 3, y - size * 0.3, values, size, size * 1.25, bold=bold_values)
            pdf.rect(x, top - height, width, height)
        pdf.y = top - height

    def paragraph(self, text: str, size: float, *, bold: bool = False) -> None:
        pdf = self.pdf
        for line in pdf.wrap(text, pdf.content_width, size, bold):
            pdf.ensure(size * 1.3)
            pdf.text(pdf.left, pdf.y - size, line, size, bold=bold)
            pdf.y -= size * 1.3

    def table(self, columns: list[tuple[str, float, Align]], rows: list[list[list[str]]], size: float) -> None:
        """Columns are (heading, width, align); each row cell is a list of lines (first one bold)."""
        pdf = self.pdf
        leading = size * 1.2
        head_size = size * 0.8
        headings = [pdf.wrap(h, w - 4, head_size, True) for h, w, _ in columns]
        head_height = max(len(h) for h in headings) * head_size * 1.2 + 4

        def header() -> None:
            top = pdf.y
            x = pdf.left
            for (_, width, _), lines in zip(columns, headings, strict=True):
                pdf.lines(x + 2, top - 2 - head_size, lines, head_size, head_size * 1.2, bold=True)
                x += width
            pdf.y = top - head_height
            pdf.hline(pdf.left, pdf.right, pdf.y, 0.8)

        pdf.ensure(head_height + leading * 2)
        header()
        for row in rows:
            wrapped = [
                [part for text in cell for part in pdf.wrap(text, width - 4, size)]
                for cell, (_, width, _) in zip(row, columns, strict=True)
            ]
            height = max(len(cell) for cell in wrapped) * leading + 3
            if pdf.ensure(height):
                header()
            x = pdf.left
            for cell, (_, width, align) in zip(wrapped, columns, strict=True):
                anchor = x + width - 2 if align == "right" else x + 2
                pdf.lines(anchor, pdf.y - size - 1, cell, size, leading, align=align)
                x += width
            pdf.y -= height
            pdf.hline(pdf.left, pdf.right, pdf.y, 0.25)

    def key_values(self, rows: list[tuple[str, str, bool]], size: float, width: float) -> None:
        """Right-aligned label: value rows (bold ones with a rule above) in a block of ``width``."""
        pdf = self.pdf
        x_value = pdf.right
        x_label = pdf.right - width
        for name, value, bold in rows:
            names = pdf.wrap(name, width - 90, size, bold)
            height = len(names) * size * 1.25 + 3
            pdf.ensure(height)
            if bold:
                pdf.hline(x_label, x_value, pdf.y)
            pdf.lines(x_label, pdf.y - size - 1, names, size, size * 1.25, bold=bold)
            pdf.text(x_value, pdf.y - size - 1, value, size, bold=bold, align="right")
            pdf.y -= height

    def declaration(self, size: float) -> None:
        pdf = self.pdf
        pdf.ensure(size * 8)
        pdf.y -= 6
        self.paragraph(self.lbl("declaration"), size, bold=True)
        for text in self.view.declaration:
            self.paragraph(text, size)


# --- commercial invoice, proforma invoice, packing list ---------------------------------------


class _Invoice(_Base):
    def layout(self) -> Layout:
        view, pdf = self.view, self.pdf
        self.title(15)
        self.cells(
            [
                (self.lbl("invoice_number"), view.invoice_number),
                (self.lbl("invoice_date"), view.invoice_date_display),
                (self.lbl("order_number"), view.order_number),
                (self.lbl("currency"), view.currency),
            ],
            9,
        )
        incoterm = f"{view.incoterm} {view.incoterm_place}".strip()
        self.cells(
            [
                (self.lbl("incoterm"), incoterm),
                (self.lbl("reason_for_export"), view.reason_display),
                (self.lbl("destination"), f"{view.destination_name} ({view.destination_country})"),
                (self.lbl("packages"), str(view.totals.packages)),
            ],
            9,
        )
        pdf.y -= 8
        half = pdf.content_width / 2
        pdf.ensure(120)
        heights = [
            self.boxed_lines(pdf.left, half - 4, self.lbl("exporter"), _party_lines(view.exporter, self.loc), 8),
            self.boxed_lines(
                pdf.left + half + 4, half - 4, self.lbl("importer"), _party_lines(view.importer, self.loc), 8
            ),
        ]
        pdf.y -= max(heights) + 10
        pdf.on_new_page = self._continuation_header
        if view.doc_type == "packing_list":
            self._packing_lines()
        else:
            self._invoice_lines()
        pdf.y -= 6
        self._totals()
        self._duties()
        self._references()
        self.declaration(7.5)
        self._signature()
        return pdf

    def _continuation_header(self, pdf: Layout) -> None:
        text = f"{label(self.view.doc_type, 'en')} {self.view.invoice_number} · {self.view.order_number}"
        pdf.text(pdf.left, pdf.y - 8, text, 8, bold=True)
        pdf.y -= 16

    def _description(self, line: LineView) -> list[str]:
        cell = [line.description]
        if line.description_en:
            cell.append(line.description_en)
        cell.append(f"{label('sku', 'en')} {line.sku}")
        return cell

    def _invoice_lines(self) -> None:
        columns: list[tuple[str, float, Align]] = [
            (self.lbl("line_no"), 18, "left"),
            (self.lbl("description"), 160, "left"),
            (self.lbl("hs_code"), 56, "left"),
            (self.lbl("origin"), 38, "left"),
            (self.lbl("quantity"), 36, "right"),
            (self.lbl("unit_value"), 60, "right"),
            (self.lbl("total_value"), 65, "right"),
            (self.lbl("net_weight"), 45, "right"),
            (self.lbl("gross_weight"), 45, "right"),
        ]
        rows = [
            [
                [str(line.position)],
                self._description(line),
                [line.hs_code],
                [line.origin_country],
                [line.quantity_display],
                [_display(line.unit_value)],
                [_display(line.line_value)],
                [_display(line.net_weight)],
                [_display(line.gross_weight)],
            ]
            for line in self.view.lines
        ]
        self.table(columns, rows, 7.5)

    def _packing_lines(self) -> None:
        columns: list[tuple[str, float, Align]] = [
            (self.lbl("line_no"), 20, "left"),
            (self.lbl("sku"), 70, "left"),
            (self.lbl("description"), 200, "left"),
            (self.lbl("hs_code"), 60, "left"),
            (self.lbl("origin"), 40, "left"),
            (self.lbl("quantity"), 40, "right"),
            (self.lbl("net_weight"), 46, "right"),
            (self.lbl("gross_weight"), 47, "right"),
        ]
        rows = [
            [
                [str(line.position)],
                [line.sku],
                [line.description, *([line.description_en] if line.description_en else [])],
                [line.hs_code],
                [line.origin_country],
                [line.quantity_display],
                [_display(line.net_weight)],
                [_display(line.gross_weight)],
            ]
            for line in self.view.lines
        ]
        self.table(columns, rows, 7.5)

    def _totals(self) -> None:
        totals = self.view.totals
        rows: list[tuple[str, str, bool]] = []
        if totals.goods is not None:
            rows.append((self.lbl("goods_total"), totals.goods.display, False))
        if totals.freight is not None:
            rows.append((self.lbl("freight"), totals.freight.display, False))
        if totals.insurance is not None:
            rows.append((self.lbl("insurance"), totals.insurance.display, False))
        if totals.other_charges is not None:
            rows.append((self.lbl("other_charges"), totals.other_charges.display, False))
        if totals.invoice_total is not None:
            rows.append((self.lbl("invoice_total"), totals.invoice_total.display, True))
        rows += [
            (self.lbl("total_net_weight"), _display(totals.net_weight), False),
            (self.lbl("total_gross_weight"), totals.gross_weight.display, False),
            (self.lbl("packages"), str(totals.packages), False),
        ]
        self.key_values(rows, 8, 300)

    def _duties(self) -> None:
        duties = self.view.duties
        if duties is None:
            return
        self.pdf.y -= 6
        self.paragraph(self.lbl("duties_taxes"), 8, bold=True)
        rows = [(self.lbl("duty"), duties.duty.display, False), (self.lbl("tax"), duties.tax.display, False)]
        if duties.fees is not None:
            rows.append((self.lbl("fees"), duties.fees.display, False))
        if duties.quote_reference:
            rows.append((self.lbl("quote_reference"), duties.quote_reference, False))
        self.key_values(rows, 8, 300)

    def _references(self) -> None:
        view = self.view
        for key, values in (("licence", view.licence_numbers), ("certificate", view.certificate_numbers)):
            if values:
                self.paragraph(f"{self.lbl(key)}: {', '.join(values)}", 8)

    def _signature(self) -> None:
        view = self.view
        self.pdf.y -= 4
        self.cells(
            [
                (self.lbl("signatory"), " ".join(p for p in (view.signatory_name, view.signatory_title) if p)),
                (self.lbl("place"), view.signatory_place),
                (self.lbl("date"), view.signature_date_display),
                (self.lbl("signature"), ""),
            ],
            8.5,
        )


# --- CN22 -------------------------------------------------------------------------------------


class _Cn22(_Base):
    size = CN22_SIZE
    margin = 10.0

    def layout(self) -> Layout:
        view, pdf = self.view, self.pdf
        pdf.on_new_page = self._continuation_header
        pdf.text(pdf.left, pdf.y - 9, "CUSTOMS DECLARATION", 9, bold=True)
        pdf.text(pdf.right, pdf.y - 11, "CN 22", 13, bold=True, align="right")
        pdf.y -= 12
        local = label("cn22", self.loc)
        if local != label("cn22", "en"):
            pdf.text(pdf.left, pdf.y - 7, local, 7)
            pdf.y -= 9
        pdf.text(pdf.left, pdf.y - 6, self.lbl("may_be_opened"), 5.5)
        pdf.y -= 8
        pdf.text(pdf.left, pdf.y - 6, f"{self.lbl('designated_operator')}: {view.office_of_origin}", 5.5)
        pdf.y -= 10
        self._categories()
        columns: list[tuple[str, float, Align]] = [
            (f"(1) {self.lbl('detailed_description')}", pdf.content_width - 110, "left"),
            (f"(2) {self.lbl('weight')}", 45, "right"),
            (f"(3) {self.lbl('value')}", 65, "right"),
        ]
        pdf.text(
            pdf.left,
            pdf.y - 5,
            f"{self.lbl('commercial_items_only')}: (4) {self.lbl('hs_code')}, (5) {self.lbl('origin')}",
            4.8,
        )
        pdf.y -= 7
        rows = [
            [
                [f"{line.quantity_display} × {line.description}"]
                + ([line.description_en] if line.description_en else [])
                + [f"(4) {line.hs_code}  (5) {line.origin_country}"],
                [_display(line.gross_weight)],
                [_display(line.line_value)],
            ]
            for line in view.lines
        ]
        self.table(columns, rows, 6.5)
        totals = view.totals
        self.cells(
            [
                (f"(6) {self.lbl('total_weight')}", totals.gross_weight.display),
                (f"(7) {self.lbl('total_value')}", _display(totals.goods)),
            ],
            7,
        )
        self.declaration(5)
        self.cells(
            [(f"(8) {self.lbl('date_signature')}", f"{view.signature_date_display}  {view.signatory_name}".strip())],
            7,
        )
        return pdf

    def _continuation_header(self, pdf: Layout) -> None:
        pdf.text(pdf.left, pdf.y - 7, f"CN 22 · {self.view.invoice_number}", 7, bold=True)
        pdf.y -= 11

    def _categories(self) -> None:
        pdf = self.pdf
        view = self.view
        width = pdf.content_width / 2
        pdf.text(pdf.left, pdf.y - 5.5, self.lbl("category"), 5.5, bold=True)
        pdf.y -= 8
        for row_start in range(0, len(_CATEGORIES), 2):
            for offset, category in enumerate(_CATEGORIES[row_start : row_start + 2]):
                x = pdf.left + offset * width
                pdf.checkbox(x, pdf.y - 6, 6, view.item_category == category)
                pdf.text(x + 9, pdf.y - 5, self.lbl(f"cat_{category}"), 5.5)
            pdf.y -= 9
        if view.category_explanation:
            for line in pdf.wrap(f"{self.lbl('explanation')}: {view.category_explanation}", pdf.content_width, 5.5):
                pdf.text(pdf.left, pdf.y - 5.5, line, 5.5)
                pdf.y -= 7
        pdf.y -= 3


# --- CN23 -------------------------------------------------------------------------------------


class _Cn23(_Base):
    def layout(self) -> Layout:
        view, pdf = self.view, self.pdf
        pdf.on_new_page = self._continuation_header
        pdf.text(pdf.right, pdf.y - 16, "CN 23", 16, bold=True, align="right")
        self.title(13)
        pdf.text(pdf.left, pdf.y - 7, self.lbl("may_be_opened"), 7)
        pdf.y -= 10
        pdf.text(pdf.left, pdf.y - 7, f"{self.lbl('designated_operator')}: {view.office_of_origin}", 7)
        pdf.y -= 12
        half = pdf.content_width / 2
        sender = _party_lines(view.exporter, self.loc)
        if view.sender_customs_reference:
            sender.append((f"{self.lbl('sender_reference')}: {view.sender_customs_reference}", False))
        addressee = _party_lines(view.importer, self.loc)
        if view.importer_reference:
            addressee.append((f"{self.lbl('importer_reference')}: {view.importer_reference}", False))
        heights = [
            self.boxed_lines(pdf.left, half - 4, self.lbl("sender"), sender, 8),
            self.boxed_lines(pdf.left + half + 4, half - 4, self.lbl("addressee"), addressee, 8),
        ]
        pdf.y -= max(heights) + 10
        self._contents()
        self._category()
        self._references()
        self.declaration(7)
        self.cells([(f"(15) {self.lbl('date_signature')}", f"{view.signature_date_display}  {view.signatory_name}")], 9)
        return pdf

    def _continuation_header(self, pdf: Layout) -> None:
        pdf.text(pdf.left, pdf.y - 8, f"CN 23 · {self.view.invoice_number} · {self.view.order_number}", 8, bold=True)
        pdf.y -= 16

    def _contents(self) -> None:
        view = self.view
        columns: list[tuple[str, float, Align]] = [
            (f"(1) {self.lbl('contents_description')}", 190, "left"),
            (f"(2) {self.lbl('quantity')}", 42, "right"),
            (f"(3) {self.lbl('net_weight')}", 58, "right"),
            (f"(5) {self.lbl('value')}", 75, "right"),
            (f"(7) {self.lbl('hs_code')}", 80, "left"),
            (f"(8) {self.lbl('origin')}", 78, "left"),
        ]
        rows = [
            [
                [line.description, *([line.description_en] if line.description_en else [])],
                [line.quantity_display],
                [_display(line.net_weight)],
                [_display(line.line_value)],
                [line.hs_code],
                [line.origin_country],
            ]
            for line in view.lines
        ]
        self.pdf.text(self.pdf.left, self.pdf.y - 6, f"{self.lbl('commercial_items_only')}: (7), (8)", 6)
        self.pdf.y -= 9
        self.table(columns, rows, 8)
        self.pdf.y -= 4
        self.cells(
            [
                (f"(4) {self.lbl('total_gross_weight')}", view.totals.gross_weight.display),
                (f"(6) {self.lbl('total_value')}", _display(view.totals.goods)),
                (f"(9) {self.lbl('postal_charges')}", _display(view.postal_charges)),
            ],
            9,
        )

    def _category(self) -> None:
        pdf, view = self.pdf, self.view
        pdf.ensure(50)
        pdf.y -= 6
        pdf.text(pdf.left, pdf.y - 7, f"(10) {self.lbl('category')}", 7, bold=True)
        pdf.y -= 11
        width = pdf.content_width / 3
        for row_start in range(0, len(_CATEGORIES), 3):
            for offset, category in enumerate(_CATEGORIES[row_start : row_start + 3]):
                x = pdf.left + offset * width
                pdf.checkbox(x, pdf.y - 8, 8, view.item_category == category)
                pdf.text(x + 12, pdf.y - 7, self.lbl(f"cat_{category}"), 7)
            pdf.y -= 12
        if view.category_explanation:
            self.paragraph(f"{self.lbl('explanation')}: {view.category_explanation}", 7.5)
        pdf.y -= 4

    def _references(self) -> None:
        view = self.view
        self.cells([(f"(11) {self.lbl('comments')}", view.comments)], 8, bold_values=False)
        self.cells(
            [
                (f"(12) {self.lbl('licence')}", ", ".join(view.licence_numbers)),
                (f"(13) {self.lbl('certificate')}", ", ".join(view.certificate_numbers)),
                (f"(14) {self.lbl('invoice_number')}", view.invoice_number),
            ],
            8,
        )
        self.cells([(self.lbl("office_of_origin"), f"{view.office_of_origin} {view.invoice_date_display}".strip())], 8)
