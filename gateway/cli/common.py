"""What every command shares: the --config option, the config and the services it builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gateway.config import Config, load_config
from gateway.runtime.logs import setup_logging
from gateway.runtime.services import Services, build_services

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_ENV = "INTAKE_GATEWAY_CONFIG"


def config_option(func: F) -> F:
    """The --config option every command takes."""
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        envvar=CONFIG_ENV, show_envvar=True,
        help="Configuration file. Default: ./config.toml, or built-in defaults if it is absent.",
    )(func)


def command_config(path: Path | None) -> Config:
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    config = load_config(path)
    setup_logging(config.log_level, config.log_format)
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    return config


def command_services(path: Path | None) -> Services:
    return build_services(command_config(path))
