"""The paging repository's interface: pages, who was notified at each step, tier clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from store.models import Ticket
from store.paging import Page, PageNotice, TierClock


class PageRepository(Protocol):
    """Pages, who each step notified, tier clocks: timers as rows, claimed with a lease."""

    def open(self, ticket_id: int, key: str, reason: str, priority: int,
             payload: dict[str, Any], at: datetime) -> int | None:
        """A new page whose first step is due at `at`; None if `key` was paged before."""

    def get(self, page_id: int) -> Page | None:
        """One page by id, if it exists."""

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 10) -> list[Page]:
        """Open pages whose next step is due, each hidden from other workers for `lease`."""

    def advance(self, page_id: int, from_step: int, next_at: datetime | None,
                status: str = "open") -> bool:
        """Record step `from_step` as taken; False if taken already or the page is closed."""

    def hurry(self, page_id: int, after_step: int, at: datetime) -> bool:
        """Make the next step due at `at` if `after_step` was the page's latest step."""

    def acknowledge(self, page_id: int, by: str, at: datetime) -> bool:
        """Mark a page acknowledged; False if it already was."""

    def pages(self, status: str | None = None, ticket_id: int | None = None) -> list[Page]:
        """Pages, oldest first, optionally of one status or one ticket."""

    def add_notice(self, page_id: int, step: int, engineer: str, mobile: str | None,
                   outbox_id: int | None, at: datetime) -> int:
        """Record that `engineer` was notified at `step`."""

    def set_sid(self, outbox_id: int, sid: str) -> None:
        """Keep the Twilio message SID of the SMS that outbox item `outbox_id` sent."""

    def notice(self, *, sid: str | None = None, outbox_id: int | None = None) -> PageNotice | None:
        """The notice whose SMS has this SID, or this outbox item."""

    def notices(self, page_id: int | None = None, engineer: str | None = None) -> list[PageNotice]:
        """Notices of one page or one engineer, newest first."""

    def tier(self, ticket_id: int) -> TierClock | None:
        """The ticket's tier clock, if it has one."""

    def unclocked(self, levels: tuple[int, ...]) -> list[Ticket]:
        """Open tickets at one of `levels` without a tier clock, in queue order (no events)."""

    def unpaged(self, levels: tuple[int, ...], before: datetime) -> list[Ticket]:
        """New tickets at one of `levels` received by `before` that were never paged,
        in queue order (no events)."""

    def set_tier(self, ticket_id: int, level: int, due_at: datetime | None, at: datetime,
                 from_level: int | None = None) -> bool:
        """Start (from_level None) or move a tier clock; False if it exists / moved already."""

    def due_tiers(self, now: datetime) -> list[TierClock]:
        """Tier clocks that ran out at `now`, oldest first."""

    def claim_due_tiers(self, now: datetime, lease: timedelta, limit: int = 10) -> list[TierClock]:
        """Tier clocks that ran out at `now`, oldest first, each hidden from other workers
        for `lease` (moving a clock ends its lease)."""
