"""Where a decider process stands on the CPU and at the store's write lock while the
channels accept a burst of mail.

Deciding is the gateway's CPU-heavy work, while an SMTP session's 250 waits on the listener's
threads and on the one write lock of the store. During a burst, two deciders at nice 10 took
about a third of the two cores, a listener thread that woke waited for a decider's time
slice, and each batch of outcomes held the write lock for about 5 ms (4 ms of CPU) while
every 250 waited for it. So, while accepts ring the doorbell faster than every
`QUIET_SECONDS` (a burst):

- a decider waits for a pause in the accepts before it claims (at most `MOST_DEFERRED`), so
  its claims and commits take the write lock between groups of accepts, not across them;
- it decides at SCHED_IDLE (Linux): it runs on the CPU the listener leaves, and a listener
  thread that wakes preempts it at once.

Bounds: outside a burst it decides at SCHED_OTHER (nice 10), as before, so a busy machine
does not hold back mail arriving calmly; while it holds the write lock (a claim, the commit
of outcomes) it is at SCHED_OTHER, so the listener never waits for a lock held by a starved
process; and once it claims mail that waited over `BEHIND_SECONDS` (a burst that outlasts
it, a saturated machine) it neither waits nor idles until it claims fresh mail: at worst the
nice-10 process it was. SCHED_IDLE only where a thread may come back from it (CAP_SYS_NICE, or
an RLIMIT_NICE allowing nice 10), tried first in a throwaway thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Protocol

log = logging.getLogger("gateway.deciders")
BEHIND_SECONDS = 5.0  # claimed mail older than this: no waiting, no idling, until caught up
QUIET_SECONDS = 0.01  # accepts rang closer together than this: a burst
MOST_DEFERRED = 0.25  # seconds a claim waits for a pause in a burst at most
BURST_MEMORY = 1.0  # seconds a burst is remembered: a longer gap in a slow one does not end it


class Bell(Protocol):
    """The decider's wake flag (a Bell of gateway/runtime/doorbell.py, or an Event)."""

    def wait(self, timeout: float | None = ...) -> bool:
        """Block until rung or `timeout`; True if rung."""

    def clear(self) -> None:
        """Forget the rings so far."""


def idle_possible() -> bool:
    """True when this process may put a thread at SCHED_IDLE and bring it back (tried in a
    thread of its own, which ends either way)."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    came_back: list[bool] = []

    def probe() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        except OSError:
            return
        came_back.append(True)

    thread = threading.Thread(target=probe, name="sched-probe")
    thread.start()
    thread.join()
    return bool(came_back)


class DeciderPriority:
    """The calling thread's scheduling policy (and that of the threads it starts later):
    SCHED_IDLE while deciding in a burst, SCHED_OTHER otherwise."""

    def __init__(self, idle: bool | None = None, memory: float = BURST_MEMORY) -> None:
        self.idle = idle_possible() if idle is None else idle
        self.memory = memory
        self.behind = False
        self.burst = False
        self._burst_seen = float("-inf")  # monotonic time two rings last came that close
        self._writes = 0  # nested writing() blocks

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """At SCHED_OTHER for the block: the store's write lock is held only briefly."""
        self._writes += 1
        if self._writes == 1:
            self._settle()
        try:
            yield
        finally:
            self._writes -= 1
            if self._writes == 0:
                self._settle()

    def quiet(self, wake: Bell) -> None:
        """Before a claim: while accepts ring closer together than QUIET_SECONDS, wait for a
        pause (at most MOST_DEFERRED); at once when none rang since the last claim, or when
        behind. Rings that close together mark a burst, remembered for BURST_MEMORY."""
        deadline = time.monotonic() + MOST_DEFERRED
        rounds = 0
        while not self.behind and wake.wait(0) and time.monotonic() < deadline:
            rounds += 1
            wake.clear()
            wake.wait(QUIET_SECONDS)
        now = time.monotonic()
        if rounds > 1:
            self._burst_seen = now
        self.burst = rounds > 1 or now - self._burst_seen < self.memory
        self._settle()

    def claimed(self, waited: float) -> None:
        """The oldest message just claimed waited `waited` seconds since it was accepted."""
        behind = waited > BEHIND_SECONDS
        if behind != self.behind:
            log.info("deciders.behind" if behind else "deciders.caught_up",
                     extra={"waited_s": round(waited, 3)})
        self.behind = behind
        self._settle()

    def _settle(self) -> None:
        if self.idle:
            yielding = self.burst and not self.behind and self._writes == 0
            self._set(os.SCHED_IDLE if yielding else os.SCHED_OTHER)

    @staticmethod
    def _set(policy: int) -> None:
        if os.sched_getscheduler(0) != policy:
            os.sched_setscheduler(0, policy, os.sched_param(0))
