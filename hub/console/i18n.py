"""The console's strings, from the ``console`` Babel catalogs (``i18n/locales/<ll>/LC_MESSAGES/console.po``).

Two kinds of key. A sentence is its own msgid: the English catalog needs no entry for it. A value
shown by name is written ``prefix:value`` in the templates (``status:in_review``, ``role:clerk``)
and looked up as msgid ``value`` in msgctxt ``prefix``, so the same word can be labelled differently
in two places. What the console catalog lacks (API error titles, review findings) comes from the
shared ``messages`` catalog.
"""

from __future__ import annotations

import re

from i18n import DEFAULT_LOCALE, gettext, pgettext

__all__ = ["CONSOLE_LOCALES", "DOMAIN", "translate"]

# The locales the console offers; the catalogs of the others hold the API's strings only.
CONSOLE_LOCALES: tuple[str, ...] = ("en", "zh_Hans")
DOMAIN = "console"

_VALUE_KEY = re.compile(r"^([a-z][a-z_-]*):(\S+)$")


def translate(message: str, locale: str) -> str:
    """``message`` in ``locale``; else in English; a value nobody labelled reads as its words."""
    value_key = _VALUE_KEY.match(message)
    if value_key is not None:
        context, value = value_key.groups()
        for candidate in (locale, DEFAULT_LOCALE):
            label = pgettext(context, value, candidate, DOMAIN)
            if label != value:
                return label
        return value.replace("_", " ")
    for candidate in (locale, DEFAULT_LOCALE):
        text = gettext(message, candidate, DOMAIN)
        if text != message:
            return text
    return gettext(message, locale)
