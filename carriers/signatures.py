"""HMAC webhook signatures: the hub's own ``Hub-Signature`` scheme and shared primitives.

Hub scheme (sandbox carrier webhooks and outbound seller webhooks alike)::

    Hub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

* The timestamp is signed with the body, so a captured delivery cannot be replayed after the
  tolerance (:data:`DEFAULT_TOLERANCE`, 5 minutes, either side of now).
* During a secret rotation the sender signs with each secret and sends one ``v1=`` per secret;
  the receiver accepts the delivery when any ``v1`` matches any of its secrets.
* Comparison is constant-time (:func:`hmac.compare_digest`).

Secrets are ``str`` (UTF-8 encoded) or ``bytes``; they are never logged or put in messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence

__all__ = [
    "DEFAULT_TOLERANCE",
    "HUB_SIGNATURE_HEADER",
    "hmac_sha256",
    "hmac_sha256_base64",
    "parse_hub_signature",
    "sign_hub",
    "verify_hub",
]

HUB_SIGNATURE_HEADER = "Hub-Signature"
DEFAULT_TOLERANCE = 300
"""Seconds a signed timestamp may differ from the receiver's clock."""

Secret = str | bytes


def _key(secret: Secret) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def hmac_sha256(secret: Secret, message: bytes) -> bytes:
    """Raw HMAC-SHA256 digest."""
    return hmac.new(_key(secret), message, hashlib.sha256).digest()


def hmac_sha256_base64(secret: Secret, message: bytes) -> str:
    return base64.b64encode(hmac_sha256(secret, message)).decode("ascii")


def sign_hub(secrets: Secret | Sequence[Secret], body: bytes, *, timestamp: int | None = None) -> str:
    """The ``Hub-Signature`` header value for ``body``; several secrets give several ``v1``."""
    keys: Sequence[Secret] = [secrets] if isinstance(secrets, str | bytes) else secrets
    if not keys:
        raise ValueError("at least one secret is needed to sign")
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + body
    parts = [f"t={t}"] + [f"v1={hmac_sha256(k, signed).hex()}" for k in keys]
    return ",".join(parts)


def parse_hub_signature(header: str) -> tuple[int, list[str]] | None:
    """``(timestamp, [v1 hex, ...])`` or ``None`` when the header is not of the scheme's form.

    Header bytes reach us as Latin-1 text: a non-ASCII ``t`` (``²`` is a digit to ``str.isdigit``,
    not to ``int``) or ``v1`` (which ``hmac.compare_digest`` refuses to compare as ``str``) is
    malformed, never an exception.
    """
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            if timestamp is not None or not (value.isascii() and value.isdigit()):
                return None
            timestamp = int(value)
        elif key == "v1":
            if not value.isascii():
                return None
            signatures.append(value.strip().lower())
        # Unknown keys (future schemes such as v2) are ignored so senders can add them.
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify_hub(
    header: str | None,
    body: bytes,
    secrets: Secret | Sequence[Secret],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> bool:
    """True when ``header`` carries a fresh ``v1`` signature of ``body`` by one of ``secrets``."""
    if not header:
        return False
    parsed = parse_hub_signature(header)
    if parsed is None:
        return False
    timestamp, received = parsed
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    keys: Sequence[Secret] = [secrets] if isinstance(secrets, str | bytes) else secrets
    signed = f"{timestamp}.".encode() + body
    matched = False
    for key in keys:
        if not key:
            continue
        expected = hmac_sha256(key, signed).hex()
        for candidate in received:
            # Check every pair so timing does not reveal which secret or position matched.
            matched |= hmac.compare_digest(expected, candidate)
    return matched
