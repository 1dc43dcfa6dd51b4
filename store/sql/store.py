"""`SqlStore`: the repositories of one database wired together, what both backends' stores
share; each backend's store (store/sqlite, store/postgres) gives it connections, a dialect
and its schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from store.desk import StoreCounts
from store.errors import StoreError
from store.ports_cluster import ClusterRepository
from store.sql.connection import Connections, Dialect
from store.sql.desk import PortalLinks, RateHits, Surveys, Users, store_counts
from store.sql.directory import Directory
from store.sql.migrations import Schema, migrate
from store.sql.outbox import Outbox
from store.sql.paging import Pages
from store.sql.pending import PendingMessages
from store.sql.records import Keys, Messages, PollerState, Rejections
from store.sql.tickets import Tickets

T = TypeVar("T")
C = TypeVar("C", bound=Connections)


class SqlStore(Generic[C]):
    """One database reached through a repository per job (`store.ports.Store`)."""

    def __init__(self, conns: C, dialect: Dialect, schema: Schema, ticket_prefix: str,
                 cluster: ClusterRepository) -> None:
        self.conns = conns
        self._cluster = cluster  # heartbeats and the backend's own singleton locks
        self._schema = schema
        self._tickets = Tickets(conns, ticket_prefix, dialect)
        self._messages = Messages(conns)
        self._rejections = Rejections(conns, dialect)
        self._keys = Keys(conns)
        self._poller_state = PollerState(conns)
        self._directory = Directory(conns, dialect)
        self._outbox = Outbox(conns, dialect)
        self._pages = Pages(conns, dialect)
        self._users = Users(conns)
        self._surveys = Surveys(conns)
        self._portal_links = PortalLinks(conns)
        self._rate_hits = RateHits(conns, dialect)
        self._pending = PendingMessages(conns, dialect, self._messages)

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
    def cluster(self) -> ClusterRepository:
        """Nodes' heartbeats and singleton locks."""
        return self._cluster

    def pending_migrations(self) -> list[str]:
        """Migrations this database still needs."""
        applied = set(self.schema_version())
        return [name for name in self._schema.known_names() if name not in applied]

    def atomically(self, work: Callable[[], T]) -> T:
        """Run `work` (calls on this store's repositories) as one transaction: all of its
        writes commit together or not at all. It may run again if the database is busy, so
        it must do nothing outside the store."""
        return self.conns.write(lambda _db: work())

    def writer_idle(self, timeout: float) -> bool:
        """True once no transaction of this process is writing, at the latest after `timeout`
        seconds (then False): see store.ports.Store."""
        return self.conns.writer_idle(timeout)

    def migrate(self, stop_before: str | None = None) -> list[str]:
        """Apply pending migrations (all, or those before `stop_before`); return their names."""
        return migrate(self.conns, self._schema, stop_before)

    def schema_version(self) -> list[str]:
        """Names of the migrations applied to this database."""
        with self.conns.reading() as db:
            return self._schema.applied(db)

    def health(self) -> dict[str, Any]:
        """A quick check that the database answers, for /healthz."""
        try:
            applied = self.schema_version()
            pending = [n for n in self._schema.known_names() if n not in applied]
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
