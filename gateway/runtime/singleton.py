"""A component that must run on one node at a time (the IMAP poller of a mailbox), run
here only while this node holds its lock: checked every `check_seconds`, so a node that
loses the lock (or the database) stops it, and a node that finds the lock free starts a
fresh one, which carries on from the state the last holder kept in the store."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from gateway.runtime.cluster import HeldSingletons
from store import StoreError
from store.ports_cluster import SingletonLock

log = logging.getLogger("gateway.cluster")


class Component(Protocol):
    """What a singleton runs (a `gateway.runtime.components.Component`)."""

    def start(self) -> None:
        """Begin work in the background."""

    def stop(self) -> None:
        """Finish or abandon work and return once stopped."""

    def health(self) -> dict[str, Any]:
        """At least {"ok": bool}."""


class Singleton:
    """Runs the component `make` builds while `lock` is held, and only then; the component
    gets this object as its lease (`held()`), to stop acting the moment the lock lapses."""

    def __init__(self, name: str, lock: SingletonLock, make: Callable[[Singleton], Component],
                 held: HeldSingletons, check_seconds: float) -> None:
        self.name = name  # the component's name on /healthz
        self._lock, self._make, self._held = lock, make, held
        self._check_seconds = check_seconds
        self._confirmed_at: float | None = None  # monotonic time of the last confirmed hold
        self._running: Component | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Try the lock at once (a lone node starts its component now), then keep checking."""
        self._stop.clear()
        self._check()
        self._thread = threading.Thread(target=self._run, name=f"singleton-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checking, stop the component if it runs here, and free the lock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._check_seconds + 10)
        self._confirmed_at = None  # the lease ends before the component is stopped
        self._give_up("stopping")
        self._lock.release()

    def health(self) -> dict[str, Any]:
        """The component's health while it runs here; else that another node holds it."""
        running = self._running
        if running is not None:
            return {**running.health(), "singleton": "held"}
        return {"ok": True, "state": "standby", "singleton": "standby",
                "lock": self._lock.name}

    def held(self) -> bool:
        """The lease: the lock was confirmed within its `lease_seconds`. A check stuck on a
        lost network, or a frozen process, lets it lapse before the database frees the lock
        (which waits longer: store/postgres/cluster.py), so two nodes never act at once."""
        confirmed = self._confirmed_at
        return (confirmed is not None
                and time.monotonic() - confirmed < self._lock.lease_seconds)

    def _run(self) -> None:
        while not self._stop.wait(self._check_seconds):
            self._check()

    def _check(self) -> None:
        asked = time.monotonic()
        try:
            holds = self._lock.hold()
        except StoreError as exc:
            log.warning("cluster.lock_failed", extra={"lock": self._lock.name, "error": str(exc)})
            holds = False
        self._confirmed_at = asked if holds else None
        if holds and self._running is None and not self._stop.is_set():
            component = self._make(self)
            component.start()
            self._running = component
            self._held.add(self._lock.name)
            log.info("cluster.singleton_taken", extra={"lock": self._lock.name})
        elif not holds and self._running is not None:
            self._give_up("lost its lock")

    def _give_up(self, why: str) -> None:
        running, self._running = self._running, None
        if running is None:
            return
        running.stop()
        self._held.discard(self._lock.name)
        log.info("cluster.singleton_released", extra={"lock": self._lock.name, "why": why})
