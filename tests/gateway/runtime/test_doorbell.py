"""gateway.runtime.doorbell: ringing never blocks, whatever became of the deciders."""

from __future__ import annotations

import multiprocessing

from gateway.runtime.doorbell import Doorbell, StopFlag


def test_a_ring_wakes_the_bell_until_cleared() -> None:
    bells = Doorbell(multiprocessing.get_context("spawn"))
    bell = bells.bell(0)
    try:
        assert not bell.wait(0)
        bells.ring()
        assert bell.is_set() and bell.wait(0)
        bell.clear()
        assert not bell.is_set()
    finally:
        bell.close()
        bells.close()


def test_ringing_a_full_or_dead_pipe_never_blocks() -> None:
    bells = Doorbell(multiprocessing.get_context("spawn"))
    alive, dead = bells.bell(0), bells.bell(1)
    dead.close()  # its decider is gone
    try:
        for _ in range(100_000):  # far past what a pipe holds
            bells.ring()
        assert alive.is_set()
        alive.clear()
        assert not alive.is_set()
    finally:
        alive.close()
        bells.close()


def test_a_new_bell_for_a_slot_replaces_the_old_pipe() -> None:
    bells = Doorbell(multiprocessing.get_context("spawn"))
    old = bells.bell(0)
    new = bells.bell(0)
    try:
        bells.ring()
        assert new.is_set()
        assert old.wait(0)  # the old writer is closed: its reader sees the end
    finally:
        old.close()
        new.close()
        bells.close()


def test_the_stop_flag() -> None:
    flag = StopFlag(multiprocessing.get_context("spawn"))
    assert not flag.is_set() and not flag.wait(0.001)
    flag.set()
    assert flag.is_set() and flag.wait(10)  # set: returns at once
    flag.clear()
    assert not flag.is_set()
