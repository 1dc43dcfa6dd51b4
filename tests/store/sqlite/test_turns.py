"""store.sqlite.turns: WAL checkpoints happen in a thread of their own, never inside a
commit; `writer_idle` says when no write of this process has the writers' turn; a write
syncs the WAL once its turn is over, before it returns."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from store.sqlite import SqliteStore
from store.sqlite.turns import CHECKPOINT_COMMITS
from tests.helpers.store import T0, new
from tests.helpers.waiting import wait_for


def test_the_log_starts_again_under_steady_writes(tmp_path: Path) -> None:
    # A checkpoint thread alone, racing the writers, never lets the log restart: it grew by
    # about 35 MB per 1,000 tickets. The commit's own checkpoint keeps it near 4 MB.
    store = SqliteStore(tmp_path / "store.db")
    try:
        store.migrate()
        for _ in range(2000):
            store.tickets.create(new(), T0)
        assert (tmp_path / "store.db-wal").stat().st_size < 16 * 1024 * 1024
    finally:
        store.close()


def test_the_checkpoint_thread_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.db")
    try:
        store.migrate()
        size = (tmp_path / "store.db").stat().st_size
        for _ in range(CHECKPOINT_COMMITS * 3):  # tickets land in the WAL first
            store.tickets.create(new(), T0)
        # Only a checkpoint writes the main file: it grows once one has copied the pages.
        wait_for(lambda: (tmp_path / "store.db").stat().st_size > size,
                 "the database file to receive the WAL's pages")
    finally:
        store.close()
    reopened = SqliteStore(tmp_path / "store.db")
    try:
        assert reopened.tickets.count() == CHECKPOINT_COMMITS * 3
    finally:
        reopened.close()


def test_writer_idle_waits_for_a_write_of_this_process(store: SqliteStore) -> None:
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        def work() -> None:
            store.tickets.create(new(), T0)
            inside.set()
            release.wait(30)
        store.atomically(work)

    assert store.writer_idle(0) is True
    writer = threading.Thread(target=hold)
    writer.start()
    try:
        assert inside.wait(30)
        assert store.writer_idle(0.05) is False  # still writing: the wait ends unanswered
    finally:
        release.set()
        writer.join(30)
    assert store.writer_idle(30) is True
    assert store.tickets.count() == 1


def test_a_write_syncs_the_wal_after_its_turn_and_before_it_returns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Commits do not sync (synchronous = NORMAL); each write syncs the WAL itself, with the
    # turn already free: another writer commits meanwhile, and the first write returns only
    # once its sync is done.
    store = SqliteStore(tmp_path / "store.db")
    store.migrate()
    wal = tmp_path / "store.db-wal"
    real_fsync = os.fsync
    synced: list[tuple[int, int]] = []  # (inode synced, tickets committed by then)
    second = threading.Thread(target=lambda: store.tickets.create(new(), T0))

    def fsync(fd: int) -> None:
        first = not second.is_alive() and not synced
        if first:  # the first write's sync: the second write gets the turn meanwhile
            second.start()
            wait_for(lambda: store.tickets.count() == 2, "the second write to commit")
        synced.append((os.fstat(fd).st_ino, store.tickets.count()))
        real_fsync(fd)

    try:
        assert next(store.conns.current().query("PRAGMA synchronous"))["synchronous"] == 1
        monkeypatch.setattr(os, "fsync", fsync)
        store.tickets.create(new(), T0)
        assert synced[0] == (wal.stat().st_ino, 2)  # its own WAL, after the other's commit
        second.join(30)
        assert len(synced) == 2  # the second write synced too
    finally:
        monkeypatch.undo()
        store.close()
