"""The cluster repository's interface: a heartbeat row per node, and the locks that keep a
singleton (the IMAP poller of a mailbox) on one node at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from store.cluster import NodeBeat


class SingletonLock(Protocol):
    """One singleton's lock as this node sees it: held by at most one node at a time."""

    @property
    def name(self) -> str:
        """The singleton's name (e.g. the poller's mailbox key)."""

    @property
    def lease_seconds(self) -> float:
        """How long after a `hold` that returned True this node may still act on it: the
        database frees a lock whose holder went quiet only later than that."""

    def hold(self) -> bool:
        """Take the lock if it is free, or check it is still ours; False when another node
        holds it or the database cannot be reached (the singleton must stop then)."""

    def release(self) -> None:
        """Give the lock up, if held, and close what it holds open."""


class ClusterRepository(Protocol):
    """Nodes' heartbeats and singleton locks."""

    @property
    def backend(self) -> str:
        """The backend's name: "sqlite" or "postgresql"."""

    def beat(self, beat: NodeBeat) -> None:
        """Write (or replace) the heartbeat row of `beat.node`."""

    def nodes(self, seen_since: datetime | None = None) -> list[NodeBeat]:
        """Heartbeats seen at or after `seen_since` (all when None), by node name."""

    def forget(self, node: str) -> bool:
        """Remove a node's heartbeat row (it stopped cleanly); False if it had none."""

    def oldest_pending(self) -> datetime | None:
        """When the oldest message still waiting for a decider was accepted."""

    def singleton(self, name: str, check_seconds: float) -> SingletonLock:
        """The lock of singleton `name`, not yet taken; a lost holder is noticed within
        about three `check_seconds` (PostgreSQL: its session ends, the lock is free)."""
