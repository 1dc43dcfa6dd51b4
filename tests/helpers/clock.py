"""The desk's wall clock, and a clock the test moves by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")


def chicago(*args: int) -> datetime:
    """A moment on the desk's wall clock."""
    return datetime(*args, tzinfo=CHICAGO)  # type: ignore[misc]


class Clock:
    """A clock the test moves by hand (set `at`, or `advance`), so hours, backoffs and
    leases pass in no time. Call it for the time, as the code under test does."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        """Move on by a `timedelta(**delta)`."""
        self.at += timedelta(**delta)
