"""What a request (its JSON body above all) must be before any handler sees it, checked once for every route.

Every route: a NUL character in a query parameter is a 422 naming it, in a path parameter a 404
(PostgreSQL stores no NUL in text; these were 400s that named nothing).

Litestar reads a ``data`` body whatever its ``Content-Type`` says, and converts it to the handler's
type in lax mode (its signature model converts path and query strings, and the body with them), so
``"quantity": "2"`` became 2 and ``text/plain`` was read as JSON. :func:`check_json_body` is the
app's ``before_request`` hook. For a request that sends a body to a route the OpenAPI document says
takes JSON (a ``data`` parameter, or a body read raw and documented by its ``operation_class``, as
``customs`` does) it refuses

* a ``Content-Type`` other than ``application/json`` (or ``application/<x>+json``), or a charset
  other than UTF-8: 415 naming ``Content-Type``. A body sent with no ``Content-Type`` at all is
  read as the JSON the route takes (what ``curl --data-binary`` and scripts send); one that says it
  is something else (``text/plain``, a form) was not meant as this JSON;

and where the route's ``data`` is that JSON:

* a document nested deeper than :data:`MAX_JSON_DEPTH` (an ``options`` object 500 levels deep was
  stored as it came): 422 naming the top-level field it is under;
* a value not of the declared type exactly (a string for an integer or a boolean): 422 naming the
  field, as msgspec's strict mode reads it. Strings still carry what JSON has no type for (dates,
  decimals, UUIDs). Raw-body routes decode with msgspec's typed, strict decoder themselves.

The body is decoded once: Litestar keeps the parsed document for the handler's own conversion.
Bytes that are not UTF-8 raise here as there and become a 400 in ``hub.problems``.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.enums import RequestEncodingType
from litestar.params import BodyKwarg
from litestar.routes import HTTPRoute

from hub.core.errors import FieldError, NotFound, UnsupportedMediaType, ValidationFailed
from hub.core.wire_errors import field_errors_from_msgspec

__all__ = ["MAX_JSON_DEPTH", "check_json_body"]

MAX_JSON_DEPTH = 32
"""Deeper than any body the API documents (a quote line's fields sit at depth 3) by a wide margin."""

_JSON_MEDIA = re.compile(r"application/(?:[a-z0-9!#$&^_.-]+\+)?json")
_UTF8 = frozenset({"utf-8", "utf8"})


_STATE_KEY = "json_body_routes"
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _json_routes(app: Litestar) -> frozenset[tuple[int, str]]:
    """(handler id, method) of every operation whose OpenAPI request body is JSON; built once per app."""
    known: frozenset[tuple[int, str]] | None = app.state.get(_STATE_KEY)
    if known is None:
        paths = app.openapi_schema.paths or {}
        found = set()
        for route in app.routes:
            if not isinstance(route, HTTPRoute) or (item := paths.get(route.path_format)) is None:
                continue  # not an HTTP route, or left out of the schema (the console's pages)
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    operation = getattr(item, method.lower(), None)
                    # to_schema(): a raw-body route documents its body there (customs' operation_class).
                    content = (operation.to_schema().get("requestBody") or {}).get("content", {}) if operation else {}
                    if any(_JSON_MEDIA.fullmatch(str(media)) for media in content):
                        found.add((id(handler), method))
        known = frozenset(found)
        app.state[_STATE_KEY] = known
    return known


def _json_data_type(request: Request[Any, Any, Any]) -> Any | None:
    """The declared type of the route's ``data`` when it is JSON, or None (read raw, multipart, a form)."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    kwarg = data.kwarg_definition
    media = kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON
    return data.annotation if media == RequestEncodingType.JSON else None


def _too_deep(document: Any) -> str | None:
    """The top-level field (or ``body``) under which ``document`` nests past :data:`MAX_JSON_DEPTH`."""
    stack: list[tuple[Any, int, str]] = [(document, 1, "body")]
    while stack:
        value, depth, top = stack.pop()
        if isinstance(value, dict):
            children = value.items()
        elif isinstance(value, list):
            children = enumerate(value)  # type: ignore[assignment]
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return top
        for key, child in children:
            if isinstance(child, dict | list):
                name = top if depth > 1 else (str(key) if isinstance(value, dict) else f"[{key}]")
                stack.append((child, depth + 1, name))
    return None


_NUL = "\x00"
_NUL_MESSAGE = "must not contain the NUL character (\\u0000)"


def _refuse_nul_parameters(request: Request[Any, Any, Any]) -> None:
    """A NUL character in a query parameter: 422 naming it (PostgreSQL stores no NUL in text, and the
    answer was a 400 that named nothing: ``hub.problems``' safety net). In a path it names nothing
    that can exist: 404, as for any other unknown id or sku.

    The parameters are parsed only when the raw request could hold a NUL: percent-encoded (or raw)
    in the query string, decoded in the path. Parsing every request's query string cost a tenth of
    what ``/health`` costs the application."""
    scope = request.scope
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in request.query_params.multi_items():
            if _NUL in name or _NUL in value:
                raise ValidationFailed.single(name.replace(_NUL, "\\u0000"), _NUL_MESSAGE)
    if _NUL in scope.get("path", ""):
        for name, value in request.path_params.items():
            if isinstance(value, str) and _NUL in value:
                raise NotFound(f"no {name} contains the NUL character (\\u0000)")


def _nul_in(document: Any) -> str | None:
    """The JSON path of the first string (value or key) in ``document`` holding a NUL character."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _NUL in value:
                return path or "body"
        elif isinstance(value, dict):
            for key, child in value.items():
                named = f"{path}.{key}" if path else str(key)
                if _NUL in str(key):
                    return named.replace(_NUL, "\\u0000")
                stack.append((child, named))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(value))
    return None


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """``before_request``: refuse NUL characters in parameters, and a JSON body of the wrong media
    type, depth or value types (or with a NUL character in a string)."""
    _refuse_nul_parameters(request)
    # No GET, HEAD or OPTIONS operation documents a body: those are let through before the lookup.
    method = request.scope["method"]
    if method in _NO_BODY_METHODS or (id(request.route_handler), method) not in _json_routes(request.app):
        return
    # From the headers alone: a raw-body route reads (and limits, with its own 413) the body itself.
    if request.headers.get("content-length") == "0":
        return  # nothing sent: the handler's default applies, or Litestar names the missing body
    media, options = request.content_type
    if media and not _JSON_MEDIA.fullmatch(media.lower()):
        raise UnsupportedMediaType(
            f"the body must be sent as application/json, not {media}",
            errors=[FieldError("Content-Type", f"must be application/json, not {media}")],
        )
    charset = options.get("charset")
    if charset is not None and charset.strip('"').lower() not in _UTF8:
        raise UnsupportedMediaType(
            f"JSON is UTF-8; charset={charset} is not read",
            errors=[FieldError("Content-Type", f"charset must be utf-8, not {charset}")],
        )
    declared = _json_data_type(request)
    if declared is None:
        return  # read raw by the handler, with msgspec's typed (strict) decoder
    body = await request.body()
    if not body:
        return
    # Cheap first: a body with fewer brackets than the limit cannot nest that deep.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_DEPTH:
        document = await request.json()
        if (field := _too_deep(document)) is not None:
            raise ValidationFailed.single(field, f"nested more than {MAX_JSON_DEPTH} levels deep")
    document = await request.json()
    if _NUL.encode() in body or b"\\u0000" in body:
        nul = _nul_in(document)
        if nul is not None:
            raise ValidationFailed.single(nul, _NUL_MESSAGE)
    try:
        msgspec.convert(
            document, declared, strict=True, str_keys=True, dec_hook=request.route_handler.default_deserializer
        )
    except msgspec.ValidationError as exc:
        errors = field_errors_from_msgspec(str(exc))
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors) from None
