"""What the shared repositories need of a backend: a connection inside a transaction
(`Database`), the transactions themselves (`Connections`), and the `Dialect`, the few
spots where the two databases' SQL differs. Statements use `?` placeholders throughout."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Result(Protocol):
    """What a statement left: the rows it returned (as sequences) and the rows it touched."""

    @property
    def rowcount(self) -> int:
        """How many rows the statement changed."""

    def fetchone(self) -> Any:
        """The first row returned (values by position), None when there is none."""

    def fetchall(self) -> list[Any]:
        """Every row returned, values by position."""


class Database(Protocol):
    """One connection inside a transaction."""

    def query(self, statement: str, params: Sequence[Any] = ..., /) -> Iterator[dict[str, Any]]:
        """The rows of a SELECT (or a RETURNING) as dicts."""

    def execute(self, statement: str, params: Sequence[Any] = ..., /) -> Result:
        """Run one statement."""

    def insert(self, statement: str, params: Sequence[Any] = ..., /) -> int | None:
        """Run an INSERT into a table with an `id` key; the new id, None when its
        ON CONFLICT ... DO NOTHING clause skipped the row."""


class Connections(Protocol):
    """Transactions: a snapshot to read from, a write run whole (and again if busy)."""

    def reading(self) -> AbstractContextManager[Database]:
        """A consistent snapshot for several reads."""

    def write(self, work: Callable[[Database], T]) -> T:
        """Run `work` in one write transaction; a write inside another joins it."""

    def writing(self) -> bool:
        """True inside a write transaction on this thread (its reads may lock rows)."""

    def writer_idle(self, timeout: float) -> bool:
        """True once no write of this process holds the writers' turn (at most `timeout`
        seconds; False if one still does): `Store.writer_idle`."""

    def close(self) -> None:
        """Close every connection."""


@dataclass(frozen=True)
class Dialect:
    """The SQL that is not the same on both databases (everything else is)."""

    # Appended to a SELECT that claims due rows: other nodes' claims pass the locked ones.
    skip_locked: str
    # The aggregate joining text values with a separator: fn(value, separator).
    string_agg: str
    # SQL, with one parameter (the size), for the raw bytes of a large message while they
    # are written in chunks by `write_blob(db, message_row, offset, data)`.
    blob_space: str
    write_blob: Callable[[Database, int, int, bytes], None]
    # Appended to a SELECT inside a write whose rows decide that write: they stay locked
    # until it ends, so a concurrent writer waits and then reads what this one committed.
    # Empty where writers take turns anyway (SQLite).
    for_update: str = ""
    # A statement (one text parameter) holding a lock on that key until the transaction
    # ends, for writes that decide on rows that may not exist yet; empty on SQLite.
    lock_key: str = ""
