"""PostgreSQL only: writes run READ COMMITTED, and a row read inside a write to decide it is
locked until that write ends (another node asking for it with NOWAIT is refused), while the
same read outside a write locks nothing."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors as pg

from store.postgres import PostgresStore
from store.postgres.db import Database
from tests.helpers.postgres import Postgres
from tests.helpers.store import T0, new


@pytest.fixture
def pg_store(postgres: Postgres) -> Iterator[tuple[PostgresStore, str]]:
    """A migrated store on a fresh database, and that database's url."""
    url = postgres.new_database()
    store = PostgresStore(url)
    store.migrate()
    yield store, url
    store.close()


def _locked_elsewhere(url: str, sql: str) -> bool:
    """True when another connection cannot take the row `sql` selects FOR UPDATE NOWAIT."""
    with psycopg.connect(url) as other:
        try:
            other.execute(sql + " FOR UPDATE NOWAIT")
        except pg.LockNotAvailable:
            return True
        return False


def test_writes_run_read_committed(pg_store: tuple[PostgresStore, str]) -> None:
    store, _ = pg_store

    def level(db: Database) -> str:
        return str(next(db.query("SHOW transaction_isolation"))["transaction_isolation"])

    assert store.conns.write(level) == "read committed"
    with store.conns.reading() as db:  # reads keep one snapshot for all their statements
        assert next(db.query("SHOW transaction_isolation"))["transaction_isolation"] == (
            "repeatable read")


def test_a_ticket_read_inside_a_write_is_locked_until_it_ends(
        pg_store: tuple[PostgresStore, str]) -> None:
    store, url = pg_store
    number = store.tickets.create(new(), T0).number
    row = f"SELECT id FROM tickets WHERE number = '{number}'"

    def work() -> bool:
        store.tickets.get(number)
        return _locked_elsewhere(url, row)

    assert store.atomically(work)
    assert not _locked_elsewhere(url, row)  # released at commit
    with store.conns.reading():
        store.tickets.get(number)
        assert not _locked_elsewhere(url, row)  # a plain read locks nothing


def test_a_rejection_read_inside_a_write_is_locked_until_it_ends(
        pg_store: tuple[PostgresStore, str]) -> None:
    store, url = pg_store
    message = store.messages.archive("email", "smtp", T0, raw=b"x")
    store.rejections.add(message, T0, ["company"], reply_message_id="<r@desk>")
    row = "SELECT id FROM rejections WHERE reply_message_id = '<r@desk>'"
    assert store.atomically(lambda: store.rejections.by_reply("<r@desk>") is not None
                            and _locked_elsewhere(url, row))
    assert store.rejections.by_reply("<r@desk>") is not None
    assert not _locked_elsewhere(url, row)
