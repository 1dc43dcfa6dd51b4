"""`intake-gateway ingest`: mail from files through the email pipeline, one outcome each."""

from __future__ import annotations

import json
import sys
import time as time_module
from pathlib import Path

import click

from gateway.cli.common import command_config, config_option
from gateway.config import Config
from gateway.email.files import Source, sources
from gateway.email.pipeline import EmailOutcome
from gateway.runtime.services import Services, build_services
from store import memory_store, open_store

@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.option("--dry-run", is_flag=True, help="Decide what would happen without writing.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def ingest(config_path: Path | None, as_json: bool, dry_run: bool, paths: tuple[Path, ...]) -> None:
    """Run .eml files, Maildir folders or mbox files through the email pipeline and print
    one outcome per message (ticket, updated, rejected, automatic, duplicate, error).

    With --json, each line is one JSON object: file, outcome, ticket, fields, missing,
    reason (and reply, page, message_id, elapsed_ms)."""
    config = command_config(config_path)
    found = sources(paths)
    services = _dry_run_services(config) if dry_run else build_services(config)
    counts: dict[str, int] = {}
    try:
        show = sys.stderr.isatty() and len(found) > 5
        with click.progressbar(found, label="Reading mail", file=sys.stderr,
                               hidden=not show) as bar:
            for source in bar:
                started = time_module.perf_counter()
                outcome = services.email.receive(source.load(), f"file:{source.file}",
                                                 dry_run=dry_run)
                elapsed = time_module.perf_counter() - started
                counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
                _print_outcome(source, outcome, elapsed, as_json)
    finally:
        services.close()
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "no messages"
    click.echo(f"{len(found)} message(s): {summary}" + (" (dry run: nothing written)"
                                                         if dry_run else ""), err=True)


def _dry_run_services(config: Config) -> Services:
    """Services that read the real database when there is one and never write to it."""
    path = config.store.path
    if not path.exists():
        return build_services(config, store=memory_store(config.desk.ticket_prefix))
    store = open_store(path, ticket_prefix=config.desk.ticket_prefix,
                       busy_timeout_ms=config.store.busy_timeout_ms)
    if store.pending_migrations():
        store.close()
        raise click.ClickException(
            f"{path} needs migrating; run `intake-gateway serve` or ingest without --dry-run once")
    return build_services(config, store=store)


def _print_outcome(source: Source, outcome: EmailOutcome, elapsed: float, as_json: bool) -> None:
    where = source.file + (f"#{source.index}" if source.index is not None else "")
    if as_json:
        data = {"file": source.file, **({"index": source.index} if source.index else {}),
                **outcome.as_json(), "elapsed_ms": round(elapsed * 1000, 1)}
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    detail = outcome.ticket or ""
    if outcome.missing:
        detail += (" " if detail else "") + "missing: " + ", ".join(outcome.missing)
    if outcome.reason and not outcome.missing:
        detail += (" " if detail else "") + f"({outcome.reason})"
    click.echo(f"{where}: {outcome.outcome} {detail}".rstrip())
