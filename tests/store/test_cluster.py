"""The store contract: heartbeats, singleton locks, and claims that hold with two nodes on
one database (outbox items, pages, tier clocks, pending mail). Runs against every backend
(tests/store/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from store import Store
from store.cluster import NodeBeat
from tests.helpers.store import T0, new

LEASE = timedelta(minutes=1)
ITEMS = 24


def test_a_heartbeat_row_per_node_replaced_by_each_beat(store: Store) -> None:
    assert store.cluster.backend in ("sqlite", "postgresql")
    store.cluster.beat(NodeBeat("a:8080", T0, T0, store.cluster.backend, ("imap:x",), 1.5))
    store.cluster.beat(NodeBeat("b:8080", T0, T0, store.cluster.backend))
    later = T0 + timedelta(seconds=30)
    store.cluster.beat(NodeBeat("a:8080", T0, later, store.cluster.backend, (), None))
    nodes = store.cluster.nodes()
    assert [n.node for n in nodes] == ["a:8080", "b:8080"]
    assert nodes[0] == NodeBeat("a:8080", T0, later, store.cluster.backend, (), None)
    assert nodes[1].singletons == () and nodes[1].pending_lag_seconds is None
    assert [n.node for n in store.cluster.nodes(seen_since=T0 + timedelta(seconds=1))] == [
        "a:8080"]
    assert store.cluster.forget("b:8080") and not store.cluster.forget("b:8080")
    assert [n.node for n in store.cluster.nodes()] == ["a:8080"]


def test_oldest_pending_is_the_first_accepted_still_waiting(store: Store) -> None:
    assert store.cluster.oldest_pending() is None
    first = store.pending.accept("email", "smtp", T0, b"Subject: a\r\n\r\nx")
    store.pending.accept("email", "smtp", T0 + timedelta(seconds=5), b"Subject: b\r\n\r\nx")
    assert store.cluster.oldest_pending() == T0
    claimed = store.pending.claim("d1", T0, LEASE)
    assert [m.row for m in claimed] == [first]
    store.atomically(lambda: store.pending.finish(first, "d1"))
    assert store.cluster.oldest_pending() == T0 + timedelta(seconds=5)


def test_a_singleton_is_held_by_one_node_at_a_time(two_nodes: tuple[Store, Store]) -> None:
    a, b = two_nodes
    lock_a = a.cluster.singleton("imap:support@mail/INBOX", 1.0)
    lock_b = b.cluster.singleton("imap:support@mail/INBOX", 1.0)
    other = b.cluster.singleton("imap:critical@mail/INBOX", 1.0)
    try:
        assert lock_a.name == "imap:support@mail/INBOX"
        assert lock_a.hold() and lock_a.hold()  # taken, then confirmed
        assert not lock_b.hold()
        assert other.hold()  # another mailbox is another singleton
        lock_a.release()
        assert lock_b.hold() and not lock_a.hold()
    finally:
        for lock in (lock_a, lock_b, other):
            lock.release()


def _race(stores: tuple[Store, Store], take: Callable[[Store], list[int]]) -> list[int]:
    """Both nodes take until nothing is left, at the same time; every id each one got."""
    got: list[int] = []
    start = threading.Barrier(2)

    def node(s: Store) -> None:
        start.wait()
        while batch := take(s):
            got.extend(batch)

    threads = [threading.Thread(target=node, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return got


def test_two_nodes_claim_each_outbox_item_once(two_nodes: tuple[Store, Store]) -> None:
    a, _ = two_nodes
    ids = [a.outbox.enqueue("email", f"n{i}@acme.example", {}, T0) for i in range(ITEMS)]
    got = _race(two_nodes, lambda s: [i.id for i in s.outbox.claim_due(T0, LEASE, limit=3)])
    assert sorted(got) == sorted(ids)


def test_two_nodes_claim_each_page_step_once(two_nodes: tuple[Store, Store]) -> None:
    a, _ = two_nodes
    tid = a.tickets.create(new(priority=1), T0).id
    ids = [a.pages.open(tid, f"k{i}", "voicemail", 1, {}, T0) for i in range(ITEMS)]
    got = _race(two_nodes, lambda s: [p.id for p in s.pages.claim_due(T0, LEASE, limit=3)])
    assert sorted(got) == sorted(ids)


def test_two_nodes_claim_each_pending_message_once(two_nodes: tuple[Store, Store]) -> None:
    a, _ = two_nodes
    rows = [a.pending.accept("email", "smtp", T0, f"Subject: {i}\r\n\r\nx".encode())
            for i in range(ITEMS)]
    got = _race(two_nodes, lambda s: [m.row for m in s.pending.claim(
        f"node{id(s)}", T0, LEASE, limit=3)])
    assert sorted(got) == sorted(rows)


def test_a_tier_clock_that_ran_out_is_claimed_once(store: Store) -> None:
    tid = store.tickets.create(new(priority=1), T0).id
    due = T0 + timedelta(hours=1, minutes=30)
    store.pages.set_tier(tid, 1, due, T0)
    assert store.pages.claim_due_tiers(due - timedelta(seconds=1), LEASE) == []
    assert [c.level for c in store.pages.claim_due_tiers(due, LEASE)] == [1]
    assert store.pages.claim_due_tiers(due, LEASE) == []  # leased
    # The worker died before moving it: due again once the lease runs out.
    assert [c.ticket_id for c in store.pages.claim_due_tiers(due + LEASE, LEASE)] == [tid]
    # Moved: the lease ends with the move, and the new due time counts.
    assert store.pages.set_tier(tid, 2, due + timedelta(hours=1), due + LEASE, from_level=1)
    assert store.pages.claim_due_tiers(due + timedelta(minutes=59), LEASE) == []
    assert [c.level for c in store.pages.claim_due_tiers(due + timedelta(hours=1), LEASE)] == [2]


def test_two_nodes_claim_each_tier_clock_once(two_nodes: tuple[Store, Store]) -> None:
    a, _ = two_nodes
    tids = [a.tickets.create(new(priority=1), T0).id for _ in range(ITEMS)]
    for tid in tids:
        a.pages.set_tier(tid, 1, T0, T0)
    got = _race(two_nodes, lambda s: [c.ticket_id for c in s.pages.claim_due_tiers(
        T0, LEASE, limit=3)])
    assert sorted(got) == sorted(tids)
