"""Tickets and rejections as the JSON of the interface contract (API and CLI alike)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from gateway.config import Config
from gateway.core.sla import SlaPolicy
from store import Rejection, Ticket
from store.models import EventKind


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def first_received(ticket: Ticket) -> datetime:
    """When the request first reached the desk: for one an answer completed, its first
    message (the `request.completed` event says when); else when the ticket was received."""
    for event in ticket.events:
        if event.kind == EventKind.REQUEST_COMPLETED and event.detail.get("first_received_at"):
            return datetime.fromisoformat(str(event.detail["first_received_at"]))
    return ticket.received_at


def line_regions(config: Config) -> dict[str, str]:
    """The region of each configured phone line, by line name (the ticket's `line`)."""
    return {line.name: line.region for line in config.voice.lines if line.region}


def ticket_json(ticket: Ticket, sla: SlaPolicy,
                regions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One ticket with its timeline; times in ISO 8601 in the desk's zone; `region` is the
    region of the phone line it came in on (`regions`: line name -> region)."""
    tz = sla.calendar.tz

    def local(at: datetime | None) -> str | None:
        return _iso(at.astimezone(tz) if at else None)

    return {
        "number": ticket.number,
        "channel": ticket.channel,
        "route": ticket.route,
        "status": ticket.status,
        "priority": ticket.priority,
        "priority_name": sla.name(ticket.priority),
        "requester_name": ticket.requester_name,
        "company": ticket.company,
        "callback_numbers": list(ticket.callback_numbers),
        "email": ticket.email,
        "subject": ticket.subject,
        "description": ticket.description,
        "line": ticket.line,
        "region": (regions or {}).get(ticket.line or ""),
        "source_id": ticket.source_id,
        "received_at": local(ticket.received_at),
        "first_received_at": local(first_received(ticket)),
        "after_hours": ticket.after_hours,
        "first_response_due": local(ticket.first_response_due),
        "resolution_due": local(ticket.resolution_due),
        "flags": list(ticket.flags),
        "field_sources": ticket.field_sources,
        "created_at": local(ticket.created_at),
        "updated_at": local(ticket.updated_at),
        "assignee": ticket.assignee,
        "level": ticket.level,
        "triaged_at": local(ticket.triaged_at),
        "first_response_at": local(ticket.first_response_at),
        "resolution": ticket.resolution,
        "resolved_at": local(ticket.resolved_at),
        "events": [
            {"at": local(e.at), "kind": e.kind, "actor": e.actor, "detail": e.detail}
            for e in ticket.events
        ],
    }


def rejection_json(rejection: Rejection, tz: tzinfo | None = None) -> dict[str, Any]:
    """One rejection: which message, from whom, what was missing; times in `tz` (the
    desk's zone, as tickets are) when given."""
    return {
        "id": rejection.id,
        "message_id": rejection.message_id,
        "sender": rejection.sender,
        "missing": list(rejection.missing),
        "reason": rejection.reason,
        "received_at": _iso(rejection.received_at.astimezone(tz) if tz else
                            rejection.received_at),
        "resolved_ticket": rejection.resolved_ticket,
    }
