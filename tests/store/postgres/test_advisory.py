"""PostgreSQL only: a singleton's advisory lock lives exactly as long as its own session, so
a holder that loses the database stops holding it and another node takes it over."""

from __future__ import annotations

import psycopg

from store import open_store_at
from tests.helpers.postgres import Postgres

NAME = "imap:support@127.0.0.1/INBOX"


def _terminate(url: str) -> int:
    """End every lock session from the server's side, as a lost network would; how many."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                           " WHERE application_name = 'intake-singleton'").fetchone()
    return int(row[0]) if row else 0


def test_a_holder_cut_off_from_the_database_loses_the_lock(postgres: Postgres) -> None:
    url = postgres.new_database()
    a, b = open_store_at(url, ""), open_store_at(url, "")
    a.migrate()
    lock_a, lock_b = a.cluster.singleton(NAME, 1.0), b.cluster.singleton(NAME, 1.0)
    try:
        assert lock_a.hold() and not lock_b.hold()
        assert _terminate(url) == 2  # the holder's session, and the other node's
        assert not lock_a.hold()  # its next check finds the session gone: stop the poller
        assert lock_b.hold()
        assert not lock_a.hold()  # reconnected, but the other node holds it now
    finally:
        lock_a.release()
        lock_b.release()
        a.close()
        b.close()


def test_the_lock_is_on_a_session_of_its_own(postgres: Postgres) -> None:
    url = postgres.new_database()
    store = open_store_at(url, "")
    store.migrate()
    lock = store.cluster.singleton(NAME, 1.0)
    try:
        assert lock.hold()
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
                " ON a.pid = l.pid WHERE l.locktype = 'advisory'").fetchall()
        assert rows == [("intake-singleton",)]
        lock.release()
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                ).fetchone() == (0,)
    finally:
        lock.release()
        store.close()
