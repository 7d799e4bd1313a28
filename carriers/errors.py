"""Errors the carrier layer raises (few: carrier failures are data, see :mod:`carriers.base`).

::

    hub.core.errors.BadRequest (400)
    └── MalformedWebhook          a webhook body that is not JSON or not the documented shape
    hub.core.errors.NotFound (404)
    └── UnknownCarrier            no adapter registered under that name

Messages never quote secrets or whole bodies; a malformed-body message names the JSON path only.
"""

from __future__ import annotations

from hub.core.errors import BadRequest, NotFound

__all__ = ["MalformedWebhook", "UnknownCarrier"]


class MalformedWebhook(BadRequest):
    """The webhook body could not be read as the carrier's documented payload."""

    code = "malformed-webhook"
    title = "The webhook body could not be read"

    def __init__(self, carrier: str, detail: str) -> None:
        super().__init__(f"{carrier}: {detail}", extra={"carrier": carrier})
        self.carrier = carrier


class UnknownCarrier(NotFound):
    code = "unknown-carrier"
    title = "No such carrier"

    def __init__(self, carrier: str) -> None:
        super().__init__(f"no carrier adapter named {carrier!r}", extra={"carrier": carrier})
        self.carrier = carrier
