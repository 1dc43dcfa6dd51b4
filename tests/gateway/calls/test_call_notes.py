"""gateway.calls.desk: a webhook's notes on its call's ticket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from gateway.calls.desk import CallService, ticket_of
from gateway.config import Config
from store.models import EventKind
from tests.helpers.clock import chicago
from tests.helpers.voice import ANN, Desk
from voice.ports import Call

NOON = chicago(2026, 11, 24, 12, 0)
CALL = Call(sid="CA" + "7" * 32, caller=ANN, called="+18005550100", line=None,
            status="in-progress")


@pytest.fixture
def desk(voice_config: Config) -> Iterator[Desk]:
    made = Desk(voice_config, NOON)
    yield made
    made.close()


def test_notes_of_one_webhook_leave_the_ticket_updated_at_their_time(desk: Desk) -> None:
    calls = CallService(desk.store, desk.services.intake)
    calls.ready(CALL, NOON)
    calls.atomically(lambda: calls.open(CALL, NOON))
    later = NOON + timedelta(seconds=5)

    def menu() -> list[bool]:
        return [calls.note(CALL, EventKind.CALL_MENU, later, {"digits": "1"}, key="k:menu"),
                calls.note(CALL, EventKind.CALL_ENQUEUED, later, {}, key="k:enqueued")]

    assert calls.atomically(menu) == [True, True]
    ticket = ticket_of(desk.store, CALL.sid)
    assert ticket is not None and ticket.updated_at == later
    assert [e.kind for e in ticket.events][-2:] == [EventKind.CALL_MENU, EventKind.CALL_ENQUEUED]
    # Twilio's retry of the same webhook, later: nothing is noted twice, nothing changes.
    assert calls.atomically(lambda: calls.note(
        CALL, EventKind.CALL_MENU, later + timedelta(seconds=9), {"digits": "1"},
        key="k:menu")) is False
    assert ticket_of(desk.store, CALL.sid) == ticket
    # A new event in a later webhook moves updated_at on.
    latest = later + timedelta(seconds=30)
    assert calls.atomically(lambda: calls.note(CALL, EventKind.CALL_VOICEMAIL, latest, {}))
    moved = ticket_of(desk.store, CALL.sid)
    assert moved is not None and moved.updated_at == latest
