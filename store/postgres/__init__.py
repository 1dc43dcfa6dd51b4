"""The ticket store on PostgreSQL (psycopg 3 and its pool): `PostgresStore`, one database
shared by every node, reached through a repository per job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from store.errors import StoreBusyError, StoreError, StoreFullError, StoreUnavailableError
from store.postgres import schema
from store.postgres.cluster import Cluster
from store.postgres.db import Connections
from store.desk import StoreCounts
from store.postgres.desk import PortalLinks, RateHits, Surveys, Users, store_counts
from store.postgres.directory import Directory
from store.postgres.outbox import Outbox
from store.postgres.paging import Pages
from store.postgres.pending import PendingMessages
from store.postgres.records import Keys, Messages, PollerState, Rejections
from store.postgres.tickets import Tickets

T = TypeVar("T")

__all__ = ["PostgresStore"]


class PostgresStore:
    """One PostgreSQL database, reached through a repository per job (`store.ports.Store`)."""

    def __init__(self, url: str, *, ticket_prefix: str = "SR-", password: str | None = None,
                 pool_size: int = 8, timeout_s: float = 10.0) -> None:
        # url: postgresql://USER@HOST:PORT/DB; the password apart, never in the URL
        self.conns = Connections(url, password=password, max_size=pool_size, timeout=timeout_s)
        self._tickets = Tickets(self.conns, ticket_prefix)
        self._messages = Messages(self.conns)
        self._rejections = Rejections(self.conns)
        self._keys = Keys(self.conns)
        self._poller_state = PollerState(self.conns)
        self._directory = Directory(self.conns)
        self._outbox = Outbox(self.conns)
        self._pages = Pages(self.conns)
        self._users = Users(self.conns)
        self._surveys = Surveys(self.conns)
        self._portal_links = PortalLinks(self.conns)
        self._rate_hits = RateHits(self.conns)
        self._pending = PendingMessages(self.conns, self._messages)
        self._cluster = Cluster(self.conns, url, password)

    @property
    def tickets(self) -> Tickets:
        """Tickets and their timelines."""
        return self._tickets

    @property
    def messages(self) -> Messages:
        """The archive of raw inbound input."""
        return self._messages

    @property
    def rejections(self) -> Rejections:
        """Messages that could not become tickets."""
        return self._rejections

    @property
    def keys(self) -> Keys:
        """Idempotency keys."""
        return self._keys

    @property
    def poller_state(self) -> PollerState:
        """Values pollers keep across restarts."""
        return self._poller_state

    @property
    def directory(self) -> Directory:
        """Companies, their domains, people and their phone numbers."""
        return self._directory

    @property
    def outbox(self) -> Outbox:
        """Outbound mail, SMS, calls and pages waiting to be sent."""
        return self._outbox

    @property
    def pages(self) -> Pages:
        """Pages, their notices and tier clocks."""
        return self._pages

    @property
    def users(self) -> Users:
        """Technicians and admins of the desk's pages."""
        return self._users

    @property
    def surveys(self) -> Surveys:
        """Satisfaction surveys sent with resolutions."""
        return self._surveys

    @property
    def portal_links(self) -> PortalLinks:
        """The secret of each client's portal link."""
        return self._portal_links

    @property
    def rate_hits(self) -> RateHits:
        """Attempts counted per key, for throttling."""
        return self._rate_hits

    @property
    def pending(self) -> PendingMessages:
        """Accepted mail waiting to be decided."""
        return self._pending

    @property
    def cluster(self) -> Cluster:
        """Nodes' heartbeats and singleton locks."""
        return self._cluster

    def pending_migrations(self) -> list[str]:
        """Migrations this database still needs."""
        applied = set(self.schema_version())
        return [name for name in schema.known_names() if name not in applied]

    def atomically(self, work: Callable[[], T]) -> T:
        """Run `work` (calls on this store's repositories) as one transaction: all of its
        writes commit together or not at all. It may run again if it meets another
        transaction, so it must do nothing outside the store."""
        return self.conns.write(lambda _db: work())

    def migrate(self, stop_before: str | None = None) -> list[str]:
        """Apply pending migrations (all, or those before `stop_before`); return their names."""
        # One transaction each, so a failure in one leaves those before it applied; one node
        # at a time (a second one waits, then finds nothing left to do).
        with self.conns.exclusive(schema.LOCK):
            return self._migrate(stop_before)

    def _migrate(self, stop_before: str | None) -> list[str]:
        done: list[str] = []
        while True:
            with self.conns.reading() as db:
                name = schema.next_pending(db, stop_before)
            if name is None:
                return done
            try:
                if self.conns.write(lambda db: schema.apply_next(db, name)):
                    done.append(name)
            except (StoreBusyError, StoreFullError):
                raise
            except StoreError as exc:
                raise StoreUnavailableError(f"migration {name} failed: {exc}") from exc

    def schema_version(self) -> list[str]:
        """Names of the migrations applied to this database."""
        with self.conns.reading() as db:
            return schema.applied(db)

    def health(self) -> dict[str, Any]:
        """A quick check that the database answers, for /healthz."""
        try:
            with self.conns.reading() as db:
                applied = schema.applied(db)
            pending = [n for n in schema.known_names() if n not in applied]
            return {
                "ok": not pending,
                "migrations": len(applied),
                "pending_migrations": pending,
                "tickets": self.tickets.count(),
                "outbox": self.outbox.counts(),
            }
        except StoreError as exc:
            return {"ok": False, "error": str(exc)}

    def counts(self) -> StoreCounts:
        """Totals by outcome, route, event kind and outbox kind, for /metrics."""
        with self.conns.reading() as db:
            return store_counts(db)

    def close(self) -> None:
        """Close every connection."""
        self.conns.close()
