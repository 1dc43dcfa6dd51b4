"""The store contract: the directory's companies, domains, people and phone numbers; imports
update in place. Runs against every backend (tests/store/conftest.py)."""

from __future__ import annotations

from store import ContactRecord, Store
from tests.helpers.store import T0

ANN = "+15125550100"


def test_a_company_is_upserted_by_name_in_any_case(store: Store) -> None:
    company_id, created = store.directory.upsert_company("Acme", T0, ("acme.example",), "Austin")
    assert created
    again, created = store.directory.upsert_company("ACME", T0, ("acme.co.uk",))
    assert (again, created) == (company_id, False)
    (acme,) = store.directory.companies()
    assert (acme.id, acme.name, acme.site) == (company_id, "Acme", "Austin")
    assert acme.domains == ("acme.co.uk", "acme.example")


def test_a_domain_finds_its_company_from_a_subdomain(store: Store) -> None:
    store.directory.upsert_company("Acme", T0, ("Acme.Example",))
    found = store.directory.company_for_domain("mail.eu.acme.example")
    assert found is not None and found.name == "Acme"
    assert store.directory.company_for_domain("example") is None
    assert store.directory.company_for_domain("contoso.example") is None


def test_a_person_is_found_by_email_and_by_phone(store: Store) -> None:
    contact_id, created = store.directory.upsert_contact(
        ContactRecord(email="ann@acme.example", name="Ann Lee", company="Acme", phones=(ANN,)),
        T0)
    assert created
    by_email = store.directory.by_email("ANN@acme.example")
    assert by_email is not None
    assert (by_email.id, by_email.name, by_email.company, by_email.phones) == (
        contact_id, "Ann Lee", "Acme", (ANN,))
    assert [c.id for c in store.directory.by_phone(ANN)] == [contact_id]
    assert store.directory.by_email("bob@acme.example") is None
    assert store.directory.by_phone("+15125550199") == []


def test_a_reimport_updates_in_place_and_never_duplicates(store: Store) -> None:
    first, _ = store.directory.upsert_contact(
        ContactRecord(email="ann@acme.example", name="Ann", company="Acme"), T0)
    again, created = store.directory.upsert_contact(
        ContactRecord(email="ann@acme.example", name="Ann Lee", company=None, phones=(ANN,)),
        T0)
    assert (again, created) == (first, False)
    # No email: matched by phone, else by name within the company.
    by_phone, created = store.directory.upsert_contact(
        ContactRecord(email=None, name="A. Lee", company=None, phones=(ANN,)), T0)
    assert (by_phone, created) == (first, False)
    bob, _ = store.directory.upsert_contact(ContactRecord(None, "Bob", "Acme"), T0)
    assert store.directory.upsert_contact(ContactRecord(None, "BOB", "Acme"), T0) == (bob, False)
    people = store.directory.contacts()
    assert [(c.name, c.company, c.phones) for c in people] == [
        ("A. Lee", "Acme", (ANN,)), ("BOB", "Acme", ())]  # the newest import's spelling
    assert [c.name for c in store.directory.companies()] == ["Acme"]


def test_a_person_without_email_phone_or_company_is_matched_by_name_alone(store: Store) -> None:
    # No company on either side: the match must treat the two missing companies as equal.
    first, created = store.directory.upsert_contact(ContactRecord(None, "Cara", None), T0)
    assert created is True
    assert store.directory.upsert_contact(ContactRecord(None, "cara", None), T0) == (first, False)
    assert [(c.name, c.company) for c in store.directory.contacts()] == [("cara", None)]


def test_every_phone_of_a_person_comes_back_with_them(store: Store) -> None:
    # The phones are joined in SQL (each backend's text aggregate), then split and sorted.
    phones = ("+15125550177", ANN, "+15125550142")
    store.directory.upsert_contact(ContactRecord("dee@acme.example", "Dee", "Acme", phones), T0)
    found = store.directory.by_email("dee@acme.example")
    assert found is not None and found.phones == tuple(sorted(phones))
    assert [c.phones for c in store.directory.by_phone("+15125550142")] == [tuple(sorted(phones))]
