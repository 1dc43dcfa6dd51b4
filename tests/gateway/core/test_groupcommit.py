"""gateway.core.groupcommit: writes queued together go in one transaction, each caller
gets its own result only once written, and one bad write does not fail the others."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.core.groupcommit import GroupCommit, write_together
from gateway.runtime.services import Services
from store import StoreUnavailableError, StoreUnreachableError
from tests.helpers import mail as F
from tests.helpers.waiting import wait_for


class Writer:
    """Records each transaction; the first one waits until told, so others queue behind it."""

    def __init__(self) -> None:
        self.transactions: list[list[int]] = []
        self.hold = threading.Event()
        self.entered = threading.Event()

    def many(self, values: Sequence[int]) -> list[int]:
        self.entered.set()
        self.hold.wait(10)
        if any(v < 0 for v in values):
            raise ValueError("a bad one in the group")
        self.transactions.append(list(values))
        return [v * 10 for v in values]

    def one(self, value: int) -> int:
        if value < 0:
            raise ValueError(f"bad {value}")
        self.transactions.append([value])
        return value * 10


def test_writes_queued_meanwhile_commit_together() -> None:
    writer = Writer()
    group: GroupCommit[int, int] = GroupCommit(writer.many, writer.one)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(group.submit, 1)
        writer.entered.wait(10)  # the first leads and is inside its transaction
        rest = [pool.submit(group.submit, n) for n in range(2, 7)]
        wait_for(lambda: group.queued() == 5, "five writes queued behind the first")
        writer.hold.set()
        assert first.result(10) == 10
        assert sorted(f.result(10) for f in rest) == [20, 30, 40, 50, 60]
    assert writer.transactions[0] == [1]
    assert sorted(writer.transactions[1]) == [2, 3, 4, 5, 6]  # one transaction for all five
    assert group.groups == 2


@pytest.mark.parametrize("late", [False, True])
def test_a_bad_write_in_a_group_fails_alone(late: bool) -> None:
    writer = Writer()
    group: GroupCommit[int, int] = GroupCommit(writer.many, writer.one, late=late)
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(group.submit, 5)
        writer.entered.wait(10)
        bad, good = pool.submit(group.submit, -1), pool.submit(group.submit, 3)
        # A late group has not taken the first write from the queue yet: it takes all three.
        queued = 3 if late else 2
        wait_for(lambda: group.queued() == queued, "two writes queued behind the first")
        writer.hold.set()
        assert first.result(10) == 50 and good.result(10) == 30
        with pytest.raises(ValueError, match="bad -1"):
            bad.result(10)
    # Early: 5 alone, then the group of two failed and 3 committed alone. Late: the group of
    # three failed, then each alone.
    assert writer.transactions == [[5], [3]]


def test_accepts_from_many_threads_are_each_committed_once(services: Services) -> None:
    raws = [F.LABELLED.replace(b"<t1@acme.example>", f"<g{n}@x>".encode()) for n in range(40)]
    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(lambda raw: services.email.accept(raw, "smtp:test"), raws))
    assert len(set(rows)) == 40 and services.store.pending.count() == 40
    assert [services.store.messages.get(row).raw for row in rows] == raws


def test_late_groups_take_what_queued_while_the_leader_waited_for_its_turn() -> None:
    writer = Writer()  # its first transaction waits as for another process's turn
    group: GroupCommit[int, int] = GroupCommit(writer.many, writer.one, late=True)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(group.submit, 1)
        writer.entered.wait(10)  # the first leads and waits for its turn, group not taken
        rest = [pool.submit(group.submit, n) for n in range(2, 7)]
        wait_for(lambda: group.queued() == 6, "five writes queued beside the first")
        writer.hold.set()
        assert [first.result(10)] + [f.result(10) for f in rest] == [10, 20, 30, 40, 50, 60]
    assert [sorted(t) for t in writer.transactions] == [[1, 2, 3, 4, 5, 6]]  # one for all
    assert group.groups == 1


def test_no_write_is_tried_alone_when_the_database_is_out_of_reach_or_was_alone() -> None:
    alone: list[int] = []
    error: list[Exception] = [StoreUnreachableError("no connection to the database")]

    def many(values: Sequence[int]) -> list[int]:
        if any(v < 0 for v in values):
            raise ValueError("a bad one")
        raise error[0]

    def one(value: int) -> int:
        alone.append(value)
        return value

    # No connection came: each alone would wait as long again, so every value gets the error.
    results = write_together(many, one, [1, 2, 3])
    assert [type(r) for r in results] == [StoreUnreachableError] * 3 and alone == []
    # A connection that broke under the group: each alone gets a connection of its own.
    error[0] = StoreUnavailableError("the database cannot be used: connection lost")
    assert write_together(many, one, [1, 2]) == [1, 2] and alone == [1, 2]
    # A lone value that failed is not written again alone; in a group, each is.
    [lone] = write_together(many, one, [-1])
    assert isinstance(lone, ValueError) and alone == [1, 2]
    assert write_together(many, one, [-1, 4]) == [-1, 4] and alone == [1, 2, -1, 4]
