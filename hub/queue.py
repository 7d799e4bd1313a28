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


def serialize(obj: Any) -> bytes:
    """JSON, not pickle: job arguments are plain ids and dicts, and pickle from Redis is a risk."""
    return msgspec.json.encode(obj)


def deserialize(raw: bytes) -> Any:
    return msgspec.json.decode(raw)


async def open_pool(url: str) -> ArqRedis:
    pool: ArqRedis = await create_pool(
        redis_settings(url), job_serializer=serialize, job_deserializer=deserialize, retry=0
    )
    return pool
