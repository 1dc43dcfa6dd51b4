"""`intake-gateway cluster status`: the gateways seen recently on this store (their
heartbeat rows), which singleton each holds, and how far behind the deciders are."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from gateway.cli.common import command_services, config_option
from store.cluster import NodeBeat


def node_json(beat: NodeBeat, now: datetime) -> dict[str, Any]:
    """One node's heartbeat as JSON, with how long ago it was seen."""
    return {
        "node": beat.node, "backend": beat.backend,
        "started_at": beat.started_at.isoformat(), "seen_at": beat.seen_at.isoformat(),
        "seen_seconds_ago": round(max(0.0, (now - beat.seen_at).total_seconds()), 1),
        "singletons": list(beat.singletons), "pending_lag_seconds": beat.pending_lag_seconds,
    }


def _table(nodes: list[dict[str, Any]], holders: dict[str, str], within: float) -> None:
    if not nodes:
        click.echo(f"No gateway wrote a heartbeat in the last {within:g} s.")
        return
    click.echo(f"{'NODE':<24} {'BACKEND':<11} {'STARTED':<20} {'SEEN':>9} {'LAG':>8}  HOLDS")
    for n in nodes:
        lag = n["pending_lag_seconds"]
        click.echo(f"{n['node'][:24]:<24} {n['backend']:<11} {n['started_at'][:19]:<20}"
                   f" {n['seen_seconds_ago']:>7g}s {('-' if lag is None else f'{lag:.1f}s'):>8}"
                   f"  {', '.join(n['singletons']) or '-'}")
    click.echo("")
    click.echo("Singletons:" if holders else "Singletons: none held (no IMAP poller running)")
    for name, node in sorted(holders.items()):
        click.echo(f"  {name}: {node}")


@click.group()
def cluster() -> None:
    """The gateways sharing this store."""


@cluster.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the nodes as JSON.")
def status(config_path: Path | None, as_json: bool) -> None:
    """List the nodes seen recently ([cluster] seen_seconds) and who holds what."""
    services = command_services(config_path)
    try:
        now = datetime.now(timezone.utc)
        within = services.config.cluster.seen_seconds
        beats = services.store.cluster.nodes(seen_since=now - timedelta(seconds=within))
    finally:
        services.close()
    nodes = [node_json(b, now) for b in beats]
    holders = {name: b.node for b in beats for name in b.singletons}
    if as_json:
        click.echo(json.dumps({"nodes": nodes, "holders": holders, "seen_within_seconds": within},
                              indent=2))
        return
    _table(nodes, holders, within)
