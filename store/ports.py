"""The store's written interface: a Protocol for the store and one for each repository.

Callers name these, never a backend; every backend (`store.sqlite`, `store.postgres`)
implements them and passes the same contract tests (tests/store/). Methods take and return
only `store.models` records or plain values, and raise only the errors of `store.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from store.models import (ArchivedMessage, Company, Contact, ContactRecord, Event, NewTicket,
                          Rejection, Ticket)
from store.ports_cluster import ClusterRepository
from store.ports_outbox import OutboxRepository
from store.ports_paging import PageRepository
from store.ports_pending import PendingRepository
from store.desk import StoreCounts, TicketQuery
from store.ports_desk import (PortalLinkRepository, RateHitRepository, SurveyRepository,
                              UserRepository)

T = TypeVar("T")


class TicketRepository(Protocol):
    """Opens, reads and annotates tickets. Numbers are PREFIX + six digits, gap-free, never
    reused."""

    def create(self, new: NewTicket, at: datetime) -> Ticket:
        """Open a ticket and its 'created' event; DuplicateSourceError on a repeated source."""

    def number_for_source(self, channel: str, source_id: str) -> str | None:
        """The number of the ticket opened from this Message-ID / CallSid, if any."""

    def for_source(self, channel: str, source_id: str) -> Ticket | None:
        """The ticket opened from this Message-ID / CallSid, its events left out; None if
        there is none."""

    def number_for_id(self, ticket_id: int) -> str | None:
        """The number of the ticket with this id, if any."""

    def get(self, number: str, events: bool = True) -> Ticket:
        """The ticket with this number (any case) and its events (none read when not
        `events`); TicketNotFound otherwise."""

    def queue(self, include_closed: bool = False, limit: int | None = None) -> list[Ticket]:
        """Tickets by priority, then first come first served (the first `limit` of them)."""

    def add_event(self, number: str, kind: str, at: datetime,
                  detail: dict[str, Any] | None = None, actor: str | None = None,
                  dedupe_key: str | None = None, ticket_id: int | None = None,
                  touch: bool = True) -> bool:
        """Append an event; False (and nothing written) when `dedupe_key` was seen before.
        `ticket_id`: the ticket's row id, when read in this same write (not looked up again);
        not `touch`: `updated_at` was set to `at` earlier in this same write."""

    def update(self, number: str, at: datetime, changes: dict[str, Any],
               kind: str = "updated", detail: dict[str, Any] | None = None,
               actor: str | None = None, dedupe_key: str | None = None,
               ticket_id: int | None = None) -> bool:
        """Change fields and record why in one event, atomically; False on a seen key.
        `ticket_id`: the ticket's row id, when read in this same write (not looked up again)."""

    def set_status(self, number: str, status: str, at: datetime,
                   actor: str | None = None) -> None:
        """Move a ticket to another status and record who did it."""

    def count(self) -> int:
        """How many tickets exist, whatever their status."""

    def events_after(self, event_id: int, limit: int = 500) -> list[tuple[str, Event]]:
        """Events of every ticket newer than `event_id`, oldest first, with their number."""

    def last_event_id(self) -> int:
        """The id of the newest event of any ticket (0 when there is none)."""

    def page(self, query: TicketQuery, limit: int = 100) -> list[Ticket]:
        """Tickets matching `query` in queue order, from just after `query.after`."""


class MessageArchive(Protocol):
    """Every inbound email (raw bytes) and webhook (parameters), kept whatever the outcome."""

    def archive(self, channel: str, source: str, received_at: datetime,
                raw: bytes | None = None, params: dict[str, Any] | None = None,
                source_id: str | None = None) -> int:
        """Keep the input before anything else looks at it; return its row id."""

    def set_outcome(self, row: int, outcome: str, reason: str | None = None,
                    ticket_id: int | None = None, source_id: str | None = None) -> None:
        """Record what became of an archived message (and its source id, once parsed)."""

    def get(self, row: int) -> ArchivedMessage:
        """One archived message, raw bytes included; NotFoundError otherwise."""

    def for_ticket(self, ticket_id: int) -> list[int]:
        """Rows of the archived input that opened or updated this ticket, oldest first."""

    def seen(self, channel: str, source_id: str | None, raw: bytes | None = None) -> int | None:
        """The row of an earlier message with this source id (or bytes) that has an outcome."""


class RejectionRepository(Protocol):
    """Messages that lacked required fields, with what was missing."""

    def add(self, message_row: int, received_at: datetime, missing: list[str],
            sender: str | None = None, message_id: str | None = None,
            reason: str | None = None, reply_message_id: str | None = None) -> int:
        """Record a rejection; return its id."""

    def resolve(self, rejection_id: int, ticket_id: int, at: datetime) -> None:
        """Mark a rejection as completed by a later answer that opened `ticket_id`."""

    def get(self, rejection_id: int) -> Rejection:
        """One rejection by id; NotFoundError otherwise."""

    def recent(self, limit: int = 100) -> list[Rejection]:
        """The newest rejections first."""

    def by_reply(self, reply_message_id: str) -> Rejection | None:
        """The rejection whose reply carried this Message-ID."""

    def count_since(self, sender: str, since: datetime, replied_only: bool = False) -> int:
        """Rejections of this sender (any case) since a moment (only replied ones, if asked)."""


class IdempotencyKeys(Protocol):
    """Idempotency keys: the first caller of a key wins, repeats learn the first result."""

    def claim(self, key: str, at: datetime, result: Any = None) -> bool:
        """True if this call is the first with `key` (and records `result`), False if seen."""

    def result(self, key: str) -> Any:
        """What the first caller of `key` recorded; KeyError if the key is new."""


class PollerStateRepository(Protocol):
    """Small named JSON values that pollers keep across restarts (UIDVALIDITY, last UID)."""

    def get(self, name: str, default: Any = None) -> Any:
        """The stored value, or `default`."""

    def set(self, name: str, value: Any, at: datetime) -> None:
        """Store a JSON-able value under `name`."""


class DirectoryRepository(Protocol):
    """Looks people and companies up; imports update in place, never duplicate."""

    def upsert_company(self, name: str, at: datetime, domains: tuple[str, ...] = (),
                       site: str | None = None) -> tuple[int, bool]:
        """Create or update a company by name (any case); return (id, created)."""

    def upsert_contact(self, record: ContactRecord, at: datetime) -> tuple[int, bool]:
        """Create or update a person (by email, else phone, else name); return (id, created)."""

    def by_email(self, email: str) -> Contact | None:
        """The person with this address (any case)."""

    def by_phone(self, phone: str) -> list[Contact]:
        """Everyone who answers at this E.164 number."""

    def company_for_domain(self, domain: str) -> Company | None:
        """The company that owns an email domain (or a parent domain of it)."""

    def companies(self) -> list[Company]:
        """Every company, by name."""

    def contacts(self) -> list[Contact]:
        """Every person, by name."""


class Store(Protocol):
    """One ticket store, reached through a repository per job."""

    @property
    def tickets(self) -> TicketRepository:
        """Tickets and their timelines."""

    @property
    def messages(self) -> MessageArchive:
        """The archive of raw inbound input."""

    @property
    def pending(self) -> PendingRepository:
        """Accepted mail waiting to be decided."""

    @property
    def rejections(self) -> RejectionRepository:
        """Messages that could not become tickets."""

    @property
    def keys(self) -> IdempotencyKeys:
        """Idempotency keys."""

    @property
    def poller_state(self) -> PollerStateRepository:
        """Values pollers keep across restarts."""

    @property
    def directory(self) -> DirectoryRepository:
        """Companies, their domains, people and their phone numbers."""

    @property
    def outbox(self) -> OutboxRepository:
        """Outbound mail, SMS, calls and pages waiting to be sent."""

    @property
    def pages(self) -> PageRepository:
        """Pages, their notices and tier clocks."""

    @property
    def users(self) -> UserRepository:
        """Technicians and admins of the desk's pages."""

    @property
    def surveys(self) -> SurveyRepository:
        """Satisfaction surveys sent with resolutions."""

    @property
    def portal_links(self) -> PortalLinkRepository:
        """The secret of each client's portal link."""

    @property
    def rate_hits(self) -> RateHitRepository:
        """Attempts counted per key, for throttling."""

    @property
    def cluster(self) -> ClusterRepository:
        """Nodes' heartbeats and singleton locks."""

    def atomically(self, work: Callable[[], T]) -> T:
        """Run `work` (calls on this store's repositories) as one all-or-nothing transaction."""
        # `work` may run again while the database is busy: it must do nothing outside the store.

    def writer_idle(self, timeout: float) -> bool:
        """True once no transaction of this process is writing, at the latest after `timeout`
        seconds (then False). Where writers take turns across processes (SQLite), the others
        wait for that one: work that can wait for it does not compete with it for the CPU."""

    def migrate(self, stop_before: str | None = None) -> list[str]:
        """Apply pending migrations (all, or those before `stop_before`); return their names."""

    def pending_migrations(self) -> list[str]:
        """Migrations this database still needs."""

    def schema_version(self) -> list[str]:
        """Names of the migrations applied to this database."""

    def health(self) -> dict[str, Any]:
        """A quick check that the database answers (ok, migrations, counts), for /healthz."""

    def counts(self) -> StoreCounts:
        """Totals by outcome, route, event kind and outbox kind, for /metrics."""

    def close(self) -> None:
        """Release every connection."""
