"""Committing a decision, inside the pipeline's one transaction: the ticket, the update or
the rejection, and the mail and page they queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from gateway.core.intake import IntakeService, TicketRequest
from gateway.email import replies
from gateway.email.answers import Conversation, may_reply
from gateway.email.outcome import Decision, EmailOutcome
from gateway.email.threads import Sender
from gateway.outbound.compose import OutgoingEmail, queue_email
from gateway.outbound.replycaps import count_reply, held_reason, thread_key
from gateway.outbound.pages import PageRequest, queue_page
from parsers.message import ParsedMessage
from store import Ticket
from store.models import Channel, EventKind, Outcome, Route, TicketStatus


def rejection_reply(intake: IntakeService, sender: Sender, talk: Conversation | None,
                    now: datetime) -> str | None:
    """"rejection" when a reply naming what is missing may go: unsolicited mail gets one per
    sender per `rejection_interval`; an answer in a conversation gets one while the
    conversation is under its daily cap (no loop can form either way)."""
    if not sender.reply_to:
        return None
    if talk is not None:
        return "rejection" if may_reply(talk, now, intake.config) else None
    since = now - intake.config.mail.rejection_interval
    if intake.store.rejections.count_since(sender.reply_to, since, replied_only=True):
        return None
    return "rejection"


class Committer:
    """Writes what a decision says, through the store's open transaction."""

    def __init__(self, intake: IntakeService) -> None:
        self.intake = intake
        self.store = intake.store
        self.config = intake.config

    def open(self, decision: Decision, parsed: ParsedMessage, now: datetime) -> EmailOutcome:
        """Open the ticket, acknowledge it, page for critical mail."""
        result, sender, talk = decision.outcome, decision.sender, decision.conversation
        assert sender is not None
        first = talk.first if talk is not None else None
        subject = (first or parsed).subject  # a completed request keeps its first subject
        source_id = (first.message_id if first is not None else None) or decision.source_id
        fields = result.fields
        ticket = self.intake.open_ticket(TicketRequest(
            channel=Channel.EMAIL, route=decision.route, received_at=now,
            requester_name=fields.requester_name, company=fields.company,
            callback_numbers=fields.callback_numbers, email=sender.requester,
            subject=subject[:500] or None, description=fields.description,
            contact_id=sender.contact_id(self.store), source_id=source_id,
            flags=(("incomplete",) if result.missing else ()) + decision.flags,
            field_sources=fields.sources,
        ))
        if talk is not None:
            self._completed(ticket, talk, parsed, now)
        if result.reply and sender.reply_to:
            thread = thread_key(parsed)
            held = held_reason(self.store, self.config, sender.reply_to, thread, now)
            if held is None:
                count_reply(self.store, sender.reply_to, thread, now)
                self.send(replies.acknowledgement(
                    ticket, fields, sender.reply_to, subject, parsed.message_id,
                    parsed.references, self.config, self.intake.calendar), now, ticket.id,
                    f"ack:{decision.source_id}")
            else:
                self.store.tickets.add_event(ticket.number, EventKind.REPLY_HELD, now, detail={
                    "reply": "acknowledgement", "to": sender.reply_to, "reason": held})
                result = replace(result, reply=None)
        if result.page:
            queue_page(self.store, PageRequest.of(ticket, Route.CRITICAL_EMAIL), ticket.id, now,
                       self.config.voice.escalation)
        return replace(result, ticket=ticket.number, ticket_id=ticket.id)

    def _completed(self, ticket: Ticket, talk: Conversation, answer: ParsedMessage,
                   now: datetime) -> None:
        """The conversation's rejections resolved by the ticket, and both times on it."""
        for rejection in talk.rejections:
            self.store.rejections.resolve(rejection.id, ticket.id, now)
        first = talk.first
        self.store.tickets.add_event(ticket.number, EventKind.REQUEST_COMPLETED, now, detail={
            "first_received_at": talk.first_received.isoformat(),
            "completed_at": now.isoformat(),
            "first_message_id": first.message_id if first is not None else None,
            "answer_message_id": answer.message_id,
            "answers": len(talk.rejections),
        }, actor=ticket.email)

    def update(self, decision: Decision, parsed: ParsedMessage, now: datetime) -> EmailOutcome:
        """Add the message to its ticket's timeline; reopen a resolved ticket."""
        number, sender = decision.ticket_number, decision.sender
        assert number is not None and sender is not None
        added = self.store.tickets.add_event(
            number, EventKind.EMAIL_REPLY, now,
            detail={"message_id": parsed.message_id, "from": sender.address,
                    "subject": parsed.subject[:500], "text": parsed.body.new[:20_000],
                    "attachments": [{"name": a.name, "type": a.content_type, "size": a.size}
                                    for a in parsed.attachments]},
            actor=sender.address, dedupe_key=f"email:{decision.source_id}",
        )
        if not added:
            return replace(decision.outcome, outcome=Outcome.DUPLICATE,
                           reason=f"already added to {number}")
        ticket = self.store.tickets.get(number, events=False)
        if ticket.status == TicketStatus.RESOLVED:
            # The client answered after we resolved it: it is not resolved for them.
            self.store.tickets.set_status(number, TicketStatus.OPEN, now, actor=sender.address)
        return replace(decision.outcome, ticket_id=ticket.id)

    def reject(self, row: int, decision: Decision, parsed: ParsedMessage, now: datetime
               ) -> EmailOutcome:
        """Record the rejection and queue the reply naming what is missing, if one may go."""
        result, sender, talk = decision.outcome, decision.sender, decision.conversation
        assert sender is not None
        reply_id = None
        # Checked again inside the transaction, so two messages at once get one reply.
        result = replace(result, reply=rejection_reply(self.intake, sender, talk, now))
        thread = thread_key(parsed)
        held = held_reason(self.store, self.config, sender.reply_to, thread, now) if (
            result.reply and sender.reply_to) else None
        if held is not None:
            result = replace(result, reply=None, reason=f"{result.reason}; reply held: {held}")
        if result.reply and sender.reply_to:
            count_reply(self.store, sender.reply_to, thread, now)
            reply_id = self.send(replies.rejection(
                list(result.missing), result.fields, sender.reply_to, parsed.subject,
                parsed.message_id, parsed.references, self.config, again=talk is not None),
                now, None, f"reject:{decision.source_id}")
        self.store.rejections.add(
            row, now, list(result.missing), sender=sender.reply_to or sender.address,
            message_id=parsed.message_id, reason=result.reason, reply_message_id=reply_id)
        return replace(result, reply=result.reply if reply_id else None)

    def ticket_id(self, result: EmailOutcome) -> int | None:
        """The row of the outcome's ticket: the one just opened or updated, else read."""
        if result.ticket_id is not None or not result.ticket:
            return result.ticket_id
        return self.store.tickets.get(result.ticket, events=False).id

    def send(self, email: OutgoingEmail, now: datetime, ticket_id: int | None,
             key: str) -> str | None:
        """Queue one outgoing mail in the outbox; its Message-ID."""
        return queue_email(self.store, self.config.mail.support_address, self.config.desk.name,
                           email, now, ticket_id=ticket_id, dedupe_key=key)
