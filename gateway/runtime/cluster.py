"""This node in the cluster: the singletons it holds now, and its heartbeat row (who it
is, the backend, what it holds, how far behind the deciders are), written every
`[cluster] heartbeat_seconds` and read by `intake-gateway cluster status` and /healthz."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from store import Store, StoreError
from store.cluster import NodeBeat

log = logging.getLogger("gateway.cluster")


class HeldSingletons:
    """The names of the singletons this node holds; a change wakes the heartbeat."""

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._lock = threading.Lock()
        self.changed = threading.Event()

    def add(self, name: str) -> None:
        """This node took `name`."""
        with self._lock:
            self._names.add(name)
        self.changed.set()

    def discard(self, name: str) -> None:
        """This node gave `name` up, or lost it."""
        with self._lock:
            self._names.discard(name)
        self.changed.set()

    def names(self) -> tuple[str, ...]:
        """The singletons held now, sorted."""
        with self._lock:
            return tuple(sorted(self._names))


def pending_lag(store: Store, now: datetime) -> float | None:
    """Seconds the oldest message waiting for a decider has waited; None if none waits."""
    oldest = store.cluster.oldest_pending()
    return None if oldest is None else max(0.0, (now - oldest).total_seconds())


class Heartbeat:
    """Writes this node's heartbeat row now and every `interval` seconds, and at once when
    a singleton changes hands; its health is the node's part of /healthz."""

    name = "cluster"

    def __init__(self, node: str, store: Store, held: HeldSingletons,
                 clock: Callable[[], datetime], interval: float) -> None:
        self.node, self._store, self._held = node, store, held
        self._clock, self._interval = clock, interval
        self._started_at = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: datetime | None = None
        self._error: str | None = None

    def start(self) -> None:
        """Write the first heartbeat, then keep writing in a thread."""
        self._stop.clear()
        self._beat()
        self._thread = threading.Thread(target=self._run, name="cluster-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating; the last row says this node holds nothing (it ages out)."""
        self._stop.set()
        self._held.changed.set()
        if self._thread is not None:
            self._thread.join(5)
        self._beat()

    def health(self) -> dict[str, Any]:
        """The node, its backend, the singletons it holds and the deciders' lag."""
        try:
            lag: float | None = pending_lag(self._store, self._clock())
        except StoreError as exc:
            lag, self._error = None, str(exc)
        return {"ok": self._error is None, "node": self.node,
                "backend": self._store.cluster.backend, "singletons": list(self._held.names()),
                "pending_lag_seconds": lag, "started_at": self._started_at.isoformat(),
                "last_beat_at": self._last.isoformat() if self._last else None,
                "error": self._error}

    def _run(self) -> None:
        while not self._stop.is_set():
            self._held.changed.wait(self._interval)
            self._held.changed.clear()
            if not self._stop.is_set():
                self._beat()

    def _beat(self) -> None:
        now = self._clock()
        try:
            self._store.cluster.beat(NodeBeat(
                node=self.node, started_at=self._started_at, seen_at=now,
                backend=self._store.cluster.backend, singletons=self._held.names(),
                pending_lag_seconds=pending_lag(self._store, now)))
        except StoreError as exc:  # the database is away: /healthz says so; try again later
            if self._error is None:
                log.warning("cluster.heartbeat_failed", extra={"error": str(exc)})
            self._error = str(exc)
            return
        self._last, self._error = now, None
