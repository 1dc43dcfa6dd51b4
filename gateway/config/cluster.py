"""The `[cluster]` keys: this node's name, how soon another node takes over a singleton,
how often a node writes its heartbeat."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from gateway.config.read import Section


@dataclass(frozen=True)
class ClusterConfig:
    """Who this node is and the clocks of the cluster's singletons and heartbeats."""

    node: str = ""  # unique among the nodes on one database; default host name:HTTP port
    takeover_seconds: float = 15.0  # a dead or cut-off poller node is replaced within this
    heartbeat_seconds: float = 5.0  # how often this node writes its heartbeat row
    seen_seconds: float = 60.0  # `cluster status` lists nodes seen within this

    @property
    def check_seconds(self) -> float:
        """How often a singleton's lock is taken or checked: a fifth of the takeover time,
        so a holder's loss is noticed, and the lock taken over, well within it."""
        return self.takeover_seconds / 5


def read_cluster(s: Section, http_port: int) -> ClusterConfig:
    """The cluster's settings; the node's name defaults to this host's name and HTTP port."""
    node = s.text("node", "") or f"{socket.gethostname()}:{http_port}"
    takeover = s.integer("takeover_seconds", 15, 1, 3600)
    heartbeat = s.integer("heartbeat_seconds", min(5, max(1, takeover // 3)), 1, 3600)
    return ClusterConfig(
        node=node, takeover_seconds=float(takeover), heartbeat_seconds=float(heartbeat),
        seen_seconds=float(s.integer("seen_seconds", max(60, 3 * heartbeat), 1, 86_400)),
    )
