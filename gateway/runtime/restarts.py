"""Workers that die are started again: a watcher thread over a list of numbered workers.

A decider process can die on its own (the kernel's OOM killer, a kill -9 of one process, a
crash in a C library); until the gateway itself restarts, its share of the pending mail
would wait for the lease to run out and another decider to take it, and with one decider
it would wait for ever. The watcher notices the death within `interval` seconds, lets the
owner clean up (free what the dead one held, log it) and puts a new worker in its place.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a child process, first thing: the kernel kills it when `parent` dies (kill -9
    included; Linux). A parent that died before this call sends nothing, so the child then
    leaves at once: started just as the gateway was killed, it would otherwise serve (or
    wait on the parent's start-up signal) for ever with nobody to stop it."""
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere only the check below, and the deciders' loop, notice it
    if os.getppid() != parent:
        os._exit(0)


class Restarter:
    """Watches `workers` (anything with is_alive()) and replaces those that die."""

    def __init__(self, workers: list[Any], replace: Callable[[int, Any], Any],
                 interval: float = 0.2, pause: float = 1.0, longest: float = 60.0) -> None:
        self.workers = workers
        self._replace = replace  # (slot, the dead worker) -> the new, started worker
        self._interval = interval
        self._first_pause = pause  # at least this long between two starts in one slot,
        self._longest = longest  # doubled (up to this) while its workers die young
        self._pauses = [pause] * len(workers)
        self._started = [time.monotonic()] * len(workers)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.restarts = 0

    def start(self) -> None:
        """Start watching in a daemon thread."""
        self._stopped.clear()
        self._thread = threading.Thread(target=self._watch, name="restarter", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the workers are stopped on purpose)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def check(self) -> int:
        """Replace every worker found dead (not within `pause` of its start); how many."""
        replaced = 0
        for slot, worker in enumerate(self.workers):
            if self._stopped.is_set():
                break
            lived = time.monotonic() - self._started[slot]
            if worker.is_alive() or lived < self._pauses[slot]:
                continue
            # One that keeps dying at start (a bad config, a missing module) is not started
            # again every second for ever: each young death doubles the wait.
            young = lived < 2 * self._pauses[slot] + 10
            doubled = min(self._longest, max(1.0, 2 * self._pauses[slot]))
            self._pauses[slot] = doubled if young else self._first_pause
            self.workers[slot] = self._replace(slot, worker)
            self._started[slot] = time.monotonic()
            self.restarts += 1
            replaced += 1
        return replaced

    def _watch(self) -> None:
        while not self._stopped.wait(self._interval):
            self.check()
