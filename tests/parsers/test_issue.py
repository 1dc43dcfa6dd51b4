"""parsers.issue: a description has to say something beyond "please call me back"."""

from __future__ import annotations

import pytest

from parsers.issue import content_words, says_something


@pytest.mark.parametrize("text, found", [
    ("Please call me back as soon as possible.", False),
    ("Hi, it's urgent, can someone give me a ring today? Thanks", False),
    ("I need to speak to a technician. My number is 512-555-0139, I'm available until 5pm.",
     False),
    ("I left a voicemail earlier, please get back to me when you can.", False),
    ("Any news on this?", False),
    ("Please call me back, the service bay printer is jammed again.", True),
    ("My email is not working", True),
    ("Outlook crashes", True),
])
def test_says_something(text: str, found: bool) -> None:
    assert says_something(text) is found


def test_the_writers_own_name_and_company_do_not_count() -> None:
    text = "Priya Raman, Elm Court Dental: please call me"
    assert says_something(text) and not says_something(text, "Priya Raman Elm Court Dental")


def test_addresses_and_links_on_any_line_are_not_words() -> None:
    text = ("Printer jammed, see www.example.com/help\nor mail it@acme.example\n\n"
            "https://acme.example/x  toner empty")
    assert content_words(text) == ["printer", "jammed", "see", "mail", "toner", "empty"]
