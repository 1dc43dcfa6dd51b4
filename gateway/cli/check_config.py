"""`intake-gateway check-config`: the configuration resolved, secrets only as set/unset."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import click

from gateway.cli.common import command_config, config_option
from gateway.config import DAY_NAMES, Config
from mail.settings import Secret

HIDDEN = "********"

@click.command("check-config")
@config_option
def check_config(config_path: Path | None) -> None:
    """Check the configuration and print it resolved, with secrets shown only as set/unset."""
    config = command_config(config_path)
    click.echo(json.dumps(redacted(config), indent=2, default=_plain))


def redacted(config: Config) -> dict[str, Any]:
    """The config as plain data; `*_env` keys show the variable name and whether it is set,
    and the secret read from it (the key without `_env`) is left out."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            shown = {}
            for k, v in value.items():
                if f"{k}_env" in value:
                    continue  # the secret itself: its *_env key says whether it is set
                if k.endswith("_env"):
                    secret = value.get(k.removesuffix("_env"))
                    shown[k] = {"env": v, "set": isinstance(secret, Secret)}
                else:
                    shown[k] = walk(v)
            return shown
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, Secret):
            return HIDDEN  # a secret without its *_env key: still never shown
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
