"""Catalogs and locale negotiation: every error title is translated, tags resolve as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import hub.app  # noqa: F401  (imports every domain, so every AppError subclass is defined)
from hub.core.errors import AppError
from i18n import LOCALES_DIR, SUPPORTED_LOCALES, gettext, negotiate, normalize_locale
from tests.unit.string_extraction import literal_arguments

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{\w*\}")


def _catalog(locale: str) -> Catalog:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=locale.replace("_Hans", ""))


def _error_titles() -> set[str]:
    titles: set[str] = set()
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        titles.add(cls.title)
        pending.extend(cls.__subclasses__())
    return titles


def _marked_strings() -> set[str]:
    """Literal arguments of ``mark("...")`` in hub/ and tenants/ (what an extractor would collect)."""
    modules = [path for package in ("hub", "tenants") for path in (ROOT / package).rglob("*.py")]
    return literal_arguments(modules, "mark")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_po_file_parses_and_has_no_fuzzy_or_empty_entries(locale: str) -> None:
    catalog = _catalog(locale)
    messages = [m for m in catalog if m.id]
    assert messages, f"{locale}: empty catalog"
    for message in messages:
        assert isinstance(message.id, str)
        assert message.string, f"{locale}: {message.id!r} has no translation"
        assert not message.fuzzy, f"{locale}: {message.id!r} is fuzzy"
        # A translated format string must keep exactly the source's placeholders.
        assert set(PLACEHOLDER.findall(str(message.string))) == set(PLACEHOLDER.findall(message.id)), (
            locale,
            message.id,
        )


def test_every_supported_locale_has_a_catalog() -> None:
    on_disk = {p.parent.parent.name for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")}
    assert set(SUPPORTED_LOCALES) <= on_disk


@pytest.mark.parametrize("locale", [loc for loc in SUPPORTED_LOCALES if loc != "en"])
def test_every_error_title_is_translated(locale: str) -> None:
    catalog = _catalog(locale)
    for title in sorted(_error_titles()):
        message = catalog.get(title)
        assert message is not None, f"{locale}: no entry for error title {title!r}"
        assert message.string, f"{locale}: no translation for error title {title!r}"
        assert message.string != title, f"{locale}: {title!r} is left in English"
        assert gettext(title, locale) == message.string


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_marked_string_is_in_each_catalog(locale: str) -> None:
    catalog = _catalog(locale)
    missing = sorted(s for s in _marked_strings() if catalog.get(s) is None or not catalog.get(s).string)
    assert not missing, f"{locale}: add these to messages.po: {missing}"


def test_english_catalog_is_the_identity() -> None:
    for message in _catalog("en"):
        if message.id:
            assert message.string == message.id
    for title in _error_titles():
        assert gettext(title, "en") == title


def test_chinese_title_is_chinese() -> None:
    assert gettext("Not found", "zh_Hans") == "未找到"
    assert re.search(r"[\u4e00-\u9fff]", gettext("The request has invalid fields", "zh_Hans"))


def test_unknown_message_falls_back_to_source() -> None:
    assert gettext("a string nobody translated", "de") == "a string nobody translated"
    assert gettext("Not found", "xx") == "Not found"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("de-AT", "de"),
        ("fr-CA,fr;q=0.9", "fr"),
        ("ja-JP", "ja"),
        ("es-419", "es"),
        ("en-US,en;q=0.9", "en"),
        # q-values decide, not order.
        ("de;q=0.5, ja;q=0.8", "ja"),
        ("fr;q=0.1, es", "es"),
        ("en;q=0.2, zh-CN;q=0.9, de;q=0.5", "zh_Hans"),
        # Equal quality keeps the client's order.
        ("de, fr", "de"),
        # Unsupported or unreadable tags are skipped.
        ("ko-KR, de;q=0.3", "de"),
        ("*", "en"),
        ("zh-TW", "en"),
        ("zh-Hant", "en"),
        ("zh-HK, ja;q=0.5", "ja"),
        ("xx-YY", "en"),
        ("de;q=abc, fr;q=0.4", "fr"),
        ("", "en"),
        (None, "en"),
        (",,;", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_negotiate_uses_fallbacks_in_order_then_english() -> None:
    assert negotiate(None, "ja") == "ja"
    assert negotiate("ko", None, "fr", "de") == "fr"
    assert negotiate("zh-TW", "zh-TW", "es") == "es"
    assert negotiate("de", "ja") == "de"
    assert negotiate(None, "klingon", None) == "en"


def test_a_long_header_is_read_as_a_short_one_and_a_long_tag_is_no_locale() -> None:
    # Past the cached lengths: parsed afresh, with the same answer.
    padding = ", ".join(f"x{i:03d};q=0.1" for i in range(60))
    assert len(padding) > 256
    assert negotiate(f"ko, ja;q=0.9, {padding}") == "ja"
    assert negotiate(padding, "de") == "de"
    assert normalize_locale("de-" + "x" * 80) is None
    # Asked again, the remembered answer is the same.
    assert [negotiate("ko, ja;q=0.9") for _ in range(2)] == ["ja", "ja"]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh_Hans", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-TW", None),
        ("zh-MO", None),
        ("zh-Hant-TW", None),
        ("DE", "de"),
        ("pt-BR", None),
        ("", None),
        (None, None),
        ("not a tag", None),
    ],
)
def test_normalize_locale(tag: str | None, expected: str | None) -> None:
    assert normalize_locale(tag) == expected


def test_negotiate_never_picks_a_tag_refused_with_q0() -> None:
    assert negotiate("de;q=0") == "en"
