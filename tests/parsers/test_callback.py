"""parsers.callback: every number found, read in the right region, and whose it is."""

from __future__ import annotations

import pytest

from parsers.callback import CALLBACK, DESK, FAX, OTHER, callback_numbers, find_numbers
from parsers.phones import BlockCache

REGIONS = ("US", "CA", "GB", "AU", "NZ", "IE")
DESK_LINES = frozenset({"+18665206414"})


def kinds(text: str, regions: tuple[str, ...] = REGIONS) -> list[tuple[str, str]]:
    return [(n.e164, n.kind) for n in find_numbers(text, regions, DESK_LINES)]


@pytest.mark.parametrize("text, expected", [
    ("Ring me on 0412 345 678 when you can.", [("+61412345678", CALLBACK)]),
    ("DDI: 0161 496 0000, Switchboard: 0161 496 0001",
     [("+441614960000", CALLBACK), ("+441614960001", CALLBACK)]),
    ("T 0161 496 0000 | F 0161 496 0002", [("+441614960000", CALLBACK), ("+441614960002", FAX)]),
    ("Tel: (512) 555-0134 x204\nFax: (512) 555-0199",
     [("+15125550134;ext=204", CALLBACK), ("+15125550199", FAX)]),
    ("I tried 1-866-520-6414 but the queue was long.", [("+18665206414", DESK)]),
    ("Their support line is 1-800-555-0191 but they blame our server.",
     [("+18005550191", OTHER)]),
    ("The ISP's number is 1-800-555-0193. Please call me on 512-555-0194.",
     [("+18005550193", OTHER), ("+15125550194", CALLBACK)]),
    ("I called 1-800-555-0199 twice this morning.", [("+18005550199", OTHER)]),
    ("1-800-555-0199 (their helpdesk) never answers", [("+18005550199", OTHER)]),
    ("You can reach them at 1-888-555-0192 if you need the merchant ID.",
     [("+18885550192", OTHER)]),
    ("I tried calling you from my mobile, 512-555-0102, but couldn't get through.",
     [("+15125550102", CALLBACK)]),
    ("Call me on 512-555-0101 or the front desk at 512-555-0103.",
     [("+15125550101", CALLBACK), ("+15125550103", CALLBACK)]),
])
def test_whose_number(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_a_trunk_zero_number_is_read_in_the_first_region_it_is_valid_in() -> None:
    # Valid in AU and in IE: the region the message points to comes first.
    assert kinds("mobile 0412 345 678", ("US", "IE", "AU")) == [("+353412345678", CALLBACK)]
    assert kinds("mobile 0412 345 678", ("US", "AU", "IE")) == [("+61412345678", CALLBACK)]
    assert kinds("mobile 0412 345 678", ("US",)) == []


def test_callback_numbers_keep_only_the_requesters_once() -> None:
    found = find_numbers("Fax 512-555-0199. Me: 512-555-0100, again 512-555-0100", REGIONS)
    assert callback_numbers(found) == ("+15125550100",)


@pytest.mark.parametrize("text, expected", [
    # The US number is read first; the UK one on another line still needs its region.
    ("Server FS01 is down.\nCall me on 512-555-0134.\n\nMy UK mobile is 07911 123456.",
     [("+15125550134", CALLBACK), ("+447911123456", CALLBACK)]),
    # A trunk 0 inside a number already read, or after a letter, asks no other region.
    ("Server FS01 is down.\nTel: (512) 555-0134\nFax: (512) 555-0199",
     [("+15125550134", CALLBACK), ("+15125550199", FAX)]),
])
def test_later_regions_read_what_is_left(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_a_shared_cache_gives_the_same_numbers() -> None:
    text = "Tel: 0161 496 0000\nThanks,\nJo\nMobile 07911 123456"
    cache: BlockCache = {}
    first = find_numbers(text, REGIONS, DESK_LINES, cache)
    assert cache  # the runs of lines read, kept
    again = find_numbers(text, REGIONS, DESK_LINES, cache)
    assert first == again == find_numbers(text, REGIONS, DESK_LINES)
    assert [n.e164 for n in first] == ["+441614960000", "+447911123456"]
