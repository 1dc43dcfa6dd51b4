"""`intake-gateway users add|list|disable`: who may log in to the desk's pages."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.cli.common import command_services, config_option
from gateway.desk.accounts import add_user
from store import NotFoundError, StoreConflictError
from store.desk import Role


@click.group()
def users() -> None:
    """Technicians and admins of the desk's pages."""


@users.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="technician",
              show_default=True)
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from the first line of standard input.")
def users_add(config_path: Path | None, name: str, role: str, password_stdin: bool) -> None:
    """Create a user (the password is stored only as a hash)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else ""
    services = command_services(config_path)
    try:
        add_user(services.store, name, role, password, services.clock())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    except StoreConflictError as exc:
        raise click.ClickException(f"user {name!r} already exists") from exc
    finally:
        services.close()
    click.echo(f"user {name} added ({role})")


@users.command("list")
@config_option
def users_list(config_path: Path | None) -> None:
    """Every user, their role and whether they are disabled."""
    services = command_services(config_path)
    try:
        for user in services.store.users.all():
            state = "disabled" if user.disabled else "active"
            click.echo(f"{user.name}\t{user.role}\t{state}")
    finally:
        services.close()


@users.command("disable")
@config_option
@click.argument("name")
def users_disable(config_path: Path | None, name: str) -> None:
    """Stop a user logging in; their open sessions end at their next request."""
    services = command_services(config_path)
    try:
        services.store.users.set_disabled(name, True)
    except NotFoundError as exc:
        raise click.ClickException(f"no user {name!r}") from exc
    finally:
        services.close()
    click.echo(f"user {name} disabled")
