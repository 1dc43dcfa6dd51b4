"""The queue as the page shows it: filters, search (phone numbers in any format) and each
row's clocks (triage, first response) with how urgent they are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from gateway.core.sla import SlaPolicy
from store import Ticket
from store.models import Route

TRIAGE_WITHIN = timedelta(minutes=15)  # seed 004: every ticket triaged within 15 minutes
DUE_SOON = timedelta(minutes=30)
FILTERS = ("status", "priority", "channel", "company", "assignee")
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Clock:
    """One due time as the page shows it: local text and a mark (ok, soon, overdue, done)."""

    at: str
    mark: str


@dataclass(frozen=True)
class Row:
    """One queue line."""

    ticket: Ticket
    priority_name: str
    age: str
    triage: Clock | None
    first_response: Clock | None
    critical_line: bool


def _age(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d}"
    return f"{minutes // 1440} days"


def clock(due: datetime | None, done: datetime | None, now: datetime, sla: SlaPolicy) -> Clock | None:
    """A due time and its mark."""
    if due is None:
        return None
    text = due.astimezone(sla.calendar.tz).strftime("%a %d %b %H:%M")
    if done is not None:
        return Clock(text, "done")
    if due <= now:
        return Clock(text, "overdue")
    return Clock(text, "soon" if due - now <= DUE_SOON else "ok")


def row(ticket: Ticket, now: datetime, sla: SlaPolicy) -> Row:
    """The queue line of one ticket at `now`."""
    return Row(
        ticket=ticket, priority_name=sla.name(ticket.priority),
        age=_age(now - ticket.received_at),
        triage=clock(ticket.received_at + TRIAGE_WITHIN, ticket.triaged_at, now, sla),
        first_response=clock(ticket.first_response_due, ticket.first_response_at, now, sla),
        critical_line=ticket.route in (Route.CRITICAL_LINE, Route.CRITICAL_EMAIL),
    )


def matches(ticket: Ticket, filters: Mapping[str, str], query: str) -> bool:
    """Whether a ticket passes the filters and the search words."""
    for name in FILTERS:
        wanted = filters.get(name, "").strip().lower()
        if wanted and str(getattr(ticket, name) or "").lower() != wanted:
            return False
    return not query.strip() or searched(ticket, query)


def searched(ticket: Ticket, query: str) -> bool:
    """Number, requester, company, text, email, or a phone number written any way."""
    digits = _DIGITS.sub("", query)
    if len(digits) >= 4 and any(digits in _DIGITS.sub("", n) or _DIGITS.sub("", n).endswith(
            digits.lstrip("0")) for n in ticket.callback_numbers):
        return True
    haystack = " ".join(str(v or "") for v in (
        ticket.number, ticket.requester_name, ticket.company, ticket.subject,
        ticket.description, ticket.email, ticket.assignee)).lower()
    return all(word in haystack for word in query.lower().split())
