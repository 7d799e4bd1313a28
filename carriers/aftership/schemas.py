"""AfterShip Tracking shapes (aftership.com/docs/tracking: Tracking and Checkpoint models,
webhook specification). Fields differ a little between API versions (``country_iso3`` became
``country_region``, ``zip`` gained ``postal_code``, 2026-07 added ``checkpoints[].hash``); both
spellings are read. Undeclared fields are ignored, so no float is decoded.
"""

from __future__ import annotations

import msgspec

__all__ = ["ASCheckpoint", "ASListData", "ASListResponse", "ASMeta", "ASTracking", "ASWebhook"]


class ASCheckpoint(msgspec.Struct, frozen=True):
    checkpoint_time: str | None = None
    created_at: str | None = None
    tag: str | None = None
    subtag: str | None = None
    subtag_message: str | None = None
    message: str | None = None
    location: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    postal_code: str | None = None
    country_region: str | None = None
    country_iso3: str | None = None
    raw_tag: str | None = None
    slug: str | None = None
    hash: str | None = None


class ASTracking(msgspec.Struct, frozen=True):
    tracking_number: str
    slug: str | None = None
    tag: str | None = None
    subtag: str | None = None
    subtag_message: str | None = None
    updated_at: str | None = None
    expected_delivery: str | None = None
    checkpoints: list[ASCheckpoint] = []


class ASWebhook(msgspec.Struct, frozen=True):
    event: str
    msg: ASTracking
    event_id: str | None = None
    ts: int | None = None
    is_tracking_first_tag: bool | None = None


class ASMeta(msgspec.Struct, frozen=True):
    code: int
    message: str | None = None
    type: str | None = None


class ASListData(msgspec.Struct, frozen=True):
    trackings: list[ASTracking] = []


class ASListResponse(msgspec.Struct, frozen=True):
    meta: ASMeta
    data: ASListData | None = None
