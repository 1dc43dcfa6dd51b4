"""Plain records going into and coming out of the store, and the domain's vocabulary: the
words every package uses (routes, outcomes, event kinds, outbox kinds, statuses) as StrEnums,
defined once here at the bottom of the import order so `mail/` and `voice/` may use them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    """How a request reached the desk."""

    EMAIL = "email"
    VOICE = "voice"
    PORTAL = "portal"


class Route(StrEnum):
    """The way a request came in, which sets its default priority."""

    EMAIL = "email"  # the support address
    CRITICAL_EMAIL = "critical_email"  # the critical address: P1 and a page, at any hour
    VOICE = "voice"  # standard support by phone (the queue, in hours)
    VOICEMAIL = "voicemail"  # after-hours voicemail, routed to on-call
    CRITICAL_LINE = "critical_line"  # extension 501


class Outcome(StrEnum):
    """What became of one email."""

    TICKET = "ticket"
    UPDATED = "updated"
    REJECTED = "rejected"
    AUTOMATIC = "automatic"
    DUPLICATE = "duplicate"
    ERROR = "error"


def refusal_id(raw: bytes) -> str:
    """The source id of a message refused for good (outcome `error`: nothing to parse, over
    the limits): the digest of its bytes. `messages.seen` counts an error recorded under it,
    so the same bytes again are a duplicate; an error without it (a bug) is tried again."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


class TicketStatus(StrEnum):
    """Where a ticket is in its life."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class OutboxKind(StrEnum):
    """What an outbox item carries."""

    EMAIL = "email"
    PAGE = "page"  # a page request, turned into a page with its own steps by the paging worker
    SMS = "sms"  # one text message through the Twilio REST API
    CALL = "call"  # one outbound call through the Twilio REST API (a masked call-back)
    WEBHOOK = "webhook"  # a signed POST to another help desk (gateway.web.hooks)


class EventKind(StrEnum):
    """Entries of a ticket's timeline, named `<area>.<what happened>`."""

    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    TICKET_STATUS = "ticket.status"
    EMAIL_REPLY = "email.reply"
    ACK_QUEUED = "ack.queued"
    REPLY_HELD = "reply.held"  # an automatic reply not sent: the sender's or thread's cap
    REQUEST_COMPLETED = "request.completed"  # an answer to our reply completed the request
    PAGE_REQUESTED = "page.requested"
    PAGE_NOTIFIED = "page.notified"  # a step of a page: who was sent an SMS and an email
    PAGE_ACKNOWLEDGED = "page.acknowledged"
    PAGE_UNDELIVERED = "page.undelivered"  # Twilio reported an SMS undelivered or failed
    PAGE_EXHAUSTED = "page.exhausted"  # every round went unanswered
    PAGE_FOLLOW_UP = "page.follow_up"  # a transcription sent after the page
    TICKET_LEVEL = "ticket.level"  # the ticket moved to another support level (tier clock)
    CALL_BACK = "call.back"  # a masked call-back from an on-call engineer to the caller
    CALL_MENU = "call.menu"
    CALL_ROUTED = "call.routed"
    CALL_CALLER = "call.caller"
    CALL_DIAL = "call.dial"
    CALL_ANSWERED = "call.answered"
    CALL_ENQUEUED = "call.enqueued"
    CALL_QUEUE_POSITION = "call.queue_position"
    CALL_QUEUE_LEFT = "call.queue_left"
    CALL_VOICEMAIL = "call.voicemail"
    CALL_RECORDING = "call.recording"
    CALL_TRANSCRIPTION = "call.transcription"
    CALL_ENDED = "call.ended"
    CALL_ABANDONED = "call.abandoned"  # the caller hung up at the menu, before choosing
    TICKET_TRIAGED = "ticket.triaged"
    TICKET_NOTE = "ticket.note"
    TICKET_FIRST_RESPONSE = "ticket.first_response"
    TICKET_ESCALATED = "ticket.escalated"
    TICKET_RESOLVED = "ticket.resolved"
    EMAIL_SENT = "email.sent"  # a technician's reply to the requester
    SURVEY_SENT = "survey.sent"
    SURVEY_ANSWERED = "survey.answered"


# Event kinds stored before the one naming scheme, and what they are called now.
RENAMED_EVENT_KINDS = {
    "created": EventKind.TICKET_CREATED,
    "updated": EventKind.TICKET_UPDATED,
    "status": EventKind.TICKET_STATUS,
    "email_reply": EventKind.EMAIL_REPLY,
}

OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
STATUSES = tuple(TicketStatus)


@dataclass(frozen=True)
class NewTicket:
    """What intake knows when it opens a ticket."""

    channel: Channel
    route: Route
    priority: int
    received_at: datetime
    requester_name: str | None = None
    company: str | None = None
    callback_numbers: tuple[str, ...] = ()
    email: str | None = None
    subject: str | None = None
    description: str | None = None
    line: str | None = None
    contact_id: int | None = None
    source_id: str | None = None
    after_hours: bool = False
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    flags: tuple[str, ...] = ()
    field_sources: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One entry of a ticket's timeline."""

    id: int
    at: datetime
    kind: str
    actor: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Ticket:
    """A ticket as stored, with its timeline."""

    id: int
    number: str
    channel: Channel
    route: Route
    status: TicketStatus
    priority: int
    requester_name: str | None
    company: str | None
    callback_numbers: tuple[str, ...]
    email: str | None
    subject: str | None
    description: str | None
    line: str | None
    contact_id: int | None
    source_id: str | None
    received_at: datetime
    after_hours: bool
    first_response_due: datetime | None
    resolution_due: datetime | None
    flags: tuple[str, ...]
    field_sources: dict[str, str]
    created_at: datetime
    updated_at: datetime
    events: tuple[Event, ...] = ()
    # The desk's work on it (migration 0007): who has it, at which on-call level, when it
    # was triaged and first answered, and how it was resolved.
    assignee: str | None = None
    level: int = 1
    triaged_at: datetime | None = None
    first_response_at: datetime | None = None
    resolution: str | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Company:
    """A client company of the directory."""

    id: int
    name: str
    site: str | None
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Contact:
    """A person of the directory, with their company and phone numbers (E.164)."""

    id: int
    email: str | None
    name: str | None
    company: str | None
    company_id: int | None
    phones: tuple[str, ...]


@dataclass(frozen=True)
class ContactRecord:
    """One person as an import file describes them (phones already in E.164)."""

    email: str | None
    name: str | None
    company: str | None
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArchivedMessage:
    """One inbound email (raw bytes) or webhook (parameters) as the archive keeps it."""

    id: int
    channel: str
    source: str
    source_id: str | None
    received_at: datetime
    sha256: str | None
    size: int
    raw: bytes | None
    params: dict[str, Any] | None
    outcome: str | None
    reason: str | None
    ticket_id: int | None


@dataclass(frozen=True)
class PendingMessage:
    """A message a channel accepted, claimed by a decider: its archive row and bytes."""

    row: int
    channel: str
    source: str
    received_at: datetime
    raw: bytes
    recipients: tuple[str, ...]
    attempts: int  # claims so far, this one included


@dataclass(frozen=True)
class Rejection:
    """A message that could not become a ticket, and why."""

    id: int
    message_row: int
    message_id: str | None
    sender: str | None
    missing: tuple[str, ...]
    reason: str | None
    received_at: datetime
    reply_message_id: str | None
    resolved_ticket: str | None


@dataclass(frozen=True)
class OutboxItem:
    """One outbound mail, SMS, call or page waiting in the outbox."""

    id: int
    kind: str
    recipient: str
    payload: dict[str, Any]
    ticket_id: int | None
    dedupe_key: str | None
    status: str
    attempts: int
    next_try_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    message_id: str | None = None
    response: str | None = None  # what the relay or API answered when it was sent
