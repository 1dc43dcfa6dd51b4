"""Where a decider process stands on the CPU: behind the channels that accept.

Deciding is the gateway's CPU-heavy work, while an SMTP session's 250 waits on the listener's
threads. At nice 10 alone a decider still runs out its time slice when a listener thread
wakes, and two of them took a third of the two cores during a burst of accepts. So a decider
decides at SCHED_IDLE (Linux): it runs on the CPU the listener leaves, and a listener thread
that wakes preempts it at once. Two bounds keep that from going wrong:

- while it holds the store's write lock (a claim, the commit of outcomes) it is back at
  SCHED_OTHER (still nice 10), so a listener waiting for that lock never waits on a decider
  that the scheduler starves;
- when it claims mail that waited over `BEHIND_SECONDS` (accepts outran it for that long, or
  the box is saturated), it stays at SCHED_OTHER until it claims fresh mail again: at worst
  it is the nice-10 process it was before, never stopped.

SCHED_IDLE is used only where a thread may come back from it (CAP_SYS_NICE, or an
RLIMIT_NICE allowing nice 10), tried first in a throwaway thread; elsewhere nice 10 alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator

log = logging.getLogger("gateway.deciders")
BEHIND_SECONDS = 2.0  # a claimed message older than this: decide at SCHED_OTHER until caught up


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
    SCHED_IDLE while deciding, SCHED_OTHER while writing or behind."""

    def __init__(self, idle: bool | None = None) -> None:
        self.idle = idle_possible() if idle is None else idle
        self.behind = False
        self._writes = 0  # nested writing() blocks
        if self.idle:
            self._set(os.SCHED_IDLE)

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

    def claimed(self, waited: float) -> None:
        """The oldest message just claimed waited `waited` seconds since it was accepted."""
        behind = waited > BEHIND_SECONDS
        if behind != self.behind and self.idle:
            log.info("deciders.behind" if behind else "deciders.caught_up",
                     extra={"waited_s": round(waited, 3)})
        self.behind = behind
        self._settle()

    def _settle(self) -> None:
        if self.idle:
            urgent = self.behind or self._writes > 0
            self._set(os.SCHED_OTHER if urgent else os.SCHED_IDLE)

    @staticmethod
    def _set(policy: int) -> None:
        if os.sched_getscheduler(0) != policy:
            os.sched_setscheduler(0, policy, os.sched_param(0))
