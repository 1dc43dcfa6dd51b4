"""A technician turns a rejected message into a ticket by filling the gaps the sender left."""

from __future__ import annotations

from gateway.core.intake import TicketRequest
from gateway.desk.portal import Submission, missing, phones
from gateway.runtime.services import Services
from parsers.message import parse_message
from store import Rejection, Ticket
from store.models import Channel, EventKind, Outcome, Route


class Incomplete(ValueError):
    """The technician's fields still miss something; `gaps` names what."""

    def __init__(self, gaps: list[str]) -> None:
        super().__init__(", ".join(gaps))
        self.gaps = gaps


def original_text(services: Services, rejection: Rejection) -> tuple[str, str]:
    """The rejected message's subject and text (never its HTML)."""
    raw = services.store.messages.get(rejection.message_row).raw or b""
    parsed = parse_message(raw)
    return parsed.subject, parsed.text


def complete(services: Services, rejection: Rejection, sub: Submission, actor: str) -> Ticket:
    """Open the ticket from the technician's fields, linked to the message and rejection."""
    region = services.config.desk.phone_region
    gaps = missing(sub, region)
    if gaps:
        raise Incomplete(gaps)
    subject, _ = original_text(services, rejection)
    now = services.clock()
    ticket = services.intake.open_ticket(TicketRequest(
        channel=Channel.EMAIL, route=Route.EMAIL, received_at=rejection.received_at,
        requester_name=sub.name.strip(), company=sub.company.strip(),
        callback_numbers=phones(sub.callback_numbers, region), email=rejection.sender,
        subject=subject[:500] or None, description=sub.description.strip(),
        source_id=rejection.message_id, flags=("completed_by_technician",),
        field_sources={f: "technician" for f in ("requester_name", "company",
                                                 "callback_numbers", "description")}))
    services.store.rejections.resolve(rejection.id, ticket.id, now)
    services.store.messages.set_outcome(rejection.message_row, Outcome.TICKET,
                                        "completed by a technician", ticket_id=ticket.id)
    services.store.tickets.add_event(ticket.number, EventKind.TICKET_NOTE, now,
                                     {"text": f"Opened from rejection {rejection.id}",
                                      "source": "desk"}, actor=actor)
    return ticket
