"""`intake-gateway oncall`: who is on call now and who is next, per level."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from gateway.cli.common import command_config, config_option
from gateway.config import Config
from gateway.config.oncall import LEVELS
from gateway.paging.roster import next_handover, on_call


def roster_now(config: Config, at: datetime) -> list[dict[str, Any]]:
    """Per level: who is on call at `at`, when that changes, and who is on call then."""
    oncall, tz = config.oncall, config.desk.tz
    out = []
    for level in LEVELS:
        until = next_handover(oncall, level, at, tz)
        out.append({
            "level": level,
            "now": [{"name": e.name, "mobile": e.mobile, "email": e.email}
                    for e in on_call(oncall, level, at, tz)],
            "until": until.astimezone(tz).isoformat(),
            "next": [e.name for e in on_call(oncall, level, until, tz)],
        })
    return out


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the roster as JSON.")
@click.option("--at", "at_text", default=None, metavar="ISO-TIME",
              help="Show the roster at another moment (default: now).")
def oncall(config_path: Path | None, as_json: bool, at_text: str | None) -> None:
    """Show who is on call now and next, per level (the 501 line rings them in this order)."""
    config = command_config(config_path)
    try:
        at = datetime.fromisoformat(at_text) if at_text else datetime.now(timezone.utc)
    except ValueError as exc:
        raise click.BadParameter(f"{at_text!r} is not an ISO date and time") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=config.desk.tz)
    levels = roster_now(config, at)
    if as_json:
        click.echo(json.dumps(levels, indent=2))
        return
    if not config.oncall.engineers:
        click.echo("No engineers on the roster: add [[oncall.engineers]] to the config.")
        return
    for entry in levels:
        now = ", ".join(f"{e['name']} {e['mobile']}" for e in entry["now"]) or "nobody"
        nxt = ", ".join(entry["next"]) or "nobody"
        same = entry["next"] == [e["name"] for e in entry["now"]]
        change = "no change in the next 8 weeks" if same else f"from {entry['until'][:16]}: {nxt}"
        click.echo(f"Level {entry['level']}: {now}; {change}")
    sms = "on" if config.twilio.enabled else "off (no [twilio] account: email only)"
    click.echo(f"SMS paging: {sms}")
