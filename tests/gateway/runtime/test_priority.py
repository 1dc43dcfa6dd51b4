"""gateway.runtime.priority: deciders decide at SCHED_IDLE, below the channels that accept;
back at SCHED_OTHER (nice 10) while they hold the store's write lock or fall behind."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from gateway.config import load_config
from gateway.runtime.deciders import NICE, DecisionWorkers
from gateway.runtime.priority import BEHIND_SECONDS, DeciderPriority, idle_possible
from gateway.runtime.services import build_services
from tests.helpers import mail as F
from tests.helpers.waiting import wait_for


def in_thread(work: Callable[[], list[int]]) -> list[int]:
    """Run `work` in a thread of its own (scheduling policies are per thread), its result."""
    result: list[list[int]] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


def test_the_tests_may_use_sched_idle() -> None:
    # The suite runs as root (its PostgreSQL and Dovecot need it): SCHED_IDLE and back.
    assert idle_possible()


def test_deciding_idles_writing_and_falling_behind_do_not() -> None:
    def policies() -> list[int]:
        priority = DeciderPriority()
        seen = [os.sched_getscheduler(0)]
        with priority.writing():
            seen.append(os.sched_getscheduler(0))
            with priority.writing():  # nested: still writing
                pass
            seen.append(os.sched_getscheduler(0))
        seen.append(os.sched_getscheduler(0))
        priority.claimed(BEHIND_SECONDS + 1)  # behind: stays at SCHED_OTHER, writing or not
        seen.append(os.sched_getscheduler(0))
        with priority.writing():
            pass
        seen.append(os.sched_getscheduler(0))
        priority.claimed(0.01)  # caught up
        seen.append(os.sched_getscheduler(0))
        return seen

    idle, other = os.SCHED_IDLE, os.SCHED_OTHER
    assert in_thread(policies) == [idle, other, other, idle, other, other, idle]


def test_without_sched_idle_a_decider_keeps_its_policy() -> None:
    def policies() -> list[int]:
        priority = DeciderPriority(idle=False)
        seen = [os.sched_getscheduler(0)]
        with priority.writing():
            seen.append(os.sched_getscheduler(0))
        priority.claimed(BEHIND_SECONDS + 1)
        return [*seen, os.sched_getscheduler(0)]

    assert in_thread(policies) == [os.SCHED_OTHER] * 3


def test_decider_processes_run_at_sched_idle_and_nice_10_and_still_decide(
        write_config: Callable[..., Path]) -> None:
    services = build_services(load_config(write_config("[deciders]\nprocesses = 2\n")))
    workers = DecisionWorkers(services)
    workers.start()
    try:
        pids = [pid for pid in workers.pids() if pid is not None]
        assert len(pids) == 2
        # Each sets its policy as it starts: waited for, then read from outside.
        wait_for(lambda: all(os.sched_getscheduler(pid) == os.SCHED_IDLE for pid in pids),
                 "decider processes at SCHED_IDLE")
        assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in pids] == [NICE, NICE]
        row = services.email.accept(F.LABELLED, "smtp:test", ("support@desk.example",))
        decided = wait_for(lambda: services.email.decided(row), "an outcome from the deciders")
        assert decided.outcome == "ticket"
    finally:
        workers.stop()
        services.close()
