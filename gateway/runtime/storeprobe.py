"""The store's part of /healthz beyond "it answers": room on the disk under a SQLite file,
and a small write that must commit. A full disk or a store that cannot write turns
/healthz red although every read still works (SQLite reads, and even a small write into
its WAL, succeed on a disk with no byte left).

The write runs on a thread of its own, at most once every `every` seconds, and a health
check waits for it only briefly: while a 20 MB message commits (holding SQLite's write
lock) /healthz answers at once with the last write's result, and turns red when a write
has waited longer than `stuck` seconds or failed.
"""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any

from gateway.config.store import StoreConfig
from store import Store, StoreError

PROBE_KEY = "healthz.write_probe"  # a poller-state value rewritten by each probe


class WriteProbe:
    """The last result of the small write, refreshed in the background."""

    def __init__(self, store: Store, every: float = 2.0, wait: float = 0.05,
                 stuck: float = 10.0) -> None:
        self.store = store
        self.every, self.wait, self.stuck = every, wait, stuck
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="healthz-write")
        self._running: Future[None] | None = None
        self._started = 0.0  # time.monotonic() when the running write began
        self._last: dict[str, Any] = {}
        self._last_at = float("-inf")

    def result(self, now: datetime) -> dict[str, Any]:
        """`write_ok` and, when it failed, `write_error`; starts a new write when due."""
        with self._lock:
            every = self.every if self._last.get("write_ok") else 0.0  # failing: try each time
            if self._running is None and time.monotonic() - self._last_at >= every:
                self._started = time.monotonic()
                self._running = self._pool.submit(self._write, now)
            running = self._running
        if running is not None:
            try:
                running.result(timeout=self.wait)
            except FutureTimeout:
                pass  # still waiting for the store: the last result stands, unless stuck
        with self._lock:
            waited = time.monotonic() - self._started
            if self._running is not None and waited > self.stuck:
                return {"write_ok": False,
                        "write_error": f"a write has waited {waited:.0f} s for the store"}
            return dict(self._last) or {"write_ok": None, "write_waiting_s": round(waited, 3)}

    def close(self) -> None:
        """Let a running write finish on its own; take no more."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _write(self, now: datetime) -> None:
        try:
            self.store.poller_state.set(PROBE_KEY, now.isoformat(), now)
            found: dict[str, Any] = {"write_ok": True}
        except StoreError as exc:
            found = {"write_ok": False, "write_error": str(exc)}
        with self._lock:
            self._last, self._last_at, self._running = found, time.monotonic(), None


def probe_store(probe: WriteProbe, config: StoreConfig, now: datetime) -> dict[str, Any]:
    """`ok` False, with the reason, when the disk is nearly full or the write fails."""
    found: dict[str, Any] = {"ok": True}
    if not config.url:  # PostgreSQL's disk is the server's: its errors tell us instead
        try:
            free = shutil.disk_usage(config.path.parent).free
        except OSError as exc:
            free = 0
            found["disk_error"] = exc.strerror or str(exc)
        found["disk_free_bytes"] = free
        if free < config.min_free_bytes:
            found.update(ok=False, disk_full=True)
    found.update(probe.result(now))
    if found["write_ok"] is False:
        found["ok"] = False
    return found
