"""parsers.phones: the matcher over the lines that can hold a number."""

from __future__ import annotations

import re

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
        raise AssertionError(f"the matcher read {args[0]!r}")

    monkeypatch.setattr(phonenumbers, "PhoneNumberMatcher", refuse)
    text = "The file server FS01 answers slowly.\nSince Windows 11, twice a day."
    assert list(match_numbers(text, "US")) == []
    with pytest.raises(AssertionError, match="the matcher read"):
        list(match_numbers("Call me on 512 555 0143.", "US"))


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
