"""A singleton runs on the one node holding its lock; another node takes it over when the
holder stops. Two stores on one SQLite file stand for two nodes (their locks are file
locks); PostgreSQL's advisory locks are tested in tests/store/ and tests/gateway/cluster/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.runtime.cluster import Heartbeat, HeldSingletons
from gateway.runtime.singleton import Singleton
from store import Store, open_store
from tests.helpers.clock import Clock, chicago
from tests.helpers.waiting import wait_for

CHECK = 0.05  # seconds between lock checks


class Part:
    """A stand-in component that records whether it runs."""

    def __init__(self, runs: list[str], name: str) -> None:
        self.runs, self.name = runs, name

    def start(self) -> None:
        self.runs.append(self.name)

    def stop(self) -> None:
        self.runs.remove(self.name)

    def health(self) -> dict[str, Any]:
        return {"ok": True, "state": "polling"}


def _node(store: Store, runs: list[str], name: str, held: HeldSingletons) -> Singleton:
    lock = store.cluster.singleton("imap:support@mail/INBOX", CHECK)
    return Singleton("imap", lock, lambda _lease: Part(runs, name), held, CHECK)


def test_one_node_runs_it_and_another_takes_over(tmp_path: Path) -> None:
    stores = [open_store(tmp_path / "one.db") for _ in range(2)]
    stores[0].migrate()
    runs: list[str] = []
    held_a, held_b = HeldSingletons(), HeldSingletons()
    a, b = _node(stores[0], runs, "a", held_a), _node(stores[1], runs, "b", held_b)
    try:
        a.start()
        b.start()
        assert runs == ["a"] and held_a.names() == ("imap:support@mail/INBOX",)
        assert b.health() == {"ok": True, "state": "standby", "singleton": "standby",
                              "lock": "imap:support@mail/INBOX"}
        assert a.health()["singleton"] == "held" and a.health()["state"] == "polling"
        assert a.held() and not b.held()  # the lease each gives its component
        a.stop()
        assert not a.held()
        wait_for(lambda: runs == ["b"], "node b to take the singleton over")
        assert b.held()
        assert held_a.names() == () and held_b.names() == ("imap:support@mail/INBOX",)
    finally:
        a.stop()
        b.stop()
        for s in stores:
            s.close()
    assert runs == []


def test_the_heartbeat_row_says_what_the_node_holds(tmp_path: Path) -> None:
    store = open_store(tmp_path / "one.db")
    store.migrate()
    clock = Clock(chicago(2026, 11, 24, 10, 0))
    held, runs = HeldSingletons(), list[str]()
    beat = Heartbeat("gw-a:8080", store, held, clock, interval=60)
    singleton = _node(store, runs, "a", held)
    try:
        beat.start()
        store.pending.accept("email", "smtp", clock(), b"Subject: x\r\n\r\nx")
        singleton.start()  # taking the lock wakes the heartbeat at once
        wait_for(lambda: store.cluster.nodes()[0].singletons, "the row to name the lock")
        [row] = store.cluster.nodes()
        assert (row.node, row.backend, row.singletons) == (
            "gw-a:8080", "sqlite", ("imap:support@mail/INBOX",))
        clock.advance(minutes=2)
        health = beat.health()
        assert health["pending_lag_seconds"] == 120.0 and health["node"] == "gw-a:8080"
        assert health["singletons"] == ["imap:support@mail/INBOX"] and health["ok"] is True
    finally:
        singleton.stop()
        beat.stop()
    assert store.cluster.nodes()[0].singletons == ()  # the last beat: holds nothing
    store.close()
