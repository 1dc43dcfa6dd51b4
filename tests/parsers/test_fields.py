"""parsers.fields and parsers.signature: the four required fields and where each came from."""

from __future__ import annotations

import pytest

from parsers.fields import ExtractedFields, extract_fields, has_words, word_count
from parsers.message import parse_message
from parsers.signature import looks_like_name, name_from_display
from tests.helpers import mail as F


def fields_of(raw: bytes) -> ExtractedFields:
    msg = parse_message(raw)
    return extract_fields(msg.body, msg.sender_name, "US", 4)


CASES = {
    # fixture: (name, company, call-back numbers, description starts with, sources)
    "labelled": (F.LABELLED, "John Smith", "Contoso Ltd", ("+15125550100", "+442079460958"),
                 "Outlook keeps asking", {"requester_name": "label", "company": "label",
                                          "callback_numbers": "label", "description": "label"}),
    "labels on their own line": (
        F.LABELS_ON_OWN_LINE, "María José García", "Globex Corporation",
        ("+15125550177;ext=31",), "The VPN drops", {"requester_name": "label"}),
    "free text and signature": (
        F.FREE_TEXT_SIGNATURE, "Jane Doe", "Acme Dental", ("+15125550134;ext=204",),
        "Our main printer", {"requester_name": "signature", "company": "signature",
                             "description": "text"}),
    "html-only outlook": (F.HTML_ONLY_OUTLOOK, "Robert Smith", "Initech", ("+12145550142",),
                          "The file server", {"requester_name": "from_name"}),
    "base64 alternative": (F.ALTERNATIVE_BASE64, "Ken Adams", "Hooli", ("+14155550198",),
                           "My laptop shows", {"company": "label"}),
    "windows-1252": (F.WINDOWS_1252, "Renée François", "Bistro François", ("+33142685300",),
                     "La caisse du café", {}),
    "iso-2022-jp": (F.ISO_2022_JP, "山田 太郎", None, (), "プリンタが", {}),
    "several numbers and a fax": (
        F.SEVERAL_NUMBERS, "Pat Lee", "Lee & Partners LLC",
        ("+15125550101", "+15125550102", "+17375550103"), "Our phones system",
        {"callback_numbers": "text"}),
    "reply with quoted history": (F.REPLY_WITH_HISTORY, "Jane Doe", None, (),
                                  "The scanner is still broken", {}),
    "forwarded": (F.FORWARDED, "Jane Doe", None, (), "Please look at this one", {}),
    "empty body": (F.EMPTY_BODY, "Jane Doe", None, (), None, {}),
    "attachment only": (F.ATTACHMENT_ONLY, "Jane Doe", None, (), None, {}),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_fields_per_message(case: str) -> None:
    raw, name, company, numbers, description, sources = CASES[case]
    found = fields_of(raw)
    assert found.requester_name == name
    assert found.company == company
    assert found.callback_numbers == numbers
    if description is None:
        assert found.description is None
    else:
        assert found.description is not None and found.description.startswith(description)
    for field, source in sources.items():
        assert found.sources[field] == source


def test_quoted_history_never_supplies_a_field() -> None:
    found = fields_of(F.REPLY_WITH_HISTORY)
    assert "Quoted" not in (found.company or "") and "never" not in (found.description or "")
    assert found.callback_numbers == ()


def test_fax_numbers_are_not_call_back_numbers() -> None:
    assert fields_of(F.FREE_TEXT_SIGNATURE).fax_numbers == ("+15125550199",)
    assert "+15125550104" not in fields_of(F.SEVERAL_NUMBERS).callback_numbers


@pytest.mark.parametrize("text, words, found", [
    ("Printer broken", 4, False),
    ("The printer is broken", 4, True),
    ("The printer is broken", 5, False),
])
def test_description_needs_the_minimum_number_of_words(text: str, words: int, found: bool
                                                       ) -> None:
    msg = parse_message(F.plain(text, sender="x@acme.example"))
    assert (extract_fields(msg.body, "", "US", words).description is not None) is found


def test_missing_lists_the_fields_in_the_seed_order() -> None:
    assert fields_of(F.EMPTY_BODY).missing() == ["company", "callback_numbers", "description"]


@pytest.mark.parametrize("display, name", [
    ("Doe, Jane", "Jane Doe"),
    ("Jane Doe (Acme)", "Jane Doe"),
    ("Jane Doe - Acme Dental", "Jane Doe"),
    ("jane", None),
    ("jane.doe@acme.example", None),
    ("IT Support", None),
    ("Jean-Luc O'Neil", "Jean-Luc O'Neil"),
    ("Ludwig van Beethoven", "Ludwig van Beethoven"),
])
def test_name_from_display(display: str, name: str | None) -> None:
    assert name_from_display(display) == name


@pytest.mark.parametrize("text, expected", [
    ("Best regards", False), ("Printer Room 3", False), ("Jane Doe", True), ("Jane", False),
])
def test_looks_like_name(text: str, expected: bool) -> None:
    assert looks_like_name(text) is expected


@pytest.mark.parametrize("text", ["", "printer", "The printer on floor 3 is down.",
                                  "  don't   re-send\nit's O'Neil’s PC  ", "1 2 3 4 5"])
@pytest.mark.parametrize("count", range(7))
def test_has_words_agrees_with_word_count(text: str, count: int) -> None:
    assert has_words(text, count) == (word_count(text) >= count)
