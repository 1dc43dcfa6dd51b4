"""gateway.email.extract: the text's fields given what the desk knows, then the directory."""

from __future__ import annotations

from gateway.email.extract import desk_numbers, read_fields
from gateway.runtime.services import Services
from parsers.message import parse_message
from store import ContactRecord
from tests.helpers import mail as F


def fields_of(services: Services, body: str, sender: str) -> tuple[object, ...]:
    parsed = parse_message(F.plain(body, sender=sender))
    found = read_fields(parsed, parsed.sender, services.config, services.store)
    return found.company, found.callback_numbers, found.sources.get("company")


def test_the_desks_own_lines_are_never_a_call_back_number(services: Services) -> None:
    assert "+18005550100" in desk_numbers(services.config)  # the default toll-free line
    company, numbers, _ = fields_of(
        services, "I called 1-800-555-0100 and waited an hour. Acme Dental's server is down.",
        "Jane Doe <jane@acmedental.example>")
    assert numbers == () and company == "Acme Dental"


def test_the_directorys_region_reads_a_national_number(services: Services) -> None:
    services.store.directory.upsert_company("Harbour Physio", services.clock(),
                                            ("harbourphysio.example",), site="AU")
    _, numbers, _ = fields_of(services, "The booking site is down. Call (02) 5550 1234.",
                              "Mia Lee <mia@harbourphysio.example>")
    assert numbers == ("+61255501234",)


def test_a_company_the_text_names_is_confirmed_by_the_directory(services: Services) -> None:
    body = "The milking parlour PC at Bellwether Farms froze twice. Call 254-555-0181."
    assert fields_of(services, body, "Amos Whitley <amos@gmail.com>")[0] is None
    services.store.directory.upsert_contact(ContactRecord(
        email=None, name=None, company="Bellwether Farms"), services.clock())
    assert fields_of(services, body, "Amos Whitley <amos@gmail.com>") == (
        "Bellwether Farms", ("+12545550181",), "prose+directory")


def test_a_known_contacts_company_region_reads_a_national_number(services: Services) -> None:
    services.store.directory.upsert_company("Kauri Coast", services.clock(), site="NZ")
    services.store.directory.upsert_contact(ContactRecord(
        email="aroha@gmail.com", name="Aroha Ngata", company="Kauri Coast"), services.clock())
    # Valid in AU and in NZ alike; the directory says the company is in New Zealand.
    _, numbers, _ = fields_of(services, "My laptop screen flickers. Mobile 021 555 0199.",
                              "Aroha Ngata <aroha@gmail.com>")
    assert numbers == ("+64215550199",)
