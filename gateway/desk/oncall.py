"""Who is on call, for the /oncall page: a small Protocol the paging room implements at merge
time, and a default that reads today's `[oncall] escalation` list from the config."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from gateway.config import Config


@dataclass(frozen=True)
class Duty:
    """Who carries one level's pager now and who takes it next."""

    level: int
    now: str
    next: str | None


@dataclass(frozen=True)
class OpenPage:
    """A page not yet acknowledged."""

    id: str
    ticket: str
    level: int
    sent_at: datetime
    to: str


@runtime_checkable
class OnCall(Protocol):
    """What the /oncall page asks of the paging room."""

    def duties(self, at: datetime) -> list[Duty]:
        """Each level's engineer on call at `at`, and the next one."""

    def open_pages(self) -> list[OpenPage]:
        """Pages sent and not yet acknowledged, oldest first."""

    def acknowledge(self, page_id: str, by: str, at: datetime) -> bool:
        """Acknowledge a page (stops its escalation); False if it is not open."""


class ConfigOnCall:
    """Today's desk: `[oncall] escalation` lists one number per level, no rotation and no
    paging room yet, so there are no open pages to acknowledge."""

    def __init__(self, config: Config) -> None:
        self._numbers = config.voice.escalation

    def duties(self, at: datetime) -> list[Duty]:
        """Level N is the Nth number of the escalation list, every day."""
        return [Duty(level=i + 1, now=n, next=n) for i, n in enumerate(self._numbers)]

    def open_pages(self) -> list[OpenPage]:
        """None: pages are queued in the outbox but acknowledged in the paging room."""
        return []

    def acknowledge(self, page_id: str, by: str, at: datetime) -> bool:
        """Nothing to acknowledge without the paging room."""
        return False
