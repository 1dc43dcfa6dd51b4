"""parsers.phones: the matcher over the lines that can hold a number."""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from parsers import phones
from parsers.phones import fewest_digits, match_numbers

_FORMATS = (PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164)


def _examples() -> list[tuple[str, str]]:
    """(region, written number) for every example number phonenumbers has, in each format."""
    written = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in vars(PhoneNumberType).values():
            if not isinstance(kind, int):
                continue
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                written += [(region, phonenumbers.format_number(number, f)) for f in _FORMATS]
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            written.append(("ZZ", phonenumbers.format_number(number, PhoneNumberFormat.E164)))
    return written


def test_no_valid_number_has_fewer_digits_than_its_region_allows() -> None:
    checked = 0
    for region, text in _examples():
        line = f"call me on {text} please"
        found = [m.raw_string for m in phonenumbers.PhoneNumberMatcher(
            line, region, leniency=phonenumbers.Leniency.VALID)]
        for raw in found:
            checked += 1
            assert len(re.findall(r"\d", raw)) >= fewest_digits(region), (region, raw)
        assert [m.raw_string for _, _, m in match_numbers(line, region)] == found
    assert checked > 1000


@pytest.mark.parametrize(("region", "text"), [
    ("AG", "460 1234"),  # Antigua: the parse writes "268" before a 7-digit local number
    ("SM", "886377"),  # San Marino: "0549" before a 6-digit one
    ("DE", "+49 30 1234"),
])
def test_short_local_numbers_are_still_read(region: str, text: str) -> None:
    expected = [m.raw_string for m in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.VALID)]
    assert expected and [m.raw_string for _, _, m in match_numbers(text, region)] == expected


def test_a_line_with_too_few_digits_is_not_given_to_the_matcher(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the matcher read {args[1]!r}")

    monkeypatch.setattr(phonenumbers.PhoneNumberMatcher, "__init__", refuse)
    text = "The file server FS01 answers slowly.\nSince Windows 11, twice a day."
    assert list(match_numbers(text, "US")) == []
    with pytest.raises(AssertionError, match="the matcher read"):
        list(match_numbers("Call me on 512 555 0143.", "US"))


# The same candidates with every kind of neighbour the matcher looks at: a verified number
# kept from one text must not be taken for another whose neighbours refuse it.
_NEIGHBOURS = [f"{before}{number}{after}" for number in (
    "512 555 0143", "(512) 555-0143 ext. 12", "+44 20 7946 0958", "020 7946 0958",
    "0412 345 678", "2026-01-05", "12:30") for before, after in (
    ("Call me on ", "."), ("", ""), ("x", ""), ("", "x"), ("$", ""), ("", "%"), ("é", ""),
    ("", "ü"), ("Tel:", "\nFax"), ("ab", " cd"))]


def _read(matches: Iterable[phonenumbers.PhoneNumberMatch]) -> list[tuple[int, int, str, str]]:
    return [(m.start, m.end, m.raw_string, phonenumbers.format_number(
        m.number, PhoneNumberFormat.E164) + f";ext={m.number.extension}") for m in matches]


@pytest.mark.parametrize("region", ["US", "GB", "AU", "ZZ"])
def test_kept_verifications_give_the_matchers_own_results(region: str) -> None:
    expected = [_read(phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.VALID)) for text in _NEIGHBOURS]
    assert any(expected) and not all(expected)
    for texts in (_NEIGHBOURS, _NEIGHBOURS[::-1], _NEIGHBOURS):  # kept, read both ways round
        found = [_read(m for _, _, m in match_numbers(text, region)) for text in texts]
        assert found == (expected if texts is _NEIGHBOURS else expected[::-1])


@pytest.mark.parametrize(("text", "runs"), [
    ("", []),
    ("no digits\nat all", []),
    ("7", [(0, "7")]),
    ("a\nTel: 1\nFax: 2\n\nroom 3\n", [(2, "Tel: 1\nFax: 2"), (17, "room 3")]),
    ("1\n\n2\r\nx\n3", [(0, "1"), (3, "2\r"), (8, "3")]),
    ("line one\n\n\nTel 5 ٣\nend", [(11, "Tel 5 ٣")]),
])
def test_digit_runs(text: str, runs: list[tuple[int, str]]) -> None:
    assert phones.digit_runs(text) == runs
