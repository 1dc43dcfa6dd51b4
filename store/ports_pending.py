"""The interface of accepted mail waiting for a decider (the fast-intake path)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from store.models import PendingMessage


class PendingRepository(Protocol):
    """Mail a channel accepted and no decider has decided yet; claimed with a lease, so
    each row is decided exactly once whatever crashes and on whichever node."""

    def accept(self, channel: str, source: str, received_at: datetime, raw: bytes,
               recipients: tuple[str, ...] = ()) -> int:
        """Archive the bytes and queue them, in one transaction; the archive row id."""

    def claim(self, owner: str, now: datetime, lease: timedelta,
              limit: int = 1) -> list[PendingMessage]:
        """Take up to `limit` rows nobody holds (or whose lease ran out), oldest first."""

    def finish(self, row: int, owner: str) -> bool:
        """Remove a row `owner` holds (call inside the outcome's transaction); False if not."""

    def release(self, owner_prefix: str) -> int:
        """Free the rows of owners whose name starts with `owner_prefix`; how many."""

    def owners(self) -> list[str]:
        """The owners holding rows now."""

    def count(self) -> int:
        """How many messages wait to be decided."""
