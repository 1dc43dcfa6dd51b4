"""gateway.runtime.restarts: a decider that dies is replaced, and the mail it would have
decided is decided without a restart of the gateway."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.config import load_config
from gateway.runtime.deciders import DecisionWorkers
from gateway.runtime.restarts import Restarter
from gateway.runtime.services import build_services
from tests.helpers import mail as F
from tests.helpers.paths import REPO
from tests.helpers.waiting import wait_for


def test_a_dead_worker_is_replaced_in_its_slot() -> None:
    release = threading.Event()
    dead = threading.Thread(target=lambda: None)
    dead.start()
    dead.join()
    alive = threading.Thread(target=release.wait)
    alive.start()
    seen: list[tuple[int, Any]] = []

    def replace(slot: int, worker: Any) -> Any:
        seen.append((slot, worker))
        new = threading.Thread(target=release.wait)
        new.start()
        return new

    workers: list[Any] = [alive, dead]
    restarter = Restarter(workers, replace, pause=0.0)
    try:
        assert restarter.check() == 1 and seen == [(1, dead)]
        assert workers[0] is alive and workers[1].is_alive()
        assert restarter.check() == 0  # nothing else died
    finally:
        release.set()


def test_a_worker_dying_just_after_its_start_waits_for_the_pause() -> None:
    dead = threading.Thread(target=lambda: None)
    dead.start()
    dead.join()
    restarter = Restarter([dead], lambda slot, worker: worker, pause=3600.0)
    assert restarter.check() == 0  # started a moment ago: not started again at once


def test_a_decider_process_killed_is_replaced_and_pending_mail_decided(
        write_config: Callable[..., Path], caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write_config("[deciders]\nprocesses = 1\n"))
    services = build_services(config)
    workers = DecisionWorkers(services)
    workers.start()
    try:
        [pid] = workers.pids()
        assert pid is not None
        with caplog.at_level(logging.ERROR, logger="gateway.deciders"):
            os.kill(pid, signal.SIGKILL)  # the only decider: without a new one, mail waits
            wait_for(lambda: workers.pids() != [pid] and workers.health()["ok"],
                     "a new decider process in place of the killed one")
        assert any(r.getMessage() == "deciders.restarted" and getattr(r, "pid", None) == pid
                   for r in caplog.records)
        row = services.email.accept(F.LABELLED, "smtp:test", ("support@desk.example",))
        decided = wait_for(lambda: services.email.decided(row), "the new decider's outcome")
        assert decided.outcome == "ticket"
    finally:
        workers.stop()
        services.close()


def test_a_worker_that_keeps_dying_young_waits_longer_each_time() -> None:
    def died() -> threading.Thread:
        thread = threading.Thread(target=lambda: None)
        thread.start()
        thread.join()
        return thread

    workers: list[Any] = [died()]
    restarter = Restarter(workers, lambda slot, worker: died(), pause=0.0, longest=3600.0)
    assert restarter.check() == 1  # the first death: replaced at once
    assert restarter.check() == 0  # the replacement died young: it now waits a while


def test_a_child_whose_parent_is_already_gone_leaves_at_once() -> None:
    # A child process started just as the gateway was killed (kill -9) gets no death signal
    # from the kernel: die_with_parent sees that its parent is not the one that started it.
    script = ("import os, sys; from gateway.runtime.restarts import die_with_parent; "
              "die_with_parent(int(sys.argv[1])); print('serving')")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    mine = subprocess.run([sys.executable, "-c", script, str(os.getpid())], env=env,
                          capture_output=True, text=True, timeout=60)
    gone = subprocess.run([sys.executable, "-c", script, str(os.getpid() + 100_000)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert (mine.returncode, mine.stdout.strip()) == (0, "serving"), mine.stderr
    assert (gone.returncode, gone.stdout) == (0, ""), gone.stderr
