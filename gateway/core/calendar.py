"""The desk's business calendar: opening hours, weekdays, public holidays, closed dates.

Every function takes the moment it reasons about (an aware datetime); none reads the clock.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

# A week without an open day is refused at construction, so a search this long ends.
_MAX_DAYS_AHEAD = 3660


class BusinessCalendar:
    """When the desk is open: [open, close) local time on working days that are not holidays."""

    def __init__(
        self,
        tz: ZoneInfo,
        opens: time,
        closes: time,
        days: Iterable[int] = (0, 1, 2, 3, 4),
        country: str = "US",
        subdivision: str | None = None,
        closed_dates: Iterable[date] = (),
    ) -> None:
        if closes <= opens:
            raise ValueError("the desk must close after it opens")
        self.tz = tz
        self.opens = opens
        self.closes = closes
        self.days = frozenset(days)
        if not self.days:
            raise ValueError("the desk needs at least one working day")
        # observed=True: a holiday on Saturday closes Friday, on Sunday closes Monday.
        self._holidays = (
            holidays.country_holidays(country, subdiv=subdivision, observed=True)
            if country
            else holidays.HolidayBase()
        )
        self.closed_dates = frozenset(closed_dates)
        # Whether a date is a business day never changes for this calendar: each is looked
        # up once (the holidays lookup is the slow part of every due time and is_open).
        self._business_days: dict[date, bool] = {}
        # ... and so is each day's open window in UTC (None: closed), which every due time
        # walks through day by day (120 business hours are twelve days or more).
        self._utc_windows: dict[date, tuple[datetime, datetime] | None] = {}
        self._ledger: _Ledger | None = None
        self._ledger_lock = threading.Lock()  # threads share the calendar; the ledger grows

    def holiday(self, day: date) -> str | None:
        """The name of the holiday or closure on a local date, if any."""
        if day in self.closed_dates:
            return "closed (config)"
        name = self._holidays.get(day)
        return str(name) if name else None

    def is_business_day(self, day: date) -> bool:
        """True on a working weekday that is neither a holiday nor a closed date."""
        known = self._business_days.get(day)
        if known is None:
            known = self._business_days[day] = (day.weekday() in self.days
                                                and self.holiday(day) is None)
        return known

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, tzinfo=self.tz),
            datetime.combine(day, self.closes, tzinfo=self.tz),
        )

    def _windows_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (in UTC) that end after `at`, in order, the first one clipped to
        start at `at`."""
        _require_aware(at)
        day = at.astimezone(self.tz).date()
        for offset in range(_MAX_DAYS_AHEAD):
            window = self._utc_window(day + timedelta(days=offset))
            if window is None or window[1] <= at:
                continue
            yield max(window[0], at), window[1]
        raise ValueError("no business hours in the next ten years")

    def _utc_window(self, day: date) -> tuple[datetime, datetime] | None:
        """The open window of a local date in UTC, or None when the desk is closed."""
        try:
            return self._utc_windows[day]
        except KeyError:
            window = None
            if self.is_business_day(day):
                start, end = self._window(day)
                window = (_utc(start), _utc(end))
            self._utc_windows[day] = window
            return window

    def is_open(self, at: datetime) -> bool:
        """True when the desk is staffed at `at` (17:00:00 is already closed)."""
        _require_aware(at)
        window = self._utc_window(at.astimezone(self.tz).date())
        return window is not None and window[0] <= at < window[1]

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the next moment the desk opens (in the desk's zone)."""
        start, _ = next(self._windows_from(at))
        return start.astimezone(self.tz)

    def add_business_time(self, at: datetime, delta: timedelta) -> datetime:
        """The moment `delta` of open desk time has passed since `at`."""
        if delta < timedelta(0):
            raise ValueError("business time can only be added forward")
        _require_aware(at)
        day = at.astimezone(self.tz).date()
        with self._ledger_lock:
            if self._ledger is None:
                self._ledger = _Ledger(self, day)
            found = self._ledger.add(_utc(at), day, delta)
        if found is not None:
            return found.astimezone(self.tz)
        return self._walk(at, delta)

    def _walk(self, at: datetime, delta: timedelta) -> datetime:
        """add_business_time one day after another (where the ledger cannot say)."""
        # Subtract in UTC: a wall-clock difference would be wrong across DST.
        remaining = delta
        for start, end in self._windows_from(_utc(at)):
            if remaining <= end - start:
                return (start + remaining).astimezone(self.tz)
            remaining -= end - start
        raise ValueError("no business hours in the next ten years")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much open desk time lies between two moments."""
        total = timedelta(0)
        if end <= start:
            return total
        for open_at, close_at in self._windows_from(start):
            if open_at >= end:
                break
            total += _utc(min(close_at, end)) - _utc(open_at)
        return total


class _Ledger:
    """The desk's open windows in UTC from a first date on, in order, each with the open
    time before it and through it: adding business time is then one bisection instead of
    a walk through every day (a Low ticket's due times walk 30-odd days)."""

    def __init__(self, calendar: BusinessCalendar, first: date) -> None:
        self.calendar = calendar
        self.first = first
        self.next_day = first  # the first date not covered yet
        self.index: list[int] = []  # per covered date: its first window on or after it
        self.days: list[date] = []  # per window: its date, its start and end in UTC,
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.before: list[timedelta] = []  # the open time before it and through it
        self.through: list[timedelta] = []
        self.total = timedelta(0)
        self.ordered = True  # False once a window is empty (a DST jump): bisection is off

    def _extend(self) -> None:
        day = self.next_day
        self.index.append(len(self.starts))
        window = self.calendar._utc_window(day)
        if window is not None:
            start, end = window
            self.ordered = self.ordered and end > start
            self.days.append(day)
            self.starts.append(start)
            self.ends.append(end)
            self.before.append(self.total)
            self.total += end - start
            self.through.append(self.total)
        self.next_day = day + timedelta(days=1)

    def add(self, moment: datetime, day: date, delta: timedelta) -> datetime | None:
        """`moment` (UTC, on local date `day`) plus `delta` of open time, in UTC; None when
        the ledger cannot say (`day` before its first date, or an empty window)."""
        if day < self.first or not self.ordered:
            return None
        limit = day + timedelta(days=_MAX_DAYS_AHEAD)  # as far as the walk looks
        while self.next_day <= day:
            self._extend()
        first = self.index[(day - self.first).days]
        while True:  # the first window that ends after the moment
            while first >= len(self.starts) and self.next_day < limit:
                self._extend()
            if first >= len(self.starts) or self.days[first] >= limit:
                raise ValueError("no business hours in the next ten years")
            if self.ends[first] > moment:
                break
            first += 1
        start = self.starts[first]
        target = self.before[first] + (moment - start if moment > start else timedelta(0)) + delta
        while self.through[-1] < target and self.next_day < limit:
            self._extend()
        if not self.ordered:
            return None
        last = bisect_left(self.through, target, first)
        if last >= len(self.starts) or self.days[last] >= limit:
            raise ValueError("no business hours in the next ten years")
        return self.starts[last] + (target - self.before[last])


_UTC = ZoneInfo("UTC")


def _utc(at: datetime) -> datetime:
    return at.astimezone(_UTC)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("business calendar needs a timezone-aware datetime")
