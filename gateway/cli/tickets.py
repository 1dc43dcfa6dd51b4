"""`intake-gateway tickets`: the queue, highest priority first, then oldest first."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gateway.cli.common import command_services, config_option
from gateway.web.present import line_regions, ticket_json

@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the queue as a JSON list.")
@click.option("--all", "include_closed", is_flag=True, help="Include resolved and closed tickets.")
def tickets(config_path: Path | None, as_json: bool, include_closed: bool) -> None:
    """List the queue: highest priority first, then first come, first served."""
    services = command_services(config_path)
    try:
        queue = services.store.tickets.queue(include_closed=include_closed)
        if as_json:
            regions = line_regions(services.config)
            click.echo(json.dumps([ticket_json(t, services.sla, regions) for t in queue], indent=2,
                                  ensure_ascii=False))
            return
        if not queue:
            click.echo("The queue is empty.")
            return
        tz = services.calendar.tz
        click.echo(f"{'NUMBER':<11} {'PRIORITY':<10} {'RECEIVED':<17} {'FIRST RESPONSE':<17} "
                   f"{'CHANNEL':<8} {'REQUESTER / COMPANY':<32} SUBJECT")
        for t in queue:
            who = " / ".join(x for x in (t.requester_name, t.company) if x) or "-"
            due = t.first_response_due.astimezone(tz) if t.first_response_due else None
            click.echo(
                f"{t.number:<11} {services.sla.name(t.priority):<10} "
                f"{t.received_at.astimezone(tz):%Y-%m-%d %H:%M}  "
                f"{(f'{due:%Y-%m-%d %H:%M}' if due else '-'):<17} {t.channel:<8} "
                f"{who[:32]:<32} {(t.subject or '')[:60]}"
            )
    finally:
        services.close()
