"""Records of the desk's pages: who may log in, the surveys sent with resolutions, and how a
ticket listing is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.models import OPEN_STATUSES


@dataclass(frozen=True)
class TicketQuery:
    """Which tickets a listing wants (every filter optional) and where the page starts."""

    statuses: tuple[str, ...] = tuple(OPEN_STATUSES)
    priority: int | None = None
    channel: str | None = None
    company: str | None = None  # any case, exact
    assignee: str | None = None
    since: datetime | None = None  # received at or after
    after: tuple[int, datetime, int] | None = None  # (priority, received_at, id) seen last


class Role(StrEnum):
    """What a desk user may do."""

    TECHNICIAN = "technician"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    """A technician or admin of the desk's pages; the password only as its hash."""

    id: int
    name: str
    role: Role
    password_hash: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Survey:
    """A satisfaction survey sent with a resolution: one answer, by one signed link."""

    token_hash: str
    ticket_id: int
    created_at: datetime
    answered_at: datetime | None
    answer: int | None


@dataclass(frozen=True)
class StoreCounts:
    """Totals for /metrics, with no personal data: counts by outcome, route, kind."""

    messages_by_outcome: dict[str, int]  # inbound emails (not webhooks)
    tickets_by_channel_route: dict[tuple[str, str], int]
    events_by_kind: dict[str, int]
    outbox_by_kind_status: dict[tuple[str, str], int]
    outbox_oldest_waiting: dict[str, datetime]  # kind -> creation of its oldest unsent item
