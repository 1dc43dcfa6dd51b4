"""The deciders' loop: claim pending messages, decide each, commit its outcome.

One loop runs per thread or per process (gateway/runtime/deciders.py starts them). Each
claims a few pending messages with a lease and decides them through the pipeline; the
outcome commits with the end of the claim, so a message is decided exactly once even when
a decider dies or its lease runs out under it.

When the outcome cannot be committed (the disk is full, the database is down) the decider
keeps the messages it holds and commits them again, after 2x, 4x ... its poll interval
(at most BACKOFF_CAP_S) or as soon as new mail rings: they are decided within seconds of the
store's recovery, not when their lease runs out (30 s), and a store failure is not counted
as a decider that died on them (after MAX_ATTEMPTS claims, mail is left for a person).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from gateway.email.pipeline import EmailIntake
from store import StoreError
from store.models import PendingMessage

log = logging.getLogger("gateway.deciders")
BACKOFF_CAP_S = 5.0  # the longest wait before committing again what a failed commit left


class Flag(Protocol):
    """threading.Event or multiprocessing's Event: what the loop waits on."""

    def is_set(self) -> bool:
        """True once set."""

    def set(self) -> None:
        """Set it and wake the waiters."""

    def clear(self) -> None:
        """Unset it."""

    def wait(self, timeout: float | None = ...) -> bool:
        """Block until set or `timeout`."""


class Pace(Protocol):
    """Told how long the mail a decider claims has waited (its scheduling may follow)."""

    def claimed(self, waited: float) -> None:
        """The oldest message just claimed waited `waited` seconds since it was accepted."""

    def quiet(self, wake: Flag) -> None:
        """Before a claim: return when the decider may take the store's write lock."""


class _Steady:
    def claimed(self, waited: float) -> None:
        """Nothing to adjust."""

    def quiet(self, wake: Flag) -> None:
        """At once."""


STEADY: Pace = _Steady()


@dataclass(frozen=True)
class LoopSettings:
    """One decider's identity and pace."""

    owner: str  # host:pid:n, so a restart on this host can free what a dead one held
    lease: timedelta
    batch: int
    poll_seconds: float
    drain_seconds: float


def decide_some(email: EmailIntake, settings: LoopSettings, pace: Pace = STEADY,
                held: list[PendingMessage] | None = None) -> int:
    """Claim up to `batch` pending messages, decide them and commit their outcomes together;
    how many were claimed. Those whose outcome could not be committed (still claimed by
    this decider) are added to `held`, for `decide_held`."""
    now = email.intake.clock()
    try:
        with email.writing():
            items = email.store.pending.claim(settings.owner, now, settings.lease, settings.batch)
    except StoreError as exc:
        log.warning("deciders.claim_failed", extra={"owner": settings.owner, "error": str(exc)})
        return 0
    if not items:
        return 0
    pace.claimed((now - min(item.received_at for item in items)).total_seconds())
    failed = decide_held(email, settings, items)
    if held is not None:
        held.extend(failed)
    return len(items)


def decide_held(email: EmailIntake, settings: LoopSettings, items: list[PendingMessage]
                ) -> list[PendingMessage]:
    """Decide messages this decider claimed and commit their outcomes; those whose commit
    failed (nothing committed: they stay claimed by it)."""
    failed: list[PendingMessage] = []
    for item, result in zip(items, email.decide_claimed(items, settings.owner)):
        if isinstance(result, StoreError):
            log.error("deciders.commit_failed", extra={"row": item.row, "error": str(result)})
            failed.append(item)
        elif result is None:
            log.warning("deciders.taken_over", extra={"row": item.row, "owner": settings.owner})
    return failed


def run(email: EmailIntake, settings: LoopSettings, wake: Flag, stop: Flag,
        alive: Callable[[], bool] = lambda: True, pace: Pace = STEADY) -> None:
    """Decide pending mail until `stop` is set, then drain what is pending (at most
    `drain_seconds`) and return; also return when `alive()` turns False."""
    held: list[PendingMessage] = []  # claimed, their commit failed: committed again first
    failures = 0  # rounds in a row that left messages held

    def step() -> int:
        nonlocal held, failures
        if held:
            taken, held = len(held), decide_held(email, settings, held)
        else:
            taken = decide_some(email, settings, pace, held)
        failures = failures + 1 if held else 0
        return taken

    def backoff() -> float:
        return min(BACKOFF_CAP_S, settings.poll_seconds * 2.0 ** failures)

    while not stop.is_set() and alive():
        pace.quiet(wake)
        wake.clear()  # before the claim: a message accepted after it rings again
        if step() == 0 or held:
            wake.wait(backoff() if held else settings.poll_seconds)
    deadline = time.monotonic() + settings.drain_seconds
    while alive() and time.monotonic() < deadline:
        if step() == 0:
            return
        if held:
            wake.wait(min(backoff(), max(0.0, deadline - time.monotonic())))
