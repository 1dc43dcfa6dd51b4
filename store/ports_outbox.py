"""The interface of the outbox: mail, SMS, calls and pages waiting to be sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from store.models import OutboxItem


class OutboxRepository(Protocol):
    """Work queued for the senders; a dead sender's claims are due again after the lease."""

    def enqueue(self, kind: str, recipient: str, payload: dict[str, Any], at: datetime,
                ticket_id: int | None = None, dedupe_key: str | None = None,
                message_id: str | None = None) -> int | None:
        """Queue an item due now; None if an item with the same `dedupe_key` exists."""

    def claim_due(self, now: datetime, lease: timedelta, kinds: tuple[str, ...] | None = None,
                  limit: int = 10) -> list[OutboxItem]:
        """Take up to `limit` due items for sending; each is hidden from others for `lease`."""

    def mark_sent(self, item_id: int, at: datetime, response: str | None = None) -> None:
        """Record a delivery and what the relay or API answered."""

    def mark_sent_many(self, sent: list[tuple[int, str | None]], at: datetime) -> None:
        """Record several deliveries, (id, answer) each, in one transaction."""

    def release(self, item_ids: list[int], now: datetime) -> None:
        """Give back claimed items never handed over: due at `now`, their attempt uncounted."""

    def settle(self, item_id: int, at: datetime, response: str) -> bool:
        """A provider's report (a status callback naming it) that it took the item: sent with
        `response` if it still waits or is claimed; False if sent, withdrawn or dead before."""

    def mark_failed(self, item_id: int, error: str, next_try_at: datetime | None) -> None:
        """Record a failed attempt; retry at `next_try_at`, or give up (dead) when None."""

    def next_due(self, kinds: tuple[str, ...]) -> datetime | None:
        """When the earliest waiting (or leased) item of these kinds is due; None if none."""

    def defer_due(self, now: datetime, until: datetime, error: str, kinds: tuple[str, ...]) -> int:
        """Push items of these kinds due at `now` to `until`, counting no attempt; how many."""

    def get(self, item_id: int) -> OutboxItem:
        """One item by id."""

    def by_message_id(self, message_ids: list[str]) -> OutboxItem | None:
        """The first of our outgoing mails carrying one of these Message-IDs, if any."""

    def items(self, status: str | None = None, ticket_id: int | None = None) -> list[OutboxItem]:
        """Items, oldest first, optionally of one status or one ticket."""

    def counts(self, kinds: tuple[str, ...] | None = None) -> dict[str, int]:
        """How many items (of these kinds, or all) are in each status."""

    def cancel(self, key_prefix: str, reason: str) -> int:
        """Withdraw waiting items whose dedupe key starts with `key_prefix`; how many."""

    def oldest_waiting(self, kinds: tuple[str, ...]) -> datetime | None:
        """When the oldest item of these kinds still waiting to be sent was queued."""
