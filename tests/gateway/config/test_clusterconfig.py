"""The `[cluster]` keys: the node's name, the takeover time and the heartbeat."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"[http]\nport = 8123\n{text}\n", encoding="utf-8")
    return path


def test_defaults_name_the_node_by_host_and_port(tmp_path: Path) -> None:
    cluster = load_config(_write(tmp_path, "")).cluster
    assert cluster.node == f"{socket.gethostname()}:8123"
    assert (cluster.takeover_seconds, cluster.heartbeat_seconds) == (15.0, 5.0)
    assert cluster.check_seconds == 3.0 and cluster.seen_seconds == 60.0


def test_keys_are_read(tmp_path: Path) -> None:
    cluster = load_config(_write(tmp_path, '[cluster]\nnode = "gw-b"\ntakeover_seconds = 3\n'
                                           'seen_seconds = 20')).cluster
    assert (cluster.node, cluster.takeover_seconds, cluster.seen_seconds) == ("gw-b", 3.0, 20.0)
    assert cluster.heartbeat_seconds == 1.0  # a third of a short takeover
    assert cluster.check_seconds == pytest.approx(0.6)


def test_a_bad_takeover_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cluster.takeover_seconds"):
        load_config(_write(tmp_path, "[cluster]\ntakeover_seconds = 0"))
