"""Arabic and Hebrew in the customs PDFs: shaped, in visual order, in an embedded TTF, extractable.

These tests need the system font of Debian's ``fonts-noto-core`` (``.ci/run`` installs it); the
fallback test points ``ORDERHUB_ARABIC_FONT`` at a missing file instead.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pypdf
import pytest
from docfixtures import SnapshotFactory, build_line, pdf_text

from customs.documents import rtl
from customs.documents.pdf import A4, BIDI, BIDI_BOLD, LATIN, Layout, _runs, clear_font_caches, font_for
from customs.documents.preflight import preflight
from customs.documents.render import render_pdf
from customs.documents.sdr import SdrRates
from customs.documents.snapshot import Address, DocumentSnapshot

pytestmark = pytest.mark.unit

BUYER = "محمد عبد الله الفلاسي"
PRODUCT = "سماعات بلوتوث لاسلكية"
LONG_ADDRESS = (
    "شارع الشيخ زايد، برج الإمارات 12، الطابق 34، شقة 3405، بالقرب من محطة مترو المركز المالي، "
    "مقابل مركز دبي التجاري العالمي"
)
ARABIC_WORDS = ("محمد", "الفلاسي", "سماعات", "بلوتوث", "لاسلكية", "دبي", "شارع", "الإمارات", "التجاري")
HEBREW_BUYER = "שרה לוי"


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _arabic_snapshot(make_snapshot: SnapshotFactory, address: str = "شارع الشيخ زايد 12") -> DocumentSnapshot:
    snap = make_snapshot(
        lines=[build_line(description=PRODUCT, description_en="Bluetooth earphones, wireless")],
        invoice_total=None,
        destination_country="AE",
    )
    importer = msgspec.structs.replace(
        snap.importer,
        name=BUYER,
        address=Address(line1=address, city="دبي", postal_code="", country="AE"),
        contact_name="أحمد",
    )
    return msgspec.structs.replace(snap, importer=importer)


def _base_fonts(data: bytes) -> dict[str, bool]:
    """BaseFont name of every font on every page -> whether its file is embedded."""
    fonts: dict[str, bool] = {}
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


@pytest.fixture(autouse=True)
def system_fonts_installed() -> None:
    """Say what is missing instead of failing on a font assertion further down."""
    for script, paths in rtl._KNOWN_PATHS.items():
        if not any(Path(path).is_file() for path in paths):
            pytest.fail(f"no {script} font in {paths[0]}: apt-get install fonts-noto-core (.ci/run installs it)")


@pytest.fixture
def fresh_fonts() -> Iterator[None]:
    """Font lookups are cached per process: forget them around a test that changes the env."""
    clear_font_caches()
    yield
    clear_font_caches()


def test_arabic_invoice_is_shaped_embedded_and_extractable(make_snapshot: SnapshotFactory) -> None:
    data = render_pdf(_arabic_snapshot(make_snapshot), "commercial_invoice", "en")
    raw = pdf_text(data)
    # Shaped: the PDF carries contextual presentation forms (U+FE70-U+FEFF), not unjoined letters.
    assert any("\ufe70" <= char <= "\ufeff" for char in raw)
    assert BUYER not in raw
    # pypdf gives Arabic runs back in logical order; NFKC maps the presentation forms to the letters.
    text = _nfkc(raw)
    for word in ARABIC_WORDS[:7]:
        assert word in text
    assert BUYER in text
    assert PRODUCT in text
    assert "شارع الشيخ زايد" in text
    assert "Bluetooth earphones, wireless" in text
    fonts = _base_fonts(data)
    arabic = {name: embedded for name, embedded in fonts.items() if "NotoSansArabic" in name}
    assert arabic, fonts
    assert all(arabic.values())  # a subset of the TTF is embedded
    assert any(name.endswith("NotoSansArabic-Bold") for name in arabic)  # the bold buyer name
    assert "/Helvetica" in fonts  # Latin and CJK as before
    assert "/STSong-Light" in fonts


def test_a_long_arabic_address_wraps_into_lines_in_reading_order(make_snapshot: SnapshotFactory) -> None:
    pdf = Layout(width=A4[0], height=A4[1], margin=36)
    lines = pdf.wrap(LONG_ADDRESS, 250, 8)
    assert len(lines) >= 2
    # Wrapped in logical order: the lines read back to the address, the first line starts it.
    assert " ".join(lines) == LONG_ADDRESS
    assert lines[0].startswith("شارع الشيخ زايد")

    text = _nfkc(pdf_text(render_pdf(_arabic_snapshot(make_snapshot, LONG_ADDRESS), "commercial_invoice", "en")))
    assert "شارع الشيخ زايد" in text
    assert "مقابل مركز دبي التجاري العالمي" in text
    # The first line of the address is printed above the last one.
    assert text.index("شارع الشيخ زايد") < text.index("مقابل مركز دبي التجاري العالمي")


def test_lines_are_reordered_one_by_one_and_digits_keep_their_order() -> None:
    # Visual order: the first word of an Arabic line is at the right end, "12" stays "12".
    line = rtl.visual("شارع الشيخ زايد 12")
    assert line.startswith("12 ")
    assert _nfkc(line[3:])[::-1].startswith("شارع")


def test_mixed_lines_are_drawn_in_runs_of_fonts() -> None:
    assert font_for(BUYER) == BIDI
    assert font_for(BUYER, bold=True) == BIDI_BOLD
    assert font_for("Anna Schmidt") == LATIN
    runs = _runs(rtl.visual("Contact: أحمد"), False)
    assert [font for font, _ in runs] == [LATIN, "Orderhub-arabic-regular"]
    assert runs[0][1] == "Contact: "


def test_hebrew_uses_the_hebrew_font(make_snapshot: SnapshotFactory) -> None:
    snap = make_snapshot(destination_country="IL")
    snap = msgspec.structs.replace(
        snap,
        importer=msgspec.structs.replace(
            snap.importer, name=HEBREW_BUYER, address=Address(line1="רחוב הרצל 5", city="תל אביב", country="IL")
        ),
    )
    data = render_pdf(snap, "cn23", "en")
    text = pdf_text(data)
    assert HEBREW_BUYER in text
    assert "תל אביב" in text
    assert any("NotoSansHebrew" in name for name in _base_fonts(data))


def test_rendering_arabic_is_deterministic(make_snapshot: SnapshotFactory) -> None:
    snap = _arabic_snapshot(make_snapshot, LONG_ADDRESS)
    assert render_pdf(snap, "cn23", "en") == render_pdf(snap, "cn23", "en")


def test_latin_and_cjk_documents_load_no_rtl_font(snapshot: DocumentSnapshot) -> None:
    fonts = _base_fonts(render_pdf(snapshot, "commercial_invoice", "zh_Hans"))
    assert not [name for name in fonts if "Arabic" in name or "Hebrew" in name]


def test_arabic_fields_do_not_warn_when_the_font_is_installed(
    make_snapshot: SnapshotFactory, sdr_rates: SdrRates
) -> None:
    findings = preflight(_arabic_snapshot(make_snapshot), "commercial_invoice", sdr_rates=sdr_rates)
    assert [f for f in findings if f.code == "text.font_missing"] == []


@pytest.mark.usefixtures("fresh_fonts")
def test_without_an_arabic_font_the_document_renders_and_the_preflight_warns(
    make_snapshot: SnapshotFactory, sdr_rates: SdrRates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERHUB_ARABIC_FONT", "/nonexistent/NotoSansArabic-Regular.ttf")
    clear_font_caches()
    snap = _arabic_snapshot(make_snapshot)

    findings = preflight(snap, "commercial_invoice", sdr_rates=sdr_rates)
    warnings = {f.field: f for f in findings if f.code == "text.font_missing"}
    assert set(warnings) == {
        "importer.name",
        "importer.contact_name",
        "importer.address.line1",
        "importer.address.city",
        "lines[0].description",
    }
    assert all(f.severity == "warning" for f in warnings.values())
    assert "ORDERHUB_ARABIC_FONT" in warnings["importer.name"].message
    assert warnings["importer.name"].params == {"script": "Arabic", "setting": "ORDERHUB_ARABIC_FONT"}

    # Drawn as before (a CID font), no crash, no Arabic TTF; Latin and CJK text is unaffected.
    data = render_pdf(snap, "commercial_invoice", "en")
    assert not [name for name in _base_fonts(data) if "Arabic" in name]
    assert "Bluetooth earphones, wireless" in pdf_text(data)
