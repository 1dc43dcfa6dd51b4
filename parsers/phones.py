"""Phone numbers to E.164 (with any extension kept), using `phonenumbers`."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import PhoneMetadata

from parsers.errors import PhoneNumberError


def normalise_phone(text: str, region: str = "US") -> str:
    """E.164 for a phone number written any common way; ';ext=N' appended for extensions.

    `region` is the ISO country assumed when the number has no international prefix.
    """
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneNumberError(f"{text!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError(f"{text!r} is not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164


_DIGIT = re.compile(r"\d")
Match = tuple[int, int, phonenumbers.PhoneNumberMatch]
# The matches of one block of lines read with one region, kept for the message's other reads.
BlockCache = dict[tuple[str, str], list[Match]]


# From a line's first digit to its end: one match per line holding a digit, found without
# looking at the lines that hold none one by one.
_DIGIT_ON = re.compile(r"\d[^\n]*")


def digit_runs(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each run of consecutive lines holding a digit: a number never
    spans a line without one."""
    runs: list[tuple[int, str]] = []
    block_start, block_end = -1, -1
    for digits in _DIGIT_ON.finditer(text):
        line_start = text.rfind("\n", 0, digits.start()) + 1
        if block_start >= 0 and line_start != block_end + 1:  # a line without one between
            runs.append((block_start, text[block_start:block_end]))
            block_start = -1
        block_start = line_start if block_start < 0 else block_start
        block_end = digits.end()
    if block_start >= 0:
        runs.append((block_start, text[block_start:block_end]))
    return runs


def match_numbers(text: str, region: str, cache: BlockCache | None = None,
                  runs: list[tuple[int, str]] | None = None) -> Iterator[Match]:
    """phonenumbers' matcher over `text` (valid numbers only), with offsets in `text`. The
    matcher is slow on prose, so it reads only the runs of lines holding a digit (`runs`:
    all of them, or those of them worth reading); `cache` keeps each run's matches for the
    same run read again."""
    for block_start, block in digit_runs(text) if runs is None else runs:
        for start, end, match in _block_matches(block, region, cache):
            yield block_start + start, block_start + end, match


def _fewest_digits(metadata: list[PhoneMetadata | None], parsed_with: PhoneMetadata | None
                   ) -> int:
    """The fewest digits the national significant number of a valid number of these
    regions' (one country code's) can be written with: its shortest possible length, less
    the digits the parse's prefix rule may add ("268" + a 7-digit local number in Antigua)."""
    lengths = [min(m.general_desc.possible_length) if m and m.general_desc
               and m.general_desc.possible_length else 1 for m in metadata]
    rule = parsed_with.national_prefix_transform_rule if parsed_with else None
    added = len(re.findall(r"\d", re.sub(r"\\\d", "", rule))) if rule else 0
    if rule and len(re.findall(r"\\\d", rule)) != len(set(re.findall(r"\\\d", rule))):
        return 1  # a group written twice could double digits: no bound
    return max(1, min(lengths) - added)


def _country_metadata(code: int) -> list[PhoneMetadata | None]:
    return [PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            for region in phonenumbers.region_codes_for_country_code(code)]


@functools.cache
def _fewest_international() -> int:
    """The fewest digits of a valid number written with its country code ("+", or the
    international dialling prefix, whose digits only add): the code's, then the number's,
    parsed with the metadata of the code's main region."""
    return min(len(str(code)) + _fewest_digits(
        _country_metadata(code), PhoneMetadata.metadata_for_region_or_calling_code(
            code, phonenumbers.region_code_for_country_code(code)))
        for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@functools.cache
def fewest_digits(region: str) -> int:
    """The fewest digits a valid number the matcher finds with `region` can be written
    with: a national one (its country code's regions, parsed with `region`'s rules) or an
    international one. The matcher reads no letters as digits (no "1-800-FLOWERS")."""
    metadata = PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None or not metadata.country_code:
        return _fewest_international()  # no national numbers in an unknown region
    return min(_fewest_international(),
               _fewest_digits(_country_metadata(metadata.country_code), metadata))


@functools.lru_cache(maxsize=2048)  # about 1 MB when full
def _verified(candidate: str, region: str | None, before: str, after: str
              ) -> phonenumbers.PhoneNumber | None:
    """The number phonenumbers' matcher reads in `candidate` (or None), `before` and
    `after` being the characters either side of it ('' at an end of the text): all its
    verification looks at (leniency VALID reads no grouping). Kept across messages because
    the same numbers recur: the desk's in every quoted signature, a client's in a thread."""
    matcher = phonenumbers.PhoneNumberMatcher(before + candidate + after, region,
                                              leniency=phonenumbers.Leniency.VALID)
    match = matcher._parse_and_verify(candidate, len(before))
    return None if match is None else match.number


class _Matcher(phonenumbers.PhoneNumberMatcher):
    """phonenumbers' matcher (leniency VALID) with each candidate's parse and verification
    (90% of its time) looked up in `_verified`; the numbers it returns are shared, and
    only read. `_parse_and_verify` is the library's own hook (the pinned version's):
    tests/parsers/test_phones.py checks the results are still the library's."""

    def __init__(self, text: str, region: str) -> None:
        super().__init__(text, region, leniency=phonenumbers.Leniency.VALID)

    def _parse_and_verify(self, candidate: str, offset: int
                          ) -> phonenumbers.PhoneNumberMatch | None:
        end = offset + len(candidate)
        number = _verified(candidate, self.preferred_region,
                           self.text[offset - 1:offset] if offset else "", self.text[end:end + 1])
        return None if number is None else phonenumbers.PhoneNumberMatch(offset, candidate, number)


def _block_matches(block: str, region: str, cache: BlockCache | None) -> list[Match]:
    found = cache.get((block, region)) if cache is not None else None
    if found is None and len(_DIGIT.findall(block)) < fewest_digits(region):
        found = []  # too few digits for any number: the matcher is slow even to say so
    if found is None:
        found = [(m.start, m.end, m) for m in _Matcher(block, region)]
        if cache is not None:
            cache[(block, region)] = found
    return found
