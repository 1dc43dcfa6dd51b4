"""A desk copied out of (or into) a SQLite file, for `store copy` (store/ports_copy.py):
reads from one snapshot in rowid order, batches through a cursor; loads in one IMMEDIATE
transaction, AUTOINCREMENT following the ids it is given."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from store.batching import batches
from store.errors import StoreError
from store.ports_copy import Table
from store.sqlite.db import store_error

SEEDED = {"counters": "value = 0"}  # rows migrations insert, and what marks them unused
HIDDEN = ("sqlite_%", "\\_sqlite\\_migrations")  # the engine's and the migrations' own


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """SQLite's errors leave as the store's own."""
    try:
        yield
    except sqlite3.Error as exc:
        raise (store_error(exc) or StoreError(str(exc))) from exc


def _connect(path: str | Path) -> sqlite3.Connection:
    with _errors():
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        conn.execute("PRAGMA foreign_keys = ON")
        return conn


def _tables(conn: sqlite3.Connection) -> list[Table]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE ? ESCAPE '\\'"
        " AND name NOT LIKE ? ESCAPE '\\' ORDER BY name", HIDDEN)]
    return [Table(name,
                  tuple(r[1] for r in conn.execute(f"PRAGMA table_info({_quoted(name)})")),
                  frozenset(r[2] for r in conn.execute(
                      f"PRAGMA foreign_key_list({_quoted(name)})")))
            for name in names]


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()[0])


class SqliteSource:
    """One read snapshot of a SQLite desk (store.ports_copy.CopySource)."""

    def __init__(self, path: str | Path) -> None:
        self._conn = _connect(path)
        with _errors():
            self._conn.execute("BEGIN")
            self._tables = _tables(self._conn)  # the first read fixes the snapshot

    def tables(self) -> list[Table]:
        """Every table of the desk."""
        return list(self._tables)

    def count(self, table: str) -> int:
        """How many rows `table` holds in the snapshot."""
        with _errors():
            return _count(self._conn, table)

    def rows(self, table: Table, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of `table` in rowid order, at most `batch` (or about 32 MB) at a time."""
        columns = ", ".join(_quoted(c) for c in table.columns)
        with _errors():
            cursor = self._conn.execute(
                f"SELECT {columns} FROM {_quoted(table.name)} ORDER BY rowid")
            yield from batches((tuple(r) for r in cursor), batch)

    def close(self) -> None:
        """End the snapshot and close the connection."""
        with _errors():
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")
            self._conn.close()


class SqliteLoader:
    """The open IMMEDIATE transaction of a load into SQLite."""

    def __init__(self, conn: sqlite3.Connection, tables: list[Table]) -> None:
        self._conn, self._tables = conn, tables

    def filled(self) -> dict[str, int]:
        """Tables already holding rows (unused seeded rows aside): name -> count."""
        with _errors():
            found = {t.name: _count(self._conn, t.name) for t in self._tables}
            for table, unused in SEEDED.items():
                if table in found:
                    found[table] -= int(self._conn.execute(
                        f"SELECT count(*) FROM {_quoted(table)} WHERE {unused}").fetchone()[0])
        return {name: n for name, n in found.items() if n}

    def load(self, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows with their own ids; a seeded row of the same key is replaced."""
        verb = "INSERT OR REPLACE" if table.name in SEEDED else "INSERT"
        marks = ", ".join("?" for _ in table.columns)
        columns = ", ".join(_quoted(c) for c in table.columns)
        with _errors():
            self._conn.executemany(
                f"{verb} INTO {_quoted(table.name)} ({columns}) VALUES ({marks})", rows)

    def count(self, table: str) -> int:
        """How many rows `table` holds now, inside this transaction."""
        with _errors():
            return _count(self._conn, table)

    def finish(self) -> None:
        """Nothing to do: AUTOINCREMENT already follows the largest id inserted."""


class SqliteTarget:
    """A migrated SQLite file to copy a desk into (store.ports_copy.CopyTarget)."""

    def __init__(self, path: str | Path) -> None:
        self._conn = _connect(path)

    def tables(self) -> list[Table]:
        """Every table of the target's schema."""
        with _errors():
            return _tables(self._conn)

    @contextlib.contextmanager
    def loading(self) -> Iterator[SqliteLoader]:
        """One IMMEDIATE transaction (no other writer meanwhile), committed on success."""
        with _errors():
            self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield SqliteLoader(self._conn, self.tables())
        except BaseException:
            with _errors():
                self._conn.execute("ROLLBACK")
            raise
        with _errors():
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
