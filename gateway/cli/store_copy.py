"""`intake-gateway store copy`: move a desk from its SQLite file into an empty PostgreSQL
database (every table, ids kept, counts verified), so several gateways can share it."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import click

from gateway.cli.common import command_config, config_option
from gateway.config.read import env_secret
from store.copying import BATCH, copy_desk, open_source, open_target

_PASSWORD = re.compile(r"(://[^:/@]+):[^@/]*@")
EVERY_S = 2.0  # a progress line at least this often inside a long table


def shown(url: str) -> str:
    """The URL with any password in it masked, for messages."""
    return _PASSWORD.sub(r"\1:***@", url)


class Progress:
    """Progress on stderr: a line per table, and every EVERY_S seconds inside a long one."""

    def __init__(self, tables: int) -> None:
        self.tables, self.index = tables, 0
        self.started = self.shown_at = time.monotonic()

    def __call__(self, table: str, done: int, total: int) -> None:
        """Report `done` of `total` rows of `table` copied."""
        if done == 0:
            self.index += 1
        now = time.monotonic()
        if done == total or now - self.shown_at >= EVERY_S:
            self.shown_at = now
            took = now - self.started
            click.echo(f"[{self.index}/{self.tables}] {table}: {done:,}/{total:,} rows"
                       f" ({took:.1f} s)", err=True)


@click.group("store")
def store_group() -> None:
    """The desk's database as a whole."""


@store_group.command("copy")
@config_option
@click.option("--from", "source", required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The SQLite file of the desk to copy ([store] path).")
@click.option("--to", "url", required=True,
              help="postgresql://USER@HOST:PORT/DB, an empty database (migrated here first). "
                   "The password from the environment variable [store] password_env names "
                   "(default INTAKE_STORE_PASSWORD), or in the URL.")
@click.option("--batch", default=BATCH, show_default=True, type=click.IntRange(1, 100_000),
              help="Rows read and written at a time.")
def store_copy(config_path: Path | None, source: Path, url: str, batch: int) -> None:
    """Copy a desk (tickets, events, raw messages, pending mail, rejections, directory,
    outbox, poller state, pages, users...) into an empty PostgreSQL database, ids kept, and
    verify the rows per table. Stop the gateways on the old desk first."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise click.BadParameter("expected postgresql://USER@HOST:PORT/DB", param_hint="--to")
    config = command_config(config_path)
    secret = env_secret(os.environ, config.store.password_env)
    password = secret.reveal() if secret is not None else None
    writer = open_target(url, "", password=password)  # first: an unreachable database
    try:                                               # leaves the desk file untouched
        reader = open_source("", source)
        try:
            counts = copy_desk(reader, writer, batch=batch,
                               progress=Progress(len(reader.tables())))
        finally:
            reader.close()
    finally:
        writer.close()
    rows = sum(counts.values())
    click.echo(f"copied {rows:,} rows in {len(counts)} tables from {source} to {shown(url)};"
               " rows per table verified")
    for name, n in sorted(counts.items()):
        click.echo(f"  {name}\t{n}")
