"""The cluster on SQLite: heartbeat rows, and singleton locks as file locks beside the
database (one file is one machine: the lock only keeps two processes on it apart)."""

from __future__ import annotations

import fcntl
import json
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from store.cluster import NodeBeat, lock_key
from store.errors import StoreUnavailableError
from store.sqlite.db import Connections, from_db, to_db

DDL_0009 = """
        CREATE TABLE cluster_nodes (
            node TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            backend TEXT NOT NULL,
            singletons TEXT NOT NULL DEFAULT '[]',
            pending_lag_seconds REAL
        );
        ALTER TABLE tier_clocks ADD COLUMN lease_until TEXT
        """


def _beat(row: dict[str, Any]) -> NodeBeat:
    return NodeBeat(
        node=row["node"], backend=row["backend"],
        started_at=from_db(row["started_at"]),  # type: ignore[arg-type]
        seen_at=from_db(row["seen_at"]),  # type: ignore[arg-type]
        singletons=tuple(json.loads(row["singletons"])),
        pending_lag_seconds=row["pending_lag_seconds"],
    )


class FileLock:
    """A singleton's lock as an exclusive `flock` on a file beside the database; an
    in-memory database has a single process, so its lock is always held."""

    lease_seconds = math.inf  # the kernel keeps the flock exactly as long as the process

    def __init__(self, name: str, database: Path | None) -> None:
        self._name = name
        suffix = f".{lock_key(name) & 0xFFFFFFFF:08x}.lock"  # one file per singleton
        self._path = (None if database is None
                      else database.with_name(database.name + suffix))
        self._fd: int | None = None

    @property
    def name(self) -> str:
        """The singleton's name."""
        return self._name

    def hold(self) -> bool:
        """Take the file lock if free (kept while this process lives); True while held."""
        if self._path is None or self._fd is not None:
            return True
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreUnavailableError(f"cannot open {self._path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Unlock and close the file."""
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


class Cluster:
    """Heartbeats and singleton locks (`store.ports_cluster.ClusterRepository`)."""

    backend = "sqlite"

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def beat(self, beat: NodeBeat) -> None:
        """Write (or replace) the heartbeat row of `beat.node`."""
        self._conns.write(lambda db: db.execute(
            "INSERT INTO cluster_nodes (node, started_at, seen_at, backend, singletons,"
            " pending_lag_seconds) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(node) DO UPDATE SET"
            " started_at = excluded.started_at, seen_at = excluded.seen_at,"
            " backend = excluded.backend, singletons = excluded.singletons,"
            " pending_lag_seconds = excluded.pending_lag_seconds",
            [beat.node, to_db(beat.started_at), to_db(beat.seen_at), beat.backend,
             json.dumps(list(beat.singletons)), beat.pending_lag_seconds]))

    def nodes(self, seen_since: datetime | None = None) -> list[NodeBeat]:
        """Heartbeats seen at or after `seen_since` (all when None), by node name."""
        since = to_db(seen_since) if seen_since is not None else ""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT * FROM cluster_nodes WHERE seen_at >= ?"
                                 " ORDER BY node", [since]))
        return [_beat(row) for row in rows]

    def forget(self, node: str) -> bool:
        """Remove a node's heartbeat row; False if it had none."""
        return bool(self._conns.write(lambda db: db.execute(
            "DELETE FROM cluster_nodes WHERE node = ?", [node]).rowcount))

    def oldest_pending(self) -> datetime | None:
        """When the oldest message still waiting for a decider was accepted."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT MIN(queued_at) AS t FROM pending_messages"))
        return from_db(rows[0]["t"]) if rows else None

    def singleton(self, name: str, check_seconds: float) -> FileLock:
        """The file lock of singleton `name` (check_seconds unused: a dead process's
        flock is dropped by the kernel at once)."""
        return FileLock(name, self._conns.path)
