"""The decisions clients meet in a conversation: who may add to a ticket by its SR number,
answers to our rejections that are still incomplete, and requests completed by an answer."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_string, policy
from email.message import EmailMessage

import pytest

from gateway.runtime.services import Services
from gateway.web.present import ticket_json
from store import ContactRecord, OutboxItem
from tests.helpers import mail as F
from tests.helpers.clock import Clock, chicago


def sent(services: Services) -> list[OutboxItem]:
    return [i for i in services.store.outbox.items() if i.kind == "email"]


def body_of(item: OutboxItem) -> str:
    msg = message_from_string(item.payload["raw"].replace("\r\n", "\n"), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return " ".join(msg.get_content().split())


COMPLETE = """
    The shared printer on the second floor prints blank pages since this morning.

    {name}
    {company}
    512-555-0171
    """


def by_subject(sender: str, name: str = "Ann Lee", company: str = "Contoso Ltd",
               message_id: str = "<s1@x.example>") -> bytes:
    """A complete request whose subject names SR-000001."""
    return F.plain(COMPLETE.format(name=name, company=company), sender=sender,
                   subject="Re: [SR-000001] Help needed", message_id=message_id)


@pytest.fixture
def ticket(services: Services) -> str:
    """SR-000001, opened by John Smith of Contoso (jsmith@contoso.example)."""
    assert services.email.receive(F.LABELLED, "t").ticket == "SR-000001"
    return "SR-000001"


@pytest.mark.parametrize("sender", [
    "John Smith <JSmith@Contoso.example>",  # the requester, any case
    "Ann Lee <ann.lee@contoso.example>",  # an address at the requester's company domain
])
def test_the_requester_or_their_company_may_update_by_sr_number(
        services: Services, ticket: str, sender: str) -> None:
    out = services.email.receive(by_subject(sender), "t")
    assert (out.outcome, out.ticket) == ("updated", ticket)
    assert services.store.tickets.count() == 1


def test_a_directory_contact_of_the_company_may_update_by_sr_number(
        services: Services, ticket: str) -> None:
    services.store.directory.upsert_contact(ContactRecord(
        email="ann@contoso-partner.example", name="Ann Lee", company="Contoso Ltd"),
        services.clock())
    out = services.email.receive(by_subject("Ann Lee <ann@contoso-partner.example>"), "t")
    assert (out.outcome, out.ticket) == ("updated", ticket)


@pytest.mark.parametrize("sender", [
    "Bob Stone <bob.stone@gmail.com>",  # a stranger
    "Eve Grey <eve@fabrikam.example>",  # another company
])
def test_anyone_else_opens_a_new_request_flagged_for_a_technician(
        services: Services, ticket: str, sender: str) -> None:
    out = services.email.receive(by_subject(sender, "Bob Stone", "Fabrikam Inc"), "t")
    assert out.outcome == "ticket" and out.ticket == "SR-000002"
    assert "mentions SR-000001" in (out.reason or "")
    new = services.store.tickets.get("SR-000002")
    assert "unverified_reference" in new.flags and "references:SR-000001" in new.flags
    assert not any(e.kind == "email.reply" for e in services.store.tickets.get(ticket).events)


def test_webmail_is_no_company_domain(services: Services) -> None:
    first = F.plain(COMPLETE.format(name="Ann Lee", company="Lee Studio"),
                    sender="Ann Lee <ann.lee@gmail.com>", message_id="<g1@gmail.com>")
    assert services.email.receive(first, "t").ticket == "SR-000001"
    out = services.email.receive(by_subject("Bob Stone <bob.stone@gmail.com>", "Bob Stone",
                                            "Stone Bakery"), "t")
    assert out.outcome == "ticket" and out.ticket == "SR-000002"


def test_an_incomplete_stranger_is_rejected_and_the_reason_names_the_reference(
        services: Services, ticket: str) -> None:
    raw = F.plain("Any news on this?", sender="Bob Stone <bob.stone@gmail.com>",
                  subject="Re: [SR-000001] Help needed", message_id="<s2@x.example>")
    out = services.email.receive(raw, "t")
    assert out.outcome == "rejected" and "mentions SR-000001" in (out.reason or "")


def first_request(services: Services) -> str:
    """An incomplete first request; the Message-ID of our reply to it."""
    services.email.receive(F.plain("The printer on floor three is jammed again.",
                                   subject="Printer jammed", message_id="<first@acme.example>"),
                           "t")
    [rejection] = services.store.rejections.recent()
    assert rejection.reply_message_id is not None
    return rejection.reply_message_id


def answer(reply_id: str, text: str, n: int) -> bytes:
    return F.plain(text, subject="Re: Printer jammed", message_id=f"<answer{n}@acme.example>",
                   extra=f"In-Reply-To: {reply_id}")


def test_an_answer_still_incomplete_is_told_what_is_still_missing(
        services: Services, clock: Clock) -> None:
    reply_id = first_request(services)
    clock.advance(minutes=5)  # well inside the per-sender hour
    out = services.email.receive(answer(reply_id, "Company: Acme Dental", 1), "t")
    assert (out.outcome, out.missing, out.reply) == ("rejected", ("callback_numbers",),
                                                     "rejection")
    second = body_of(sent(services)[-1])
    assert "still does not include" in second and "a call-back number" in second
    assert "your company" not in second
    # The sender answers that reply too, and the request is complete.
    newest = services.store.rejections.recent()[0].reply_message_id or ""
    done = services.email.receive(answer(newest, "Call-back number: 512-555-0134", 2), "t")
    assert done.outcome == "ticket"
    ticket = services.store.tickets.get(done.ticket or "")
    assert (ticket.company, ticket.callback_numbers) == ("Acme Dental", ("+15125550134",))
    assert all(r.resolved_ticket == ticket.number for r in services.store.rejections.recent())


def test_a_conversation_gets_at_most_three_replies_a_day(
        services: Services, clock: Clock) -> None:
    reply_id = first_request(services)
    replies = []
    for n in range(1, 5):
        clock.advance(minutes=1)
        out = services.email.receive(answer(reply_id, "Still broken, please help.", n), "t")
        replies.append(out.reply)
        reply_id = services.store.rejections.recent()[0].reply_message_id or reply_id
    # The first reply, then two answers answered: three replies; the fourth answer none.
    assert replies == ["rejection", "rejection", None, None]
    assert len(sent(services)) == 3
    clock.advance(days=1)
    assert services.email.receive(answer(reply_id, "Still broken.", 9), "t").reply == "rejection"


def test_a_request_completed_by_an_answer_keeps_its_first_subject_and_message_id(
        services: Services, clock: Clock) -> None:
    clock.at = chicago(2026, 11, 24, 9, 0)
    reply_id = first_request(services)
    clock.at = chicago(2026, 11, 24, 15, 30)
    out = services.email.receive(answer(reply_id, """
        Company: Acme Dental
        Call-back number(s): 512-555-0134
        """, 1), "t")
    ticket = services.store.tickets.get(out.ticket or "")
    assert (ticket.subject, ticket.source_id) == ("Printer jammed", "<first@acme.example>")
    # The SLA clock starts when the request became complete: 48 business hours from 15:30.
    assert ticket.received_at == chicago(2026, 11, 24, 15, 30)
    assert ticket.first_response_due == services.calendar.add_business_time(
        chicago(2026, 11, 24, 15, 30), timedelta(hours=48))
    shown = ticket_json(ticket, services.sla)
    assert shown["first_received_at"].startswith("2026-11-24T09:00")
    assert shown["received_at"].startswith("2026-11-24T15:30")
    [completed] = [e for e in ticket.events if e.kind == "request.completed"]
    assert completed.detail["first_message_id"] == "<first@acme.example>"
    ack = sent(services)[-1]
    assert "Printer jammed" in ack.payload["raw"] and ticket.number in ack.payload["raw"]
