"""Caps on every automatic reply: an auto-responder answering in a new thread each time
gets its tickets but not a storm of acknowledgements, a busy thread gets at most its
day's replies, and every reply held back is recorded."""

from __future__ import annotations

from gateway.runtime.services import Services
from store import OutboxItem
from tests.helpers import mail as F
from tests.helpers.clock import Clock

AWAY = """
    Thank you for your message. I am out of the office this week, and our file server
    has been down since Monday, so my replies will be late.

    Pat Jones
    Contoso Ltd
    512-555-0171
    """


def replies(services: Services) -> list[OutboxItem]:
    return [i for i in services.store.outbox.items() if i.kind == "email"]


def test_an_auto_responder_storm_opens_tickets_but_gets_at_most_the_cap_of_replies(
        services: Services, clock: Clock) -> None:
    # The storm: each round the auto-responder answers in a new thread (a new
    # Message-ID, no References), with a signature that makes every message complete.
    outcomes = []
    for n in range(30):
        raw = F.plain(AWAY, sender="Pat Jones <pat@contoso.example>",
                      subject="Re: your message", message_id=f"<away{n}@contoso.example>")
        outcomes.append(services.email.receive(raw, "t"))
        clock.advance(minutes=1)
    print(f"30 rounds: {services.store.tickets.count()} tickets, "
          f"{len(replies(services))} replies")
    assert [o.outcome for o in outcomes] == ["ticket"] * 30
    assert services.store.tickets.count() == 30
    assert len(replies(services)) == 10  # [mail] sender_replies per hour
    assert [o.reply for o in outcomes] == ["acknowledgement"] * 10 + [None] * 20
    held = services.store.tickets.get(outcomes[10].ticket or "").events
    [event] = [e for e in held if e.kind == "reply.held"]
    assert event.detail == {"reply": "acknowledgement", "to": "pat@contoso.example",
                            "reason": "10 automatic replies to this address in the last hour"}
    clock.advance(hours=1)  # a new hour: the sender may be answered again
    later = services.email.receive(F.plain(AWAY, sender="Pat Jones <pat@contoso.example>",
                                           subject="Re: your message",
                                           message_id="<away-late@contoso.example>"), "t")
    assert later.reply == "acknowledgement" and len(replies(services)) == 11


def test_one_thread_gets_at_most_its_days_replies_whoever_writes(
        services: Services, clock: Clock) -> None:
    # Colleagues answering one thread (not ours) each open a ticket; the thread gets three
    # acknowledgements a day, not one per message.
    outcomes = []
    for n in range(5):
        raw = F.plain(AWAY.replace("Pat Jones", f"Pat Jones{n}"),
                      sender=f"Pat Jones <pat{n}@contoso.example>", subject="Re: file server",
                      message_id=f"<r{n}@contoso.example>",
                      extra="References: <root@contoso.example>")
        outcomes.append(services.email.receive(raw, "t"))
        clock.advance(minutes=5)
    assert [o.outcome for o in outcomes] == ["ticket"] * 5
    assert [o.reply for o in outcomes] == ["acknowledgement"] * 3 + [None] * 2
    [event] = [e for e in services.store.tickets.get(outcomes[4].ticket or "").events
               if e.kind == "reply.held"]
    assert event.detail["reason"] == "3 automatic replies in this conversation in the last day"


def away(n: int) -> bytes:
    """The auto-responder's answer number `n`, in a thread of its own."""
    return F.plain(AWAY, sender="Pat Jones <pat@contoso.example>", subject="Re: your message",
                   message_id=f"<a{n}@contoso.example>")


def incomplete(n: int) -> bytes:
    """A request we cannot make a ticket of, from the same address."""
    return F.plain("help", sender="Pat Jones <pat@contoso.example>",
                   message_id=f"<short{n}@contoso.example>")


def test_rejections_and_acknowledgements_share_the_senders_cap(services: Services) -> None:
    assert all(services.email.receive(away(n), "t").reply == "acknowledgement"
               for n in range(9))
    assert services.email.receive(incomplete(1), "t").reply == "rejection"  # the tenth
    late = services.email.receive(away(9), "t")
    assert (late.outcome, late.reply) == ("ticket", None)


def test_a_rejection_past_the_cap_is_recorded_without_its_reply(services: Services) -> None:
    assert all(services.email.receive(away(n), "t").reply == "acknowledgement"
               for n in range(10))
    rejected = services.email.receive(incomplete(1), "t")
    assert (rejected.outcome, rejected.reply) == ("rejected", None)
    assert rejected.reason is not None and rejected.reason.endswith(
        "; reply held: 10 automatic replies to this address in the last hour")
    [row] = services.store.rejections.recent()
    assert row.reply_message_id is None and len(replies(services)) == 10
