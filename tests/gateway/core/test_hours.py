"""The business calendar: hours, weekends, federal holidays with observed dates, DST."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

import pytest

from gateway.core.calendar import BusinessCalendar
from tests.helpers.clock import CHICAGO, chicago


@pytest.mark.parametrize(
    "at, expected",
    [
        (chicago(2026, 11, 24, 6, 59, 59), False),  # Tuesday, before opening
        (chicago(2026, 11, 24, 7, 0, 0), True),
        (chicago(2026, 11, 24, 16, 59, 59), True),
        (chicago(2026, 11, 24, 17, 0, 0), False),  # closing time is already after hours
        (chicago(2026, 11, 28, 10, 0), False),  # Saturday
        (chicago(2026, 11, 29, 10, 0), False),  # Sunday
        (chicago(2026, 11, 26, 10, 0), False),  # Thanksgiving
        (chicago(2026, 11, 27, 10, 0), True),  # the Friday after Thanksgiving is not federal
        (chicago(2026, 6, 19, 10, 0), False),  # Juneteenth (a Friday in 2026)
        (chicago(2027, 6, 18, 10, 0), False),  # Juneteenth 2027 is Saturday: observed Friday
        (chicago(2026, 7, 3, 10, 0), False),  # July 4th 2026 is Saturday: observed Friday 3rd
        (chicago(2027, 7, 5, 10, 0), False),  # July 4th 2027 is Sunday: observed Monday 5th
        (chicago(2021, 12, 31, 10, 0), False),  # New Year 2022 (Sat) observed Fri Dec 31
        (chicago(2026, 12, 24, 16, 59), True),  # Christmas Eve is a working day
        (chicago(2026, 12, 25, 9, 0), False),  # Christmas
        (chicago(2026, 12, 31, 10, 0), True),  # New Year's Eve 2026 is a working day
    ],
)
def test_is_open(calendar: BusinessCalendar, at: datetime, expected: bool) -> None:
    assert calendar.is_open(at) is expected


def test_is_open_compares_instants_not_wall_clocks(calendar: BusinessCalendar) -> None:
    # 12:30 UTC is 06:30 in Chicago (closed) and 13:30 UTC is 07:30 (open) in November.
    assert not calendar.is_open(datetime(2026, 11, 24, 12, 30, tzinfo=timezone.utc))
    assert calendar.is_open(datetime(2026, 11, 24, 13, 30, tzinfo=timezone.utc))


def test_naive_datetimes_are_refused(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.is_open(datetime(2026, 11, 24, 10, 0))


@pytest.mark.parametrize(
    "at, expected",
    [
        (chicago(2026, 11, 24, 10, 0), chicago(2026, 11, 24, 10, 0)),  # open: now
        (chicago(2026, 11, 24, 17, 0), chicago(2026, 11, 25, 7, 0)),
        (chicago(2026, 11, 25, 17, 30), chicago(2026, 11, 27, 7, 0)),  # skips Thanksgiving
        (chicago(2026, 11, 27, 17, 0), chicago(2026, 11, 30, 7, 0)),  # skips the weekend
        (chicago(2026, 7, 2, 18, 0), chicago(2026, 7, 6, 7, 0)),  # observed July 4th + weekend
        (chicago(2026, 12, 24, 17, 0), chicago(2026, 12, 28, 7, 0)),  # Christmas Eve evening
        (chicago(2026, 3, 6, 18, 0), chicago(2026, 3, 9, 7, 0)),  # across spring forward
    ],
)
def test_next_open(calendar: BusinessCalendar, at: datetime, expected: datetime) -> None:
    assert calendar.next_open(at) == expected


def test_next_open_after_spring_forward_is_7am_cdt(calendar: BusinessCalendar) -> None:
    opened = calendar.next_open(chicago(2026, 3, 6, 18, 0))
    assert opened.utcoffset() == timedelta(hours=-5)
    assert opened.astimezone(timezone.utc) == datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "at, delta, expected",
    [
        (chicago(2026, 11, 24, 10, 0), timedelta(hours=4), chicago(2026, 11, 24, 14, 0)),
        (chicago(2026, 11, 24, 15, 0), timedelta(hours=4), chicago(2026, 11, 25, 9, 0)),
        (chicago(2026, 11, 24, 20, 0), timedelta(hours=1), chicago(2026, 11, 25, 8, 0)),
        # Wednesday before Thanksgiving: Thursday is closed, work resumes on Friday
        (chicago(2026, 11, 25, 16, 0), timedelta(hours=2), chicago(2026, 11, 27, 8, 0)),
        # 48 business hours from Friday 09:00: 8 + 10 + 10 + 10, Thanksgiving closed, + 10
        (chicago(2026, 11, 20, 9, 0), timedelta(hours=48), chicago(2026, 11, 27, 17, 0)),
        # exactly at closing: the last minute of the day
        (chicago(2026, 11, 24, 16, 0), timedelta(hours=1), chicago(2026, 11, 24, 17, 0)),
        # DST ends Sunday 2026-11-01: Friday afternoon into Monday keeps wall-clock hours
        (chicago(2026, 10, 30, 16, 0), timedelta(hours=2), chicago(2026, 11, 2, 8, 0)),
        # DST starts Sunday 2026-03-08
        (chicago(2026, 3, 6, 16, 30), timedelta(hours=1), chicago(2026, 3, 9, 7, 30)),
        (chicago(2026, 11, 24, 10, 0), timedelta(0), chicago(2026, 11, 24, 10, 0)),
    ],
)
def test_add_business_time(
    calendar: BusinessCalendar, at: datetime, delta: timedelta, expected: datetime
) -> None:
    assert calendar.add_business_time(at, delta) == expected


def test_business_time_between_matches_add(calendar: BusinessCalendar) -> None:
    start = chicago(2026, 11, 20, 9, 0)
    end = calendar.add_business_time(start, timedelta(hours=48))
    assert calendar.business_time_between(start, end) == timedelta(hours=48)


def test_closed_dates_and_other_hours() -> None:
    cal = BusinessCalendar(
        CHICAGO, time(8, 0), time(12, 0), days=(0, 1, 2, 3, 4, 5), country="",
        closed_dates=[date(2026, 12, 24)],
    )
    assert cal.is_open(chicago(2026, 11, 28, 9, 0))  # Saturday is a working day here
    assert cal.is_open(chicago(2026, 11, 26, 9, 0))  # no holiday calendar
    assert not cal.is_open(chicago(2026, 12, 24, 9, 0))
    assert cal.holiday(date(2026, 12, 24)) == "closed (config)"


def test_holiday_names(calendar: BusinessCalendar) -> None:
    assert "Thanksgiving" in (calendar.holiday(date(2026, 11, 26)) or "")
    assert "observed" in (calendar.holiday(date(2026, 7, 3)) or "")
    assert calendar.holiday(date(2026, 11, 27)) is None


def test_a_week_with_no_working_day_is_refused() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(CHICAGO, time(7), time(17), days=())


def _walked(calendar: BusinessCalendar, at: datetime, delta: timedelta) -> datetime:
    """add_business_time as the open windows say it, one window after another."""
    remaining = delta
    for start, end in calendar._windows_from(at):
        span = end.astimezone(timezone.utc) - start.astimezone(timezone.utc)
        if remaining <= span:
            return (start.astimezone(timezone.utc) + remaining).astimezone(calendar.tz)
        remaining -= span
    raise AssertionError("unreachable")


@pytest.mark.parametrize("ledger_from", [None, chicago(2026, 1, 2, 9, 0), chicago(2026, 12, 1, 9, 0)])
def test_add_business_time_matches_the_windows_for_many_moments(
        ledger_from: datetime | None) -> None:
    # Around DST changes, holidays, weekends, opening and closing times, in several zones;
    # moments before the first one a calendar was asked about are walked day by day.
    calendar = BusinessCalendar(CHICAGO, time(7, 0), time(17, 0))
    if ledger_from is not None:
        calendar.add_business_time(ledger_from, timedelta(0))
    rng = random.Random(3)
    zones = [CHICAGO, timezone.utc, timezone(timedelta(hours=5, minutes=30))]
    starts = [chicago(2026, 3, 6, 16, 0), chicago(2026, 10, 30, 16, 0),
              chicago(2026, 12, 23, 7, 0), chicago(2027, 6, 17, 12, 0)]
    for _ in range(1500):
        step = rng.choice([1, 60])  # minutes; whole hours land on opening and closing times
        at = (rng.choice(starts) + timedelta(minutes=step * rng.randrange(0, 8 * 24 * 60 // step))
              ).astimezone(rng.choice(zones))
        delta = rng.choice([timedelta(0), timedelta(hours=1), timedelta(hours=10),
                            timedelta(hours=120), timedelta(hours=240),
                            timedelta(minutes=rng.randrange(0, 300 * 60))])
        ours = calendar.add_business_time(at, delta)
        assert ours == _walked(calendar, at, delta), (at, delta)
        assert ours.tzinfo is calendar.tz and calendar.business_time_between(at, ours) == delta
        assert str(ours) == str(_walked(calendar, at, delta))
