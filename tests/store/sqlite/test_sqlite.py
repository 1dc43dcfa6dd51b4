"""SQLite only: threads and processes sharing one file, locks held elsewhere, WAL, the
connection layer's transactions, an in-memory database, a full database."""

from __future__ import annotations

import errno
import multiprocessing
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from store import StoreBusyError, StoreConflictError, StoreError, StoreFullError, open_store
from store.sqlite import SqliteStore
from store.sqlite.db import store_error
from tests.helpers.disk import fill, small_disk
from tests.helpers.store import T0, new


def test_eight_threads_create_unique_numbers_without_lock_errors(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "threads.db", busy_timeout_ms=2000)
    s.migrate()
    errors: list[BaseException] = []
    numbers: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(50):
                t = s.tickets.create(new(source_id=f"<{worker}-{i}@test>"), T0)
                s.tickets.add_event(t.number, "note", T0, {"worker": worker})
                with lock:
                    numbers.append(t.number)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(numbers) == 400 == len(set(numbers))
    assert sorted(numbers) == [f"SR-{n:06d}" for n in range(1, 401)]
    s.close()


def _create_many(path: str, count: int) -> None:
    s = SqliteStore(path)
    for _ in range(count):
        s.tickets.create(new(), T0)
    s.close()


def test_two_processes_share_the_counter(tmp_path: Path) -> None:
    path = tmp_path / "procs.db"
    s = SqliteStore(path)
    s.migrate()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_create_many, args=(str(path), 40)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    numbers = [t.number for t in s.tickets.queue()]
    assert len(numbers) == 80 == len(set(numbers))
    s.close()


def test_a_lock_held_elsewhere_becomes_store_busy_not_a_raw_sqlite_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    s = SqliteStore(path, busy_timeout_ms=50)
    s.migrate()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusyError):
            s.tickets.create(new(), T0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert s.tickets.create(new(), T0).number == "SR-000001"  # the failed try used no number
    s.close()


def test_a_short_lock_elsewhere_is_waited_out(tmp_path: Path) -> None:
    path = tmp_path / "wait.db"
    s = SqliteStore(path, busy_timeout_ms=5000)
    s.migrate()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    assert s.tickets.create(new(), T0).number == "SR-000001"
    other.close()
    s.close()


def test_wal_mode_and_busy_timeout(store: SqliteStore) -> None:
    db = store.conns.current()
    assert next(db.query("PRAGMA journal_mode"))["journal_mode"] == "wal"
    assert next(db.query("PRAGMA busy_timeout"))["timeout"] == 10_000


def test_a_failed_write_rolls_back_whole(store: SqliteStore) -> None:
    def work(db: Database) -> None:
        db.execute("UPDATE counters SET value = 99 WHERE name = 'ticket'")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.conns.write(work)
    assert store.tickets.create(new(), T0).number == "SR-000001"


def test_memory_database_for_quick_tests() -> None:
    s = SqliteStore(Database(memory=True))
    s.migrate()
    assert s.tickets.create(new(), T0).number == "SR-000001"
    assert s.health()["ok"] is True


def test_a_full_database_is_store_full_not_a_raw_sqlite_error(store: SqliteStore) -> None:
    # SQLite itself reports SQLITE_FULL once the file may not grow past max_page_count (a
    # setting of the connection: the one this thread writes with).
    db = store.conns.current()
    pages = next(db.query("PRAGMA page_count"))["page_count"]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreFullError) as caught:
        store.messages.archive("email", "smtp", T0, raw=b"x" * 200_000)
    cause = caught.value.__cause__
    assert isinstance(cause, sqlite3.OperationalError)
    assert cause.sqlite_errorcode == sqlite3.SQLITE_FULL
    assert store.health()["ok"] is True  # reads still work, and nothing was half written
    db.execute("PRAGMA max_page_count = 1073741823")  # space again: writes work again
    assert store.messages.get(store.messages.archive("email", "smtp", T0, raw=b"x")).raw == b"x"


def test_no_space_left_on_the_device_is_store_full_too() -> None:
    assert isinstance(store_error(OSError(errno.ENOSPC, "No space left on device")),
                      StoreFullError)
    assert store_error(OSError(errno.EACCES, "Permission denied")) is None  # not the store's


@pytest.mark.parametrize(("sql", "error"), [
    ("SELECT * FROM nowhere", StoreError),
    ("INSERT INTO counters (name, value) VALUES ('ticket', 1)", StoreConflictError),
])
def test_a_failed_write_leaves_as_a_store_error_with_the_original_chained(
        store: SqliteStore, sql: str, error: type[StoreError]) -> None:
    with pytest.raises(error) as caught:
        store.conns.write(lambda db: db.execute(sql))
    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_a_failed_read_leaves_as_a_store_error_with_the_original_chained(
        store: SqliteStore) -> None:
    with pytest.raises(StoreError) as caught:
        with store.conns.reading() as db:
            db.execute("SELECT * FROM nowhere")
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)


def test_a_full_disk_is_store_full_on_every_write_path() -> None:
    # A real full disk (a tmpfs), not a page limit: each kind of write leaves as
    # StoreFullError, reads keep working, and writes work again once there is room.
    with small_disk(2) as folder:
        store = open_store(folder / "store.db")
        store.migrate()
        try:
            filler = fill(folder)
            with pytest.raises(StoreFullError):
                for _ in range(200):  # past whatever room the WAL still has
                    store.pending.accept("email", "smtp", T0, os.urandom(20_000))
            with pytest.raises(StoreFullError):
                for _ in range(200):
                    store.messages.archive("email", "smtp", T0, raw=os.urandom(20_000))
            assert store.health()["migrations"] > 0 and store.pending.count() >= 0
            filler.unlink()
            assert store.pending.accept("email", "smtp", T0, b"room again") > 0
        finally:
            store.close()
