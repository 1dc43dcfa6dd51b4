"""The ticket store on SQLite (sqlite-utils): `SqliteStore`, one database reached through a
repository per job."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from store.sql.store import SqlStore
from store.sqlite import schema
from store.sqlite.cluster import Cluster
from store.sqlite.db import DIALECT, Connections

__all__ = ["SqliteStore"]


class SqliteStore(SqlStore[Connections]):
    """One SQLite database, reached through the shared repositories (`store.ports.Store`)."""

    def __init__(
        self,
        target: Database | str | Path,
        *,
        ticket_prefix: str = "SR-",
        busy_timeout_ms: int = 10_000,
    ) -> None:
        # target: a file, ":memory:" (one connection shared by every thread) or a Database
        conns = Connections(target, busy_timeout_ms)
        super().__init__(conns, DIALECT, schema, ticket_prefix, Cluster(conns))
