"""Working a ticket: triage, notes, replies by email, first response, escalation, resolution
with a signed single-use survey, closing. Pages and API both come through here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from gateway.outbound.compose import OutgoingEmail, queue_email
from gateway.runtime.services import Services
from store import Ticket
from store.models import EventKind, TicketStatus

MAX_LEVEL = 3  # the on-call levels


class WorkError(ValueError):
    """A change the desk refuses (unknown value, wrong state); the message says why."""


@dataclass(frozen=True)
class Triage:
    """What a technician decides when triaging."""

    priority: int
    level: int
    assignee: str | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DeskWork:
    """The desk's actions on tickets, each recorded on the timeline with who did it."""

    def __init__(self, services: Services, secret_key: str) -> None:
        self.s = services
        self.store = services.store
        self._signer = URLSafeSerializer(secret_key, salt="survey")

    def _now(self) -> datetime:
        return self.s.clock()

    def _changed(self, number: str) -> Ticket:
        # Webhooks follow the timeline (gateway.desk.webhooks), so every channel's changes
        # reach them, not only the desk's.
        return self.store.tickets.get(number)

    def triage(self, number: str, actor: str, choice: Triage) -> Ticket:
        """Set priority, level and assignee; due times follow the priority; new -> open."""
        if choice.priority not in (1, 2, 3, 4) or not 1 <= choice.level <= MAX_LEVEL:
            raise WorkError("priority is 1-4 and level 1-3")
        ticket = self.store.tickets.get(number)
        due = self.s.sla.due(choice.priority, ticket.received_at)
        changes: dict[str, Any] = {
            "priority": choice.priority, "level": choice.level,
            "assignee": choice.assignee or None,
            "first_response_due": due.first_response, "resolution_due": due.resolution,
            "triaged_at": ticket.triaged_at or self._now()}
        self.store.tickets.update(number, self._now(), changes, kind=EventKind.TICKET_TRIAGED,
                                  detail={"priority": choice.priority, "level": choice.level,
                                          "assignee": choice.assignee or None}, actor=actor)
        if ticket.status == TicketStatus.NEW:
            self.store.tickets.set_status(number, TicketStatus.OPEN, self._now(), actor)
        return self._changed(number)

    def note(self, number: str, actor: str, text: str, source: str = "desk") -> Ticket:
        """Add a note to the timeline."""
        if not text.strip():
            raise WorkError("a note needs text")
        self.store.tickets.add_event(number, EventKind.TICKET_NOTE, self._now(),
                                     {"text": text.strip(), "source": source}, actor=actor)
        return self._changed(number)

    def reply(self, number: str, actor: str, text: str) -> Ticket:
        """Email the requester, threaded on the message that opened the ticket."""
        ticket = self.store.tickets.get(number)
        if not ticket.email:
            raise WorkError("the ticket has no email address to reply to")
        if not text.strip():
            raise WorkError("a reply needs text")
        message_id = self._mail(ticket, f"Re: [{ticket.number}] {ticket.subject or 'your request'}",
                                text.strip())
        self.store.tickets.add_event(number, EventKind.EMAIL_SENT, self._now(),
                                     {"to": ticket.email, "message_id": message_id,
                                      "text": text.strip()}, actor=actor)
        if ticket.first_response_at is None:
            self.first_response(number, actor)
        return self._changed(number)

    def _mail(self, ticket: Ticket, subject: str, text: str) -> str | None:
        thread = ticket.source_id if ticket.channel == "email" else None
        email = OutgoingEmail(to=ticket.email or "", subject=subject, text=text,
                              in_reply_to=thread, references=(thread,) if thread else (),
                              auto_submitted="no")
        return queue_email(self.store, self.s.config.mail.support_address,
                           self.s.config.desk.name, email, self._now(), ticket_id=ticket.id)

    def first_response(self, number: str, actor: str) -> Ticket:
        """Mark that the requester has had a first response now."""
        self.store.tickets.update(number, self._now(), {"first_response_at": self._now()},
                                  kind=EventKind.TICKET_FIRST_RESPONSE, actor=actor)
        return self._changed(number)

    def escalate(self, number: str, actor: str) -> Ticket:
        """Move the ticket one on-call level up."""
        ticket = self.store.tickets.get(number)
        if ticket.level >= MAX_LEVEL:
            raise WorkError(f"the ticket is already at level {MAX_LEVEL}")
        self.store.tickets.update(number, self._now(), {"level": ticket.level + 1},
                                  kind=EventKind.TICKET_ESCALATED,
                                  detail={"level": ticket.level + 1}, actor=actor)
        return self._changed(number)

    def resolve(self, number: str, actor: str, resolution: str, public_url: str) -> Ticket:
        """Resolve with an explanation, emailed to the requester with a survey link."""
        ticket = self.store.tickets.get(number)
        if not resolution.strip():
            raise WorkError("a resolution needs an explanation")
        if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise WorkError(f"the ticket is already {ticket.status}")
        self.store.tickets.update(number, self._now(), {"resolution": resolution.strip(),
                                                        "resolved_at": self._now()},
                                  kind=EventKind.TICKET_RESOLVED, actor=actor)
        self.store.tickets.set_status(number, TicketStatus.RESOLVED, self._now(), actor)
        if ticket.email:
            self._send_survey(ticket, resolution.strip(), public_url)
        return self._changed(number)

    def _send_survey(self, ticket: Ticket, resolution: str, public_url: str) -> None:
        token = self._signer.dumps({"ticket": ticket.number, "nonce": secrets.token_hex(8)})
        self.store.surveys.create(_token_hash(token), ticket.id, self._now())
        link = f"{public_url}/survey/{token}"
        text = (f"Your request {ticket.number} is resolved.\n\nResolution:\n{resolution}\n\n"
                f"How satisfied are you with how we handled it? One click, 1 to 5:\n{link}\n")
        message_id = self._mail(ticket, f"Resolved: [{ticket.number}] "
                                f"{ticket.subject or 'your request'}", text)
        self.store.tickets.add_event(ticket.number, EventKind.SURVEY_SENT, self._now(),
                                     {"to": ticket.email, "message_id": message_id})

    def close(self, number: str, actor: str) -> Ticket:
        """Close the ticket."""
        self.store.tickets.set_status(number, TicketStatus.CLOSED, self._now(), actor)
        return self._changed(number)

    def set_status(self, number: str, actor: str, status: str) -> Ticket:
        """Move the ticket to any status (the API's PATCH)."""
        if status not in tuple(TicketStatus):
            raise WorkError(f"unknown status {status!r}")
        self.store.tickets.set_status(number, status, self._now(), actor)
        return self._changed(number)

    def survey_ticket(self, token: str) -> str | None:
        """The ticket number a survey link is for, if its signature holds and it is unanswered."""
        try:
            data = self._signer.loads(token)
        except BadSignature:
            return None
        survey = self.store.surveys.get(_token_hash(token))
        if survey is None or survey.answered_at is not None:
            return None
        return str(data["ticket"])

    def answer_survey(self, token: str, answer: int) -> str | None:
        """Record a survey's answer once; the ticket's number, or None if refused."""
        number = self.survey_ticket(token)
        if number is None or answer not in range(1, 6):
            return None
        if not self.store.surveys.answer(_token_hash(token), answer, self._now()):
            return None
        self.store.tickets.add_event(number, EventKind.SURVEY_ANSWERED, self._now(),
                                     {"answer": answer}, actor="requester")
        return number
