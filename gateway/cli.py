"""The `intake-gateway` command: serve, ingest, tickets, contacts, call, check-config."""

from __future__ import annotations

import json
import logging
import sys
import time as time_module
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from gateway.config import DAY_NAMES, Config, load_config, secret
from gateway.contacts import import_rows, read_rows
from gateway.errors import IntakeError
from gateway.ingest import Source, sources
from gateway.mailflow import EmailOutcome
from gateway.logs import setup_logging
from gateway.present import ticket_json
from gateway.services import Services, build_services
from store import Store, StoreError

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_ENV = "INTAKE_GATEWAY_CONFIG"


def config_option(func: F) -> F:
    """The --config option every command takes."""
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        envvar=CONFIG_ENV, show_envvar=True,
        help="Configuration file. Default: ./config.toml, or built-in defaults if it is absent.",
    )(func)


def _config(path: Path | None) -> Config:
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    config = load_config(path)
    setup_logging(config.log_level, config.log_format)
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    return config


def _services(path: Path | None) -> Services:
    return build_services(_config(path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """intake-gateway: the service desk's front door.

    Email and phone requests become tickets in one queue, or get a reply saying
    exactly what is missing. Start with `intake-gateway serve`; see the queue
    with `intake-gateway tickets`.
    """


@cli.command()
@config_option
def serve(config_path: Path | None) -> None:
    """Run the gateway: HTTP (webhooks, queue page, API, /healthz) and every configured
    channel and worker, until Ctrl-C or SIGTERM."""
    from gateway.channels import components
    from gateway.server import serve as run

    run(_config(config_path), components)


@cli.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.option("--dry-run", is_flag=True, help="Decide what would happen without writing.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def ingest(config_path: Path | None, as_json: bool, dry_run: bool, paths: tuple[Path, ...]) -> None:
    """Run .eml files, Maildir folders or mbox files through the email pipeline and print
    one outcome per message (ticket, updated, rejected, automatic, duplicate, error).

    With --json, each line is one JSON object: file, outcome, ticket, fields, missing,
    reason (and reply, page, message_id, elapsed_ms)."""
    config = _config(config_path)
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
        return build_services(config, store=Store.in_memory(config.desk.ticket_prefix))
    store = Store(path, ticket_prefix=config.desk.ticket_prefix,
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


@cli.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the queue as a JSON list.")
@click.option("--all", "include_closed", is_flag=True, help="Include resolved and closed tickets.")
def tickets(config_path: Path | None, as_json: bool, include_closed: bool) -> None:
    """List the queue: highest priority first, then first come, first served."""
    services = _services(config_path)
    try:
        queue = services.store.tickets.queue(include_closed=include_closed)
        if as_json:
            click.echo(json.dumps([ticket_json(t, services.sla) for t in queue], indent=2,
                                  ensure_ascii=False))
            return
        if not queue:
            click.echo("The queue is empty.")
            return
        tz = services.calendar.tz
        click.echo(f"{'NUMBER':<11} {'PRIORITY':<10} {'RECEIVED':<17} {'FIRST RESPONSE':<17} "
                   f"{'CHANNEL':<8} {'REQUESTER / COMPANY':<32} SUBJECT")
        for t in queue:
            who = " / ".join(x for x in (t.requester_name, t.company) if x) or "-"
            due = t.first_response_due.astimezone(tz) if t.first_response_due else None
            click.echo(
                f"{t.number:<11} {services.sla.name(t.priority):<10} "
                f"{t.received_at.astimezone(tz):%Y-%m-%d %H:%M}  "
                f"{(f'{due:%Y-%m-%d %H:%M}' if due else '-'):<17} {t.channel:<8} "
                f"{who[:32]:<32} {(t.subject or '')[:60]}"
            )
    finally:
        services.close()


@cli.group()
def contacts() -> None:
    """The contact directory used to recognise senders and callers."""


@contacts.command("import")
@config_option
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def contacts_import(config_path: Path | None, csv_file: Path) -> None:
    """Fill the directory from a CSV file; importing again updates, never duplicates.

    \b
    Columns (header row, any order; ';' separates several values in one cell):
      name, email, company, phones, company_domains, site
    """
    services = _services(config_path)
    try:
        rows = read_rows(csv_file)
        now = services.clock()
        region = services.config.desk.phone_region
        show = sys.stderr.isatty() and len(rows) > 20
        with click.progressbar(rows, label="Importing contacts", file=sys.stderr,
                               hidden=not show) as bar:
            report = import_rows(services.store, iter(bar), region, now)
    finally:
        services.close()
    click.echo(
        f"contacts: {report.contacts_created} created, {report.contacts_updated} updated; "
        f"companies: {report.companies_created} created, {report.companies_updated} updated; "
        f"{len(report.skipped)} row(s) skipped"
    )
    for line, reason in report.skipped:
        click.echo(f"  line {line}: {reason}", err=True)


@contacts.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the directory as JSON.")
def contacts_list(config_path: Path | None, as_json: bool) -> None:
    """Show every person in the directory with company and phone numbers."""
    services = _services(config_path)
    try:
        people = services.store.directory.contacts()
    finally:
        services.close()
    if as_json:
        click.echo(json.dumps([asdict(p) for p in people], indent=2, ensure_ascii=False))
        return
    for p in people:
        click.echo(f"{p.name or '-':<28} {p.email or '-':<34} {p.company or '-':<24} "
                   f"{' '.join(p.phones)}")


@cli.command()
@config_option
@click.option("--from", "caller", default="+15125550100", show_default=True,
              help="Caller ID (E.164; 'anonymous' for a withheld number).")
@click.option("--to", "line", help="The number dialled. Default: the first [[voice.lines]].")
@click.option("--digits", multiple=True,
              help="What the caller enters at each menu prompt, in order ('' for silence).")
@click.option("--hang-up", is_flag=True, help="Hang up at the first prompt --digits leaves.")
@click.option("--record-seconds", default=20, show_default=True, type=click.IntRange(0),
              help="How long the caller speaks at the tone (0: silence).")
@click.option("--message", help="What the caller says (the transcription Twilio sends).")
@click.option("--no-answer", is_flag=True, help="Nobody answers: no on-call engineer, no technician.")
@click.option("--position", default=1, show_default=True, type=click.IntRange(1),
              help="The caller's position when joining the queue.")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              help="The moment of the call on the desk's clock (in-process only). Default: now.")
@click.option("--url", help="A running gateway to call over HTTP (e.g. http://127.0.0.1:8080). "
                            "Default: the app in this process, on the configured store.")
def call(config_path: Path | None, caller: str, line: str | None, digits: tuple[str, ...],
         hang_up: bool, record_seconds: int, message: str | None, no_answer: bool, position: int,
         at: datetime | None, url: str | None) -> None:
    """Simulate a phone call the way Twilio makes it: signed webhooks, TwiML followed, and
    what the caller hears printed, then the ticket it left."""
    from gateway.simrun import simulate
    from gateway.simulator import Script

    config = _config(config_path)
    # The story of the call goes to stdout; only the in-process gateway's trouble is logged.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    if at is not None and url:
        raise click.UsageError("--at sets the in-process clock; a gateway at --url uses its own")
    script = Script(caller=caller, to=line, digits=digits, hang_up=hang_up,
                    record_seconds=record_seconds, message=message or Script.message,
                    answer=not no_answer, queue_position=position)
    report, outcome = simulate(config, script, url=url,
                               at=at.replace(tzinfo=config.desk.tz) if at else None)
    for text in [*report.lines, *outcome]:
        click.echo(text)


@cli.command("check-config")
@config_option
def check_config(config_path: Path | None) -> None:
    """Check the configuration and print it resolved, with secrets shown only as set/unset."""
    config = _config(config_path)
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
