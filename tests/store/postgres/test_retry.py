"""PostgreSQL only: a retryable error (here a row lock held past the lock timeout) met by a
read inside a write runs the whole write again, as one met by its own statements does,
instead of leaving as StoreBusyError. (Under READ COMMITTED writes a read no longer meets a
serialization failure; the lock timeout and deadlocks are what remain to retry.)"""

from __future__ import annotations

import psycopg

from store.postgres import PostgresStore
from store.postgres.db import Database
from tests.helpers.postgres import Postgres


def test_a_read_inside_a_write_that_meets_a_held_lock_runs_the_write_again(
        postgres: Postgres) -> None:
    url = postgres.new_database()
    store = PostgresStore(url)
    store.migrate()
    attempts: list[int] = []
    other = psycopg.connect(url)  # another node, holding the counter row in a transaction
    other.execute("SELECT value FROM counters WHERE name = 'ticket' FOR UPDATE")

    def work(db: Database) -> int:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            db.execute("SET LOCAL lock_timeout = '200ms'")
        else:
            other.rollback()  # the other node is done by the second attempt
        with store.conns.reading() as snap:  # joins the write
            row = next(snap.query(
                "SELECT value FROM counters WHERE name = 'ticket' FOR UPDATE"))
        return int(row["value"])

    try:
        assert store.conns.write(work) == 0
        assert attempts == [1, 2]
    finally:
        other.close()
        store.close()
