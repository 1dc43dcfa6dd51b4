"""The `[oncall]` roster and paging keys and the `[twilio]` REST account, read into frozen
settings the paging room (gateway/paging/) works from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta

from gateway.config.read import Section, env_secret
from mail.settings import Secret
from parsers.errors import PhoneNumberError
from parsers.phones import normalise_phone

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEVELS = (1, 2, 3)


def parse_duration(text: str) -> timedelta:
    """'30s', '15m', '1h30m' as a timedelta; ValueError otherwise."""
    match = _DURATION.match(text.replace(" ", ""))
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(text)
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


@dataclass(frozen=True)
class Engineer:
    """One person on the roster."""

    name: str
    mobile: str  # E.164
    email: str | None
    level: int  # 1-3


@dataclass(frozen=True)
class Override:
    """On `day` (desk time), `engineer` alone is on call for `level`."""

    day: date
    level: int
    engineer: str


@dataclass(frozen=True)
class OncallConfig:
    """The roster, its rotation and the paging clocks."""

    engineers: tuple[Engineer, ...]
    rotation: tuple[tuple[str, ...], ...]  # per level 1-3: names taking a week each, in turn
    rotation_start: date  # a hand-over day: week 0 of every rotation starts then
    handover: time  # the hand-over time, desk time zone
    overrides: tuple[Override, ...]
    escalate_after: timedelta
    triage_page_after: timedelta
    max_rounds: int
    tier_limits: tuple[tuple[timedelta, timedelta], ...]  # Critical, High: (level 1, level 2)
    link_expiry: timedelta
    link_secret_env: str
    link_secret: Secret | None
    # how long the paging worker holds what it claimed (a page request, a step, an SMS or
    # call) before a restart or another node may take it again
    lease: timedelta = timedelta(seconds=60)

    def tier_limit(self, priority: int, level: int) -> timedelta:
        """How long a ticket of `priority` (1-2) may stay at `level` (1-2)."""
        return self.tier_limits[priority - 1][level - 1]

    def by_name(self, name: str) -> Engineer | None:
        """The engineer called `name`."""
        return next((e for e in self.engineers if e.name == name), None)

    def by_mobile(self, mobile: str) -> Engineer | None:
        """The engineer whose mobile is `mobile` (E.164)."""
        return next((e for e in self.engineers if e.mobile == mobile), None)


@dataclass(frozen=True)
class TwilioConfig:
    """The Twilio REST account pages are sent from; no SID or token: SMS paging is off."""

    account_sid_env: str
    account_sid: Secret | None
    auth_token_env: str
    auth_token: Secret | None
    from_number: str | None
    api_base_url: str  # "" = Twilio's own
    timeout_seconds: int

    @property
    def enabled(self) -> bool:
        """True when SMS can be sent: an account, a token and a number to send from."""
        return bool(self.account_sid and self.auth_token and self.from_number)


def read_twilio(s: Section, voice_token_env: str, region: str,
                environ: Mapping[str, str]) -> TwilioConfig:
    """The `[twilio]` table."""
    sid_env = s.text("account_sid_env", "TWILIO_ACCOUNT_SID")
    token_env = s.text("auth_token_env", voice_token_env)
    number = s.text("from_number", "")
    base = s.text("api_base_url", "").rstrip("/")
    if base and not base.startswith(("http://", "https://")):
        raise s.fail("api_base_url", base, 'an http(s) URL, or "" for Twilio\'s own')
    return TwilioConfig(
        account_sid_env=sid_env, account_sid=env_secret(environ, sid_env),
        auth_token_env=token_env, auth_token=env_secret(environ, token_env),
        from_number=_phone(s, "from_number", number, region) if number else None,
        api_base_url=base, timeout_seconds=s.integer("timeout_seconds", 10, 1, 120))


def read_oncall(s: Section, region: str, environ: Mapping[str, str]) -> OncallConfig:
    """The `[oncall]` table: roster, rotation, overrides and clocks."""
    engineers = _engineers(s, region)
    names = {e.name for e in engineers}
    rotation_table = s.table("rotation")
    rotation = []
    for level in LEVELS:
        order = rotation_table.texts(f"level{level}", ())
        if unknown := [n for n in order if n not in names]:
            raise rotation_table.fail(f"level{level}", list(order),
                                      f"names of [[oncall.engineers]] (not {unknown})")
        rotation.append(order)
    secret_env = s.text("link_secret_env", "INTAKE_PAGING_SECRET")
    return OncallConfig(
        engineers=engineers, rotation=tuple(rotation),
        rotation_start=rotation_table.convert("start", date.fromisoformat,
                                              'a date such as "2026-11-30"', "2026-11-30"),
        handover=rotation_table.convert("handover", time.fromisoformat, 'a time such as "09:00"',
                                        "09:00"),
        overrides=_overrides(s, names),
        escalate_after=_duration(s, "escalate_after", "15m"),
        triage_page_after=_duration(s, "triage_page_after", "15m"),
        max_rounds=s.integer("max_rounds", 3, 1, 20),
        tier_limits=_tiers(s.table("tier_clocks")),
        link_expiry=_duration(s, "link_expiry", "24h"),
        link_secret_env=secret_env, link_secret=env_secret(environ, secret_env),
        lease=_lease(s),
    )


def _lease(s: Section) -> timedelta:
    lease = _duration(s, "lease", "60s")
    if not timedelta(seconds=5) <= lease <= timedelta(hours=1):
        raise s.fail("lease", s.get("lease", str, "a duration", "60s"),
                     'a duration from "5s" to "1h"')
    return lease


def _duration(s: Section, key: str, default: str) -> timedelta:
    return s.convert(key, parse_duration, 'a duration such as "30s", "15m" or "1h30m"', default)


def _phone(s: Section, key: str, text: str, region: str) -> str:
    try:
        return normalise_phone(text, region)
    except PhoneNumberError as exc:
        raise s.fail(key, text, "a phone number such as +15125550100") from exc


def _engineers(s: Section, region: str) -> tuple[Engineer, ...]:
    tables = s.get("engineers", list, "a list of [[oncall.engineers]] tables", [])
    out = []
    for index, table in enumerate(tables):
        if not isinstance(table, dict):
            raise s.fail("engineers", table, "[[oncall.engineers]] tables")
        e = Section(table, f"{s.where('engineers')}[{index}]", s.file)
        s.children.append(e)
        out.append(Engineer(name=e.text("name"), mobile=_phone(e, "mobile", e.text("mobile"),
                                                                 region),
                            email=e.optional_text("email"), level=e.integer("level", 1, 1, 3)))
    if len({e.name for e in out}) != len(out) or len({e.mobile for e in out}) != len(out):
        raise s.fail("engineers", [e.name for e in out], "each name and mobile only once")
    return tuple(out)


def _overrides(s: Section, names: set[str]) -> tuple[Override, ...]:
    tables = s.get("overrides", list, "a list of [[oncall.overrides]] tables", [])
    out = []
    for index, table in enumerate(tables):
        o = Section(table if isinstance(table, dict) else {}, f"{s.where('overrides')}[{index}]",
                    s.file)
        s.children.append(o)
        name = o.text("engineer")
        if name not in names:
            raise o.fail("engineer", name, "a name of [[oncall.engineers]]")
        raw = table.get("date") if isinstance(table, dict) else None
        day = raw if isinstance(raw, date) else o.convert(
            "date", date.fromisoformat, 'a date such as "2026-12-25"', None)
        o.used.add("date")
        out.append(Override(day=day, level=o.integer("level", 1, 1, 3), engineer=name))
    return tuple(out)


def _tiers(s: Section) -> tuple[tuple[timedelta, timedelta], ...]:
    """Seed 000: Critical and High resolved or escalated in 1.5 h at level 1, 1 h at level 2."""
    out = []
    for key in ("critical", "high"):
        limits = s.texts(key, ("1h30m", "1h"))
        try:
            parsed = tuple(parse_duration(t) for t in limits)
        except ValueError as exc:
            raise s.fail(key, list(limits), 'two durations, e.g. ["1h30m", "1h"]') from exc
        if len(parsed) != 2:
            raise s.fail(key, list(limits), 'two durations, e.g. ["1h30m", "1h"]')
        out.append((parsed[0], parsed[1]))
    return tuple(out)
