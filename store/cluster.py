"""Records of the cluster: one heartbeat row per node (who it is, what it holds, how far
behind its work is) and the names of the singletons only one node may run at a time."""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from datetime import datetime


@dataclass(frozen=True)
class NodeBeat:
    """One node's latest heartbeat: when it started and was last seen, on which backend,
    the singletons it holds, and the lag of the oldest pending message it saw."""

    node: str
    started_at: datetime
    seen_at: datetime
    backend: str  # "sqlite" or "postgresql"
    singletons: tuple[str, ...] = ()
    pending_lag_seconds: float | None = None  # None: nothing was pending


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a singleton's name (PostgreSQL advisory locks)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8, person=b"intake-1").digest()
    return int.from_bytes(digest, "big", signed=True)
