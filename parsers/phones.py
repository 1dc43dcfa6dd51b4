"""Phone numbers to E.164 (with any extension kept), using `phonenumbers`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import phonenumbers

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


def digit_runs(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each run of consecutive lines holding a digit: a number never
    spans a line without one."""
    runs: list[tuple[int, str]] = []
    offset, block_start, block_end = 0, -1, -1
    for line in [*text.split("\n"), ""]:
        if _DIGIT.search(line):
            block_start = offset if block_start < 0 else block_start
            block_end = offset + len(line)
        elif block_start >= 0:
            runs.append((block_start, text[block_start:block_end]))
            block_start = -1
        offset += len(line) + 1
    return runs


def match_numbers(text: str, region: str, wanted: Callable[[int, str], bool] | None = None,
                  cache: BlockCache | None = None,
                  runs: list[tuple[int, str]] | None = None) -> Iterator[Match]:
    """phonenumbers' matcher over `text` (valid numbers only), with offsets in `text`. The
    matcher is slow on prose, so it reads only the runs of lines holding a digit (`runs`,
    when the caller has them already). `wanted(offset, run)`, when given, says which runs
    are worth reading; `cache` keeps each run's matches for the same run read again."""
    for block_start, block in digit_runs(text) if runs is None else runs:
        if wanted is None or wanted(block_start, block):
            for start, end, match in _block_matches(block, region, cache):
                yield block_start + start, block_start + end, match


def _block_matches(block: str, region: str, cache: BlockCache | None) -> list[Match]:
    found = cache.get((block, region)) if cache is not None else None
    if found is None:
        found = [(m.start, m.end, m) for m in phonenumbers.PhoneNumberMatcher(
            block, region, leniency=phonenumbers.Leniency.VALID)]
        if cache is not None:
            cache[(block, region)] = found
    return found
