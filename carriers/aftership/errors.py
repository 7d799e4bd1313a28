"""AfterShip error bodies (``{"meta": {"code", "message", "type"}, "data": {}}``) to messages."""

from __future__ import annotations

import msgspec

from carriers.aftership.schemas import ASMeta
from carriers.base import Message

__all__ = ["CARRIER", "parse_error"]

CARRIER = "aftership"


class _ErrorBody(msgspec.Struct, frozen=True):
    meta: ASMeta


_decoder = msgspec.json.Decoder(_ErrorBody)


def parse_error(status_code: int, body: bytes) -> list[Message]:
    try:
        meta = _decoder.decode(body).meta
    except msgspec.DecodeError:
        return [Message(CARRIER, f"http_{status_code}", f"AfterShip answered HTTP {status_code}")]
    code = f"{meta.type or 'error'}_{meta.code}"
    return [Message(CARRIER, code, meta.message or f"AfterShip answered HTTP {status_code}")]
