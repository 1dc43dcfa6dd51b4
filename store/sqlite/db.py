"""Connections to the SQLite file: one per thread, WAL mode, busy timeout, retried writes;
and `DIALECT`, what SQLite's SQL needs of the shared repositories (store/sql)."""

from __future__ import annotations

import contextlib
import errno
import operator
import sqlite3
import threading
import weakref
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from store.errors import (
    StoreBusyError,
    StoreConflictError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)
from store.rows import from_db as from_db, to_db as to_db  # bench imports them from here
from store.sql.connection import Database as SqlDatabase, Dialect
from store.sqlite.results import row_keys, statement_kind
from store.sqlite.turns import Turns

T = TypeVar("T")

# Primary result codes meaning the file itself cannot be used (not a query's fault).
_UNAVAILABLE = {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT,
                sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM}


def _is_busy(exc: BaseException) -> bool:
    """True for SQLite's 'database is locked' / 'busy' errors, which are worth retrying."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


_NAME = operator.itemgetter(0)  # a column's name in a cursor's description


class Database(sqlite_utils.Database):
    """A sqlite-utils connection with the one call the shared repositories add (`insert`)."""

    def query(self, statement: str, params: Sequence[Any] | dict[str, Any] | None = None
              ) -> Generator[dict[str, Any], None, None]:
        """The rows of a SELECT, or of a write's RETURNING (fetched at once: the write is
        done on return), as dicts. Run as they are, not in the SAVEPOINT and RELEASE (two
        more statements) sqlite-utils adds to undo a statement that returns no rows."""
        kind = statement_kind(statement)
        returning = kind == "returning"
        if kind == "other" or self._tracer:
            return super().query(statement, params)
        cursor = self.conn.execute(statement, () if params is None else params)
        if cursor.description is None:
            raise ValueError(f"query() needs a statement that returns rows: {statement!r}")
        keys = row_keys(tuple(map(_NAME, cursor.description)))
        rows = cursor.fetchall() if returning else cursor
        return (dict(zip(keys, row)) for row in rows)

    def insert(self, statement: str, params: Sequence[Any] = (), /) -> int | None:
        """Run an INSERT; the new row's id, None when ON CONFLICT DO NOTHING skipped it."""
        cursor = self.conn.execute(statement, params)
        return cursor.lastrowid if cursor.rowcount == 1 else None


def _write_blob(db: SqlDatabase, row: int, offset: int, data: bytes) -> None:
    # Incremental blob I/O into the zeroblob reserved by the INSERT: no rewrite of the rest.
    assert isinstance(db, Database)
    with db.conn.blobopen("messages", "raw", row) as blob:
        blob.seek(offset)
        blob.write(data)


DIALECT = Dialect(skip_locked="", string_agg="group_concat", blob_space="zeroblob(?)",
                  write_blob=_write_blob)


def store_error(exc: BaseException) -> StoreError | None:
    """The store's error for a database error (or a full disk); None for anything else."""
    if isinstance(exc, OSError):
        return StoreFullError(f"no space left on the device: {exc}") if (
            exc.errno in (errno.ENOSPC, errno.EDQUOT)) else None
    if not isinstance(exc, sqlite3.Error):
        return None
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # extended -> primary
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc).lower():
        return StoreFullError(f"the database or its disk is full: {exc}")
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreConflictError(f"refused by a constraint, nothing written: {exc}")
    if _is_busy(exc):
        return StoreBusyError(f"database is locked: {exc}")
    if code in _UNAVAILABLE:
        return StoreUnavailableError(f"the database cannot be used: {exc}")
    return StoreError(f"database error: {exc}")


class Connections:
    """Hands each thread its own connection to one database file.

    SQLite allows many readers and one writer. Readers use their thread's
    connection freely (WAL keeps them off the writer's back); writers inside
    this process queue on a lock, so they never wait on each other inside
    SQLite, and writers from other processes are waited for by the busy
    timeout, then by a few whole-transaction retries.
    """

    def __init__(self, target: sqlite_utils.Database | str | Path,
                 busy_timeout_ms: int = 10_000) -> None:
        self.busy_timeout_ms = busy_timeout_ms
        self._write_lock = threading.RLock()
        self._local = threading.local()
        # Weak: a connection of a thread that has ended is closed when collected.
        self._all: weakref.WeakSet[Database] = weakref.WeakSet()
        self._all_lock = threading.Lock()
        self.shared: Database | None = None
        self.path: Path | None = None
        if target == ":memory:":
            target = Database(memory=True)
        if isinstance(target, sqlite_utils.Database):
            # One connection (given by the caller, or an in-memory database): every
            # thread shares it, one at a time.
            self.shared = target if isinstance(target, Database) else Database(
                target.conn, recursive_triggers=False)
            self._prepare(target.conn)
        else:
            self.path = Path(target)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                full = store_error(exc)
                raise full or StoreUnavailableError(
                    f"cannot create {self.path.parent}: {exc}") from exc
        # No path: one shared connection, no other process to take turns with.
        self._turns = Turns(self.path, self._checkpoint_connection)

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")

    def _open(self) -> Database:
        assert self.path is not None
        try:
            conn = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout_ms / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            self._prepare(conn)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            # NORMAL: a COMMIT appends to the WAL without syncing it; `write` syncs it
            # itself once the writers' turn is over (Turns.sync), before it returns. So a
            # 250 (the pending message committed) still survives a power cut, not only a
            # crash of the process, and no other writer waits for the disk meanwhile.
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            full = store_error(exc)
            if isinstance(full, StoreFullError):
                raise full from exc
            raise StoreUnavailableError(f"cannot open {self.path}: {exc}") from exc
        if str(mode).lower() != "wal":
            raise StoreUnavailableError(f"{self.path}: WAL mode refused (journal_mode={mode})")
        db = Database(conn)
        with self._all_lock:
            self._all.add(db)
        return db

    def _checkpoint_connection(self) -> sqlite3.Connection:
        return self._open().conn

    def current(self) -> Database:
        """This thread's connection, opened on first use."""
        if self.shared is not None:
            return self.shared
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._open()
            self._local.db = db
        return db

    @contextlib.contextmanager
    def reading(self) -> Iterator[Database]:
        """A consistent snapshot for several reads; database errors leave as StoreError."""
        try:
            with self._snapshot() as db:
                yield db
        except (sqlite3.Error, OSError) as exc:
            error = store_error(exc)
            if error is None:
                raise
            raise error from exc

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Database]:
        if self.shared is not None:
            with self._write_lock:
                yield self.shared
            return
        db = self.current()
        if db.conn.in_transaction:
            yield db
            return
        db.conn.execute("BEGIN")
        try:
            yield db
        finally:
            if db.conn.in_transaction:
                db.conn.execute("COMMIT")

    def write(self, work: Callable[[Database], T]) -> T:
        """Run `work` in one IMMEDIATE transaction, retrying it whole while the file is busy.

        A `write` inside another one on the same thread joins the outer transaction. Database
        errors leave as the store's own: StoreBusyError, StoreFullError, StoreConflictError,
        StoreUnavailableError or StoreError, the original chained; others pass unchanged.
        """
        if getattr(self._local, "writing", False):
            # The outer `write` retries a busy file and translates errors: raw until then.
            return work(self.current())
        try:
            return self._write_retrying(work)
        except (sqlite3.Error, OSError) as exc:
            error = store_error(exc)
            if error is None:
                raise
            raise error from exc

    def writing(self) -> bool:
        """True inside a write transaction on this thread."""
        return bool(getattr(self._local, "writing", False))

    def writer_idle(self, timeout: float) -> bool:
        """True once no write of this process has the writers' turn, at the latest after
        `timeout` seconds (then False). Other processes' writers wait for that one."""
        return self._turns.idle(timeout)

    def _write_retrying(self, work: Callable[[Database], T]) -> T:
        try:
            return self._write_once(work)  # the usual case: no contention worth retrying
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        try:
            for attempt in Retrying(
                retry=retry_if_exception(_is_busy),
                stop=stop_after_attempt(4),
                wait=wait_random_exponential(multiplier=0.05, max=1.0),
                reraise=False,
            ):
                with attempt:
                    return self._write_once(work)
        except RetryError as exc:
            raise StoreBusyError(f"database stayed locked: {exc.last_attempt.exception()}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_once(self, work: Callable[[Database], T]) -> T:
        with self._write_lock, self._turns.turn():
            db = self.current()
            db.conn.execute("BEGIN IMMEDIATE")
            self._local.writing = True
            try:
                result = work(db)
                db.conn.execute("COMMIT")
            except BaseException:
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                raise
            finally:
                self._local.writing = False
            self._turns.committed()
        self._turns.sync()  # on disk before the caller hears of it: outside the turn
        return result

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._all_lock:
            for db in list(self._all):
                db.close()
            self._all.clear()
        self._turns.close()
        self._local = threading.local()
