"""`intake-gateway ingest`: mail from files through the email pipeline, one outcome each."""

from __future__ import annotations

import json
import os
import sys
import time as time_module
from collections.abc import Iterator
from pathlib import Path

import click

from gateway.cli.common import command_config, config_option
from gateway.config import Config
from gateway.email.bulk import Item, Readers, batches
from gateway.email.files import Source, sources
from gateway.email.pipeline import EmailOutcome
from gateway.email.prepare import prepare
from gateway.runtime.services import Services, build_services
from store import memory_store, open_store

PARALLEL_FROM = 100  # more messages than this are read ahead on every core by default
Done = tuple[Source, EmailOutcome, float]  # a message, its outcome, seconds it took here

@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.option("--dry-run", is_flag=True, help="Decide what would happen without writing.")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="Processes reading messages ahead (default: one per core for more than "
                   f"{PARALLEL_FROM} messages; 0: none).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def ingest(config_path: Path | None, as_json: bool, dry_run: bool, workers: int | None,
           paths: tuple[Path, ...]) -> None:
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
        with click.progressbar(length=len(found), label="Reading mail", file=sys.stderr,
                               hidden=not show) as bar:
            run = _one_by_one if dry_run else _in_batches
            for source, outcome, elapsed in run(services, found, workers):
                counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
                _print_outcome(source, outcome, elapsed, as_json)
                bar.update(1)
    finally:
        services.close()
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "no messages"
    click.echo(f"{len(found)} message(s): {summary}" + (" (dry run: nothing written)"
                                                         if dry_run else ""), err=True)


def _one_by_one(services: Services, found: list[Source], workers: int | None) -> Iterator[Done]:
    """A dry run: each message decided on its own, nothing written."""
    for source in found:
        started = time_module.perf_counter()
        outcome = services.email.receive(source.load(), f"file:{source.file}", dry_run=True)
        yield source, outcome, time_module.perf_counter() - started


def _in_batches(services: Services, found: list[Source], workers: int | None
                ) -> Iterator[Done]:
    """Messages read ahead by worker processes, decided here in order, committed in
    batches; each batch's outcomes once it has committed."""
    if workers is None:
        workers = (os.cpu_count() or 1) if len(found) > PARALLEL_FROM else 0
    readers = Readers(services.config, workers, lambda raw: prepare(
        raw, services.config, services.store))
    try:
        for batch in batches(readers.items(found)):
            yield from services.store.atomically(lambda: [  # noqa: B023 - called at once
                _receive(services, item) for item in batch])
    finally:
        readers.close()


def _receive(services: Services, item: Item) -> Done:
    started = time_module.perf_counter()
    outcome = services.email.receive(item.raw, f"file:{item.source.file}", ahead=item.ahead)
    return item.source, outcome, time_module.perf_counter() - started


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
