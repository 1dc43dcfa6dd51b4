"""`intake-gateway contacts import|list`: the directory that recognises senders and callers."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from gateway.cli.common import command_services, config_option
from gateway.core.directory import import_rows, read_rows

@click.group()
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
    services = command_services(config_path)
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
    services = command_services(config_path)
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
