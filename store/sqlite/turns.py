"""Whose turn it is to write to one SQLite file, and the WAL checkpoints between turns.

Writers of every process on the file take turns on a lock file beside it: a waiting writer
wakes the moment the lock is free, where SQLite's busy handler would sleep (up to 100 ms a
time). Writers that skip it (another program) still meet the busy timeout.

Checkpoints (copying the WAL back into the database file) are mostly done in a thread of
their own, not in a turn. SQLite's automatic checkpoint runs inside the COMMIT that passes
its threshold (1,000 pages) and copies every page not yet copied while the turn every other
writer waits for is still held. So every CHECKPOINT_COMMITS commits of this process wake a
thread that runs a PASSIVE checkpoint on a connection of its own (it waits for no reader or
writer and makes none wait): the automatic one then finds little left to copy. The
automatic one stays on all the same: only a checkpoint that ends with nothing appended
meanwhile lets the next writer start the log again from its beginning, which a thread
racing the writers never sees under steady writes (with it off, the log grew by 35 MB per
1,000 tickets and every write slowed).

The disk is not waited for in a turn either. With `synchronous = FULL` each COMMIT synced the
WAL (about 0.2 ms here, and getting the interpreter lock back after it) while holding the
turn; under load a quarter of every turn. Now commits only append (`NORMAL`, still safe
against a crash and a power cut in WAL mode, only not yet durable), and each write syncs the
WAL itself once its turn is released and before it returns (`sync`): nothing is
acknowledged before it is on disk, and the next writer's turn overlaps this one's sync.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger("store.sqlite")
CHECKPOINT_COMMITS = 16  # about 300-800 pages of WAL between checkpoints, at webhook sizes
CLOSE_WAIT_S = 5.0


class Turns:
    """The writers' turn of one process on one file (`path`; None: a shared in-memory
    connection, no other process), and its checkpoints (on connections from `connect`)."""

    def __init__(self, path: Path | None, connect: Callable[[], sqlite3.Connection]) -> None:
        self.path = path
        self._connect = connect
        self._lock_fd: int | None = None  # the lock file, opened on first write
        self._idle = threading.Event()  # clear while a write of this process has the turn
        self._idle.set()
        self._commits = 0
        self._due = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """This process's write has the turn (the caller holds its in-process lock)."""
        if self.path is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(f"{self.path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._idle.clear()
        try:
            yield
        finally:
            # The turn first, then this process's held-back requests: waking them (one
            # futex wake each, the interpreter lock held) is no part of the turn.
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._idle.set()

    def sync(self) -> None:
        """Every commit so far on disk: the WAL synced (`synchronous = NORMAL` commits do
        not sync it). Called once a write's turn is over and before the write returns, so
        the next writer does not wait for the disk, yet no one hears of a commit (a 250, a
        webhook's answer) before it is durable. A later commit's sync covers the earlier
        ones, and a checkpoint syncs the WAL before copying it, so this is never too late.
        """
        if self.path is None:
            return
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL (it goes with the last connection): all is in the synced file
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def idle(self, timeout: float) -> bool:
        """True once no write of this process has the turn (False after `timeout` s)."""
        return self._idle.wait(timeout)

    def committed(self) -> None:
        """Count a commit (inside its turn); every CHECKPOINT_COMMITS-th wakes the thread."""
        self._commits += 1
        if self.path is None or self._commits < CHECKPOINT_COMMITS or self._closed:
            return
        self._commits = 0
        if self._thread is None:
            self._thread = threading.Thread(target=self._checkpoints, daemon=True,
                                            name=f"checkpoints-{self.path.name}")
            self._thread.start()
        self._due.set()

    def _checkpoints(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            self._due.wait()
            self._due.clear()
            if self._closed:
                break
            try:
                conn = conn or self._connect()
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except Exception as exc:  # noqa: BLE001 - the thread must live to try again
                # The WAL only grows until the next one: the writes themselves are safe.
                log.warning("store.checkpoint_failed", extra={"error": str(exc)})
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Stop the checkpoint thread (SQLite checkpoints as the last connection closes) and
        close the lock file."""
        self._closed = True
        self._due.set()
        if self._thread is not None:
            self._thread.join(CLOSE_WAIT_S)
            self._thread = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
