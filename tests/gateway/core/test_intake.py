"""The intake service: priority from the route, SLA due times, after-hours and fee flags."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gateway.config import Config
from gateway.core.calendar import BusinessCalendar
from gateway.core.intake import IntakeService, TicketRequest
from store import DuplicateSourceError, Store
from tests.helpers.clock import Clock, chicago

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def intake(store: Store, config: Config, calendar: BusinessCalendar) -> IntakeService:
    return IntakeService(store, config, calendar, clock=Clock(NOW))


@pytest.mark.parametrize(
    "route, received, priority, after_hours, flags",
    [
        ("email", chicago(2026, 11, 24, 10, 0), 4, False, ()),
        ("email", chicago(2026, 11, 24, 18, 0), 4, True, ("after_hours",)),
        ("critical_email", chicago(2026, 11, 28, 3, 0), 1, True, ("after_hours",)),
        ("voicemail", chicago(2026, 11, 26, 20, 0), 2, True, ("after_hours", "after_hours_fee")),
        ("voice", chicago(2026, 11, 24, 10, 0), 3, False, ()),
        ("critical_line", chicago(2026, 11, 24, 12, 0), 1, False, ("critical_line",)),
    ],
)
def test_open_ticket(
    intake: IntakeService, route: str, received: datetime, priority: int, after_hours: bool,
    flags: tuple[str, ...],
) -> None:
    extra = ("critical_line",) if route == "critical_line" else ()
    ticket = intake.open_ticket(
        TicketRequest(channel="voice" if "voice" in route or "line" in route else "email",
                      route=route, received_at=received, flags=extra)
    )
    assert ticket.priority == priority
    assert ticket.after_hours is after_hours
    assert ticket.flags == flags
    due = intake.sla.due(priority, received)
    assert ticket.first_response_due == due.first_response
    assert ticket.resolution_due == due.resolution
    assert ticket.created_at == NOW


def test_explicit_priority_wins(intake: IntakeService) -> None:
    ticket = intake.open_ticket(
        TicketRequest(channel="email", route="email", received_at=chicago(2026, 11, 24, 10, 0),
                      priority=2)
    )
    assert ticket.priority == 2


def test_unknown_route(intake: IntakeService) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        intake.open_ticket(TicketRequest(channel="fax", route="fax", received_at=NOW))


def test_retried_source_is_refused(intake: IntakeService) -> None:
    request = TicketRequest(channel="voice", route="voice", received_at=NOW, source_id="CA9")
    first = intake.open_ticket(request)
    with pytest.raises(DuplicateSourceError) as caught:
        intake.open_ticket(request)
    assert caught.value.number == first.number
