"""Right-to-left text (Arabic, Hebrew) in the customs PDFs: detection, shaping, visual order, fonts.

A buyer in the UAE or Saudi Arabia gives an Arabic name and address; a product may be named in
Arabic. reportlab's canvas has **no shaping engine and no bidi algorithm**: it draws the code points
it is given left to right, one glyph per code point, through the font's cmap. Arabic letters
therefore come out unjoined (each one in its isolated form, lam + alef as two letters) and
backwards. Two small libraries do what a shaping engine would, before the text reaches reportlab:

* ``arabic-reshaper`` (pure Python, maintained, MIT) replaces each Arabic letter by the Unicode
  presentation form for its position in the word (isolated, initial, medial, final; U+FB50-U+FDFF,
  U+FE70-U+FEFF) and forms the mandatory lam-alef ligatures. Fonts such as Noto Sans Arabic map
  those code points to the joined glyphs, so no OpenType GSUB is needed. Harakat (vowel marks) are
  dropped: without GPOS they cannot be placed over their letter, and names and addresses seldom
  carry them. Other ligatures (e.g. "Allah") are off, so any font with the presentation forms works.
* ``python-bidi`` (the Unicode Bidirectional Algorithm, UAX #9, in Rust) reorders a line into
  visual order: Arabic and Hebrew runs right to left, digits and Latin inside them left to right
  ("شارع الشيخ زايد 12" keeps "12" readable), brackets mirrored.

Not HarfBuzz (``uharfbuzz``): it shapes better but returns glyph ids, which reportlab's canvas
cannot draw without a font-embedding layer of our own.

**Order of operations:** wrap the *logical* text (:meth:`customs.documents.pdf.Layout.wrap`), then
shape and reorder *each line* (:func:`visual`). Reordering a whole paragraph and cutting it into
lines afterwards would print its last words on the first line.

**Fonts** are TTFs from the system (Debian ``fonts-noto-core``), never vendored: ``$ORDERHUB_ARABIC_FONT``
or ``$ORDERHUB_HEBREW_FONT`` when set (only that file; a missing file means "no font"), else the first
of a short list of known paths. The bold face is the ``-Bold`` sibling of the file when there is
one. Each file is registered with reportlab once, on first use, as an embedded (subset) TTF. When
no font is found the text is drawn as before (unreadable) and the pre-flight warns the clerk
(:func:`missing_scripts`, finding ``text.font_missing``).

**Text extraction** (checked with pypdf 7.1): the PDF carries the presentation forms in visual order.
pypdf puts Arabic and Hebrew runs back in logical order; the presentation forms come back as such,
so compare after NFKC normalisation (which maps them to the base letters). Digits inside an Arabic
line may come out at its start rather than at their logical place, and a Latin label and the
Arabic after it ("Contact: أحمد") on two extracted lines. That is as far as a PDF written by
reportlab goes: the fix would be ``/ActualText`` marked content, which reportlab has no API for (and
pypdf's extraction does not read).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

from arabic_reshaper import ArabicReshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

__all__ = [
    "FONT_ENV",
    "RtlFont",
    "Script",
    "clear_font_cache",
    "has_rtl",
    "missing_scripts",
    "rtl_font",
    "script_of",
    "visual",
]

Script = Literal["arabic", "hebrew"]

_ARABIC: Final = "\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_HEBREW: Final = "\u0590-\u05ff\ufb1d-\ufb4f"
_ARABIC_RE: Final = re.compile(f"[{_ARABIC}]")
_HEBREW_RE: Final = re.compile(f"[{_HEBREW}]")
_RTL_RE: Final = re.compile(f"[{_ARABIC}{_HEBREW}]")

FONT_ENV: Final[dict[Script, str]] = {"arabic": "ORDERHUB_ARABIC_FONT", "hebrew": "ORDERHUB_HEBREW_FONT"}
"""The environment variable that names the font file of each script (overrides the known paths)."""

# Debian/Ubuntu (fonts-noto-core), Fedora (google-noto-sans-*-fonts), Arch (noto-fonts).
_KNOWN_PATHS: Final[dict[Script, tuple[str, ...]]] = {
    "arabic": (
        "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
        "/usr/share/fonts/google-noto/NotoSansArabic-Regular.ttf",
        "/usr/share/fonts/noto/NotoSansArabic-Regular.ttf",
    ),
    "hebrew": (
        "/usr/share/fonts/truetype/noto/NotoSansHebrew-Regular.ttf",
        "/usr/share/fonts/google-noto/NotoSansHebrew-Regular.ttf",
        "/usr/share/fonts/noto/NotoSansHebrew-Regular.ttf",
    ),
}

_RESHAPER: Final = ArabicReshaper(
    configuration={
        "delete_harakat": True,
        "support_ligatures": True,
        "ARABIC LIGATURE ALLAH": False,
    }
)


def has_rtl(text: str) -> bool:
    """True if ``text`` has an Arabic or Hebrew character."""
    return _RTL_RE.search(text) is not None


def script_of(char: str) -> Script | None:
    """The right-to-left script of one character, or None."""
    if _ARABIC_RE.match(char):
        return "arabic"
    if _HEBREW_RE.match(char):
        return "hebrew"
    return None


def _scripts(text: str) -> list[Script]:
    found: list[Script] = []
    if _ARABIC_RE.search(text):
        found.append("arabic")
    if _HEBREW_RE.search(text):
        found.append("hebrew")
    return found


@lru_cache(maxsize=8192)
def visual(line: str) -> str:
    """One line of logical text, shaped and in visual (left-to-right drawing) order."""
    shaped = _RESHAPER.reshape(line) if _ARABIC_RE.search(line) else line
    result: str = get_display(shaped)
    return result


@dataclass(frozen=True, slots=True)
class RtlFont:
    """A registered reportlab TTF and the code points it has glyphs for."""

    name: str
    path: str
    chars: frozenset[int]

    def has(self, char: str) -> bool:
        return ord(char) in self.chars


def _font_file(script: Script) -> Path | None:
    override = os.environ.get(FONT_ENV[script], "").strip()
    candidates = (override,) if override else _KNOWN_PATHS[script]
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=8)
def rtl_font(script: Script, bold: bool = False) -> RtlFont | None:
    """The font for ``script`` (registered with reportlab on first use), or None if there is none.

    A file that is missing or that reportlab cannot read counts as no font.
    """
    path = _font_file(script)
    if path is None:
        return None
    if bold:
        sibling = path.with_name(path.name.replace("-Regular", "-Bold"))
        if sibling != path and sibling.is_file():
            path = sibling
    name = f"Orderhub-{script}-{'bold' if bold else 'regular'}"
    try:
        font = TTFont(name, str(path))
    except Exception:  # a truncated file, a TTC/OTF reportlab cannot read: same as no font
        return None
    pdfmetrics.registerFont(font)
    return RtlFont(name=name, path=str(path), chars=frozenset(font.face.charToGlyph))


def missing_scripts(text: str) -> list[Script]:
    """The right-to-left scripts in ``text`` that no installed font can draw."""
    return [script for script in _scripts(text) if rtl_font(script) is None] if has_rtl(text) else []


def clear_font_cache() -> None:
    """Forget the font lookups (for tests that change ``ORDERHUB_ARABIC_FONT``)."""
    rtl_font.cache_clear()
