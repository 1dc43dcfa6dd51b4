"""Page requests: what the on-call engineer must know to act, made the same way by email and
calls, queued durably in the outbox with one dedupe key scheme and a `page.requested` event.

Sending the page (SMS and email, acknowledgement, escalation) is the paging worker's job;
here the request is only made durable, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from store import Store, Ticket
from store.models import EventKind, OutboxKind, Route

ON_CALL = "on-call"  # the recipient when no escalation chain names a first engineer


@dataclass(frozen=True)
class PageRequest:
    """One page for one ticket: who needs a call back, on which numbers, and why."""

    ticket: str  # the SR number
    reason: str  # what asked for it: a route (critical_email, critical_line, voicemail)
    route: Route
    priority: int
    requester_name: str | None
    company: str | None
    email: str | None
    callback_numbers: tuple[str, ...]
    line: str | None
    summary: str  # the subject and the first lines of the description
    transcription: str | None = None  # a voicemail as text, when Twilio sent it
    recording_url: str | None = None

    @classmethod
    def of(cls, ticket: Ticket, reason: str, recording_url: str | None = None) -> PageRequest:
        """The page for `ticket`; a voice ticket's description is the caller's transcription."""
        text = ticket.description or ""
        summary = " - ".join(x for x in (ticket.subject, text[:300]) if x)
        return cls(
            ticket=ticket.number, reason=reason, route=Route(ticket.route),
            priority=ticket.priority, requester_name=ticket.requester_name,
            company=ticket.company, email=ticket.email,
            callback_numbers=tuple(ticket.callback_numbers), line=ticket.line,
            summary=summary[:500],
            transcription=(ticket.description if ticket.channel == "voice" else None),
            recording_url=recording_url,
        )

    @property
    def dedupe_key(self) -> str:
        """One page request per ticket, whichever channel or step asks for it again."""
        return f"page:{self.ticket}"

    def payload(self) -> dict[str, Any]:
        """The outbox item's JSON payload."""
        data = asdict(self)
        data["callback_numbers"] = list(self.callback_numbers)
        return data


def queue_page(store: Store, request: PageRequest, ticket_id: int, at: datetime,
               escalation: tuple[str, ...] = (), stage: str = "",
               start_level: int = 1) -> int | None:
    """Queue the page and note `page.requested` on the ticket; None when this ticket already
    has one (the same request made again: a retry, a second step of the same call). A
    `stage` (a 501 call starting, a triage or tier page) is a page of its own."""
    recipient = escalation[0] if escalation else ON_CALL
    payload = {**request.payload(), "escalation": list(escalation), "start_level": start_level}
    key = request.dedupe_key + (f":{stage}" if stage else "")
    item = store.outbox.enqueue(OutboxKind.PAGE, recipient, payload, at, ticket_id=ticket_id,
                                dedupe_key=key)
    if item is not None:
        store.tickets.add_event(request.ticket, EventKind.PAGE_REQUESTED, at,
                                {"reason": request.reason, "outbox_id": item},
                                dedupe_key=f"{key}:requested")
    return item


def queue_follow_up(store: Store, ticket: Ticket, text: str, sid: str,
                    at: datetime) -> int | None:
    """Queue a transcription that arrived after the ticket was paged, for the paging worker
    to send as information (to whoever acknowledged, else to those paged)."""
    payload = {"ticket": ticket.number, "follow_up": text}
    return store.outbox.enqueue(OutboxKind.PAGE, ON_CALL, payload, at, ticket_id=ticket.id,
                                dedupe_key=f"follow-up:{ticket.number}:{sid}")
