"""gateway.runtime.priority: in a burst of accepts a decider waits for pauses before it takes
the write lock and decides at SCHED_IDLE; at SCHED_OTHER (nice 10) while it writes, when
mail arrives calmly, and once it falls behind."""

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

IDLE, OTHER = os.SCHED_IDLE, os.SCHED_OTHER


def in_thread(work: Callable[[], list[int]]) -> list[int]:
    """Run `work` in a thread of its own (scheduling policies are per thread), its result."""
    result: list[list[int]] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


class Ringing:
    """A doorbell rung again during every wait of `quiet` (each wait lasts its timeout), for
    `rings` waits: a burst without pauses that a busy machine cannot stretch into gaps."""

    def __init__(self, rings: int = 100_000) -> None:
        self.left = rings
        self._time = threading.Event()  # never set: waits pass real time

    def wait(self, timeout: float | None = None) -> bool:
        if timeout:
            self._time.wait(timeout)
            self.left -= 1
        return self.left > 0

    def clear(self) -> None:
        """The rings so far are forgotten; the next comes during the next wait."""


def quiet_in_a_burst(priority: DeciderPriority) -> int:
    """Run `quiet` while the bell rings without a pause; the rings it took to return."""
    bell = Ringing()
    priority.quiet(bell)
    return 100_000 - bell.left


def test_the_tests_may_use_sched_idle() -> None:
    # The suite runs as root (its PostgreSQL and Dovecot need it): SCHED_IDLE and back.
    assert idle_possible()


def test_a_burst_idles_the_deciding_but_never_the_writing() -> None:
    def policies() -> list[int]:
        priority = DeciderPriority(memory=0.0)  # a burst ends with the first calm look
        seen = [os.sched_getscheduler(0)]  # calm: as before, nice 10 at SCHED_OTHER
        rings = quiet_in_a_burst(priority)
        assert priority.burst and rings < 100_000  # it stopped waiting while rings went on
        seen.append(os.sched_getscheduler(0))
        with priority.writing():
            seen.append(os.sched_getscheduler(0))
            with priority.writing():  # nested: still writing
                pass
            seen.append(os.sched_getscheduler(0))
        seen.append(os.sched_getscheduler(0))
        priority.claimed(BEHIND_SECONDS + 1)  # behind: no idling, no waiting
        seen.append(os.sched_getscheduler(0))
        quiet_in_a_burst(priority)
        seen.append(os.sched_getscheduler(0))
        priority.claimed(0.01)  # caught up
        quiet_in_a_burst(priority)
        seen.append(os.sched_getscheduler(0))
        priority.quiet(threading.Event())  # nothing rang: calm again, at once
        return [*seen, os.sched_getscheduler(0)]

    assert in_thread(policies) == [OTHER, IDLE, OTHER, OTHER, IDLE, OTHER, OTHER, IDLE, OTHER]


def test_a_burst_is_remembered_across_a_pause() -> None:
    def policies() -> list[int]:
        priority = DeciderPriority()  # BURST_MEMORY, far longer than this test
        quiet_in_a_burst(priority)
        priority.quiet(threading.Event())  # a gap in a slow burst: still the burst
        return [os.sched_getscheduler(0), int(priority.burst)]

    assert in_thread(policies) == [IDLE, 1]


def test_without_sched_idle_a_decider_keeps_its_policy() -> None:
    def policies() -> list[int]:
        priority = DeciderPriority(idle=False)
        quiet_in_a_burst(priority)
        seen = [os.sched_getscheduler(0)]
        with priority.writing():
            seen.append(os.sched_getscheduler(0))
        return seen

    assert in_thread(policies) == [OTHER, OTHER]


def test_decider_processes_idle_in_a_burst_at_nice_10_and_decide(
        write_config: Callable[..., Path]) -> None:
    services = build_services(load_config(write_config("[deciders]\nprocesses = 2\n")))
    workers = DecisionWorkers(services)
    workers.start()
    done = threading.Event()

    def burst() -> None:  # accepts ring the deciders' bells a few ms apart
        n = 0
        while not done.is_set() and n < 5000:
            services.email.accept(F.LABELLED.replace(b"<t1@acme.example>", f"<p{n}@x>".encode()),
                                  "smtp:test", ("support@desk.example",))
            n += 1

    accepting = threading.Thread(target=burst)
    try:
        pids = [pid for pid in workers.pids() if pid is not None]
        assert len(pids) == 2
        wait_for(lambda: [os.getpriority(os.PRIO_PROCESS, pid) for pid in pids] == [NICE, NICE],
                 "decider processes at nice 10 (each sets it as it starts)")
        accepting.start()
        wait_for(lambda: any(os.sched_getscheduler(pid) == IDLE for pid in pids),
                 "a decider process at SCHED_IDLE during the burst")
        done.set()
        accepting.join()
        wait_for(lambda: services.store.pending.count() == 0, "every accepted message decided")
        assert services.store.tickets.count() > 0
    finally:
        done.set()
        workers.stop()
        services.close()
