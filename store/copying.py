"""Moving a desk between databases (`store copy`): every table in foreign-key order, in
batches, ids kept, counts verified before the load commits. No SQL here: the backends'
CopySource and CopyTarget (store/ports_copy.py) do the reading and writing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from store.errors import StoreError, StoreUnavailableError
from store.ports_copy import CopySource, CopyTarget, Table

Progress = Callable[[str, int, int], None]  # table, rows copied so far, rows in the table
BATCH = 1_000


class TargetNotEmptyError(StoreError):
    "The database a desk is copied into already holds a desk"


class CopyMismatchError(StoreError):
    "The copy does not hold what the source holds; nothing was committed"


def load_order(tables: list[Table]) -> list[Table]:
    """The tables ordered so that every table comes after those its foreign keys name."""
    by_name = {t.name: t for t in tables}
    done: list[Table] = []
    seen: set[str] = set()

    def visit(table: Table, path: frozenset[str]) -> None:
        if table.name in seen:
            return
        for ref in sorted(table.references - {table.name}):
            if ref in path:
                raise StoreError(f"foreign keys form a cycle through {table.name} and {ref}")
            if ref in by_name:
                visit(by_name[ref], path | {table.name})
        seen.add(table.name)
        done.append(table)

    for table in sorted(tables, key=lambda t: t.name):
        visit(table, frozenset())
    return done


def _matched(source: list[Table], target: list[Table]) -> list[Table]:
    """The source's tables, checked against the target's schema: nothing may be dropped."""
    known = {t.name: set(t.columns) for t in target}
    for table in source:
        if table.name not in known:
            raise StoreError(f"the target has no table {table.name}: migrate it first")
        lost = [c for c in table.columns if c not in known[table.name]]
        if lost:
            raise StoreError(f"the target's {table.name} lacks the columns {lost}")
    return load_order(source)


def copy_desk(source: CopySource, target: CopyTarget, *, batch: int = BATCH,
              progress: Progress | None = None) -> dict[str, int]:
    """Copy every table of `source` into the empty `target`; the rows per table, verified."""
    tables = _matched(source.tables(), target.tables())
    totals = {t.name: source.count(t.name) for t in tables}
    with target.loading() as loader:
        filled = loader.filled()
        if filled:
            held = ", ".join(f"{name} ({n} rows)" for name, n in sorted(filled.items()))
            raise TargetNotEmptyError(
                f"the target already holds a desk: {held}; copy only into an empty database")
        for table in tables:
            done = 0
            if progress:
                progress(table.name, 0, totals[table.name])
            for rows in source.rows(table, batch):
                loader.load(table, rows)
                done += len(rows)
                if progress:
                    progress(table.name, done, totals[table.name])
        loader.finish()
        copied = {t.name: loader.count(t.name) for t in tables}
        wrong = {n: (totals[n], copied[n]) for n in totals if totals[n] != copied[n]}
        if wrong:
            raise CopyMismatchError(f"rows per table (source, copy) differ: {wrong}")
    return copied


def _migrate(url: str, path: str | Path, password: str | None) -> None:
    from store import open_store_at  # the package's factory; store/__init__ never imports us

    opened = open_store_at(url, path, password=password)
    try:
        opened.migrate()
    finally:
        opened.close()


def open_source(url: str, path: str | Path, *, password: str | None = None) -> CopySource:
    """The desk at `url` (PostgreSQL) or, when `url` is empty, in the SQLite file `path`,
    migrated to this release first, as a snapshot to copy from."""
    if not url and not Path(path).is_file():
        raise StoreUnavailableError(f"no desk to copy at {path}: the file does not exist")
    _migrate(url, path, password)
    if url:
        from store.postgres.copy import PostgresSource

        return PostgresSource(url, password=password)
    from store.sqlite.copy import SqliteSource

    return SqliteSource(path)


def open_target(url: str, path: str | Path, *, password: str | None = None) -> CopyTarget:
    """The database at `url` (PostgreSQL) or, when `url` is empty, the SQLite file `path`,
    migrated to this release first, to copy a desk into."""
    _migrate(url, path, password)
    if url:
        from store.postgres.copy import PostgresTarget

        return PostgresTarget(url, password=password)
    from store.sqlite.copy import SqliteTarget

    return SqliteTarget(path)
