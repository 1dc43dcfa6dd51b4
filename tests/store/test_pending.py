"""The store contract: pending messages, accepted by a channel and decided exactly once
by whichever decider holds the lease. Runs against every backend (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

from store import Store
from tests.helpers.store import T0

LEASE = timedelta(seconds=30)


def test_accept_archives_and_queues_in_one_step(store: Store) -> None:
    row = store.pending.accept("email", "smtp:peer", T0, b"raw bytes", ("support@desk.example",))
    assert store.messages.get(row).raw == b"raw bytes"
    assert store.messages.get(row).outcome is None
    assert store.pending.count() == 1
    [item] = store.pending.claim("node-a:1", T0, LEASE)
    assert (item.row, item.raw, item.source, item.attempts) == (row, b"raw bytes", "smtp:peer", 1)
    assert item.recipients == ("support@desk.example",) and item.received_at == T0


def test_a_claimed_row_is_hidden_until_its_lease_runs_out(store: Store) -> None:
    first = store.pending.accept("email", "smtp", T0, b"one")
    second = store.pending.accept("email", "smtp", T0, b"two")
    assert [p.row for p in store.pending.claim("a", T0, LEASE, limit=1)] == [first]
    assert [p.row for p in store.pending.claim("b", T0, LEASE, limit=5)] == [second]
    assert store.pending.claim("c", T0 + LEASE, LEASE) == []  # a lease ends after its end
    [again] = store.pending.claim("c", T0 + LEASE + timedelta(seconds=1), LEASE, limit=1)
    assert (again.row, again.attempts) == (first, 2)
    assert store.pending.owners() == ["b", "c"]


def test_only_the_holder_finishes_a_row(store: Store) -> None:
    row = store.pending.accept("email", "smtp", T0, b"one")
    store.pending.claim("a", T0, LEASE)
    store.pending.claim("b", T0 + 2 * LEASE, LEASE)  # a's lease ran out: b holds it now
    assert store.pending.finish(row, "a") is False
    assert store.pending.finish(row, "b") is True
    assert store.pending.finish(row, "b") is False
    assert store.pending.count() == 0


def test_a_finish_rolled_back_with_its_outcome_leaves_the_row_pending(store: Store) -> None:
    row = store.pending.accept("email", "smtp", T0, b"one")
    store.pending.claim("a", T0, LEASE)

    def decide_then_fail() -> None:
        assert store.pending.finish(row, "a")
        store.messages.set_outcome(row, "ticket")
        raise RuntimeError("crash before commit")

    try:
        store.atomically(decide_then_fail)
    except RuntimeError:
        pass
    assert store.pending.count() == 1 and store.messages.get(row).outcome is None


def test_release_frees_the_rows_of_dead_owners(store: Store) -> None:
    store.pending.accept("email", "smtp", T0, b"one")
    store.pending.accept("email", "smtp", T0, b"two")
    store.pending.claim("host:41:0", T0, LEASE)
    store.pending.claim("host:42:0", T0, LEASE)
    assert store.pending.release("host:41:") == 1
    assert store.pending.owners() == ["host:42:0"]
    assert len(store.pending.claim("other", T0, LEASE, limit=5)) == 1


def test_a_large_message_is_kept_whole_and_queued_once_written(store: Store) -> None:
    raw = bytes(range(256)) * (3 * 1024 * 1024 // 256 + 7)  # over three 1 MB chunks
    row = store.pending.accept("email", "smtp", T0, raw)
    assert store.messages.get(row).raw == raw and store.messages.get(row).size == len(raw)
    assert store.messages.seen("email", None, raw) is None  # no outcome yet
    [item] = store.pending.claim("a", T0, LEASE)
    assert item.row == row and item.raw == raw
