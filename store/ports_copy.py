"""The store's interface for moving a whole desk from one database to another (`store
copy`): a source that reads every table in batches from one snapshot, and a target that
loads them into an empty, migrated database in one transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Table:
    """One table of a desk: its columns in order and the tables its foreign keys name."""

    name: str
    columns: tuple[str, ...]
    references: frozenset[str] = frozenset()


class CopySource(Protocol):
    """A desk read from one snapshot, table by table (the migrations' bookkeeping aside)."""

    def tables(self) -> list[Table]:
        """Every table of the desk."""

    def count(self, table: str) -> int:
        """How many rows `table` holds in the snapshot."""

    def rows(self, table: Table, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of `table` (values in `table.columns` order), at most `batch` at a time."""

    def close(self) -> None:
        """End the snapshot and close the connection."""


class TableLoader(Protocol):
    """The open transaction of a load: nothing is visible to others until it commits."""

    def filled(self) -> dict[str, int]:
        """Tables already holding rows (the rows a migration seeds aside): name -> count."""

    def load(self, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows with their own ids (a seeded row of the same key is replaced)."""

    def count(self, table: str) -> int:
        """How many rows `table` holds now, inside this transaction."""

    def finish(self) -> None:
        """Set every generated id past the largest one loaded, so new rows do not clash."""


class CopyTarget(Protocol):
    """An empty, migrated database a desk is copied into."""

    def tables(self) -> list[Table]:
        """Every table of the target's schema."""

    def loading(self) -> AbstractContextManager[TableLoader]:
        """One transaction holding the target against other loads; committed on a clean
        exit, rolled back if the block raises."""

    def close(self) -> None:
        """Close the connection."""
