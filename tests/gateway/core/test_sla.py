"""SLA due times on the calendar clock (levels 1-2) and business clock (levels 3-4)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gateway.config import Config
from gateway.core.calendar import BusinessCalendar
from gateway.core.sla import SlaPolicy
from tests.helpers.clock import chicago


@pytest.fixture
def sla(config: Config, calendar: BusinessCalendar) -> SlaPolicy:
    return SlaPolicy(config.sla, calendar)


@pytest.mark.parametrize(
    "level, received, first, resolution",
    [
        # Critical at 3 a.m. on Thanksgiving: the calendar clock does not stop.
        (1, chicago(2026, 11, 26, 3, 0), chicago(2026, 11, 26, 4, 0), chicago(2026, 11, 27, 3, 0)),
        (2, chicago(2026, 11, 28, 12, 0), chicago(2026, 11, 28, 14, 0), chicago(2026, 12, 1, 12, 0)),
        # Medium on Tuesday 15:00: 4 business hours end Wednesday 09:00; 120 h = 12 desk days.
        (3, chicago(2026, 11, 24, 15, 0), chicago(2026, 11, 25, 9, 0), chicago(2026, 12, 11, 15, 0)),
        # Low received Friday evening: the clock starts Monday 07:00; 48 h is 4.8 desk days;
        # 240 h is 24 desk days, skipping Christmas and New Year's Day.
        (4, chicago(2026, 11, 27, 18, 0), chicago(2026, 12, 4, 15, 0), chicago(2027, 1, 4, 17, 0)),
    ],
)
def test_due_times(
    sla: SlaPolicy, level: int, received: datetime, first: datetime, resolution: datetime
) -> None:
    due = sla.due(level, received)
    assert (due.first_response, due.resolution) == (first, resolution)


def test_calendar_clock_counts_elapsed_hours_across_dst(sla: SlaPolicy) -> None:
    # DST ends 2026-11-01 at 02:00 CDT: 24 elapsed hours from 00:30 CDT is 23:30 CST.
    received = chicago(2026, 11, 1, 0, 30)
    due = sla.due(1, received)
    elapsed = due.resolution.astimezone(timezone.utc) - received.astimezone(timezone.utc)
    assert elapsed == timedelta(hours=24)
    assert due.resolution == chicago(2026, 11, 1, 23, 30)


def test_due_times_accept_any_zone(sla: SlaPolicy) -> None:
    received = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)  # 15:00 in Chicago
    assert sla.due(3, received).first_response == chicago(2026, 11, 25, 9, 0)


def test_names_come_from_config(sla: SlaPolicy) -> None:
    assert [sla.name(level) for level in (1, 2, 3, 4)] == ["Critical", "High", "Medium", "Low"]
