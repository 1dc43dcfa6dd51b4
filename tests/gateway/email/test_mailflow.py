"""gateway.email.pipeline: the decision for each message, what is committed, what is sent back."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_string, policy
from email.message import EmailMessage

import pytest

from gateway.runtime.services import Services
from store import ContactRecord, OutboxItem, StoreError
from tests.helpers import mail as F
from tests.helpers.clock import Clock, chicago


def sent(services: Services) -> list[OutboxItem]:
    return [i for i in services.store.outbox.items() if i.kind == "email"]


def mail(item: OutboxItem) -> EmailMessage:
    msg = message_from_string(item.payload["raw"].replace("\r\n", "\n"), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_a_complete_request_opens_a_ticket_and_is_acknowledged(services: Services) -> None:
    out = services.email.receive(F.LABELLED, "test")
    assert (out.outcome, out.ticket, out.missing, out.reply) == (
        "ticket", "SR-000001", (), "acknowledgement")
    ticket = services.store.tickets.get("SR-000001")
    assert (ticket.requester_name, ticket.company, ticket.priority) == (
        "John Smith", "Contoso Ltd", 4)
    assert ticket.source_id == "<t1@acme.example>" and ticket.email == "jsmith@contoso.example"
    [item] = sent(services)
    reply = mail(item)
    assert reply["Subject"] == "[SR-000001] Re: Help needed"
    assert reply["To"] == "jsmith@contoso.example"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == "<t1@acme.example>"
    assert reply["Message-ID"] == item.message_id
    body = reply.get_content()
    assert "SR-000001" in body and "within 48 business hours" in body
    assert "Contoso Ltd" in body and "+15125550100" in body


def test_after_hours_the_acknowledgement_promises_the_first_response_due_time(
        services: Services, clock: Clock) -> None:
    clock.at = chicago(2026, 11, 25, 18, 0)  # Wednesday evening before Thanksgiving
    out = services.email.receive(F.LABELLED, "test")
    body = " ".join(mail(sent(services)[0]).get_content().split())
    due = services.store.tickets.get(out.ticket or "").first_response_due
    # 48 business hours from Friday 07:00 (Thursday is Thanksgiving): the ticket's own due time.
    assert due == chicago(2026, 12, 3, 15, 0)
    assert ("by Thursday 3 December, 15:00 CST (48 business hours, counted from when the desk"
            " opens on Friday 27 November, 7:00 CST)") in body
    assert "next business day" not in body


def test_the_same_message_twice_makes_nothing_new(services: Services) -> None:
    first = services.email.receive(F.LABELLED, "smtp")
    again = services.email.receive(F.LABELLED, "imap")
    assert first.outcome == "ticket" and again.outcome == "duplicate"
    assert services.store.tickets.count() == 1 and len(sent(services)) == 1


def test_identical_bytes_without_a_message_id_are_a_duplicate(services: Services) -> None:
    raw = F.LABELLED.replace(b"Message-ID: <t1@acme.example>\r\n", b"")
    assert services.email.receive(raw, "test").outcome == "ticket"
    assert services.email.receive(raw, "test").outcome == "duplicate"


def test_an_incomplete_request_is_rejected_with_the_missing_fields(services: Services) -> None:
    out = services.email.receive(F.REPLY_WITH_HISTORY.replace(b"In-Reply-To", b"X-Old"), "t")
    assert out.outcome == "rejected" and out.missing == ("company", "callback_numbers")
    [rejection] = services.store.rejections.recent()
    assert rejection.missing == ("company", "callback_numbers")
    [item] = sent(services)
    assert rejection.reply_message_id == item.message_id
    body = mail(item).get_content()
    assert "your company" in body and "a call-back number" in body
    assert "Company:\nCall-back number(s):" in body and "Full name:" not in body
    assert "joined to your original message" in body


def test_rejection_replies_are_limited_per_sender(services: Services, clock: Clock) -> None:
    assert services.email.receive(F.plain("Help!", message_id="<a@x>"), "t").reply == "rejection"
    clock.at += timedelta(minutes=30)
    out = services.email.receive(F.plain("Help again!", message_id="<b@x>"), "t")
    assert out.outcome == "rejected" and out.reply is None
    clock.at += timedelta(minutes=31)
    assert services.email.receive(F.plain("Still?", message_id="<c@x>"), "t").reply == "rejection"
    assert len(sent(services)) == 2


def test_answering_a_rejection_completes_the_original_request(services: Services) -> None:
    services.email.receive(F.plain("The printer on floor three is jammed again."), "t")
    [rejection] = services.store.rejections.recent()
    answer = F.plain("""
        Company: Acme Dental
        Call-back number(s): 512-555-0134
        """, subject="Re: Help needed", message_id="<answer@acme.example>",
        extra=f"In-Reply-To: {rejection.reply_message_id}")
    out = services.email.receive(answer, "t")
    assert out.outcome == "ticket" and out.missing == ()
    ticket = services.store.tickets.get(out.ticket or "")
    assert ticket.description == "The printer on floor three is jammed again."
    assert (ticket.company, ticket.callback_numbers) == ("Acme Dental", ("+15125550134",))
    assert ticket.field_sources["description"].startswith("original")
    assert services.store.rejections.recent()[0].resolved_ticket == ticket.number
    # A second answer to the same rejection lands on the ticket it opened.
    again = F.plain("One more detail: it also smells burnt.", message_id="<answer2@acme.example>",
                    extra=f"In-Reply-To: {rejection.reply_message_id}")
    assert services.email.receive(again, "t").outcome == "updated"


@pytest.mark.parametrize("how", ["in-reply-to", "subject"])
def test_a_reply_about_a_ticket_updates_it(services: Services, how: str) -> None:
    services.email.receive(F.LABELLED, "t")
    services.store.tickets.set_status("SR-000001", "resolved", services.clock())
    ack = sent(services)[0].message_id
    extra = f"In-Reply-To: {ack}" if how == "in-reply-to" else ""
    subject = "Re: Help needed" if how == "in-reply-to" else "Re: [sr-1] Help needed"
    # The ticket's requester writes (an SR number alone counts only from someone entitled
    # to the ticket: tests/gateway/email/test_conversations.py).
    out = services.email.receive(F.plain("It is broken again.", subject=subject,
                                         sender="John Smith <jsmith@contoso.example>",
                                         message_id="<u1@acme.example>", extra=extra), "t")
    assert (out.outcome, out.ticket) == ("updated", "SR-000001")
    ticket = services.store.tickets.get("SR-000001")
    assert ticket.status == "open"
    assert any(e.kind == "email.reply" and e.detail["text"] == "It is broken again."
               for e in ticket.events)
    assert services.store.tickets.count() == 1 and len(sent(services)) == 1


def test_a_bounce_quoting_our_acknowledgement_never_touches_the_ticket(
        services: Services) -> None:
    services.email.receive(F.LABELLED, "t")
    before = services.store.tickets.get("SR-000001")
    out = services.email.receive(F.bounce(quoting=sent(services)[0].message_id or ""), "t")
    assert out.outcome == "automatic" and out.reply is None
    assert services.store.tickets.get("SR-000001").events == before.events
    assert len(sent(services)) == 1


@pytest.mark.parametrize("raw", [F.OUT_OF_OFFICE, F.AUTO_SUBMITTED, F.LIST_MAIL, F.BULK])
def test_automatic_mail_is_kept_and_never_answered(services: Services, raw: bytes) -> None:
    out = services.email.receive(raw, "t")
    assert out.outcome == "automatic" and out.ticket is None and out.reply is None
    assert sent(services) == [] and services.store.tickets.count() == 0
    row = services.store.messages.get(1)
    assert row.raw == raw and row.outcome == "automatic"


def test_mail_to_the_critical_address_opens_a_critical_ticket_and_pages(
        services: Services, clock: Clock) -> None:
    clock.at = chicago(2026, 11, 28, 3, 0)  # Saturday night
    raw = F.plain("Payroll server is down for everyone!").replace(
        b"To: support@desk.example", b"To: critical@desk.example")
    out = services.email.receive(raw, "t")
    assert out.outcome == "ticket" and out.page and out.missing == ("company", "callback_numbers")
    ticket = services.store.tickets.get(out.ticket or "")
    assert ticket.priority == 1 and ticket.route == "critical_email"
    assert "incomplete" in ticket.flags and "after_hours" in ticket.flags
    [page] = [i for i in services.store.outbox.items() if i.kind == "page"]
    assert page.payload["ticket"] == ticket.number and page.ticket_id == ticket.id
    assert "within one hour" in mail(sent(services)[0]).get_content()


def test_the_envelope_recipient_decides_the_critical_route(services: Services) -> None:
    out = services.email.receive(F.LABELLED, "smtp", recipients=["Critical@Desk.example"])
    assert services.store.tickets.get(out.ticket or "").priority == 1


def test_directory_fills_what_the_mail_lacks(services: Services) -> None:
    services.store.directory.upsert_contact(ContactRecord(
        email="jane.doe@acme.example", name="Jane Doe", company="Acme Dental",
        phones=("+15125550134",)), services.clock())
    out = services.email.receive(F.plain("The printer on floor three is jammed again."), "t")
    assert out.outcome == "ticket"
    assert out.fields.sources["company"] == "directory"
    assert out.fields.callback_numbers == ("+15125550134",)


def test_a_domain_in_the_directory_names_the_company(services: Services) -> None:
    services.store.directory.upsert_company("Acme Dental", services.clock(), ("acme.example",))
    out = services.email.receive(F.plain("Printer jammed on floor three. Call 512-555-0134."),
                                 "t")
    assert (out.outcome, out.fields.company) == ("ticket", "Acme Dental")
    assert out.fields.sources["company"] == "directory_domain"


@pytest.mark.parametrize("sender", ["not an address", "support@desk.example"])
def test_no_reply_to_an_invalid_or_own_address(services: Services, sender: str) -> None:
    out = services.email.receive(F.plain("Help me with the printer please.", sender=sender), "t")
    assert out.reply is None and sent(services) == []


def test_no_header_is_built_from_unchecked_input(services: Services) -> None:
    raw = F.LABELLED.replace(b"Subject: Help needed",
                             b"Subject: =?utf-8?Q?Hi=0D=0ABcc:_victim@evil.example?=")
    services.email.receive(raw, "t")
    reply = mail(sent(services)[0])
    assert reply["Bcc"] is None and "\n" not in str(reply["Subject"])


def test_a_dry_run_decides_and_writes_nothing(services: Services) -> None:
    out = services.email.receive(F.LABELLED, "t", dry_run=True)
    assert out.outcome == "ticket" and out.ticket is None
    assert services.store.tickets.count() == 0 and services.store.outbox.items() == []
    assert services.email.receive(F.LABELLED, "t", dry_run=True).outcome == "duplicate"


def test_a_failure_while_committing_keeps_the_raw_and_commits_nothing_else(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(services.store.outbox, "enqueue", down)
    with pytest.raises(StoreError):
        services.email.receive(F.LABELLED, "smtp")
    assert services.store.tickets.count() == 0
    assert services.store.messages.get(1).raw == F.LABELLED
    monkeypatch.undo()
    # The sender retries (SMTP 451): now it goes through, once.
    assert services.email.receive(F.LABELLED, "smtp").outcome == "ticket"
    assert services.store.tickets.count() == 1 and len(sent(services)) == 1


def test_a_20_mb_message_is_archived_whole(services: Services) -> None:
    raw = F.big_attachment()
    out = services.email.receive(raw, "t")
    assert out.outcome == "ticket"
    assert services.store.messages.get(1).size == len(raw)


def test_random_bytes_are_kept_with_a_precise_error(services: Services) -> None:
    out = services.email.receive(F.RANDOM_BYTES, "t")
    assert out.outcome == "error" and "no headers" in (out.reason or "")
    row = services.store.messages.get(1)
    assert row.raw == F.RANDOM_BYTES and row.outcome == "error"


def test_a_display_name_never_chooses_who_is_answered(services: Services) -> None:
    # Issue 22: the decoded display name held "To: ceo@victim.example", a directory contact.
    services.store.directory.upsert_contact(ContactRecord(
        email="ceo@victim.example", name="Vic Tim", company="Victim Inc",
        phones=("+15125550134",)), services.clock())
    raw = F.plain("The printer on floor three is jammed again.",
                  sender="=?utf-8?q?x=0D=0ATo:_ceo@victim.example?= <mallory@attacker.example>")
    out = services.email.receive(raw, "t")
    assert "directory" not in out.fields.sources.values()
    assert [i.recipient for i in sent(services)] == ["mallory@attacker.example"]


def test_a_from_without_an_address_is_never_answered_and_is_flagged(
        services: Services) -> None:
    raw = F.LABELLED.replace(b"From: jsmith@contoso.example",
                             b"From: John Smith jsmith contoso\r\nReply-To: jsmith@contoso.example")
    out = services.email.receive(raw, "t")
    assert (out.outcome, out.reply) == ("ticket", None) and sent(services) == []
    ticket = services.store.tickets.get(out.ticket or "")
    assert "unreadable_sender" in ticket.flags and ticket.email is None
    assert "no sender, never answered" in (out.reason or "")


def test_control_characters_in_references_never_reach_our_reply(services: Services) -> None:
    raw = F.LABELLED.replace(b"Message-ID: <t1@acme.example>", b"Message-ID: <t1@acme.example>"
                             b"\r\nReferences: <a\x01b@x.example> <ok@x.example> <c\x00d@x>")
    services.email.receive(raw, "t")
    reply = mail(sent(services)[0])
    assert reply["References"] == "<ok@x.example> <t1@acme.example>"
    assert reply["In-Reply-To"] == "<t1@acme.example>"


def test_a_message_over_the_parsing_limits_is_kept_and_decided_once_as_an_error(
        services: Services) -> None:
    raw = F.plain("Printer down.", sender=". " * 20000, message_id="<poison@b.example>")
    row = services.email.accept(raw, "smtp:test")
    now = services.clock()
    [item] = services.store.pending.claim("d", now, timedelta(seconds=30))
    out = services.email.decide_pending(item, "d")
    assert out is not None and (out.outcome, out.message_id) == ("error", "<poison@b.example>")
    assert "message over the parsing limits: From header of 40,001 bytes" in (out.reason or "")
    assert services.store.messages.get(row).raw == raw  # kept for a person
    assert services.store.pending.claim("e", now + timedelta(hours=1),
                                        timedelta(seconds=30)) == []  # never tried again


def test_a_message_over_the_limits_delivered_again_is_a_duplicate_not_a_second_error(
        services: Services) -> None:
    raw = F.plain("Printer down.", sender=". " * 20000, message_id="<poison@b.example>")
    first = services.email.receive(raw, "smtp:test")
    assert first.outcome == "error" and "over the parsing limits" in (first.reason or "")
    # An MTA's retry and an IMAP re-fetch: the same bytes, recognised before parsing.
    again = services.email.receive(raw, "smtp:test")
    row = services.email.accept(raw, "imap:test")
    [item] = services.store.pending.claim("d", services.clock(), timedelta(seconds=30))
    fetched = services.email.decide_pending(item, "d")
    assert fetched is not None
    assert (again.outcome, fetched.outcome) == ("duplicate", "duplicate")
    assert again.reason == "already received (message 1)" == fetched.reason
    outcomes = [services.store.messages.get(n).outcome for n in range(1, row + 1)]
    assert outcomes == ["error", "duplicate", "duplicate"]  # one error row, kept for a person
    # Another message under the same Message-ID is not taken for it: it is decided itself.
    fixed = F.plain("Printer down.", sender="Jane Doe <jane.doe@acme.example>",
                    message_id="<poison@b.example>")
    assert services.email.receive(fixed, "smtp:test").outcome == "rejected"


def test_a_message_left_as_an_error_by_dying_deciders_is_decided_when_it_comes_again(
        services: Services) -> None:
    services.email.accept(F.LABELLED, "smtp:test")
    now = services.clock()
    for n in range(4):  # each claim's decider died: its lease ran out
        [item] = services.store.pending.claim("d", now + timedelta(minutes=n),
                                              timedelta(seconds=30))
    out = services.email.decide_pending(item, "d")
    assert out is not None and out.outcome == "error" and "attempts" in (out.reason or "")
    # Not a refusal of these bytes: the same message again is decided, not a duplicate.
    assert services.email.receive(F.LABELLED, "imap:test").outcome == "ticket"


def test_a_duplicate_is_recognised_before_its_bytes_are_parsed(services: Services) -> None:
    assert services.email.receive(F.LABELLED, "t").outcome == "ticket"
    # The same Message-ID again, with a From that parsing would refuse as over the limits:
    # it is found a duplicate first, so nothing of it is parsed.
    again = F.LABELLED.replace(b"From: jsmith@contoso.example", b"From: " + b". " * 20000)
    out = services.email.receive(again, "t")
    assert (out.outcome, out.message_id) == ("duplicate", "<t1@acme.example>")
