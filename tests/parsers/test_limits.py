"""parsers.limits and the work per message: every hostile input of issue 22 (and inputs
just inside the limits on the same slow paths) is decided through the email pipeline in a
child process under CPU-time and address-space limits, within 1 s of CPU and 100 MB."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import pytest

from parsers.errors import LimitError, MessageError
from parsers.limits import (Limits, _fields, _opened_parts, check_limits, first_message_id,
                            over_limits)
from parsers.message import parse_message
from tests.helpers import hostile
from tests.helpers.budget import measure

CPU_S, MEMORY_MB = 1.0, 100.0  # the promise (issue 22): per message under 1 MB
REFUSED = {  # the inputs the limits refuse, and the words their reason names
    "40 KB From: . . .": "From header of 40,001 bytes",
    "Cc: ; ; ;": "Cc header of 40,001 bytes",
    "400 KB Content-Type parameters": "Content-Type header",
    "20,000 MIME parts": "MIME parts",
    "140 KB of encoded words in From": "From header of 140,014 bytes",
    "40,000 encoded words in Subject": "Subject header",
    "long References": "References header",
    "800 KB Message-ID": "Message-ID header",
    "2,000 nested multiparts": "MIME parts",
    "900 KB header line": "X-Junk header",
    "40,000 addresses in Cc": "Cc header",
    "nested comments in From": "From header",
    "quoted words in From": "From header",
    "CTE with comments": "Content-Transfer-Encoding header",
}


@pytest.fixture(scope="module")
def hostile_figures() -> dict[str, dict[str, Any]]:
    """Every input of both tables measured once (one process, a forked child per input)."""
    figures = measure("HOSTILE", list(hostile.HOSTILE))
    figures.update(measure("NEAR_LIMITS", list(hostile.NEAR_LIMITS)))
    return figures


def _check(row: dict[str, Any]) -> None:
    assert "error" not in row, row.get("error")
    assert row["cpu_s"] < CPU_S and row["peak_mb"] < MEMORY_MB, (
        f"{row['name']}: {row['cpu_s']} s of CPU, {row['peak_mb']} MB above the start "
        f"(limits {CPU_S} s, {MEMORY_MB} MB); outcome {row['outcome']}")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(hostile.HOSTILE))
def test_a_hostile_message_is_decided_within_the_budget(
        name: str, hostile_figures: dict[str, dict[str, Any]]) -> None:
    row = hostile_figures[name]
    _check(row)
    if name in REFUSED:
        assert row["outcome"] == "error" and REFUSED[name] in (row["reason"] or ""), (
            f"{name}: {row['outcome']} ({row['reason']}); {row['cpu_s']} s, "
            f"{row['peak_mb']} MB")
    else:
        assert row["outcome"] != "error", f"{name}: {row['reason']}"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(hostile.NEAR_LIMITS))
def test_a_message_just_inside_the_limits_is_decided_within_the_budget(
        name: str, hostile_figures: dict[str, dict[str, Any]]) -> None:
    row = hostile_figures[name]
    _check(row)
    assert row["outcome"] != "error", f"{name}: {row['reason']}"


@pytest.mark.parametrize("make", [*hostile.HOSTILE.values(), *hostile.NEAR_LIMITS.values()])
def test_every_hostile_input_is_under_one_megabyte(make: Callable[[], bytes]) -> None:
    assert len(make()) < 1_000_000  # the promise is for messages under 1 MB


def test_a_message_over_the_limits_is_a_message_error_naming_the_limit() -> None:
    raw = hostile.HOSTILE["40 KB From: . . ."]()
    with pytest.raises(LimitError, match="From header of 40,001 bytes") as caught:
        parse_message(raw)
    assert isinstance(caught.value, MessageError)  # the pipeline's `error` outcome


@pytest.mark.parametrize(("limit", "allowed", "raw"), [
    ("parts", 5, hostile._parts(4)),  # the multipart itself and its four parts
    ("encoded_words", 4, b"Subject: " + hostile._words(4) + b"\r\n\r\nhi\r\n"),
    ("comments", 4, b"From: (a) (b) (c) (d) a@b.example\r\n\r\nhi\r\n"),
    ("parameters", 4, b"Content-Type: text/plain; a=1; b=2; c=3; d=4\r\n\r\nhi\r\n"),
    ("addresses", 4, b"To: a@b.example, c@d.example, e@f.example, g@h.example\r\n\r\nhi"),
    ("sender_header", 12, b"From: a@b.example\r\n\r\nhi\r\n"),
])
def test_each_limit_refuses_one_more_than_it_allows(limit: str, allowed: int, raw: bytes
                                                    ) -> None:
    assert over_limits(raw, Limits(**{limit: allowed - 1})) is not None  # type: ignore[arg-type]
    assert over_limits(raw, Limits(**{limit: allowed})) is None  # type: ignore[arg-type]


def test_a_nested_part_is_measured_like_the_top_header_block() -> None:
    nested = (b"From: a@b.example\r\nContent-Type: message/rfc822\r\n\r\n"
              b"From: " + b". " * 2000 + b"\r\n\r\nhi\r\n")
    with pytest.raises(LimitError, match="From header"):
        check_limits(nested)


@pytest.mark.parametrize(("raw", "expected"), [
    (b"Message-ID: <a@b.example>\r\n\r\nhi", "<a@b.example>"),
    (b"message-id:\r\n  <folded@b.example>\r\nX: y\r\n\r\nhi", "<folded@b.example>"),
    (b"Message-ID: bare@b.example\r\n\r\nhi", "<bare@b.example>"),
    (b"Subject: s\r\n\r\nMessage-ID: <in-body@b.example>\r\n", None),
])
def test_the_message_id_is_read_cheaply_from_the_top_header_block(
        raw: bytes, expected: str | None) -> None:
    assert first_message_id(raw) == expected
    if expected:
        assert parse_message(raw).message_id == expected  # the same id parsing finds


# The fields and part delimiters as `^` with MULTILINE (and "boundary" in any case) find
# them: parsers.limits finds them faster and must find exactly these.
_PLAIN_FIELD = re.compile(rb"^([!-9;-~]{1,80})[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.MULTILINE)
_PLAIN_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""",
                             re.IGNORECASE)
_PLAIN_DELIMITER = re.compile(rb"^--([^\r\n]{1,204})\r?$", re.MULTILINE)
LINES = [
    b"From: Pat <pat@x.example>", b"Subject : spaced", b"X-Long:\tfolded", b"  continued",
    b"\tand again", b"", b"Plain body text: with a colon", b":starts with a colon",
    b"n" * 80 + b": an 80-byte name", b"n" * 81 + b": an 81-byte name",
    b"TWFuIGlzIGRpc3Rpbmd1aXNoZWQsIG5vdCBvbmx5IGJ5IGhpcyByZWFzb24sIGJ1dCBieSB0aGlz",
    b"Content-Type: multipart/mixed; BOUNDARY=\"b1\"", b"content-type: multipart/alternative;",
    b" boundary=b2", b"--b1", b"--b1 ", b"--b2--", b"--b3", b"--" + b"x" * 205, b"--b1\r",
    b"\r", b"Name:", b"x", b"--", b"boundary = \"\"",
]


def _reference(raw: bytes) -> tuple[list[tuple[int, bytes, bytes]], int]:
    fields = [(m.start(1), m.group(1), m.group(2)) for m in _PLAIN_FIELD.finditer(raw)]
    boundaries = {(m.group(1) or m.group(2)) for m in _PLAIN_BOUNDARY.finditer(raw)}
    opened = sum(1 for m in _PLAIN_DELIMITER.finditer(raw)
                 if m.group(1).rstrip(b" \t") in boundaries) if b"--" in raw else 0
    return fields, opened


def test_fields_and_part_delimiters_are_found_at_every_line_start() -> None:
    rng = random.Random(22)  # fixed: a failure repeats
    for _ in range(1_500):
        raw = rng.choice([b"\r\n", b"\n"]).join(
            rng.choice(LINES) for _ in range(rng.randint(1, 30))) + rng.choice([b"", b"\n"])
        fields = [(m.start(1), m.group(1), m.group(2)) for m in _fields(raw)]
        assert (fields, _opened_parts(raw)) == _reference(raw)


@pytest.mark.parametrize(("limit", "allowed", "raw"), [
    ("comments", 3, b"From:((((\r\n\r\nhi\r\n"),
    ("parameters", 3, b"Content-Type:;;;;\r\n\r\nhi\r\n"),
    ("addresses", 3, b"To:,,,\r\n\r\nhi\r\n"),
    ("short_header", 3, b"MIME-Version:1.00\r\n\r\nhi\r\n"),
    ("encoded_words", 0, b"Subject:=??q?\r\n\r\nhi\r\n"),
])
def test_the_shortest_value_over_a_limit_is_refused(limit: str, allowed: int, raw: bytes
                                                    ) -> None:
    # Values up to a length no limit can be reached at are not measured: these are one
    # byte longer than that length.
    assert over_limits(raw, Limits(**{limit: allowed})) is not None  # type: ignore[arg-type]
