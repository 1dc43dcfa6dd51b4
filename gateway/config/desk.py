"""The `[desk]`, `[sla]`, `[priorities]` and `[fees]` keys: who the desk is, when it is open,
its SLA levels and the priority each route gives a new ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import phonenumbers

from gateway.config.read import Section, one_of, parse_clock, parse_duration
from parsers.errors import PhoneNumberError
from parsers.phones import normalise_phone
from store.models import Route

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROUTES = tuple(Route)
DEFAULT_ROUTE_PRIORITY = {
    Route.EMAIL: 4, Route.CRITICAL_EMAIL: 1, Route.VOICE: 3, Route.VOICEMAIL: 2,
    Route.CRITICAL_LINE: 1,
}
# Seed 001: (name, first response, resolution); levels 1-2 on the calendar clock, 3-4 business.
DEFAULT_SLA = {
    1: ("Critical", "1h", "24h", "calendar"),
    2: ("High", "2h", "72h", "calendar"),
    3: ("Medium", "4h", "120h", "business"),
    4: ("Low", "48h", "240h", "business"),
}


@dataclass(frozen=True)
class DeskConfig:
    """Who the desk is and when it is open."""

    name: str
    timezone: str
    open: time
    close: time
    days: tuple[int, ...]
    holidays: str
    holiday_subdivision: str | None
    closed_dates: tuple[date, ...]
    phone_region: str
    ticket_prefix: str
    phone_numbers: tuple[str, ...] = ()  # the desk's own numbers besides the voice lines


    @property
    def tz(self) -> ZoneInfo:
        """The desk's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SlaLevel:
    """One priority level and its targets."""

    level: int
    name: str
    first_response: timedelta
    resolution: timedelta
    clock: str  # "calendar" or "business"


@dataclass(frozen=True)
class RoutePriorities:
    """The level (1-4) a new ticket gets from the way it came in."""

    email: int
    critical_email: int
    voice: int
    voicemail: int
    critical_line: int

    def of(self, route: Route | str) -> int:
        """The level for a route."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}")
        return int(getattr(self, str(route)))


def _zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(text) from exc
    return text


def _country(text: str) -> str:
    if text and text not in holidays.list_supported_countries():
        raise ValueError(text)
    return text


def _region(text: str) -> str:
    if text not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(text)
    return text


def read_desk(s: Section) -> DeskConfig:
    days = s.texts("days", ("mon", "tue", "wed", "thu", "fri"))
    if not days or any(day not in DAY_NAMES for day in days):
        raise s.fail("days", list(days), 'a list of day names such as ["mon", "tue"]')
    opens = s.convert("open", parse_clock, "HH:MM", "07:00")
    closes = s.convert("close", parse_clock, "HH:MM", "17:00")
    if closes <= opens:
        raise s.fail("close", closes.strftime("%H:%M"), f"a time after desk.open ({opens:%H:%M})")
    region = s.convert("phone_region", _region, 'a region code such as "US"', "US")
    return DeskConfig(
        name=s.text("name", "Service Desk"),
        timezone=s.convert("timezone", _zone, "an IANA time zone such as America/Chicago",
                           "America/Chicago"),
        open=opens,
        close=closes,
        days=tuple(sorted({DAY_NAMES.index(day) for day in days})),
        holidays=s.convert("holidays", _country, 'a country code such as "US", or ""', "US"),
        holiday_subdivision=s.optional_text("holiday_subdivision"),
        closed_dates=s.dates("closed_dates"),
        phone_region=region,
        ticket_prefix=s.text("ticket_prefix", "SR-"),
        phone_numbers=_numbers(s, "phone_numbers", region),
    )


def _numbers(s: Section, key: str, region: str) -> tuple[str, ...]:
    """A list of phone numbers, each stored in E.164."""
    found = []
    for text in s.texts(key, ()):
        try:
            found.append(normalise_phone(text, region))
        except PhoneNumberError as exc:
            raise s.fail(key, text, "a list of phone numbers such as [\"+18665206414\"]") from exc
    return tuple(found)


def read_sla(s: Section) -> tuple[SlaLevel, ...]:
    levels = []
    for level, (name, first, resolution, clock) in DEFAULT_SLA.items():
        t = s.table(str(level))
        levels.append(
            SlaLevel(
                level=level,
                name=t.text("name", name),
                first_response=t.convert("first_response", parse_duration,
                                         'a duration such as "4h" or "30m"', first),
                resolution=t.convert("resolution", parse_duration,
                                     'a duration such as "72h" or "5d"', resolution),
                clock=t.convert("clock", one_of("calendar", "business"),
                                '"calendar" or "business"', clock),
            )
        )
    return tuple(levels)


def read_priorities(s: Section) -> RoutePriorities:
    return RoutePriorities(
        **{route: s.integer(route, default, 1, 4) for route, default in DEFAULT_ROUTE_PRIORITY.items()}
    )


def read_routes(s: Section, key: str, default: tuple[Route, ...]) -> tuple[Route, ...]:
    """A list of route names, each one of `Route`."""
    routes = s.texts(key, default)
    if any(route not in ROUTES for route in routes):
        raise s.fail(key, list(routes), f"a list of routes from {', '.join(ROUTES)}")
    return tuple(Route(route) for route in routes)
