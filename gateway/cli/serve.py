"""`intake-gateway serve`: the gateway and every configured channel and worker."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli.common import command_config, config_option

@click.command()
@config_option
def serve(config_path: Path | None) -> None:
    """Run the gateway: HTTP (webhooks, queue page, API, /healthz) and every configured
    channel and worker, until Ctrl-C or SIGTERM."""
    from gateway.runtime.components import components
    from gateway.runtime.server import serve as run

    run(command_config(config_path), components)
