"""The decider workers as a component `serve` starts before the channels and stops after
them: processes of the gateway itself (one per core by default), each with its own store
connection, claiming pending mail from the store; or threads, for an in-process store.

On start, claims left by deciders of this host that died (a crash, kill -9) are freed and
the backlog is decided before the channels open; on stop, the channels have already
stopped accepting, and what is pending is decided within `[deciders] drain_seconds`.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from gateway.config import load_config
from gateway.config.deciders import DecidersConfig
from gateway.email import deciders
from gateway.runtime.services import Services, build_services
from gateway.runtime.logs import setup_logging

log = logging.getLogger("gateway.deciders")
_PR_SET_PDEATHSIG = 1
NICE = 10  # decider processes' scheduling priority, below the process that accepts


def _settings(owner: str, config: DecidersConfig) -> deciders.LoopSettings:
    return deciders.LoopSettings(owner, config.lease, config.batch, config.poll_seconds,
                                 config.drain_seconds)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (kill -9 included)."""
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere the loop notices the new parent itself


def child(source: Path | None, cwd: str, owner: str, wake: Any, stop: Any,
          parent: int) -> None:
    """One decider process: its own services on the same store, until `stop` and drained.
    It reads the parent's config file itself (secrets are never pickled; the environment
    they come from is inherited)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.chdir(cwd)
    # Below the channels: accepting (the 250) comes first, deciding uses what CPU is left.
    os.nice(NICE)
    config = load_config(source)
    setup_logging(config.log_level, config.log_format)
    services = build_services(config)
    try:
        deciders.run(services.email, _settings(owner, config.deciders), wake, stop,
                     alive=lambda: os.getppid() == parent)
    finally:
        services.close()


class DecisionWorkers:
    """The component: `processes` decider processes, or `threads` in this process."""

    name = "deciders"

    def __init__(self, services: Services, threads: int = 0) -> None:
        self.services = services
        self.config = services.config.deciders
        self.threads = threads  # > 0: threads in this process (tests, in-memory stores)
        self.host = socket.gethostname()
        self._context = multiprocessing.get_context("spawn")
        self._wake: Any = threading.Event() if threads else self._context.Event()
        self._stop: Any = threading.Event() if threads else self._context.Event()
        self._workers: list[Any] = []

    def start(self) -> None:
        """Free what dead deciders of this host held, start the workers, and wait (at most
        `drain_seconds`) until the backlog a crash left is decided."""
        self._free_dead_claims()
        backlog = self.services.store.pending.count()
        self._stop.clear()
        self.services.email.doorbell = self._wake.set
        for n in range(self.threads or self.config.processes):
            self._workers.append(self._spawn(n))
        if backlog:
            log.info("deciders.backlog", extra={"pending": backlog})
            self._wait_drained(self.config.drain_seconds)

    def stop(self) -> None:
        """Decide what is pending (at most `drain_seconds`), then end the workers."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + self.config.drain_seconds + 2
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        for worker in self._workers:
            if worker.is_alive() and hasattr(worker, "kill"):
                log.warning("deciders.killed", extra={"pid": worker.pid})
                worker.kill()
                worker.join(2)
        self._workers = []
        left = self.services.store.pending.count()
        if left:  # decided by the next start, or by another node's deciders
            log.warning("deciders.left_pending", extra={"pending": left})

    def health(self) -> dict[str, Any]:
        """Every worker alive, and how much mail waits to be decided."""
        alive = sum(1 for w in self._workers if w.is_alive())
        return {"ok": alive == len(self._workers) and alive > 0, "workers": alive,
                "pending": self.services.store.pending.count()}

    def _spawn(self, n: int) -> Any:
        owner = f"{self.host}:{os.getpid()}:{n}"
        if self.threads:
            worker: Any = threading.Thread(
                target=deciders.run, name=f"decider-{n}",
                args=(self.services.email, _settings(owner, self.config), self._wake, self._stop),
                daemon=True)
        else:
            worker = self._context.Process(
                target=child, name=f"decider-{n}", daemon=True,
                args=(self.services.config.source, os.getcwd(), owner, self._wake, self._stop,
                      os.getpid()))
        worker.start()
        return worker

    def _free_dead_claims(self) -> None:
        for owner in self.services.store.pending.owners():
            host, _, rest = owner.partition(":")
            pid = rest.partition(":")[0]
            if host == self.host and pid.isdigit() and not _pid_alive(int(pid)):
                freed = self.services.store.pending.release(f"{host}:{pid}:")
                log.info("deciders.freed", extra={"owner": f"{host}:{pid}", "rows": freed})

    def _wait_drained(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.services.store.pending.count() and time.monotonic() < deadline:
            self._stop.wait(0.05)
