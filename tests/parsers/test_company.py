"""parsers.company: what the sender's own domain confirms, and what it spells."""

from __future__ import annotations

import pytest

from parsers.company import domain_confirms, domain_label, same_company, spelled_domain


@pytest.mark.parametrize("company, domain, confirmed", [
    ("Elm Court Dental", "elmcourtdental.example", True),
    ("Elm Court Dental", "mail.elmcourt.co.uk", True),
    ("Elm Court Dental", "ecd.co.uk", True),  # initials
    ("Northgate Tyre & Auto", "northgate-auto.example", True),  # words left out
    ("Lakeside Veterinary", "lakesidevets.example", True),  # a beginning, plural
    ("Acme", "acmecorp.example", True),  # a suffix companies add
    ("The Green Room Salon", "greenroomsalon.example", True),
    ("Elm Court Dental", "gmail.com", False),  # webmail confirms nothing
    ("Acme Dental", "dental.example", False),  # the first word must be used
    ("Contoso", "fabrikam.example", False),
])
def test_domain_confirms(company: str, domain: str, confirmed: bool) -> None:
    assert domain_confirms(company, domain) is confirmed


def test_domain_label_skips_second_levels_and_webmail() -> None:
    assert domain_label("mail.harbour.com.au") == "harbour"
    assert domain_label("hotmail.co.uk") is None and domain_label("localhost") is None


def test_words_that_spell_the_domain_are_the_company() -> None:
    text = "card reader at jackson barber shop keeps declining"
    assert spelled_domain(text, "jacksonbarbershop.example") == "Jackson Barber Shop"
    assert spelled_domain(text, "gmail.com") is None
    assert spelled_domain("Whitmore & Co is down", "whitmoreandco.example") == "Whitmore & Co"


def test_same_company_ignores_case_punctuation_and_legal_suffix() -> None:
    assert same_company("Acme, Inc.", "ACME") and not same_company("Acme", "Acme Dental")
