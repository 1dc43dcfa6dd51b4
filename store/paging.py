"""Records of on-call paging: pages, who was notified at each step, and tier clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class PageStatus(StrEnum):
    """Where a page is in its life."""

    OPEN = "open"  # steps still to take, or waiting for an acknowledgement
    ACKNOWLEDGED = "acknowledged"
    EXHAUSTED = "exhausted"  # every round went unanswered


@dataclass(frozen=True)
class Page:
    """One page: a cause (one per dedupe key), its next step and when it is due."""

    id: int
    ticket_id: int
    key: str
    reason: str
    priority: int
    payload: dict[str, Any]
    step: int  # how many steps were taken
    status: str
    next_at: datetime | None
    acked_by: str | None
    acked_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class PageNotice:
    """One engineer notified at one step of a page (an SMS and an email)."""

    id: int
    page_id: int
    step: int
    engineer: str
    outbox_id: int | None
    sid: str | None  # the Twilio message SID, once the SMS went
    at: datetime


@dataclass(frozen=True)
class TierClock:
    """A Critical or High ticket's support level and when it must move up if unresolved."""

    ticket_id: int
    level: int
    due_at: datetime | None
