"""The ticket store on PostgreSQL (psycopg 3 and its pool): `PostgresStore`, one database
shared by every node, reached through a repository per job."""

from __future__ import annotations

from store.postgres import schema
from store.postgres.cluster import Cluster
from store.postgres.db import DIALECT, Connections
from store.sql.store import SqlStore

__all__ = ["PostgresStore"]


class PostgresStore(SqlStore[Connections]):
    """One PostgreSQL database, reached through the shared repositories (`store.ports.Store`)."""

    def __init__(self, url: str, *, ticket_prefix: str = "SR-", password: str | None = None,
                 pool_size: int = 8, timeout_s: float = 10.0) -> None:
        # url: postgresql://USER@HOST:PORT/DB; the password apart, never in the URL
        conns = Connections(url, password=password, max_size=pool_size, timeout=timeout_s)
        super().__init__(conns, DIALECT, schema, ticket_prefix,
                         Cluster(conns, url, password))

    def migrate(self, stop_before: str | None = None) -> list[str]:
        """Apply pending migrations (all, or those before `stop_before`); return their names."""
        # One node at a time: a second one waits, then finds nothing left to do.
        with self.conns.exclusive(schema.LOCK):
            return super().migrate(stop_before)
