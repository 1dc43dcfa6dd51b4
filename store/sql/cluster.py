"""Nodes' heartbeat rows, the same SQL on both backends; each backend's `Cluster` adds its
singleton locks (store/sqlite/cluster.py: file locks, store/postgres/cluster.py: advisory
locks)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from store.cluster import NodeBeat
from store.rows import from_db, to_db
from store.sql.connection import Connections


def _beat(row: dict[str, Any]) -> NodeBeat:
    return NodeBeat(
        node=row["node"], backend=row["backend"],
        started_at=from_db(row["started_at"]),  # type: ignore[arg-type]
        seen_at=from_db(row["seen_at"]),  # type: ignore[arg-type]
        singletons=tuple(json.loads(row["singletons"])),
        pending_lag_seconds=row["pending_lag_seconds"],
    )


class Heartbeats:
    """Heartbeat rows, one per node, and the lag of the oldest pending message."""

    backend = ""  # each backend's Cluster names itself

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def beat(self, beat: NodeBeat) -> None:
        """Write (or replace) the heartbeat row of `beat.node`."""
        self._conns.write(lambda db: db.execute(
            "INSERT INTO cluster_nodes (node, started_at, seen_at, backend, singletons,"
            " pending_lag_seconds) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (node) DO UPDATE SET"
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
