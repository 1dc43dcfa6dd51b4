"""config.toml, read once at start into frozen dataclasses and passed down."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import phonenumbers

from gateway.configread import Section, parse_clock, parse_duration
from gateway.errors import ConfigError
from gateway.mailconfig import MailConfig, read_mail
from gateway.voiceconfig import VoiceConfig, read_voice

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROUTES = ("email", "critical_email", "voice", "voicemail", "critical_line")
DEFAULT_ROUTE_PRIORITY = {
    "email": 4, "critical_email": 1, "voice": 3, "voicemail": 2, "critical_line": 1,
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

    @property
    def tz(self) -> ZoneInfo:
        """The desk's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class StoreConfig:
    """Where the SQLite database lives."""

    path: Path
    busy_timeout_ms: int


@dataclass(frozen=True)
class SlaLevel:
    """One priority level and its targets."""

    level: int
    name: str
    first_response: timedelta
    resolution: timedelta
    clock: str  # "calendar" or "business"


@dataclass(frozen=True)
class HttpConfig:
    """The HTTP server (webhooks, web page, API)."""

    host: str
    port: int
    public_url: str
    threads: int


@dataclass(frozen=True)
class RoutePriorities:
    """The level (1-4) a new ticket gets from the way it came in."""

    email: int
    critical_email: int
    voice: int
    voicemail: int
    critical_line: int

    def of(self, route: str) -> int:
        """The level for a route name."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}")
        return int(getattr(self, route))


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    source: Path | None
    desk: DeskConfig
    store: StoreConfig
    sla: tuple[SlaLevel, ...]
    priorities: RoutePriorities
    after_hours_fee_routes: tuple[str, ...]
    mail: MailConfig
    http: HttpConfig
    voice_auth_token_env: str
    voice_verify_signatures: bool
    voice: VoiceConfig  # the call flow: [voice], [[voice.lines]], [oncall]
    api_token_env: str
    log_level: str
    log_format: str
    warnings: tuple[str, ...] = field(default=())

    def sla_level(self, level: int) -> SlaLevel:
        """The targets of one level (1-4)."""
        return self.sla[level - 1]


def secret(env_name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of a secret kept in the environment variable `env_name`, if set."""
    value = (os.environ if environ is None else environ).get(env_name, "")
    return value or None


def load_config(path: Path | None) -> Config:
    """Read and check a config file; with no path, the built-in defaults (paths from cwd)."""
    if path is None:
        return _build({}, "config.toml", Path.cwd(), None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _build(data, path.name, path.resolve().parent, path)


def _build(data: dict[str, Any], file: str, base: Path, source: Path | None) -> Config:
    root = Section(data, "", file)
    desk = _desk(root.table("desk"))
    store = root.table("store")
    path = Path(store.text("path", "data/intake.db"))
    mail = root.table("mail")
    http = root.table("http")
    voice = root.table("voice")
    api = root.table("api")
    log = root.table("log")
    fees = root.table("fees")
    path = path if path.is_absolute() else base / path
    config = Config(
        source=source,
        desk=desk,
        store=StoreConfig(
            path=path,
            busy_timeout_ms=store.integer("busy_timeout_ms", 10_000, 0, 600_000),
        ),
        sla=_sla(root.table("sla")),
        priorities=_priorities(root.table("priorities")),
        after_hours_fee_routes=_routes(fees, "after_hours_routes", ("voice", "voicemail")),
        mail=read_mail(mail, base, path.parent),
        http=_http(http),
        voice_auth_token_env=voice.text("auth_token_env", "TWILIO_AUTH_TOKEN"),
        voice_verify_signatures=voice.boolean("verify_signatures", True),
        voice=read_voice(voice, root.table("oncall"), desk.name, desk.phone_region),
        api_token_env=api.text("token_env", "INTAKE_API_TOKEN"),
        log_level=log.convert(
            "level", _log_level, "one of DEBUG, INFO, WARNING, ERROR", "INFO"
        ),
        log_format=log.convert("format", _one_of("json", "text"), '"json" or "text"', "json"),
    )
    warnings = tuple(f"{file}: unknown key {key} (ignored)" for key in root.unknown_keys())
    return replace(config, warnings=warnings)


def _one_of(*choices: str):  # type: ignore[no-untyped-def]
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(text)
        return text

    return parse


_log_level = _one_of("DEBUG", "INFO", "WARNING", "ERROR")


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


def _desk(s: Section) -> DeskConfig:
    days = s.texts("days", ("mon", "tue", "wed", "thu", "fri"))
    if not days or any(day not in DAY_NAMES for day in days):
        raise s.fail("days", list(days), 'a list of day names such as ["mon", "tue"]')
    opens = s.convert("open", parse_clock, "HH:MM", "07:00")
    closes = s.convert("close", parse_clock, "HH:MM", "17:00")
    if closes <= opens:
        raise s.fail("close", closes.strftime("%H:%M"), f"a time after desk.open ({opens:%H:%M})")
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
        phone_region=s.convert("phone_region", _region, 'a region code such as "US"', "US"),
        ticket_prefix=s.text("ticket_prefix", "SR-"),
    )


def _sla(s: Section) -> tuple[SlaLevel, ...]:
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
                clock=t.convert("clock", _one_of("calendar", "business"),
                                '"calendar" or "business"', clock),
            )
        )
    return tuple(levels)


def _priorities(s: Section) -> RoutePriorities:
    return RoutePriorities(
        **{route: s.integer(route, default, 1, 4) for route, default in DEFAULT_ROUTE_PRIORITY.items()}
    )


def _routes(s: Section, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    routes = s.texts(key, default)
    if any(route not in ROUTES for route in routes):
        raise s.fail(key, list(routes), f"a list of routes from {', '.join(ROUTES)}")
    return routes


def _http(s: Section) -> HttpConfig:
    host = s.text("host", "127.0.0.1")
    port = s.integer("port", 8080, 0, 65535)
    public_url = s.text("public_url", f"http://{host}:{port}")
    if not public_url.startswith(("http://", "https://")):
        raise s.fail("public_url", public_url, "a URL starting with http:// or https://")
    return HttpConfig(
        host=host, port=port, public_url=public_url.rstrip("/"),
        threads=s.integer("threads", 8, 1, 256),
    )
