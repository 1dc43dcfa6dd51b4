"""Who is on call when: a weekly rotation per level with a hand-over time, date overrides,
and, for a level with no rotation, every engineer of that level. Pure functions of time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.config.oncall import LEVELS, Engineer, OncallConfig

WEEK = timedelta(days=7)


def _shift_day(oncall: OncallConfig, at: datetime, tz: ZoneInfo) -> date:
    """The day whose hand-over began the shift running at `at` (desk time)."""
    local = at.astimezone(tz)
    return local.date() - timedelta(days=1) if local.time() < oncall.handover else local.date()


def on_call(oncall: OncallConfig, level: int, at: datetime, tz: ZoneInfo) -> tuple[Engineer, ...]:
    """The engineers on call for `level` at `at`."""
    day = _shift_day(oncall, at, tz)
    overrides = [o for o in oncall.overrides if o.level == level and o.day == day]
    if overrides:
        return tuple(e for o in overrides if (e := oncall.by_name(o.engineer)) is not None)
    order = oncall.rotation[level - 1]
    if not order:
        return tuple(e for e in oncall.engineers if e.level == level)
    start = datetime.combine(oncall.rotation_start, oncall.handover, tz)
    week = (at - start) // WEEK
    engineer = oncall.by_name(order[week % len(order)])
    return (engineer,) if engineer else ()


def chain(oncall: OncallConfig, at: datetime, tz: ZoneInfo,
          from_level: int = 1) -> list[tuple[int, tuple[Engineer, ...]]]:
    """The escalation chain at `at`: each level from `from_level` up with someone on call."""
    return [(level, people) for level in LEVELS if level >= from_level
            if (people := on_call(oncall, level, at, tz))]


def dial_order(oncall: OncallConfig, at: datetime, tz: ZoneInfo) -> tuple[str, ...]:
    """The critical line's numbers in the order they are rung: level 1 first."""
    return tuple(dict.fromkeys(e.mobile for _, people in chain(oncall, at, tz) for e in people))


def next_handover(oncall: OncallConfig, level: int, at: datetime, tz: ZoneInfo) -> datetime:
    """The next hand-over at which someone else is on call for `level` (shifts change only
    at the hand-over time); the next hand-over when nobody changes within 8 weeks."""
    local = at.astimezone(tz)
    first = datetime.combine(local.date(), oncall.handover, tz)
    if first <= at:
        first += timedelta(days=1)
    now = on_call(oncall, level, at, tz)
    for day in range(56):
        moment = first + timedelta(days=day)
        if on_call(oncall, level, moment, tz) != now:
            return moment
    return first
