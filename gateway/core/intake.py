"""The intake service: the one place every channel opens tickets through."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone

from gateway.config import Config
from gateway.core.calendar import BusinessCalendar
from gateway.core.sla import SlaPolicy
from store import NewTicket, Store, Ticket
from store.models import Channel, Route

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock, for adapters to pass in (the core never reads it itself)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class TicketRequest:
    """What a channel knows about a request that is complete enough to be a ticket."""

    channel: Channel
    route: Route  # picks the default priority and fee rules
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
    priority: int | None = None  # None: the route's default from config
    flags: tuple[str, ...] = ()
    field_sources: Mapping[str, str] = field(default_factory=dict)


# The fields a request and a new ticket share, found once.
_SHARED = tuple(f.name for f in fields(NewTicket)
                if f.name in {g.name for g in fields(TicketRequest)})


class IntakeService:
    """Turns complete requests into tickets with priority, SLA due times and hour flags."""

    def __init__(
        self,
        store: Store,
        config: Config,
        calendar: BusinessCalendar,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.config = config
        self.calendar = calendar
        self.sla = SlaPolicy(config.sla, calendar)
        self.clock = clock

    def open_ticket(self, request: TicketRequest) -> Ticket:
        """Open a ticket; raises store.DuplicateSourceError if its source already opened one."""
        level = request.priority or self.config.priorities.of(request.route)
        due = self.sla.due(level, request.received_at)
        after_hours = not self.calendar.is_open(request.received_at)
        flags = list(request.flags)
        if after_hours:
            flags.append("after_hours")
            if request.route in self.config.after_hours_fee_routes:
                # Seeds 000/004: after-hours support may be billed; a technician decides.
                flags.append("after_hours_fee")
        # The store cannot import TicketRequest (it imports nothing of ours), so the
        # shared fields are carried across by name.
        shared = {name: getattr(request, name) for name in _SHARED}
        shared.update(
            priority=level,
            after_hours=after_hours,
            first_response_due=due.first_response,
            resolution_due=due.resolution,
            flags=tuple(dict.fromkeys(flags)),
        )
        ticket = self.store.tickets.create(NewTicket(**shared), at=self.clock())
        log.info(
            "ticket.opened",
            extra={"ticket": ticket.number, "channel": ticket.channel, "route": ticket.route,
                   "priority": ticket.priority, "after_hours": after_hours},
        )
        return ticket
