"""`intake-gateway check-config`: the configuration resolved, secrets only as set/unset."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import click

from gateway.cli.common import command_config, config_option
from gateway.config import DAY_NAMES, Config, secret

@click.command("check-config")
@config_option
def check_config(config_path: Path | None) -> None:
    """Check the configuration and print it resolved, with secrets shown only as set/unset."""
    config = command_config(config_path)
    click.echo(json.dumps(redacted(config), indent=2, default=_plain))


def redacted(config: Config) -> dict[str, Any]:
    """The config as plain data; `*_env` keys show the variable name and whether it is set."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ({"env": v, "set": secret(v) is not None} if k.endswith("_env") else walk(v))
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return value

    data = asdict(config)
    data["desk"]["days"] = [DAY_NAMES[day] for day in config.desk.days]
    return walk(data)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds() / 3600:g}h"
    return str(value)
