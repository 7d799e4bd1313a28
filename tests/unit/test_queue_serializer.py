"""The arq job serializer: JSON for arguments, and a failed job's exception kept as its text."""

from __future__ import annotations

import logging

import pytest
from arq.jobs import serialize_result

from hub.queue import deserialize, serialize


def test_job_arguments_round_trip() -> None:
    payload = {"order_id": "01a2", "attempt": 2, "tags": ["a", "b"], "nested": {"x": None}}
    assert deserialize(serialize(payload)) == payload


def test_a_failed_job_s_exception_is_stored_as_its_text(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="arq.jobs"):
        raw = serialize_result(
            "deliver_order_event", (), {}, 1, 0, False, ConnectionError("the database went away"), 0, 0,
            "ref", "arq:queue", "job-1", serializer=serialize,
        )  # fmt: skip
    assert raw is not None
    stored = deserialize(raw)
    assert stored["s"] is False
    assert stored["r"] == "ConnectionError: the database went away"
    assert not caplog.records, "arq had to fall back to 'unable to serialize result'"


def test_anything_else_that_is_not_json_is_still_refused() -> None:
    with pytest.raises(TypeError, match="type object is unsupported"):
        serialize({"when": object()})
