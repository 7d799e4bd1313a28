"""EasyPost error bodies (``{"error": {"code", "message", "errors": [...]}}``) to messages."""

from __future__ import annotations

import msgspec

from carriers.base import Message
from carriers.easypost.schemas import EPErrorBody, EPFieldError

__all__ = ["CARRIER", "parse_error"]

CARRIER = "easypost"
_decoder = msgspec.json.Decoder(EPErrorBody)


def _text(value: str | list[str] | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else ", ".join(value)


def parse_error(status_code: int, body: bytes) -> list[Message]:
    """One message for the error plus one per field error; a generic one when the body is not JSON."""
    try:
        parsed = _decoder.decode(body)
    except msgspec.DecodeError:
        return [Message(CARRIER, f"http_{status_code}", f"EasyPost answered HTTP {status_code}")]
    error = parsed.error
    code = error.code or f"http_{status_code}"
    messages = [Message(CARRIER, code, _text(error.message) or f"EasyPost answered HTTP {status_code}")]
    for item in error.errors:
        if isinstance(item, EPFieldError):
            text = item.message or "invalid"
            if item.suggestion:
                text = f"{text} (suggestion: {item.suggestion})"
            messages.append(Message(CARRIER, code, text, field=item.field))
        elif item:
            messages.append(Message(CARRIER, code, item))
    return messages
