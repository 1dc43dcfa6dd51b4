"""The decider workers as a component `serve` starts before the channels and stops after
them: processes of the gateway itself (one per core by default), each with its own store
connection, claiming pending mail from the store; or threads, for an in-process store.

On start, claims left by deciders of this host that died (a crash, kill -9) are freed and
the backlog is decided before the channels open. A decider that dies while serving is
replaced at once (gateway/runtime/restarts.py), what it held freed and the death logged.
On stop, the channels have already stopped accepting, and what is pending is decided
within `[deciders] drain_seconds`.
"""

from __future__ import annotations

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
from gateway.runtime.doorbell import Doorbell, StopFlag
from gateway.runtime.logs import setup_logging
from gateway.runtime.priority import DeciderPriority
from gateway.runtime.heap import settle
from gateway.runtime.restarts import Restarter, die_with_parent

log = logging.getLogger("gateway.deciders")
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


def child(source: Path | None, cwd: str, owner: str, wake: Any, stop: Any,
          parent: int) -> None:
    """One decider process: its own services on the same store, until `stop` and drained.
    It reads the parent's config file itself (secrets are never pickled; the environment
    they come from is inherited)."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.chdir(cwd)
    # Below the channels: accepting (the 250) comes first, deciding uses what CPU is left
    # (and during a burst of accepts, SCHED_IDLE and the pauses: gateway/runtime/priority.py).
    os.nice(NICE)
    priority = DeciderPriority()
    config = load_config(source)
    setup_logging(config.log_level, config.log_format)
    services = build_services(config)
    services.email.writing = priority.writing
    settle()
    try:
        deciders.run(services.email, _settings(owner, config.deciders), wake, stop,
                     alive=lambda: os.getppid() == parent, pace=priority)
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
        self._wake: Any = threading.Event()  # threads only; processes get a Bell each
        self._bells = Doorbell(self._context)
        self._stop: Any = threading.Event() if threads else StopFlag(self._context)
        self._workers: list[Any] = []
        self._owners: dict[int, str] = {}  # slot -> the owner name its worker claims as
        self._spawned = 0
        self._restarter: Restarter | None = None

    def start(self) -> None:
        """Free what dead deciders of this host held, start the workers, and wait (at most
        `drain_seconds`) until the backlog a crash left is decided."""
        self._free_dead_claims()
        backlog = self.services.store.pending.count()
        self._stop.clear()
        self.services.email.doorbell = self._wake.set if self.threads else self._bells.ring
        for n in range(self.threads or self.config.processes):
            self._workers.append(self._spawn(n))
        self._restarter = Restarter(self._workers, self._replace)
        self._restarter.start()
        if backlog:
            log.info("deciders.backlog", extra={"pending": backlog})
            self._wait_drained(self.config.drain_seconds)

    def stop(self) -> None:
        """Decide what is pending (at most `drain_seconds`), then end the workers."""
        if self._restarter is not None:  # stopping on purpose: no more replacements
            self._restarter.stop()
            self._restarter = None
        self._stop.set()
        self._wake.set()
        self._bells.ring()
        deadline = time.monotonic() + self.config.drain_seconds + 2
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        for worker in self._workers:
            if worker.is_alive() and hasattr(worker, "kill"):
                log.warning("deciders.killed", extra={"pid": worker.pid})
                worker.kill()
                worker.join(2)
        self._workers = []
        self._bells.close()
        left = self.services.store.pending.count()
        if left:  # decided by the next start, or by another node's deciders
            log.warning("deciders.left_pending", extra={"pending": left})

    def health(self) -> dict[str, Any]:
        """Every worker alive, and how much mail waits to be decided."""
        alive = sum(1 for w in self._workers if w.is_alive())
        return {"ok": alive == len(self._workers) and alive > 0, "workers": alive,
                "pending": self.services.store.pending.count()}

    def pids(self) -> list[int | None]:
        """The process id of each decider now (None for a thread), in slot order."""
        return [getattr(w, "pid", None) if self.threads == 0 else None for w in self._workers]

    def _replace(self, slot: int, dead: Any) -> Any:
        """A worker died on its own: free what it held, log it, start another in its slot."""
        freed = self.services.store.pending.release(self._owners[slot])
        log.error("deciders.restarted", extra={
            "worker": slot, "pid": getattr(dead, "pid", None),
            "exitcode": getattr(dead, "exitcode", None), "freed": freed})
        return self._spawn(slot)

    def _spawn(self, n: int) -> Any:
        # Unique per start ("host:pid:slot.start"), so freeing a dead one's rows never
        # frees those of the one started in its place; fixed width, so no name is the
        # beginning of another (release() takes a prefix).
        self._spawned += 1
        owner = self._owners[n] = f"{self.host}:{os.getpid()}:{n}.{self._spawned:06d}"
        if self.threads:
            worker: Any = threading.Thread(
                target=deciders.run, name=f"decider-{n}",
                args=(self.services.email, _settings(owner, self.config), self._wake, self._stop),
                daemon=True)
            worker.start()
            return worker
        bell = self._bells.bell(n)
        worker = self._context.Process(
            target=child, name=f"decider-{n}", daemon=True,
            args=(self.services.config.source, os.getcwd(), owner, bell, self._stop,
                  os.getpid()))
        worker.start()
        bell.close()  # the decider has its own copy now
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
