"""One error hierarchy for the whole hub; each leaves the API as RFC 9457 problem+json.

::

    AppError (500, about:blank)
    ├── ValidationFailed (422)        field-level ``errors`` list: [{"field", "message"}]
    ├── BadRequest (400)
    ├── Unauthenticated (401)
    │   └── InvalidSignature          an inbound webhook whose signature is missing or wrong
    ├── PermissionDenied (403)
    ├── NotFound (404)                another tenant's object is a NotFound too, never a 403
    ├── MethodNotAllowed (405)
    ├── Conflict (409)                state conflicts, duplicates (``existing_id``), idempotency clashes
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── TooManyRequests (429)
    └── ServiceUnavailable (503)      a dependency (database, Redis) is down

Domain packages subclass these (``customs`` raises ``ValidationFailed`` for a bad quote) and set
``code`` to a stable slug; ``type`` is ``https://orderhub.dev/problems/<code>``. Titles are English
source strings that the API layer translates with Babel (see ``i18n``); ``detail`` is specific to
the occurrence and may quote client input.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

PROBLEM_BASE = "https://orderhub.dev/problems/"


class FieldError(msgspec.Struct, frozen=True):
    """One bad field: ``field`` is a JSON path such as ``lines[0].hs_code``."""

    field: str
    message: str


class AppError(Exception):
    """Root of every error the hub raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = errors or []
        self.extra = extra or {}
        super().__init__(self.detail)

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.code


class ValidationFailed(AppError):
    status = 422
    code = "validation-failed"
    title = "The request has invalid fields"

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[FieldError(field, message)])


class BadRequest(AppError):
    status = 400
    code = "bad-request"
    title = "The request could not be read"


class Unauthenticated(AppError):
    status = 401
    code = "unauthenticated"
    title = "A valid API key is required"


class InvalidSignature(Unauthenticated):
    """An inbound webhook (Shopify, a carrier) that is not signed with the endpoint's secret.

    Its own title and ``type``: those senders authenticate by signature, never by API key.
    """

    code = "invalid-signature"
    title = "The webhook signature is not valid"


class PermissionDenied(AppError):
    status = 403
    code = "permission-denied"
    title = "Your role does not allow this"


class NotFound(AppError):
    status = 404
    code = "not-found"
    title = "Not found"


class MethodNotAllowed(AppError):
    status = 405
    code = "method-not-allowed"
    title = "Method not allowed"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "The request conflicts with the current state"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload-too-large"
    title = "The request body is too large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(AppError):
    status = 429
    code = "too-many-requests"
    title = "Too many requests"


class ServiceUnavailable(AppError):
    status = 503
    code = "service-unavailable"
    title = "A service the hub depends on is unavailable"
