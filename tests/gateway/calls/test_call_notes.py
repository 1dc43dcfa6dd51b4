"""gateway.calls.desk: a webhook's notes on its call's ticket, and its caller's details
worked out before the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from gateway.calls.desk import CallService, ticket_of
from gateway.config import Config
from store.models import ContactRecord, EventKind
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
    calls.ready(CALL)
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


def test_the_caller_is_looked_up_once_per_call_before_its_transaction(desk: Desk) -> None:
    calls = CallService(desk.store, desk.services.intake)
    other = Call(sid="CA" + "8" * 32, caller="+15125550177", called="+18005550100",
                 line=None, status="ringing")
    calls.ready(other)  # not in the directory yet
    desk.store.directory.upsert_contact(
        ContactRecord(email="bo@acme.example", name="Bo Diaz", company="Acme",
                      phones=("+15125550177",)), NOON)
    calls.atomically(lambda: calls.open(other, NOON))
    opened = ticket_of(desk.store, other.sid)
    assert opened is not None  # as the directory stood when the call's webhook came in
    assert opened.requester_name is None and opened.callback_numbers == ("+15125550177",)
    assert opened.field_sources == {"callback_numbers": "caller_id"}
    # The next call from that number finds its contact.
    again = Call(sid="CA" + "9" * 32, caller="+15125550177", called="+18005550100",
                 line=None, status="ringing")
    calls.ready(again)
    calls.atomically(lambda: calls.open(again, NOON))
    found = ticket_of(desk.store, again.sid)
    assert found is not None and found.requester_name == "Bo Diaz" and found.company == "Acme"
    assert found.field_sources["requester_name"] == "directory"
