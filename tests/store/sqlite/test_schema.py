"""Migrations: a new database, an old one brought forward, a newer one refused."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from store import NewTicket, SchemaTooNewError, StoreUnavailableError
from store.sqlite import SqliteStore
from store.sqlite.schema import known_names

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


def test_new_database_gets_every_migration(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "new.db")
    assert s.migrate() == known_names()
    assert s.migrate() == []  # idempotent
    assert s.schema_version() == known_names()
    s.close()


def test_old_database_is_brought_forward_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = SqliteStore(path)
    # A database as the first release left it: only the first migration.
    assert old.migrate(stop_before=known_names()[1]) == known_names()[:1]
    number = old.tickets.create(
        NewTicket(channel="email", route="email", priority=4, received_at=T0,
                  subject="from the old days"), T0
    ).number
    old.close()
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "outbox" not in tables

    s = SqliteStore(path)
    assert s.migrate() == known_names()[1:]
    assert s.tickets.get(number).subject == "from the old days"
    assert s.outbox.enqueue("email", "a@b.example", {}, T0) is not None
    assert s.tickets.create(
        NewTicket(channel="email", route="email", priority=4, received_at=T0), T0
    ).number == "SR-000002"
    s.close()


def test_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    s = SqliteStore(path)
    s.migrate()
    s.conns.write(lambda db: db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('intake-gateway', '9999_future', '2030-01-01')"
    ))
    with pytest.raises(SchemaTooNewError, match="9999_future"):
        s.migrate()
    s.close()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailableError):
        SqliteStore(path).migrate()


def test_migrations_run_in_one_transaction_each(tmp_path: Path) -> None:
    # A concurrent reader never sees a half-built schema: a table of migration 0003 is
    # visible only together with its index.
    path = tmp_path / "tx.db"
    s = SqliteStore(path)
    s.migrate()
    indexes = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"outbox_due", "tickets_queue", "messages_sha256"} <= indexes
    s.close()


def test_a_failing_migration_keeps_the_ones_before_it(tmp_path: Path) -> None:
    # Each migration commits with its record: when 0003 fails (a table it creates is there
    # already), 0001 and 0002 stay applied, nothing of 0003 is left, and the database works.
    path = tmp_path / "partial.db"
    squatter = sqlite3.connect(path)
    squatter.execute("CREATE TABLE poller_state (name TEXT)")
    squatter.commit()
    squatter.close()
    s = SqliteStore(path)
    with pytest.raises(StoreUnavailableError, match="0003_outbox_and_poller_state"):
        s.migrate()
    assert s.schema_version() == known_names()[:2]
    assert s.pending_migrations() == known_names()[2:]
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "outbox" not in tables  # created by 0003 before it failed: rolled back with it
    number = s.tickets.create(
        NewTicket(channel="email", route="email", priority=4, received_at=T0), T0).number
    assert s.tickets.get(number).number == "SR-000001"
    # Once the obstacle is gone, the next run applies only what is still pending.
    s.conns.write(lambda db: db.execute("DROP TABLE poller_state"))
    assert s.migrate() == known_names()[2:]
    s.close()


def test_event_kinds_stored_before_the_naming_scheme_are_renamed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "old.db")
    store.migrate(stop_before="0005_event_kinds_named_by_area")
    number = store.tickets.create(NewTicket(channel="email", route="email", priority=4,
                                            received_at=T0), T0).number
    store.conns.write(lambda db: db.execute(
        "UPDATE ticket_events SET kind = 'created'"))  # as a release before 0005 wrote it
    for old in ("updated", "status", "email_reply", "call.voicemail"):
        store.tickets.add_event(number, old, T0)
    store.migrate()
    kinds = [e.kind for e in store.tickets.get(number).events]
    assert kinds == ["ticket.created", "ticket.updated", "ticket.status", "email.reply",
                     "call.voicemail"]
    store.close()
