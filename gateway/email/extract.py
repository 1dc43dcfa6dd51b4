"""The four fields of one message: what the text says (`parsers.fields`), given what the
desk knows (its own numbers, the regions to try, the directory's region for the sender's
company), then completed and confirmed by the directory."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

import phonenumbers

from gateway.config import Config
from parsers.addresses import domain_of
from parsers.company import same_company
from parsers.fields import Context, ExtractedFields, extract_fields
from parsers.message import ParsedMessage
from store import Company, Contact, Store


def desk_numbers(config: Config) -> frozenset[str]:
    """Every number of the desk's own (voice lines, the agent line, [desk] phone_numbers)."""
    numbers = {line.number for line in config.voice.lines} | set(config.desk.phone_numbers)
    if config.voice.agent_number:
        numbers.add(config.voice.agent_number)
    return frozenset(n.split(";")[0] for n in numbers)


def _region(company: Company | None) -> str | None:
    """A company's region when its directory site is a region code ("GB", "au")."""
    site = (company.site or "").strip().upper() if company else ""
    return site if re.fullmatch(r"[A-Z]{2}", site) and site in phonenumbers.SUPPORTED_REGIONS \
        else None


def _contact_region(contact: Contact | None, store: Store) -> str | None:
    """The region of the directory company of this contact, if any."""
    if contact is None or contact.company_id is None:
        return None
    return _region(next((c for c in store.directory.companies() if c.id == contact.company_id),
                        None))


def read_fields(parsed: ParsedMessage, address: str | None, config: Config, store: Store
                ) -> ExtractedFields:
    """The fields of a message, from its text and then the directory."""
    company = store.directory.company_for_domain(domain_of(address)) if address else None
    contact = store.directory.by_email(address) if address else None  # read once, used twice
    context = Context(sender=address, regions=config.mail.phone_regions,
                      company_region=_region(company) or _contact_region(contact, store),
                      desk_numbers=desk_numbers(config))
    fields = extract_fields(parsed.body, parsed.sender_name, config.desk.phone_region,
                            config.mail.min_description_words, context)
    return fill_from_directory(fields, address, store, company, contact)


def _confirmed(candidates: tuple[str, ...], known: list[str]) -> str | None:
    """The first company named in the text that the directory knows, spelt as the text has it."""
    for candidate in candidates:
        if any(same_company(candidate, name) for name in known):
            return candidate
    return None


def fill_from_directory(fields: ExtractedFields, address: str | None, store: Store,
                        domain_company: Company | None = None,
                        contact: Contact | None | Literal[False] = False) -> ExtractedFields:
    """Fields still missing taken from the directory: the sender's contact, a company the
    text names that the directory knows, then the company that owns the sender's domain
    (seed 003: "determined from the return address")."""
    if not address:
        return fields
    sources = dict(fields.sources)
    updates: dict[str, object] = {}
    if contact is False:  # not read by the caller
        contact = store.directory.by_email(address)
    if contact is not None:
        if not fields.requester_name and contact.name:
            updates["requester_name"], sources["requester_name"] = contact.name, "directory"
        if not fields.company and contact.company:
            updates["company"], sources["company"] = contact.company, "directory"
        if not fields.callback_numbers and contact.phones:
            updates["callback_numbers"], sources["callback_numbers"] = contact.phones, "directory"
    if not fields.company and "company" not in updates and fields.company_candidates:
        named = _confirmed(fields.company_candidates, [c.name for c in store.directory.companies()])
        if named:
            updates["company"], sources["company"] = named, "prose+directory"
    if not fields.company and "company" not in updates:
        company = domain_company or store.directory.company_for_domain(domain_of(address))
        if company is not None:
            updates["company"], sources["company"] = company.name, "directory_domain"
    return replace(fields, sources=sources, **updates) if updates else fields  # type: ignore[arg-type]
