"""The clients' portal: a secret link per company, and a submission turned into a ticket
through the intake service (channel portal)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.core.intake import IntakeService, TicketRequest
from parsers.errors import PhoneNumberError
from parsers.phones import normalise_phone
from store import Store, Ticket
from store.models import Channel, Route

REQUIRED = ("name", "company", "callback_numbers", "description")
LABELS = {"name": "your full name", "company": "your company",
          "callback_numbers": "a call-back number", "description": "a description of the issue"}


def rotate(store: Store, company: str, at: datetime) -> str:
    """Give the company a new portal secret (the old link stops working); return it."""
    secret = secrets.token_urlsafe(18)
    store.portal_links.set(company, secret, at)
    return secret


def link_secret(store: Store, company: str, at: datetime) -> str:
    """The company's portal secret, made on first use."""
    return store.portal_links.secret(company) or rotate(store, company, at)


@dataclass(frozen=True)
class Submission:
    """What the portal form sent."""

    name: str
    company: str
    callback_numbers: str
    description: str
    urgency: int


def missing(sub: Submission, region: str) -> list[str]:
    """The required fields that are empty, or not a phone number where one is wanted."""
    gaps = [f for f in REQUIRED if not str(getattr(sub, f)).strip()]
    if "callback_numbers" not in gaps and not phones(sub.callback_numbers, region):
        gaps.append("callback_numbers")
    return gaps


def phones(text: str, region: str) -> tuple[str, ...]:
    """The E.164 numbers in a comma- or line-separated list; unreadable ones are dropped."""
    found = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        try:
            found.append(normalise_phone(part.strip(), region))
        except PhoneNumberError:
            continue
    return tuple(dict.fromkeys(found))


def submit(intake: IntakeService, sub: Submission, region: str, at: datetime) -> Ticket:
    """Open the ticket at the route's default priority: seed 003 handles portal tickets in
    the order received whatever urgency the client sets, so the urgency is kept as a flag
    for the technician who triages it."""
    return intake.open_ticket(TicketRequest(
        channel=Channel.PORTAL, route=Route.EMAIL, received_at=at,
        requester_name=sub.name.strip(), company=sub.company.strip(),
        callback_numbers=phones(sub.callback_numbers, region),
        subject=sub.description.strip().splitlines()[0][:120],
        description=sub.description.strip(),
        field_sources={f: "portal" for f in ("requester_name", "company", "callback_numbers",
                                             "description")},
        flags=(f"client_urgency_{sub.urgency}",)))


PORTAL_WINDOW = timedelta(hours=1)
