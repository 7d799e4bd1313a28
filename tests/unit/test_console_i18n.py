"""The console's Babel catalogs: every string the pages and handlers show has its Chinese entry,
values shown by name have labels for every value, and lookups fall back as documented."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from customs.rules.base import CollectedAt
from hub.console.i18n import CONSOLE_LOCALES, DOMAIN, translate
from hub.orders.status import OrderStatus
from i18n import LOCALES_DIR
from tenants.roles import Role
from tests.unit.string_extraction import literal_arguments

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "hub" / "console"
PLACEHOLDER = re.compile(r"\{\w*\}")
# t("...") or t('...') with a literal and nothing joined to it (t("status:" ~ x) is a value key).
TEMPLATE_LITERAL = re.compile(r"""\bt\((["'])((?:(?!\1).)+)\1\s*[,)]""")


def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=locale.replace("_Hans", ""))


def _shown_sentences() -> set[str]:
    """Literal strings the console passes to ``t`` (templates) and ``translate`` (handlers)."""
    found: set[str] = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        found.update(match.group(2) for match in TEMPLATE_LITERAL.finditer(template.read_text(encoding="utf-8")))
    found.update(literal_arguments(CONSOLE.glob("*.py"), "translate"))
    return found


@pytest.mark.parametrize("locale", CONSOLE_LOCALES)
def test_console_catalog_has_no_empty_fuzzy_or_broken_entries(locale: str) -> None:
    entries = [message for message in _catalog(locale) if message.id]
    assert entries
    for message in entries:
        assert message.string, f"{locale}: {message.id!r} has no translation"
        assert not message.fuzzy, f"{locale}: {message.id!r} is fuzzy"
        assert set(PLACEHOLDER.findall(str(message.string))) == set(PLACEHOLDER.findall(str(message.id))), (
            locale,
            message.id,
        )


def test_every_sentence_the_console_shows_is_in_the_chinese_catalog() -> None:
    catalog = _catalog("zh_Hans")
    sentences = {s for s in _shown_sentences() if not re.fullmatch(r"[a-z][a-z_-]*:\S+", s)}
    assert len(sentences) > 100  # the extractor found the pages' strings
    missing = sorted(s for s in sentences if catalog.get(s) is None and translate(s, "zh_Hans") == s)
    assert not missing, f"add to i18n/locales/zh_Hans/LC_MESSAGES/console.po: {missing}"


@pytest.mark.parametrize("locale", CONSOLE_LOCALES)
def test_every_status_role_and_tax_collection_point_has_a_label(locale: str) -> None:
    catalog = _catalog(locale)
    for context, values in (
        ("status", typing.get_args(OrderStatus)),
        ("role", [r.value for r in Role]),
        ("collected", typing.get_args(CollectedAt)),
    ):
        for value in values:
            assert catalog.get(value, context=context) is not None, f"{locale}: no {context} label for {value!r}"


def test_lookups() -> None:
    assert translate("status:in_review", "zh_Hans") == "审核中"
    assert translate("status:in_review", "en") == "In review"
    assert translate("Review queue", "en") == "Review queue"  # a sentence is its own English
    assert translate("Review queue", "zh_Hans") != "Review queue"
    assert translate("status:in_review", "de") == "In review"  # no German console: English labels
    assert translate("status:some_new_state", "zh_Hans") == "some new state"
    assert translate("Not found", "zh_Hans") == "未找到"  # an API title, from the shared catalog
    assert translate("sku", "en") == "SKU"
