"""Request helpers every domain's edge shares: the message locale, msgspec errors as named fields.

In the kernel (not ``hub.problems``, the composition's exception handler) so that the domains'
controllers and importers use them without importing the composition layer.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request

from hub.core.errors import FieldError
from i18n import negotiate

_MSGSPEC_PATH = re.compile(r"\s*-\s*at\s*`\$(?P<path>[^`]*)`")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`")
# A check in a Struct's __post_init__ (hub.core.validation.FieldValueError): msgspec reports it at the
# struct's path with our message "`field`: message", which names the field inside that struct.
_NAMED_FIELD = re.compile(r"^`(?P<name>[^`]+)`: (?P<message>.+)$", re.DOTALL)


def _join(*parts: str) -> str:
    return ".".join(part for part in parts if part)


def field_error(path: str, text: str) -> FieldError:
    """``path`` is where msgspec stopped; a post-init check names the field below it."""
    named = _NAMED_FIELD.match(text)
    if named:
        return FieldError(field=_join(path, named.group("name")), message=named.group("message"))
    return FieldError(field=path or "body", message=text)


def request_locale(request: Request[Any, Any, Any]) -> str:
    """Locale for messages: Accept-Language, then the key's user and tenant (set by auth), then en."""
    principal = request.scope.get("user")
    fallbacks = (getattr(principal, "locale", None),) if principal is not None else ()
    return negotiate(request.headers.get("accept-language"), *fallbacks)


def field_errors_from_msgspec(message: str, *, prefix: str = "") -> list[FieldError]:
    """Turn msgspec's "Expected `int`, got `str` - at `$.lines[0].quantity`" into a FieldError."""
    match = _MSGSPEC_PATH.search(message)
    text = _MSGSPEC_PATH.sub("", message).strip()
    path = match.group("path").lstrip(".") if match else ""
    unknown = _UNKNOWN_FIELD.match(text)
    if unknown:
        # The path points at the object; the bad field is the unknown key inside it.
        path = _join(path, unknown.group("name"))
    return [field_error(_join(prefix, path), text)]
