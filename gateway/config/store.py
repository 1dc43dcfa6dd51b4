"""The `[store]` keys: where the database lives and how long a writer waits for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.config.read import Section


@dataclass(frozen=True)
class StoreConfig:
    """Where the SQLite database lives."""

    path: Path
    busy_timeout_ms: int



def read_store(s: Section, base: Path) -> StoreConfig:
    """The store's settings; a relative path is taken from the config file's folder."""
    path = Path(s.text("path", "data/intake.db"))
    return StoreConfig(
        path=path if path.is_absolute() else base / path,
        busy_timeout_ms=s.integer("busy_timeout_ms", 10_000, 0, 600_000),
    )
