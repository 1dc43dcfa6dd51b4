"""`cluster status` on a single SQLite desk: the nodes seen recently and who holds what."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from gateway.config import load_config
from gateway.runtime.services import build_services
from store.cluster import NodeBeat
from tests.helpers.cli import run


def test_no_node_seen_says_so(write_config: Callable[..., Path]) -> None:
    out = run("cluster", "status", "--config", str(write_config()))
    assert out.returncode == 0, out.stderr
    assert "No gateway wrote a heartbeat in the last 60 s." in out.stdout


def test_recent_nodes_and_their_singletons(write_config: Callable[..., Path]) -> None:
    path = write_config("[cluster]\nseen_seconds = 120\n")
    now = datetime.now(timezone.utc)
    services = build_services(load_config(path))
    try:
        beat = services.store.cluster.beat
        beat(NodeBeat("gw-a:8080", now - timedelta(hours=1), now, "sqlite",
                      ("imap:support@mail/INBOX",), 2.5))
        beat(NodeBeat("gw-b:8080", now - timedelta(hours=1), now - timedelta(seconds=30),
                      "sqlite"))
        beat(NodeBeat("gone:8080", now - timedelta(days=1), now - timedelta(hours=2), "sqlite"))
    finally:
        services.close()
    out = run("cluster", "status", "--json", "--config", str(path))
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert [n["node"] for n in status["nodes"]] == ["gw-a:8080", "gw-b:8080"]  # not "gone"
    assert status["holders"] == {"imap:support@mail/INBOX": "gw-a:8080"}
    assert status["nodes"][0]["pending_lag_seconds"] == 2.5
    assert 29 <= status["nodes"][1]["seen_seconds_ago"] < 60
    table = run("cluster", "status", "--config", str(path)).stdout.splitlines()
    assert table[0].split() == ["NODE", "BACKEND", "STARTED", "SEEN", "LAG", "HOLDS"]
    assert table[1].split()[0] == "gw-a:8080" and table[1].split()[-2:] == [
        "2.5s", "imap:support@mail/INBOX"]
    assert table[2].split()[-2:] == ["-", "-"]
    assert "  imap:support@mail/INBOX: gw-a:8080" in table
