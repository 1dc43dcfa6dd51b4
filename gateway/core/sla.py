"""Priority levels and SLA due times, on the calendar clock or the desk's business hours."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from gateway.config import Config, SlaLevel
from gateway.core.calendar import BusinessCalendar


@dataclass(frozen=True)
class DueTimes:
    """When the first response and the resolution are due."""

    first_response: datetime
    resolution: datetime


class SlaPolicy:
    """Computes due times for a level from the moment a request was received."""

    def __init__(self, levels: Sequence[SlaLevel], calendar: BusinessCalendar) -> None:
        self.levels = {level.level: level for level in levels}
        if sorted(self.levels) != [1, 2, 3, 4]:
            raise ValueError("SLA needs exactly the levels 1, 2, 3 and 4")
        self.calendar = calendar
        # Due times recently worked out, by level and moment (equal moments, equal times):
        # a webhook works out its own before its transaction, and its writes find them here.
        self._recent = functools.lru_cache(maxsize=256)(self._due)

    def name(self, level: int) -> str:
        """'Critical' for 1, and so on (names come from config)."""
        return self.levels[level].name

    def due(self, level: int, received_at: datetime) -> DueTimes:
        """Due times for a request of `level` received at `received_at`."""
        return self._recent(level, received_at)

    def _due(self, level: int, received_at: datetime) -> DueTimes:
        target = self.levels[level]
        if target.clock == "business":
            add = self.calendar.add_business_time
            return DueTimes(add(received_at, target.first_response),
                            add(received_at, target.resolution))
        # Elapsed time, not wall-clock time: add in UTC so a DST change does not shift it.
        start = received_at.astimezone(timezone.utc)
        tz = self.calendar.tz
        return DueTimes((start + target.first_response).astimezone(tz),
                        (start + target.resolution).astimezone(tz))


def calendar_from(config: Config) -> BusinessCalendar:
    """The business calendar the config describes."""
    desk = config.desk
    return BusinessCalendar(
        tz=desk.tz,
        opens=desk.open,
        closes=desk.close,
        days=desk.days,
        country=desk.holidays,
        subdivision=desk.holiday_subdivision,
        closed_dates=desk.closed_dates,
    )
