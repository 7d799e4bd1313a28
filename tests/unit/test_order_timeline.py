"""The timeline's one vocabulary (hub/orders/timeline.py) and its one status-change entry."""

from __future__ import annotations

import uuid

import pytest
from babel.messages.pofile import read_po

from hub.console.i18n import CONSOLE_LOCALES, DOMAIN
from hub.core.errors import Conflict
from hub.orders.timeline import EVENT_KINDS, Event, Job, status_change
from i18n import LOCALES_DIR


def test_kinds_are_unique_and_dotted() -> None:
    assert len(set(EVENT_KINDS)) == len(EVENT_KINDS)
    assert all(kind.count(".") == 1 and kind == kind.lower() for kind in EVENT_KINDS)


@pytest.mark.parametrize("locale", CONSOLE_LOCALES)
def test_the_console_labels_only_kinds_the_timeline_writes(locale: str) -> None:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale.replace("_Hans", ""))
    labelled = {message.id for message in catalog if message.context == "event"}
    assert labelled, "the console labels timeline kinds in msgctxt 'event'"
    assert labelled <= set(EVENT_KINDS), sorted(labelled - set(EVENT_KINDS))


def test_a_status_change_is_one_entry_and_one_webhook_job() -> None:
    order_id = uuid.UUID("01900000-0000-7000-8000-000000000001")
    event, job = status_change(order_id, "in_review", "approved", "user:ana")
    assert event == Event("user:ana", "order.status_changed", {"from": "in_review", "to": "approved"})
    assert job == Job(
        "deliver_order_event",
        {"event": "order.status_changed", "order_id": str(order_id), "from": "in_review", "to": "approved"},
    )


def test_a_move_the_state_machine_refuses_writes_nothing() -> None:
    with pytest.raises(Conflict) as caught:
        status_change(uuid.uuid4(), "cancelled", "approved", "user:ana")
    assert caught.value.extra == {"current_status": "cancelled"}
