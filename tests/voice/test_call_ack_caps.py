"""A caller's acknowledgement email is an automatic reply like any other: one address gets
at most [mail] sender_replies of them an hour, however many calls come in under its
number (a spoofed caller ID cannot make the desk mail-bomb the contact)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.config import Config
from tests.helpers.clock import chicago
from tests.helpers.voice import ANN, Desk, kinds

NIGHT = chicago(2026, 11, 25, 3, 0)


@pytest.fixture
def desk(voice_config: Config) -> Iterator[Desk]:
    d = Desk(voice_config, NIGHT)
    yield d
    d.close()


def test_calls_under_one_number_get_at_most_the_senders_cap_of_emails(desk: Desk) -> None:
    tickets = [desk.call(caller=ANN, digits=("1",))[1] for _ in range(12)]
    acks = [i for i in desk.store.outbox.items() if i.kind == "email" and i.status != "cancelled"]
    print(f"12 calls: {len(tickets)} tickets, {len(acks)} acknowledgement emails")
    assert len({t.number for t in tickets}) == 12 and len(acks) == 10
    last = desk.ticket(tickets[-1].source_id or "")
    assert "reply.held" in kinds(last) and "ack.queued" not in kinds(last)
    [held] = [e for e in last.events if e.kind == "reply.held"]
    assert held.detail == {"reply": "call acknowledgement", "to": "ann@acme.example",
                           "reason": "10 automatic replies to this address in the last hour"}
