"""The arq connection settings shared by the API (enqueue side) and the worker."""

from __future__ import annotations

from typing import Any

import msgspec
from arq.connections import ArqRedis, RedisSettings, create_pool


def redis_settings(url: str) -> RedisSettings:
    settings: RedisSettings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings


def _failure_text(obj: Any) -> str:
    """A job's exception, which arq stores as the job's result, as text: JSON has no exceptions."""
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    # What msgspec itself raises for a type it cannot encode, as before this hook.
    raise TypeError(f"Encoding objects of type {type(obj).__name__} is unsupported")


_ENCODER = msgspec.json.Encoder(enc_hook=_failure_text)


def serialize(obj: Any) -> bytes:
    """JSON, not pickle: job arguments are plain ids and dicts, and pickle from Redis is a risk.

    A failed job's result is its exception: stored as its text, so arq does not log a traceback
    for every failure ("error serializing result") and keep only "unable to serialize result".
    """
    return _ENCODER.encode(obj)


def deserialize(raw: bytes) -> Any:
    return msgspec.json.decode(raw)


async def open_pool(url: str) -> ArqRedis:
    pool: ArqRedis = await create_pool(
        redis_settings(url), job_serializer=serialize, job_deserializer=deserialize, retry=0
    )
    return pool
