"""The sandbox carrier's webhook payload (our own format, posted by the hub's scheduler).

::

    {"id": "sbxevt_...", "type": "tracking.updated", "created_at": "...Z",
     "data": {"tracking_number": "SBX1234567897",
              "events": [{"id": "SBX1234567897-01", "code": "LABEL_CREATED",
                          "description": "...", "occurred_at": "...Z", "location": "Shenzhen, CN"}]}}
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["SandboxEvent", "SandboxTrackingData", "SandboxWebhook"]


class SandboxEvent(msgspec.Struct, frozen=True):
    id: str
    code: str
    occurred_at: datetime
    description: str = ""
    location: str | None = None


class SandboxTrackingData(msgspec.Struct, frozen=True):
    tracking_number: str
    events: list[SandboxEvent]


class SandboxWebhook(msgspec.Struct, frozen=True):
    id: str
    type: Literal["tracking.updated"]
    created_at: datetime
    data: SandboxTrackingData
