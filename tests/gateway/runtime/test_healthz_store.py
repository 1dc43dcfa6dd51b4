"""/healthz of a real `serve` turns red when the store cannot take writes: a disk (a small
tmpfs) filling up under the SQLite file, or a write that fails while reads still work."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.disk import fill, small_disk
from tests.helpers.http import get, wait_until_serving
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.waiting import wait_for

TOKEN = "healthz-store-token"


def start(folder: Path, store: str) -> tuple[str, subprocess.Popen[str]]:
    """serve on free ports with `store` as its [store] table; its URL and process."""
    port = free_port()
    config = folder / "config.toml"
    config.write_text(f'[store]\npath = "data/test.db"\n{store}\n[http]\nport = {port}\n'
                      f'[api]\ntoken_env = "TEST_HEALTHZ_TOKEN"\n[mail.smtp]\n'
                      f'port = {free_port()}\n', encoding="utf-8")
    proc = subprocess.Popen([str(EXE), "serve", "--config", str(config)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "TEST_HEALTHZ_TOKEN": TOKEN})
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{base}/healthz", proc)
    return base, proc


def stopped(proc: subprocess.Popen[str]) -> str:
    """Kill it if still running; its log."""
    if proc.poll() is None:
        proc.terminate()
    return proc.communicate(timeout=15)[1]


@pytest.fixture
def disk() -> Iterator[Path]:
    """A 24 MB tmpfs, mounted for the test."""
    with small_disk(24) as folder:
        yield folder


@pytest.mark.faultsuite
def test_healthz_is_red_while_the_disk_is_full(disk: Path) -> None:
    base, proc = start(disk, "min_free_mb = 4")
    try:
        assert get(f"{base}/healthz")[0] == 200
        filler = fill(disk)
        assert get(f"{base}/healthz") == (503, {"status": "degraded"})  # the disk, at once
        status, body = get(f"{base}/healthz", TOKEN)
        assert status == 503 and body["store"]["disk_full"] is True
        assert body["store"]["disk_free_bytes"] < 4 * 1024 * 1024
        filler.unlink()
        # Green at once, or once a write the full disk failed has been tried again.
        wait_for(lambda: get(f"{base}/healthz") == (200, {"status": "ok"}), "healthz green")
    finally:
        log = stopped(proc)
    assert "Traceback" not in log


def test_healthz_is_red_while_a_store_write_fails(tmp_path: Path) -> None:
    base, proc = start(tmp_path, "busy_timeout_ms = 100")
    try:
        assert get(f"{base}/healthz")[0] == 200
        # Another process holds the write lock: reads answer, every write fails (busy).
        holder = sqlite3.connect(tmp_path / "data" / "test.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            # The write runs in the background every 2 s: red once one has failed (another
            # writer, the cluster heartbeat, may turn it red first: wait for the store's part).
            wait_for(lambda: get(f"{base}/healthz", TOKEN)[1]["store"].get("write_ok") is False,
                     "healthz red for the failed write")
            status, body = get(f"{base}/healthz", TOKEN)
            assert status == 503 and body["store"]["write_ok"] is False
            assert "locked" in body["store"]["write_error"]
            assert body["store"]["tickets"] == 0  # the reads still work
            assert get(f"{base}/healthz") == (503, {"status": "degraded"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        wait_for(lambda: get(f"{base}/healthz")[0] == 200, "healthz green again")
    finally:
        stopped(proc)
