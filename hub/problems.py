"""Every error leaves the API as RFC 9457 ``application/problem+json``.

Our own :class:`~hub.core.errors.AppError` tree maps directly; Litestar's own exceptions (validation,
404/405 from the router, 413 from the body limit) are translated into the same shape, and anything
unexpected becomes a logged 500 with no internals in the body.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, InternalServerException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from hub.core.errors import (
    AppError,
    BadRequest,
    FieldError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from hub.core.wire_errors import field_error, field_errors_from_msgspec, request_locale
from i18n import gettext

logger = logging.getLogger("hub.problems")

PROBLEM_JSON = "application/problem+json"

_BY_STATUS: dict[int, type[AppError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


def problem_response(error: AppError, locale: str) -> Response[bytes]:
    # Extension members first: the RFC 9457 members (and our errors list) can never be overwritten.
    body: dict[str, Any] = {
        **error.extra,
        "type": error.type_uri,
        "title": gettext(type(error).title, locale),
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    headers = {"Content-Language": locale.replace("_", "-")}
    if error.status == 503 and isinstance(error.extra.get("retry_after"), int):
        headers["Retry-After"] = str(error.extra["retry_after"])
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="orderhub"'
    return Response(
        content=msgspec.json.encode(body), status_code=error.status, media_type=PROBLEM_JSON, headers=headers
    )


def _from_validation(exc: ValidationException) -> ValidationFailed:
    errors: list[FieldError] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        key = str(item.get("key", "") or "")
        if key in ("", "data"):
            errors.extend(field_errors_from_msgspec(message))
        else:
            errors.append(field_error(key.removeprefix("data."), message))
    if not errors:
        detail = str(exc.detail or "invalid request")
        if "JSON is malformed" in detail or "malformed" in detail.lower():
            return ValidationFailed("The body is not valid JSON", errors=[FieldError("body", detail)])
        errors = field_errors_from_msgspec(detail)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return ValidationFailed(detail, errors=errors)


# Values PostgreSQL refuses that only a client can have sent: a NUL character in any text (path,
# query or body), a number or text beyond a column's precision. A safety net, not validation: the
# services still check fields and name them; this only keeps such input from becoming a 500.
_REFUSED_VALUES: tuple[tuple[type[Exception], str], ...] = (
    (asyncpg.exceptions.CharacterNotInRepertoireError, "text must not contain the NUL character (\\u0000)"),
    (asyncpg.exceptions.UntranslatableCharacterError, "text must not contain the NUL character (\\u0000)"),
    (asyncpg.exceptions.NumericValueOutOfRangeError, "a number is too large"),
    (asyncpg.exceptions.StringDataRightTruncationError, "a text value is too long"),
    (asyncpg.exceptions.DatetimeFieldOverflowError, "a date or time is out of range"),
)


# The database going away under a request (a restart, a failover, a network cut): the request may be
# sent again once it is back, so the client is told 503, not 500. Matched anywhere in the exception's
# chain, because the rollback that follows a lost connection raises an InterfaceError of its own.
_DATABASE_GONE: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: closed in the middle of an operation, ...
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down (57P03)
    asyncpg.exceptions.AdminShutdownError,  # terminated by a fast or immediate shutdown (57P01)
    asyncpg.exceptions.CrashShutdownError,  # another backend crashed (57P02)
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InternalClientError,  # a pooled connection the server closed while it sat idle
    ConnectionError,  # refused or reset while connecting
)
DATABASE_RETRY_AFTER_SECONDS = 2


def _database_gone(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _DATABASE_GONE):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _raised_in(exc: BaseException, function: str) -> bool:
    """True when the innermost frame of ``exc``'s traceback is a function named ``function``."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == function


CLIENT_WENT_AWAY = "client disconnected prematurely"
"""The detail of the InternalServerException Litestar's ``Request.stream`` raises on ``http.disconnect``."""


def _unreadable_body(exc: Exception) -> BadRequest | None:
    """A body that could not be read at all, whoever was reading it; None for anything else."""
    if isinstance(exc, UnicodeDecodeError):
        # Every text the hub decodes whole is a request body (paths and queries are decoded with
        # replacement characters): msgspec, Litestar's JSON reader and the webhooks' raw bodies raise
        # this for bytes that are not UTF-8, before any field could be named.
        # (msgspec counts ``start`` from the string it was reading, not from the body: not shown.)
        return BadRequest("The body is not valid UTF-8", errors=[FieldError("body", f"not UTF-8: {exc.reason}")])
    if isinstance(exc, SerializationException):
        # A body msgspec cannot read, outside the handler's own data extraction (which answers 400
        # itself): Litestar's request.json() in a before_request hook.
        return BadRequest("The body is not valid JSON", errors=[FieldError("body", str(exc.detail or exc))])
    if isinstance(exc, InternalServerException) and exc.detail == CLIENT_WENT_AWAY:
        # Litestar's body reader met ``http.disconnect`` before the body's end: the client closed
        # the connection (a load generator stopping, a phone losing signal). Nobody reads the answer,
        # but it is the client's doing, not a server error to log with a traceback.
        return BadRequest(
            "The connection closed before the whole body arrived",
            errors=[FieldError("body", "incomplete: the client closed the connection")],
        )
    if isinstance(exc, RecursionError) and "deserializing" in str(exc):
        # msgspec gives up on a body nested thousands of levels deep.
        return BadRequest("The body is nested too deeply", errors=[FieldError("body", "nested too deeply")])
    return None


def to_app_error(exc: Exception) -> AppError:
    if isinstance(exc, AppError):
        return exc
    for refused, message in _REFUSED_VALUES:
        if isinstance(exc, refused):
            return BadRequest(message)
    if isinstance(exc, asyncpg.exceptions.DataError) and isinstance(exc.__cause__, OverflowError):
        # asyncpg refuses, before sending, an integer beyond its column's type (int4, int8).
        return BadRequest("a number is too large")
    cause = exc.__cause__
    if isinstance(exc, RuntimeError) and isinstance(cause, StopIteration) and _raised_in(cause, "_extract_multipart"):
        # Litestar's multipart reader looks for the first file part with next() and finds none: a
        # form with fields only, or none at all, sent where an upload is expected.
        return ValidationFailed.single("data", "a file part is required (multipart/form-data)")
    unreadable = _unreadable_body(exc)
    if unreadable is not None:
        return unreadable
    if _database_gone(exc):
        return ServiceUnavailable(
            "the database is unavailable for a moment; send the request again (with the same Idempotency-Key)",
            extra={"retry_after": DATABASE_RETRY_AFTER_SECONDS},
        )
    if isinstance(exc, ValidationException):
        return _from_validation(exc)
    if isinstance(exc, HTTPException):
        # Litestar turns a body msgspec cannot decode into a bare 400 whose cause is the decode error
        # ("Input data was truncated", "JSON is malformed: ..."): name the body as the bad field.
        malformed = isinstance(exc.__cause__, SerializationException) or "malformed" in str(exc.detail).lower()
        if exc.status_code == 400 and malformed:
            return BadRequest("The body is not valid JSON", errors=[FieldError("body", str(exc.detail))])
        cls = _BY_STATUS.get(exc.status_code)
        if cls is not None:
            detail = exc.detail if exc.detail and exc.detail != cls.title else None
            return cls(detail)
        return AppError(str(exc.detail))
    return AppError("An unexpected error occurred; it has been logged.")


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    error = to_app_error(exc)
    if error.status >= HTTP_500_INTERNAL_SERVER_ERROR:
        logger.error(
            "unhandled error on %s %s",
            request.method,
            request.url.path,
            exc_info=exc,
            extra={"request_id": request.scope.get("state", {}).get("request_id")},
        )
    response = problem_response(error, request_locale(request))
    if isinstance(exc, HTTPException) and exc.headers:
        # Litestar's own answers carry headers a client needs: a 405's ``Allow`` (RFC 9110 requires it).
        for name, value in exc.headers.items():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


__all__ = ["PROBLEM_JSON", "MediaType", "field_errors_from_msgspec", "handle_exception", "problem_response"]
