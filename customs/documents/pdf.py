"""A small typed layer over reportlab's canvas: fonts, text wrapping, pagination, page footers.

Why reportlab (and not fpdf2), measured on this machine with the installed versions:

* CJK without font files: reportlab ships the Adobe CID fonts ``STSong-Light`` (Simplified
  Chinese), ``HeiseiKakuGo-W5`` (Japanese) and ``HYGothic-Medium`` (Korean) with the
  ``Uni*-UCS2-H`` encodings, so text is written as UTF-16 code points and pypdf extracts it back
  exactly (verified: Chinese and Japanese product names, full-width yen, dates in 年月日). fpdf2's
  core fonts are Latin-1 only (it refuses "€" and "蓝"); it needs a TTF for anything else and no CJK
  TTF ships with any installed package, so using it would mean vendoring a 10-20 MB font.
* Speed: reportlab's canvas with its C accelerator draws a 20-line invoice in a few milliseconds
  (see ``tests/benchmarks/bench_documents.py``); fpdf2 with core fonts was faster still but cannot
  do the job without an embedded TTF, whose subsetting costs more.
* A pure pip install: reportlab is a wheel already in ``uv.lock``; nothing system-wide is needed.

Trade-off, knowingly taken: the CID fonts are *not embedded* (they are the standard Adobe Asian
fonts every conforming viewer substitutes); text extraction does not depend on the glyphs, but
exact glyph shapes depend on the viewer, and the file is not PDF/A. Text in the Windows-1252 range
uses the base-14 Helvetica; any other text (CJK, Polish "ł", ...) uses a CID font, so it stays
extractable even where Helvetica has no glyph.

Arabic and Hebrew are the exception: the CID fonts have no glyphs for them and reportlab neither
shapes nor reorders. A line with right-to-left text is shaped and put in visual order by
:mod:`customs.documents.rtl` (arabic-reshaper, python-bidi) and drawn in an embedded system TTF
(Noto Sans Arabic / Hebrew), in runs: the right-to-left letters (and the digits, spaces and
punctuation next to them) in that TTF, any Latin or CJK run in its usual font, since the Arabic
TTF has no Latin letters. Wrapping works on the logical text; each wrapped line is reordered on its
own when drawn. Without such a font the text is drawn as before and the pre-flight warns.

Output is deterministic (``invariant=1``: no timestamps or random IDs), so the SHA-256 of a
document is stable for the same snapshot, type and locale.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal

from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from customs.documents import rtl

__all__ = ["A4", "BIDI", "BIDI_BOLD", "CN22_SIZE", "MM", "Align", "Layout", "clear_font_caches", "font_for"]

MM: Final = 72 / 25.4
A4: Final = (595.2756, 841.8898)
CN22_SIZE: Final = (100 * MM, 150 * MM)
"""A 4 x 6 inch / 100 x 150 mm label, the usual size of a CN22 printed with the postage label."""

LATIN: Final = "Helvetica"
LATIN_BOLD: Final = "Helvetica-Bold"
CJK_SC: Final = "STSong-Light"
CJK_JA: Final = "HeiseiKakuGo-W5"
CJK_KO: Final = "HYGothic-Medium"
BIDI: Final = "bidi"
"""Not a font: marks text with right-to-left script that is drawn in runs of several fonts."""
BIDI_BOLD: Final = "bidi-bold"

for _name in (CJK_SC, CJK_JA, CJK_KO):
    pdfmetrics.registerFont(UnicodeCIDFont(_name))

Align = Literal["left", "right", "center"]

_KANA: Final = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL: Final = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
# One token per wide character (CJK breaks anywhere), else a word with its trailing spaces.
_TOKENS: Final = re.compile(
    r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+"
)


@lru_cache(maxsize=4096)
def font_for(text: str, bold: bool = False) -> str:
    """Helvetica for Windows-1252 text, else the CID font for the script (Japanese if kana, ...).

    Text with Arabic or Hebrew gets :data:`BIDI` (runs, see :func:`_runs`) when a font for each of
    its right-to-left scripts is installed; otherwise it falls through to the CID font as before.
    """
    if rtl.has_rtl(text) and not rtl.missing_scripts(text):
        return BIDI_BOLD if bold else BIDI
    return _base_font(text, bold)


def _base_font(text: str, bold: bool) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        if _KANA.search(text):
            return CJK_JA
        if _HANGUL.search(text):
            return CJK_KO
        return CJK_SC
    return LATIN_BOLD if bold else LATIN


@lru_cache(maxsize=8192)
def _width(text: str, font: str, size: float) -> float:
    if font in (BIDI, BIDI_BOLD):
        return sum(_width(run, run_font, size) for run_font, run in _runs(rtl.visual(text), font == BIDI_BOLD))
    return float(pdfmetrics.stringWidth(text, font, size))


@lru_cache(maxsize=4096)
def _runs(visual: str, bold: bool) -> tuple[tuple[str, str], ...]:
    """(font, text) runs of a line already in visual order, left to right.

    Arabic/Hebrew letters take their script's TTF; a digit, space or punctuation mark takes the font
    of the letter before it (of the one after it at the start of the line) when that TTF has the
    glyph; anything else (Latin, CJK) takes Helvetica or a CID font, as in :func:`font_for`.
    """
    fonts: list[rtl.RtlFont | None] = []
    neutral: list[bool] = []
    for char in visual:
        script = rtl.script_of(char)
        fonts.append(rtl.rtl_font(script, bold) if script else None)
        neutral.append(script is None and not char.isalpha())
    strong = [font for font, is_neutral in zip(fonts, neutral, strict=True) if not is_neutral]
    previous = strong[0] if strong else None
    for i, char in enumerate(visual):
        if neutral[i]:
            fonts[i] = previous if previous is not None and previous.has(char) else None
        else:
            previous = fonts[i]
    runs: list[tuple[str, str]] = []
    start = 0
    for i in range(1, len(visual) + 1):
        if i == len(visual) or fonts[i] is not fonts[start]:
            chunk = visual[start:i]
            owner = fonts[start]
            runs.append((owner.name if owner else _base_font(chunk, bold), chunk))
            start = i
    return tuple(runs)


def clear_font_caches() -> None:
    """Forget font choices and measurements (for tests that change ``ORDERHUB_ARABIC_FONT``)."""
    rtl.clear_font_cache()
    font_for.cache_clear()
    _width.cache_clear()
    _runs.cache_clear()


# (kind, x, y, text/width, size/height, font/line width, align)
_Op = tuple[str, float, float, str, float, str, str]


@dataclass(slots=True)
class Layout:
    """Lays out pages top-down as a list of drawing operations, then draws them in one pass.

    Deferring the drawing lets every page carry "page n / N" and lets a callback repeat a header
    on each new page.
    """

    width: float
    height: float
    margin: float
    footer_space: float = 14.0
    on_new_page: Callable[[Layout], None] | None = None
    pages: list[list[_Op]] = field(default_factory=list)
    y: float = 0.0

    def __post_init__(self) -> None:
        self.add_page()

    @property
    def left(self) -> float:
        return self.margin

    @property
    def right(self) -> float:
        return self.width - self.margin

    @property
    def content_width(self) -> float:
        return self.width - 2 * self.margin

    @property
    def bottom(self) -> float:
        return self.margin + self.footer_space

    def add_page(self) -> None:
        self.pages.append([])
        self.y = self.height - self.margin
        if self.on_new_page is not None:
            self.on_new_page(self)

    def ensure(self, needed: float) -> bool:
        """Start a new page unless ``needed`` points fit above the footer; True if a page was added."""
        if self.y - needed < self.bottom:
            self.add_page()
            return True
        return False

    # --- measuring ------------------------------------------------------------------------

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        return _width(text, font_for(text, bold), size)

    def wrap(self, text: str, max_width: float, size: float, bold: bool = False) -> list[str]:
        """Greedy wrap on spaces, anywhere between CJK characters, inside over-long words if needed."""
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            lines.extend(self._wrap_paragraph(paragraph, max_width, size, font_for(text, bold)))
        return lines

    @staticmethod
    def _wrap_paragraph(text: str, max_width: float, size: float, font: str) -> list[str]:
        if _width(text, font, size) <= max_width:
            return [text]
        lines: list[str] = []
        current = ""
        for token in _TOKENS.findall(text):
            candidate = current + token
            if _width(candidate.rstrip(), font, size) <= max_width:
                current = candidate
                continue
            if current.strip():
                lines.append(current.rstrip())
            current = token.lstrip()
            while _width(current.rstrip(), font, size) > max_width and len(current) > 1:
                cut = len(current) - 1
                while cut > 1 and _width(current[:cut], font, size) > max_width:
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
        if current.strip():
            lines.append(current.rstrip())
        return lines or [""]

    # --- drawing ----------------------------------------------------------------------------

    def text(self, x: float, y: float, text: str, size: float, *, bold: bool = False, align: Align = "left") -> None:
        if text:
            self.pages[-1].append(("text", x, y, text, size, font_for(text, bold), align))

    def lines(
        self,
        x: float,
        y: float,
        lines: list[str],
        size: float,
        leading: float,
        *,
        bold: bool = False,
        align: Align = "left",
    ) -> float:
        """Draw ``lines`` downwards from baseline ``y``; returns the baseline after the last one."""
        for line in lines:
            self.text(x, y, line, size, bold=bold, align=align)
            y -= leading
        return y

    def hline(self, x1: float, x2: float, y: float, line_width: float = 0.5) -> None:
        self.pages[-1].append(("line", x1, y, str(x2), 0.0, str(line_width), "left"))

    def rect(self, x: float, y: float, w: float, h: float, line_width: float = 0.5) -> None:
        """Rectangle with its lower-left corner at (x, y)."""
        self.pages[-1].append(("rect", x, y, str(w), h, str(line_width), "left"))

    def checkbox(self, x: float, y: float, size: float, checked: bool) -> None:
        self.rect(x, y, size, size)
        if checked:
            self.text(x + size / 2, y + size * 0.18, "X", size * 0.95, bold=True, align="center")

    # --- output -----------------------------------------------------------------------------

    def build(self, *, title: str, author: str, subject: str, footer: Callable[[int, int], str]) -> bytes:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=(self.width, self.height), invariant=1, pageCompression=1)
        canvas.setTitle(title)
        canvas.setAuthor(author)
        canvas.setSubject(subject)
        canvas.setCreator("orderhub customs documents")
        total = len(self.pages)
        for number, ops in enumerate(self.pages, start=1):
            footer_text = footer(number, total)
            ops_with_footer = [
                *ops,
                ("text", self.width / 2, self.margin, footer_text, 6.5, font_for(footer_text), "center"),
            ]
            _draw(canvas, ops_with_footer)
            canvas.showPage()
        canvas.save()
        return buffer.getvalue()


def _draw(canvas: Canvas, ops: list[_Op]) -> None:
    current: tuple[str, float] | None = None
    for kind, x, y, text, size, font, align in ops:
        if kind == "text" and font in (BIDI, BIDI_BOLD):
            current = _draw_runs(canvas, x, y, text, size, font == BIDI_BOLD, align, current)
        elif kind == "text":
            if current != (font, size):
                canvas.setFont(font, size)
                current = (font, size)
            if align == "right":
                canvas.drawRightString(x, y, text)
            elif align == "center":
                canvas.drawCentredString(x, y, text)
            else:
                canvas.drawString(x, y, text)
        elif kind == "line":
            canvas.setLineWidth(float(font))
            canvas.line(x, y, float(text), y)
        else:
            canvas.setLineWidth(float(font))
            canvas.rect(x, y, float(text), size, stroke=1, fill=0)


def _draw_runs(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    bold: bool,
    align: str,
    current: tuple[str, float] | None,
) -> tuple[str, float] | None:
    """Draw one logical line with right-to-left text: shaped, reordered, font by font; returns the font set."""
    runs = _runs(rtl.visual(text), bold)
    widths = [_width(run, run_font, size) for run_font, run in runs]
    cursor = x - (sum(widths) if align == "right" else sum(widths) / 2 if align == "center" else 0.0)
    for (run_font, run), width in zip(runs, widths, strict=True):
        if current != (run_font, size):
            canvas.setFont(run_font, size)
            current = (run_font, size)
        canvas.drawString(cursor, y, run)
        cursor += width
    return current
