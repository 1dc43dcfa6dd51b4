"""A desk copied out of (or into) PostgreSQL, for `store copy` (store/ports_copy.py): reads
from one REPEATABLE READ snapshot through a server-side cursor; loads with COPY in one
transaction that locks the ticket counter, then moves every identity past its largest id."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import sql

from store.batching import batches
from store.errors import StoreError
from store.ports_copy import Table
from store.postgres.db import store_error

SEEDED = {"counters": "value = 0"}  # rows migrations insert, and what marks them unused
HIDDEN = ("intake_migrations",)  # the migrations' own bookkeeping

_TABLES = """
    SELECT c.table_name AS name, array_agg(c.column_name::text ORDER BY c.ordinal_position)
           AS columns
    FROM information_schema.columns c
    JOIN information_schema.tables t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    GROUP BY c.table_name ORDER BY c.table_name"""
_REFERENCES = """
    SELECT conrelid::regclass::text AS name, confrelid::regclass::text AS ref
    FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"""
_IDENTITIES = """
    SELECT table_name AS name, column_name AS col FROM information_schema.columns
    WHERE table_schema = current_schema() AND is_identity = 'YES'"""


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """psycopg's errors leave as the store's own."""
    try:
        yield
    except psycopg.Error as exc:
        raise (store_error(exc) or StoreError(str(exc))) from exc


def _connect(url: str, password: str | None) -> psycopg.Connection[Any]:
    kwargs: dict[str, Any] = {"password": password} if password else {}
    with _errors():
        return psycopg.connect(url, **kwargs)


def _tables(conn: psycopg.Connection[Any]) -> list[Table]:
    refs: dict[str, set[str]] = {}
    for name, ref in conn.execute(_REFERENCES).fetchall():
        refs.setdefault(name, set()).add(ref)
    return [Table(name, tuple(columns), frozenset(refs.get(name, ())))
            for name, columns in conn.execute(_TABLES).fetchall() if name not in HIDDEN]


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
    return int(row.fetchone()[0])  # type: ignore[index]


class PostgresSource:
    """One read snapshot of a PostgreSQL desk (store.ports_copy.CopySource)."""

    def __init__(self, url: str, *, password: str | None = None) -> None:
        self._conn = _connect(url, password)
        with _errors():
            self._conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._tables = _tables(self._conn)  # the first read fixes the snapshot

    def tables(self) -> list[Table]:
        """Every table of the desk."""
        return list(self._tables)

    def count(self, table: str) -> int:
        """How many rows `table` holds in the snapshot."""
        with _errors():
            return _count(self._conn, table)

    def rows(self, table: Table, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of `table` in physical order, at most `batch` (or about 32 MB) at a time."""
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, table.columns)), sql.Identifier(table.name))
        with _errors(), self._conn.cursor(name=f"copy_{table.name}") as cursor:
            cursor.itersize = batch
            cursor.execute(query)
            yield from batches((tuple(r) for r in cursor), batch)

    def close(self) -> None:
        """End the snapshot and close the connection."""
        with _errors():
            self._conn.rollback()
            self._conn.close()


class PostgresLoader:
    """The open transaction of a load into PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any], tables: list[Table]) -> None:
        self._conn, self._tables = conn, tables
        self._cleared: set[str] = set()

    def filled(self) -> dict[str, int]:
        """Tables already holding rows (unused seeded rows aside): name -> count."""
        with _errors():
            found = {t.name: _count(self._conn, t.name) for t in self._tables}
            for table, unused in SEEDED.items():
                if table in found:
                    row = self._conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
                        sql.Identifier(table), sql.SQL(unused))).fetchone()
                    found[table] -= int(row[0])  # type: ignore[index]
        return {name: n for name, n in found.items() if n}

    def load(self, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        """COPY rows in with their own ids; the unused seeded rows go first."""
        with _errors():
            if table.name in SEEDED and table.name not in self._cleared:
                self._conn.execute(sql.SQL("DELETE FROM {} WHERE {}").format(
                    sql.Identifier(table.name), sql.SQL(SEEDED[table.name])))
                self._cleared.add(table.name)
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name),
                sql.SQL(", ").join(map(sql.Identifier, table.columns)))
            with self._conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)

    def count(self, table: str) -> int:
        """How many rows `table` holds now, inside this transaction."""
        with _errors():
            return _count(self._conn, table)

    def finish(self) -> None:
        """Every identity column's sequence moved to the largest id loaded."""
        with _errors():
            for name, column in self._conn.execute(_IDENTITIES).fetchall():
                self._conn.execute(sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), max({col}))"
                    " FROM {table} HAVING max({col}) IS NOT NULL").format(
                        col=sql.Identifier(column), table=sql.Identifier(name)),
                    [sql.Identifier(name).as_string(self._conn), column])


class PostgresTarget:
    """A migrated PostgreSQL database to copy a desk into (store.ports_copy.CopyTarget)."""

    def __init__(self, url: str, *, password: str | None = None) -> None:
        self._conn = _connect(url, password)
        self._conn.autocommit = True

    def tables(self) -> list[Table]:
        """Every table of the target's schema."""
        with _errors():
            return _tables(self._conn)

    @contextlib.contextmanager
    def loading(self) -> Iterator[PostgresLoader]:
        """One transaction; the ticket counter locked first, so a second copy (or a node
        opening tickets) waits for it and then sees the desk it left."""
        tables = self.tables()
        with _errors(), self._conn.transaction():
            self._conn.execute("LOCK TABLE counters IN EXCLUSIVE MODE")
            yield PostgresLoader(self._conn, tables)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
