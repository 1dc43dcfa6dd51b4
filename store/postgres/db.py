"""Connections to PostgreSQL (psycopg 3, psycopg_pool): one pooled connection per
transaction, READ COMMITTED writes (the repositories lock what decides a write: README
"PostgreSQL") retried whole on deadlocks, lock timeouts and serialization failures,
every database error turned into the store's own (store/errors.py); and `DIALECT`, what
PostgreSQL's SQL needs of the shared repositories (store/sql)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout
from tenacity import (RetryError, Retrying, retry_if_exception, stop_after_attempt,
                      wait_random_exponential)

from store.errors import (StoreBusyError, StoreConflictError, StoreError, StoreFullError,
                          StoreUnavailableError, StoreUnreachableError)
from store.sql.connection import Database as SqlDatabase, Dialect

T = TypeVar("T")

RETRIES = 8  # whole-transaction attempts before StoreBusyError
# A pool that lost its database retries each connection with a doubling wait (psycopg_pool:
# 1, 2, 4 ... s for up to 5 minutes), so after an outage of a minute the gateway came back
# 20-60 s after the database did. Given up after this long, a connection is tried again at
# once the next time one is asked for: back within a few seconds of the database.
RECONNECT_S = 5.0
# Writes run READ COMMITTED: each statement sees what committed before it, and a row another
# writer holds is waited for, then read as that writer left it. What a read decides is kept
# true by a lock (FOR UPDATE, the counter row, a key lock) or a constraint; README "PostgreSQL".
ISOLATION = "READ COMMITTED"


def _is_busy(exc: BaseException) -> bool:
    """True for the errors a transaction run again can get past."""
    return isinstance(exc, (pg.SerializationFailure, pg.DeadlockDetected, pg.LockNotAvailable))


def store_error(exc: BaseException) -> StoreError | None:
    """The store's error for a database error; None for anything else."""
    if isinstance(exc, PoolTimeout):
        return StoreUnreachableError(f"no connection to the database: {exc}")
    if not isinstance(exc, psycopg.Error):
        return None
    if _is_busy(exc):
        return StoreBusyError(f"database stayed busy: {exc}")
    if isinstance(exc, (pg.DiskFull, pg.OutOfMemory, pg.ProgramLimitExceeded)):
        return StoreFullError(f"the database or its disk is full: {exc}")
    if isinstance(exc, psycopg.IntegrityError):
        return StoreConflictError(f"refused by a constraint, nothing written: {exc}")
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return StoreUnavailableError(f"the database cannot be used: {exc}")
    return StoreError(f"database error: {exc}")


def _sql(statement: str) -> str:
    """The store's `?` placeholders as psycopg's `%s` (a literal % doubled)."""
    return statement.replace("%", "%%").replace("?", "%s")


class Result:
    """What a statement left: rows (if it returned any) and how many rows it touched."""

    def __init__(self, cursor: psycopg.Cursor[dict[str, Any]]) -> None:
        self.rowcount = cursor.rowcount
        self._rows = [list(r.values()) for r in cursor.fetchall()] if cursor.description else []

    def fetchone(self) -> list[Any] | None:
        """The first row returned, as a list of values."""
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[list[Any]]:
        """Every row returned, as lists of values."""
        return list(self._rows)


class Database:
    """One connection inside a transaction, with the two calls the repositories use."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def query(self, statement: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """The rows of a SELECT (or RETURNING) as dicts."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_sql(statement), list(params))
            return iter(cur.fetchall())

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_sql(statement), list(params))
            return Result(cur)

    def insert(self, statement: str, params: Sequence[Any] = ()) -> int | None:
        """Run an INSERT; the new row's id, None when ON CONFLICT DO NOTHING skipped it."""
        row = self.execute(statement + " RETURNING id", params).fetchone()
        return None if row is None else int(row[0])


def _write_blob(db: SqlDatabase, row: int, offset: int, data: bytes) -> None:
    # The row was inserted with no bytes; each chunk lands at its offset, after the last.
    db.execute("UPDATE messages SET raw = overlay(raw PLACING ? FROM ?) WHERE id = ?",
               [data, offset + 1, row])


# blob_space: an empty bytea (a substring of nothing, so that the statement takes the size
# SQLite's zeroblob needs); each chunk then lands after the last, by overlay.
# lock_key: a transaction advisory lock in a key space of its own (two int4 keys, never
# equal to the cluster's and the migrations' one-bigint session locks).
DIALECT = Dialect(skip_locked=" FOR UPDATE SKIP LOCKED", string_agg="string_agg",
                  blob_space="substr(''::bytea, 1, ?::int)", write_blob=_write_blob,
                  for_update=" FOR UPDATE",
                  lock_key="SELECT pg_advisory_xact_lock(7411, hashtext(?))")


class Connections:
    """A pool of connections to one database; a transaction holds one per thread, and a
    `write` or `reading` inside another on the same thread joins it."""

    def __init__(self, conninfo: str, *, password: str | None = None, min_size: int = 1,
                 max_size: int = 8, timeout: float = 10.0) -> None:
        # A row lock held elsewhere is waited for `timeout`, then the transaction retried.
        kwargs: dict[str, Any] = {"autocommit": True,
                                  "options": f"-c lock_timeout={int(timeout * 1000)}"}
        if password:
            kwargs["password"] = password
        self._local = threading.local()
        try:
            self.pool = ConnectionPool(conninfo, kwargs=kwargs, min_size=min_size,
                                       max_size=max_size, timeout=timeout, open=False,
                                       reconnect_timeout=RECONNECT_S)
            self.pool.open(wait=True, timeout=timeout)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreUnavailableError(f"cannot reach the database: {exc}") from exc

    @contextlib.contextmanager
    def _transaction(self, isolation: str) -> Iterator[Database]:
        held: Database | None = getattr(self._local, "db", None)
        if held is not None:
            yield held
            return
        with self.pool.connection() as conn:
            db = Database(conn)
            self._local.db = db
            try:
                with conn.transaction():
                    conn.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                    yield db
            finally:
                self._local.db = None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Database]:
        """A consistent snapshot for several reads; database errors leave as StoreError."""
        held: Database | None = getattr(self._local, "db", None)
        if held is not None:
            # Inside a write: its errors stay the driver's, so that write can run again
            # whole on a serialization failure met while reading.
            yield held
            return
        try:
            with self._transaction("REPEATABLE READ, READ ONLY") as db:
                yield db
        except (psycopg.Error, PoolTimeout) as exc:
            raise (store_error(exc) or StoreError(str(exc))) from exc

    def writer_idle(self, timeout: float) -> bool:
        """True at once: PostgreSQL's writers lock rows, they take no turns across processes."""
        return True

    def writing(self) -> bool:
        """True inside a write transaction on this thread."""
        return bool(getattr(self._local, "writing", False))

    def write(self, work: Callable[[Database], T]) -> T:
        """Run `work` in one READ COMMITTED transaction, run again whole on deadlocks, lock
        timeouts and serialization failures, then StoreBusyError; other database errors as
        StoreError. Writers of one row queue on its lock instead of failing."""
        held: Database | None = getattr(self._local, "db", None)
        if held is not None:
            return work(held)
        try:
            for attempt in Retrying(retry=retry_if_exception(_is_busy),
                                    stop=stop_after_attempt(RETRIES),
                                    wait=wait_random_exponential(multiplier=0.02, max=0.5),
                                    reraise=False):
                with attempt:
                    with self._transaction(ISOLATION) as db:
                        self._local.writing = True
                        try:
                            return work(db)
                        finally:
                            self._local.writing = False
        except RetryError as exc:
            raise StoreBusyError(f"database stayed busy: {exc.last_attempt.exception()}") from exc
        except (psycopg.Error, PoolTimeout) as exc:
            raise (store_error(exc) or StoreError(str(exc))) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def exclusive(self, key: int) -> Iterator[None]:
        """Hold the session advisory lock `key` (on a connection of its own) meanwhile:
        one holder at a time across every node."""
        try:
            with self.pool.connection() as conn:
                conn.execute("SELECT pg_advisory_lock(%s)", [key])
                try:
                    yield
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", [key])
        except (psycopg.Error, PoolTimeout) as exc:
            raise (store_error(exc) or StoreError(str(exc))) from exc

    def close(self) -> None:
        """Close the pool and every connection in it."""
        self.pool.close()
