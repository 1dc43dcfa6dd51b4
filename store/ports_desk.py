"""The store's interface for the desk's pages (users, surveys, portal links, throttling),
apart from `store.ports` only to keep each module short; `Store` names them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from store.desk import Survey, User


class UserRepository(Protocol):
    """Technicians and admins of the desk's pages; passwords only as hashes."""

    def add(self, name: str, role: str, password_hash: str, at: datetime) -> User:
        """Create a user; StoreConflictError if the name (any case) is taken."""

    def get(self, name: str) -> User | None:
        """The user with this name (any case), disabled or not."""

    def all(self) -> list[User]:
        """Every user, by name."""

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable (or enable) a user; NotFoundError if there is none."""


class SurveyRepository(Protocol):
    """Satisfaction surveys: created with a resolution, answered once."""

    def create(self, token_hash: str, ticket_id: int, at: datetime) -> None:
        """Record a survey sent for a ticket, known by the hash of its token."""

    def get(self, token_hash: str) -> Survey | None:
        """The survey with this token hash, if any."""

    def answer(self, token_hash: str, answer: int, at: datetime) -> bool:
        """Record the answer; False if the survey is unknown or already answered."""


class PortalLinkRepository(Protocol):
    """The secret in each client company's portal link."""

    def set(self, company: str, secret: str, at: datetime) -> None:
        """Give a company this secret, replacing any earlier one."""

    def secret(self, company: str) -> str | None:
        """The company's current secret (any case), if it has one."""

    def company(self, secret: str) -> str | None:
        """The company whose link carries this secret, if any."""


class RateHitRepository(Protocol):
    """Attempts counted per key in a sliding window, shared by every node."""

    def hit(self, key: str, at: datetime, since: datetime) -> int:
        """Record one attempt under `key`; return how many it has had since `since`."""

    def record(self, key: str, at: datetime, since: datetime) -> None:
        """Record one attempt under `key` (forgetting those before `since`), counting none."""

    def count(self, key: str, since: datetime) -> int:
        """How many attempts `key` has had since `since`, recording none."""

    def counts(self, keys: Sequence[tuple[str, datetime]]) -> list[int]:
        """How many attempts each (key, since) has had since then, in one read."""

    def clear(self, key: str) -> None:
        """Forget the attempts of `key`."""
