"""PostgreSQL only: a serialization failure met by a read inside a write runs the whole
write again, as one met by its own statements does, instead of leaving as StoreBusyError."""

from __future__ import annotations

import psycopg

from store.postgres import PostgresStore
from store.postgres.db import Database
from tests.helpers.postgres import Postgres


def test_a_read_inside_a_write_that_loses_a_race_runs_the_write_again(
        postgres: Postgres) -> None:
    url = postgres.new_database()
    store = PostgresStore(url)
    store.migrate()
    attempts: list[int] = []

    def work(db: Database) -> int:
        attempts.append(len(attempts) + 1)
        with store.conns.reading() as snap:  # joins the write: the snapshot starts here
            next(snap.query("SELECT value FROM counters WHERE name = 'ticket'"))
        if len(attempts) == 1:
            with psycopg.connect(url, autocommit=True) as other:  # another node wins
                other.execute("UPDATE counters SET value = value + 1 WHERE name = 'ticket'")
        with store.conns.reading() as snap:
            row = next(snap.query(
                "SELECT value FROM counters WHERE name = 'ticket' FOR UPDATE"))
        return int(row["value"])

    try:
        assert store.conns.write(work) == 1
        assert attempts == [1, 2]
    finally:
        store.close()
