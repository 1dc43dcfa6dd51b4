"""parsers.prose: names and companies from the writer's own sentences."""

from __future__ import annotations

import re

import pytest

from parsers.company import has_company_word
from parsers.prose import (_CAPITALISED, _LINE_BREAK, _OUR, _STRONG_RE, _UPPER, _WEAK_RE, _flat,
                           _one_word, company_at, introduction, mentions, mentions_in)


@pytest.mark.parametrize("text, name, company", [
    ("Hi, Priya Raman here, practice manager at Elm Court Dental. Our PC is down.",
     "Priya Raman", "Elm Court Dental"),
    ("I run Copperleaf Florist and the shop is down.", None, "Copperleaf Florist"),
    ("Hello, this is the front office for Lakeside Veterinary.", None, "Lakeside Veterinary"),
    ("My name is Tom Okafor. Since Monday nobody can print.", "Tom Okafor", None),
    ("Good morning, it's Dana Whitfield from Harbor Freight Logistics.", "Dana Whitfield",
     "Harbor Freight Logistics"),
    ("Our practice, Bright Smile Dental, has lost email.", None, "Bright Smile Dental"),
    ("I'm writing on behalf of Greenfield Montessori School.", None,
     "Greenfield Montessori School"),
    ("The support team at Dell said to call them.", None, None),
])
def test_self_introductions(text: str, name: str | None, company: str | None) -> None:
    found = introduction(text)
    assert (found.name, found.company) == (name, company)


def test_a_place_is_weak_until_something_confirms_it() -> None:
    assert introduction("we're over at Northgate Tyre & Auto on Route 9").weak_company == (
        "Northgate Tyre & Auto")
    found = introduction("I'm at Heathrow and the VPN fails.")
    assert found.company is None and found.weak_company == "Heathrow"


@pytest.mark.parametrize("text, company", [
    ("Northgate Tyre & Auto on Route 9", "Northgate Tyre & Auto"),
    ("Elm Court Dental. Our PC", "Elm Court Dental"),
    ("Silvercrest Medical Group 512-555-0154", "Silvercrest Medical Group"),
    ("Heathrow and the VPN", "Heathrow"),
    ("the printer", None),
])
def test_company_at(text: str, company: str | None) -> None:
    assert company_at(text) == company


@pytest.mark.parametrize(("text", "expected"), [
    ("the printers at Zephyr are down", ("Zephyr",)),
    ("Zephyr printers are down", ()),  # the first word of the text
    ("All down. Zephyr is out", ()),  # the first word of a sentence
    ("All down:  Zephyr is out", ()),
    ("the printers\n   Zephyr", ()),  # the first word of a line
    ("the printers.Zephyr", ()),  # glued to the word before: not a word of its own
    ("ask Zephyr Dental " + "and more words " * 500 + "or Kestrel", ("Zephyr Dental", "Kestrel")),
])
def test_mentions_skip_single_words_that_start_a_sentence(text: str,
                                                          expected: tuple[str, ...]) -> None:
    assert mentions(text) == expected


@pytest.mark.parametrize(("text", "company"), [
    ("We RUN Copperleaf Florist.", "Copperleaf Florist"),
    ("Writing on BEHALF of Elm Court Dental.", "Elm Court Dental"),
    # Letters IGNORECASE takes for ASCII ones that str.lower() does not turn into them:
    # the words a pattern needs are not looked for in such a text, the patterns all run.
    ("Hi, I'm WİTH Acme Dental and the printer is down.", "Acme Dental"),
    ("We ſtarted Copperleaf Florist last year.", "Copperleaf Florist"),
])
def test_a_pattern_is_skipped_only_when_its_words_are_missing_in_any_case(
        text: str, company: str) -> None:
    assert introduction(text).company == company


@pytest.mark.parametrize(("text", "name"), [
    ("MY NAME IS Tom Okafor and the printer is down.", "Tom Okafor"),
    ("Hi, Priya Raman here, the VPN drops.", "Priya Raman"),
    ("Hi, Priya Raman HERE, the VPN drops.", None),  # "here" is matched as written
])
def test_a_name_pattern_is_skipped_only_without_its_words(text: str, name: str | None) -> None:
    assert introduction(text).name == name


@pytest.mark.parametrize("text", [
    "Priya Raman\nPractice Manager\nElm Court Dental\n(512) 555-0143",
    "Kind regards,\n  Tom Okafor | Harbor Freight Logistics\nDirect: 0161 496 0000",
    "Sent from my iPhone",
    "",
])
def test_mentions_in_a_signature_are_those_an_introduction_finds(text: str) -> None:
    assert mentions_in(text) == introduction(text).mentions


def test_mentions_in_read_the_lines_as_one_run_of_sentences() -> None:
    assert mentions_in("Priya Raman\nElm Court Dental") == ("Priya Raman Elm Court Dental",)


@pytest.mark.parametrize("text", [
    "we're over at Northgate Tyre & Auto on Route 9",
    "at Elm Court Dental.\nOur PC",
    "at " + "Very Long Name " * 20,
])
def test_company_at_reads_in_place_as_it_reads_a_slice(text: str) -> None:
    start = text.index("at ") + 3
    assert company_at(text, start) == company_at(text[start:start + 120]) is not None


@pytest.mark.parametrize(("text", "name", "company", "weak"), [
    ("THIS IS Tom Okafor, the printer is down.", "Tom Okafor", None, None),
    ("It’s Dana Whitfield from Harbor Freight Logistics.", "Dana Whitfield",
     "Harbor Freight Logistics", None),
    ("I\tam Priya Raman and WE ARE WITH Elm Court Dental.", "Priya Raman", "Elm Court Dental",
     None),
    ("We’re over at Northgate Tyre & Auto.", None, None, "Northgate Tyre & Auto"),
    ("ıt's Jo Ward, wE're wİth Acme Dental.", "Jo Ward", "Acme Dental", None),
    ("Tom Okafor: the printer at Harbor View is down.", None, None, None),
])
def test_sentences_about_the_writer_are_found_in_any_case_and_spacing(
        text: str, name: str | None, company: str | None, weak: str | None) -> None:
    found = introduction(text)
    assert (found.name, found.company, found.weak_company) == (name, company, weak)


@pytest.mark.parametrize(("text", "company"), [
    ("Harbor View Road", None), ("Elm Court DRIVE", None), ("Pacific Hwy", None),
    ("Harbor Ave", None), ("Canal St", None), ("Elm Street Dental", "Elm Street Dental"),
    ("Roadrunner Freight", "Roadrunner Freight"), ("Midway", "Midway"),
])
def test_a_street_is_no_company(text: str, company: str | None) -> None:
    assert company_at(text) == company


_FIRST = ["Acme", "Dr.", "Dental.", "ĀCME", "āster", "Ramirez's", "O'Neil", "Acme+", "A",
          "The", "Our", "Thanks", "Road", "X" * 130, "Y" * 116, "Z" * 118]
_AFTER = ["", ",", ", Inc", ".", " and Sons", " and", " of Leeds", " of", " y Cia", " du Lac",
          " la", " la Plage", " dental", " the Lab", " Tyre", " 9", " 12345", " & Co",
          " - Leeds", " +1", "  Co", "\tCo", "\nCo", " (Leeds)", " ēast", " é", "+ Co",
          "’s shop", " ü", "Ⓐ Co", " Ⓑ", ";Ⓒ", " access", " laptops Co", " drops",
          " andrew Co", " yes Co", " y", " dew Co", " lab Co", " ofs Leeds", " and'x Co",
          " and.Co", " d", " of.", " la-la Co", " y+ Co", " AND Co", " ola", " yé Co", " ßad"]


@pytest.mark.parametrize("after", _AFTER)
def test_a_word_read_alone_says_what_company_at_says(after: str) -> None:
    for first in _FIRST:
        for text in (first + after, "call " + first + after + " today"):
            for match in _CAPITALISED.finditer(text):
                one = _one_word(text, match)
                company = company_at(text, match.start())
                word = has_company_word(company) if company else False
                assert one is None or one == (company, word), (text, match)


@pytest.mark.parametrize("text", ["FS01 access is down", "Two laptops died", "VPN drops",
                                  "Copperleaf asked"])
def test_a_word_before_a_lower_case_word_that_is_no_connector_is_read_alone(text: str) -> None:
    # company_at is not called for it (three in four of its calls were these).
    match = _CAPITALISED.match(text)
    assert match is not None
    one = _one_word(text, match)
    assert one is not None and one[0] == company_at(text)


@pytest.mark.parametrize("text", [
    "Acme", " Acme", "xAcme", "(Acme) “Ĳssel” \"Bo\" 'Cy' \tDe\nEf.Gh-Ij",
    "ĀCME āster ſ Ā",
    "a.B c,D e;F\u00a0G\rH", "AB CD", "A", "", "9Z Z9 _Q"])
def test_capitalised_words_are_those_after_a_space_a_bracket_or_a_quote(text: str) -> None:
    plain = re.compile(rf"(?:^|(?<=[ \t\n(\"“]))[{_UPPER}][\w'’&.-]*")
    assert [m.span() for m in _CAPITALISED.finditer(text)] == [
        m.span() for m in plain.finditer(text)]


@pytest.mark.parametrize("text", [
    "our office is Acme", "Our clinic, Bravo Dental", "OUR shop at Harbor View",
    "Your office is Acme",
    "tour office is Acme", "_our office is Acme", "(our firm is Delta)", "x.our store in Mill Lane",
    "contour practice Echo", "4our team Foxtrot", "é our team Golf"])
def test_our_is_a_word_of_its_own(text: str) -> None:
    for pattern in (_STRONG_RE[7], _WEAK_RE[1]):
        plain = re.compile(pattern.pattern.replace(_OUR, r"\bour"))
        assert plain.pattern != pattern.pattern
        assert [m.span() for m in pattern.finditer(text)] == [
            m.span() for m in plain.finditer(text)]


@pytest.mark.parametrize("text", [
    "a\nb", "a \nb", "a\t\n\tb", "a\n\nb", "a\n \n b", "a\n\u00a0b", "a\r\nb", "x  \n\n  y\nz",
    "a\n", "\nb", "a\n\t", "one\n two \n\tthree\n\n\nfour \t", "a\n\u2028b", ""])
def test_lines_join_as_the_spaced_pattern_joins_them(text: str) -> None:
    assert _flat(text) == _LINE_BREAK.sub(" ", text)
