"""/healthz's store write runs in the background: a health check never waits behind a long
write (a 20 MB message committing), and still turns red on a write that fails or waits."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from gateway.runtime.storeprobe import WriteProbe
from store import open_store_at
from tests.helpers.waiting import wait_for

NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


def test_a_held_write_lock_is_not_waited_for_then_turns_red(tmp_path: Path) -> None:
    store = open_store_at("", tmp_path / "probe.db", busy_timeout_ms=60_000)
    store.migrate()
    probe = WriteProbe(store, every=0.0, wait=0.05, stuck=0.5)
    try:
        wait_for(lambda: probe.result(NOW).get("write_ok") is True, "a first write")
        holder = sqlite3.connect(tmp_path / "probe.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # as a long commit holds it
        try:
            # The new write waits (60 s busy timeout); the check answers with the last one.
            assert probe.result(NOW) == {"write_ok": True}
            wait_for(lambda: probe.result(NOW)["write_ok"] is False, "red once stuck")
            assert "has waited" in probe.result(NOW)["write_error"]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        wait_for(lambda: probe.result(NOW) == {"write_ok": True}, "green again")
    finally:
        probe.close()
        store.close()


def test_a_failing_write_is_red_and_tried_again_at_once(tmp_path: Path) -> None:
    store = open_store_at("", tmp_path / "probe.db", busy_timeout_ms=50)
    store.migrate()
    probe = WriteProbe(store, every=3600.0, wait=5.0, stuck=60.0)
    holder = sqlite3.connect(tmp_path / "probe.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        found = probe.result(NOW)
        assert found["write_ok"] is False and "locked" in found["write_error"]
        holder.execute("ROLLBACK")
        # Failing, the write is tried on the next check, not after `every`.
        wait_for(lambda: probe.result(NOW) == {"write_ok": True}, "green again")
    finally:
        holder.close()
        probe.close()
        store.close()
