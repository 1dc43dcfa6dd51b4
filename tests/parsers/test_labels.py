"""parsers.labels: labelled lines in the shapes forms and people write them."""

from __future__ import annotations

import pytest

from parsers.labels import labelled_values


@pytest.mark.parametrize("line, key, value", [
    ("Name: Jane Doe", "requester_name", "Jane Doe"),
    ("**Name:** Jane Doe", "requester_name", "Jane Doe"),
    ("name - Jane Doe", "requester_name", "Jane Doe"),
    ("Company:\tAcme Dental", "company", "Acme Dental"),
    ("Full Name             Jane Doe", "requester_name", "Jane Doe"),  # an HTML table row
    ("DDI: 0161 496 0000", "callback_numbers", "0161 496 0000"),
    ("Message: the printer is jammed", "description", "the printer is jammed"),
])
def test_one_line_labels(line: str, key: str, value: str) -> None:
    values, rest = labelled_values([line])
    assert values[key] == [value] and rest == []


def test_a_question_with_the_answer_below() -> None:
    values, _ = labelled_values(["What's your name?", "Marco Bianchi", "",
                                 "Which business are you with?", "Bianchi Espresso Bar"])
    assert values["requester_name"] == ["Marco Bianchi"]
    assert values["company"] == ["Bianchi Espresso Bar"]


@pytest.mark.parametrize("value", ["N/A", "n/a", "none", "-", "TBC"])
def test_an_empty_answer_is_nothing_and_takes_no_following_line(value: str) -> None:
    values, rest = labelled_values([f"Company: {value}", "The printer is jammed."])
    assert values["company"] == [] and rest == ["The printer is jammed."]


def test_a_bare_label_does_not_swallow_the_next_label() -> None:
    values, _ = labelled_values(["Phone:", "Message: the laptop will not connect"])
    assert values["callback_numbers"] == []
    assert values["description"] == ["the laptop will not connect"]
