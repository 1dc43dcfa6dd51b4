"""The `intake-gateway` command: one module per command, gathered into one click group here.

May import every other room of `gateway`; nothing imports this package but `__main__`.
"""

from __future__ import annotations

import logging
import sys

import click

from gateway.cli.call import call
from gateway.cli.check_config import check_config
from gateway.cli.cluster import cluster
from gateway.cli.contacts import contacts
from gateway.cli.ingest import ingest
from gateway.cli.oncall import oncall
from gateway.cli.portal import portal
from gateway.cli.serve import serve
from gateway.cli.store_copy import store_group
from gateway.cli.tickets import tickets
from gateway.cli.users import users
from gateway.errors import IntakeError
from store import StoreError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """intake-gateway: the service desk's front door.

    Email and phone requests become tickets in one queue, or get a reply saying
    exactly what is missing. Start with `intake-gateway serve`; see the queue
    with `intake-gateway tickets`.
    """


for _command in (serve, ingest, tickets, contacts, call, check_config, oncall, users, portal,
                 cluster, store_group):
    cli.add_command(_command)


def main() -> None:
    """Entry point: turn our errors into one clear line and an exit status."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (IntakeError, StoreError) as exc:
        click.echo(f"error: {exc}", err=True)
        logging.getLogger("gateway").debug("fatal", exc_info=exc)
        sys.exit(2 if isinstance(exc, IntakeError) else 1)
    except SystemExit:
        raise
    sys.exit(0)
