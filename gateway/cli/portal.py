"""`intake-gateway portal link|rotate COMPANY`: each client's secret portal address."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli.common import command_services, config_option
from gateway.desk.portal import link_secret, rotate


@click.group()
def portal() -> None:
    """The clients' portal links (seed 003: a portal for each client)."""


def _url(public_url: str, secret: str) -> str:
    return f"{public_url}/portal/{secret}"


@portal.command("link")
@config_option
@click.argument("company")
def portal_link(config_path: Path | None, company: str) -> None:
    """Print the company's portal link (made on first use)."""
    services = command_services(config_path)
    try:
        secret = link_secret(services.store, company, services.clock())
    finally:
        services.close()
    click.echo(_url(services.config.http.public_url, secret))


@portal.command("rotate")
@config_option
@click.argument("company")
def portal_rotate(config_path: Path | None, company: str) -> None:
    """Replace the company's portal secret (the old link stops working) and print the link."""
    services = command_services(config_path)
    try:
        secret = rotate(services.store, company, services.clock())
    finally:
        services.close()
    click.echo(_url(services.config.http.public_url, secret))
