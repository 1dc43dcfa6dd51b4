"""SQLite specifics of pending messages: two processes' stores on one file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from store import open_store
from tests.helpers.store import T0

LEASE = timedelta(seconds=30)


def test_two_stores_on_one_database_never_claim_the_same_row(tmp_path: Path) -> None:
    first, second = open_store(tmp_path / "s.db"), open_store(tmp_path / "s.db")
    first.migrate()
    try:
        rows = {first.pending.accept("email", "smtp", T0, f"m{i}".encode()) for i in range(6)}
        taken = [p.row for p in first.pending.claim("a", T0, LEASE, limit=3)]
        taken += [p.row for p in second.pending.claim("b", T0, LEASE, limit=5)]
        assert sorted(taken) == sorted(rows)
    finally:
        first.close()
        second.close()
