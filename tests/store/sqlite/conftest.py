"""Here `store` is a SqliteStore (its connections, locks and pragmas are what is tested)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A migrated SqliteStore on a temporary file."""
    s = SqliteStore(tmp_path / "store.db")
    s.migrate()
    yield s
    s.close()
