"""Directory import from CSV: people, their companies, phone numbers and company domains.

Columns (header row required, any order, any case; `;` separates several values in a cell):
  name             the person's full name
  email            their email address (the key: re-importing updates that person)
  company          their client company
  phones           call-back numbers, any common format; stored in E.164
  company_domains  email domains that identify the company (`acme.com; acme.co.uk`)
  site             the company's site or region (optional)
A row with a company and domains but no person defines (or updates) just the company.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from gateway.errors import ImportFileError
from parsers.addresses import normalise_address
from parsers.errors import ParseError
from parsers.phones import normalise_phone
from store import ContactRecord, Store

COLUMNS = ("name", "email", "company", "phones", "company_domains", "site")
_ALIASES = {
    "full name": "name", "full_name": "name", "requester": "name",
    "e-mail": "email", "email address": "email", "mail": "email",
    "client": "company", "organization": "company", "organisation": "company",
    "phone": "phones", "phone numbers": "phones", "phone_numbers": "phones",
    "call-back numbers": "phones", "callback": "phones", "numbers": "phones",
    "domains": "company_domains", "domain": "company_domains", "company domains": "company_domains",
    "region": "site",
}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass
class ImportReport:
    """What an import did, and the rows it could not take (line number, reason)."""

    contacts_created: int = 0
    contacts_updated: int = 0
    companies_created: int = 0
    companies_updated: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The rows of a contacts CSV keyed by canonical column name, with their line numbers."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot read: {exc}") from exc
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise ImportFileError(f"{path}: empty file; expected a header row with {', '.join(COLUMNS)}")
    names = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    unknown = [h for h, n in zip(header, names) if n not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"{path}: unknown column(s) {', '.join(unknown)}; expected {', '.join(COLUMNS)}"
        )
    if not {"name", "email", "company"} & set(names):
        raise ImportFileError(f"{path}: needs at least a name, email or company column")
    rows = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append((line, {n: v.strip() for n, v in zip(names, values)}))
    return rows


def _split(cell: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|\n]", cell) if part.strip()]


def import_rows(
    store: Store, rows: Iterator[tuple[int, dict[str, str]]], region: str, at: datetime
) -> ImportReport:
    """Create or update the directory from parsed rows; bad rows are reported, not fatal."""
    report = ImportReport()
    for line, row in rows:
        try:
            email = normalise_address(row["email"]) if row.get("email") else None
            phones = tuple(dict.fromkeys(normalise_phone(p, region) for p in _split(row.get("phones", ""))))
        except ParseError as exc:
            report.skipped.append((line, str(exc)))
            continue
        domains = tuple(d.lower().lstrip("@") for d in _split(row.get("company_domains", "")))
        bad = [d for d in domains if not _DOMAIN.match(d)]
        if bad:
            report.skipped.append((line, f"not a domain: {', '.join(bad)}"))
            continue
        company, name = row.get("company") or None, row.get("name") or None
        if company and (domains or row.get("site") or not (email or name or phones)):
            _, created = store.directory.upsert_company(company, at, domains, row.get("site") or None)
            report.companies_created += created
            report.companies_updated += not created
        elif domains:
            report.skipped.append((line, "company_domains given without a company"))
            continue
        if email or phones or name:
            _, created = store.directory.upsert_contact(
                ContactRecord(email=email, name=name, company=company, phones=phones), at
            )
            report.contacts_created += created
            report.contacts_updated += not created
        elif not company:
            report.skipped.append((line, "no name, email, phone or company"))
    return report


def copy_directory(source: Store, target: Store, at: datetime) -> int:
    """Copy every company and contact of `source` into `target`; return the contacts copied."""
    for company in source.directory.companies():
        target.directory.upsert_company(company.name, at, company.domains, company.site)
    people = source.directory.contacts()
    for person in people:
        target.directory.upsert_contact(
            ContactRecord(email=person.email, name=person.name, company=person.company,
                          phones=person.phones), at)
    return len(people)
