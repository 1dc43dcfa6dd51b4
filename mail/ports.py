"""What the mail channels need from the rest of the gateway, as protocols they define
themselves (the gateway's `EmailIntake` implements them; this package never imports it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from store.models import Outcome


class Decided(Protocol):
    """What became of one message."""

    @property
    def outcome(self) -> Outcome:
        """One of the pipeline's outcomes (ticket, updated, rejected, ...)."""

    @property
    def ticket(self) -> str | None:
        """The ticket number opened or updated, if any."""

    @property
    def reason(self) -> str | None:
        """Why, for rejections, automatic mail and errors."""


class MailIntake(Protocol):
    """The email pipeline: raw bytes committed as pending mail, decided soon after by the
    gateway's deciders."""

    def accept(self, raw: bytes, source: str, recipients: Sequence[str] = ...) -> int:
        """Commit the bytes as a pending message; its row. Raises the store's StoreError
        when the store cannot take it (nothing committed: the caller must retry later)."""

    def decided(self, row: int) -> Decided | None:
        """The committed outcome of an accepted message; None while it is pending."""


class SmtpIntake(MailIntake, Protocol):
    """The pipeline as the SMTP listener uses it: also several messages in one commit."""

    def accept_many(self, items: Sequence[tuple[bytes, str, Sequence[str]]]
                    ) -> Sequence[int | BaseException]:
        """Commit (raw, source, recipients) messages as pending in one transaction (each
        alone if that fails); per message its row, or the error that kept it out (the
        store's StoreError when the store could not take it)."""


class PollerState(Protocol):
    """Small named JSON values a poller keeps across restarts (the store's `poller_state`)."""

    def get(self, name: str, default: Any = None) -> Any:
        """The stored value, or `default`."""

    def set(self, name: str, value: Any, at: datetime) -> None:
        """Store a JSON-able value under `name`; raises the store's StoreError on failure."""


class Lease(Protocol):
    """Whether this process may still act as the mailbox's one poller (a cluster's lock on
    it, confirmed recently enough); the poller takes and files nothing once it is not."""

    def held(self) -> bool:
        """True while the lock is ours and was confirmed within its margin."""
