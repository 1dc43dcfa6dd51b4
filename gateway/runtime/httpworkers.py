"""More HTTP processes on the one listening socket (`[http] processes`): each has its own
interpreter (its own GIL) and its own store connection, so webhooks are served on every
core rather than in one process whose threads queue for one lock.

The socket `serve` bound is handed to each child (spawned, not forked), so the address is
bound once: a second gateway on a taken port still fails at start, as it did with one
process. serve accepts new connections and deals them to the children in turn
(gateway/runtime/httpdeal.py), so each serves its share.
What the app keeps in the store (sessions, login throttles, group commits per process)
works from any process; what only the parent has - the components' health for /healthz and
/metrics, and the outgoing-webhook latency histogram - a child asks the parent for over a
private socket (`Relay`). A child that dies is started again (gateway/runtime/restarts.py);
children die with the parent (kill -9 included) and stop on its SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from gateway.runtime.health import HealthChecks
from gateway.runtime.httpdeal import Dealer
from gateway.runtime.restarts import Restarter
from gateway.runtime.services import Services
from gateway.web.health import report

log = logging.getLogger("gateway.http")
STOP_SECONDS = 10.0  # a child's in-flight requests finish within this after SIGTERM


class Relay:
    """The parent's side: answers each child's questions ("healthz": the /healthz report,
    "health": the components' checks, "latency": the webhook histogram)."""

    def __init__(self, services: Services, latency: Collector) -> None:
        self.services = services
        self.latency = latency
        self.key = secrets.token_bytes(32)
        self._closed = threading.Event()
        self._listener = Listener(family="AF_UNIX", authkey=self.key)
        self.address: str = self._listener.address  # type: ignore[assignment]
        self._thread = threading.Thread(target=self._accept, name="http-relay", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError, multiprocessing.AuthenticationError):
                if self._closed.is_set():
                    return
                continue  # a caller that failed to authenticate: wait for the next
            threading.Thread(target=self._answer, args=(conn,), name="http-relay-child",
                             daemon=True).start()

    def _answer(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    question = conn.recv()
                except (EOFError, OSError):
                    return
                try:
                    if question == "healthz":
                        conn.send(report(self.services))
                    elif question == "health":
                        conn.send(self.services.health.run())
                    else:
                        conn.send(list(self.latency.collect()))
                except Exception:  # a check failing is reported in place of the answer
                    log.exception("http.relay_failed")
                    conn.send(None)

    def close(self) -> None:
        """Stop answering."""
        self._closed.set()
        self._listener.close()


class ParentHealth(HealthChecks):
    """A child's /healthz components: the parent's, asked each time."""

    def __init__(self, address: str, key: bytes) -> None:
        super().__init__()
        self._address, self._key = address, key
        self._conn: Connection | None = None
        self._ask_lock = threading.Lock()

    def ask(self, question: str) -> Any:
        """The parent's answer to `question`; OSError when it cannot be reached."""
        with self._ask_lock:
            try:
                if self._conn is None:
                    self._conn = Client(self._address, family="AF_UNIX", authkey=self._key)
                self._conn.send(question)
                return self._conn.recv()
            except (OSError, EOFError) as exc:
                self._conn = None
                raise OSError(f"the gateway's main process did not answer: {exc}") from exc

    def run(self) -> dict[str, dict[str, Any]]:
        """The parent's components, or one failing entry when it does not answer."""
        try:
            answer = self.ask("health")
        except OSError as exc:
            return {"gateway": {"ok": False, "error": str(exc)}}
        if answer is None:
            return {"gateway": {"ok": False, "error": "a health check failed"}}
        return answer  # type: ignore[no-any-return]


def parent_healthz(health: ParentHealth) -> tuple[dict[str, Any], bool]:
    """serve's /healthz report (the store probe and the components are its own), or a red
    one naming why it could not be had."""
    try:
        answer = health.ask("healthz")
    except OSError as exc:
        return {"status": "degraded", "error": str(exc)}, False
    if answer is None:
        return {"status": "degraded", "error": "the health report failed"}, False
    return answer  # type: ignore[no-any-return]


class ParentLatency(Collector):
    """A child's /metrics webhook histogram: the parent's (its sender is the one that
    sends)."""

    def __init__(self, health: ParentHealth) -> None:
        self.health = health

    def collect(self) -> list[Metric]:
        """The parent's families; none when it does not answer."""
        try:
            return self.health.ask("latency") or []
        except OSError:
            return []


class HttpWorkers:
    """`processes` children serving HTTP on `sock`, the socket serve bound."""

    def __init__(self, source: Path | None, dealer: Dealer, processes: int,
                 relay: Relay, connections: int, target: Callable[..., None]) -> None:
        self.target = target  # what each child runs (serve's http_child)
        self.dealer = dealer  # accepts on serve's socket, hands each child its turn
        self.source = source
        self.sock = dealer.sock
        self.connections = connections  # each child's cap, as serve sized it
        self.relay = relay
        self.count = processes
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[Any] = []
        self._restarter: Restarter | None = None

    def start(self) -> None:
        """Spawn the children and watch them; return once every one is serving."""
        ready = []
        try:
            for n in range(self.count):
                worker, started = self._spawn(n)
                self._workers.append(worker)  # stopped with the others, even if this start is not
                ready.append(started)
            deadline = time.monotonic() + 60
            for started in ready:
                # A pipe, not a multiprocessing Event: serve's SIGTERM handler raises in this
                # thread, which leaves an Event's semaphores broken if it lands in a wait, and
                # a child setting an Event blocks for ever once its waiter is gone.
                started.poll(max(0.0, deadline - time.monotonic()))  # a byte once it accepts
        finally:
            for started in ready:
                started.close()
        self._restarter = Restarter(self._workers, self._replace)
        self._restarter.start()
        self.dealer.start()  # listening from now on: no connection waits for a start

    def health(self) -> dict[str, Any]:
        """Every child alive."""
        alive = [w.pid for w in self._workers if w.is_alive()]
        return {"ok": len(alive) == len(self._workers), "processes": len(alive), "pids": alive}

    def pids(self) -> list[int]:
        """The children's process ids, in slot order."""
        return [int(w.pid) for w in self._workers]

    def stop(self) -> None:
        """Stop dealing connections; SIGTERM each child: it finishes what it serves and
        exits."""
        if self._restarter is not None:
            self._restarter.stop()  # first: a restart meanwhile would pair with a closed dealer
            self._restarter = None
        self.dealer.close()
        for worker in self._workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                log.warning("http.process_killed", extra={"pid": worker.pid})
                worker.kill()
                worker.join(2)
        self._workers = []

    def _replace(self, slot: int, dead: Any) -> Any:
        log.error("http.process_restarted", extra={
            "worker": slot, "pid": dead.pid, "exitcode": dead.exitcode})
        worker, _ = self._spawn(slot)
        return worker

    def _spawn(self, n: int) -> tuple[Any, Any]:
        started, ready = self._context.Pipe(duplex=False)
        dealt = self.dealer.pair(n)
        worker = self._context.Process(
            target=self.target, name=f"http-{n + 1}", daemon=True,
            args=(self.source, os.getcwd(), self.sock, dealt, self.connections,
                  self.relay.address, self.relay.key, ready, os.getpid()))
        worker.start()
        ready.close()  # the child has its own copies now
        dealt.close()
        return worker, started
