"""Babel catalogs, locale negotiation and formatting; imports nothing of ours.

Catalogs are ``.po`` files under ``i18n/locales/<ll>/LC_MESSAGES/messages.po``; they are compiled in
memory on first use, so the repository carries no binary ``.mo`` files.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "gettext",
    "mark",
    "negotiate",
    "normalize_locale",
    "pgettext",
    "translations",
]

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "zh_Hans", "de", "fr", "es", "ja")


def mark(message: str) -> str:
    """Mark a source string for extraction without translating it now."""
    return message


_LONGEST_TAG = 64
"""Longer than any language tag Babel reads (so none is remembered under a long key)."""


def normalize_locale(tag: str | None) -> str | None:
    """Map a client tag (``zh-CN``, ``zh_Hans``, ``de-AT``) to a supported locale, or None."""
    if not tag or len(tag) > _LONGEST_TAG:
        return None
    return _normalize_locale(tag)


@lru_cache(maxsize=256)
def _normalize_locale(tag: str) -> str | None:
    try:
        parsed = Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if parsed.language == "zh":
        # Simplified Chinese is what mainland sellers and clerks read; Traditional is not offered yet.
        return "zh_Hans" if parsed.script in (None, "Hans") and parsed.territory not in ("TW", "HK", "MO") else None
    return parsed.language if parsed.language in SUPPORTED_LOCALES else None


_CACHED_HEADER_CHARS = 256
"""``Accept-Language`` values up to this long are remembered: a browser's or client's is a few
dozen characters and repeats on every request; a longer one (or one made up per request) is parsed
afresh, so the cache cannot be filled with large keys."""


def negotiate(accept_language: str | None, *fallbacks: str | None) -> str:
    """Pick a locale from an ``Accept-Language`` header (by q-value), then each fallback, then en."""
    if accept_language is not None and len(accept_language) > _CACHED_HEADER_CHARS:
        return _negotiate(accept_language, fallbacks)
    return _negotiate_cached(accept_language, fallbacks)


@lru_cache(maxsize=1024)
def _negotiate_cached(accept_language: str | None, fallbacks: tuple[str | None, ...]) -> str:
    return _negotiate(accept_language, fallbacks)


def _negotiate(accept_language: str | None, fallbacks: tuple[str | None, ...]) -> str:
    candidates: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality <= 0:
            continue  # q=0 means "not acceptable" (RFC 9110, 12.4.2)
        candidates.append((-quality, index, tag))
    for _, _, tag in sorted(candidates):
        found = normalize_locale(tag)
        if found:
            return found
    for fallback in fallbacks:
        found = normalize_locale(fallback)
        if found:
            return found
    return DEFAULT_LOCALE


@lru_cache(maxsize=32)
def translations(locale: str, domain: str = "messages") -> NullTranslations:
    """The ``domain`` catalog of ``locale`` (``messages``: API titles, findings, documents;
    ``console``: the clerk console's pages), or no translation when there is none."""
    po_file = LOCALES_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale.replace("_Hans", ""))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, locale: str, domain: str = "messages") -> str:
    return translations(locale, domain).gettext(message)


def pgettext(context: str, message: str, locale: str, domain: str = "messages") -> str:
    """``message`` in ``context`` (gettext's ``msgctxt``): the label of a value such as the status
    ``in_review``, which is not an English sentence and may mean different things in two places."""
    # Babel's stubs type pgettext as returning object; with str arguments it returns str.
    return str(translations(locale, domain).pgettext(context, message))
