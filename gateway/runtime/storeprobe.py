"""The store's part of /healthz beyond "it answers": room on the disk under a SQLite file,
and a small write that must commit. A full disk or a store that cannot write turns
/healthz red although every read still works (SQLite reads, and even a small write into
its WAL, succeed on a disk with no byte left)."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

from gateway.config.store import StoreConfig
from store import Store, StoreError

PROBE_KEY = "healthz.write_probe"  # a poller-state value rewritten by each probe


def probe_store(store: Store, config: StoreConfig, now: datetime) -> dict[str, Any]:
    """`ok` False, with the reason, when the disk is nearly full or the write fails."""
    found: dict[str, Any] = {"ok": True}
    if not config.url:  # PostgreSQL's disk is the server's: its errors tell us instead
        try:
            free = shutil.disk_usage(config.path.parent).free
        except OSError as exc:
            free = 0
            found["disk_error"] = exc.strerror or str(exc)
        found["disk_free_bytes"] = free
        if free < config.min_free_bytes:
            found.update(ok=False, disk_full=True)
    try:
        store.poller_state.set(PROBE_KEY, now.isoformat(), now)
        found["write_ok"] = True
    except StoreError as exc:
        found.update(ok=False, write_ok=False, write_error=str(exc))
    return found
