"""parsers.text: the reply split's own steps around the reply library (forward markers,
quoted lines and attributions) and what it keeps of the library's answer."""

from __future__ import annotations

import pytest

from parsers.text import _FORWARD, _first_forward, _strip_quoted_lines, split_reply

PROSE = "The shared printer on the third floor prints blank pages since this morning."


def test_the_split_keeps_the_signature_from_its_first_line_to_the_end() -> None:
    parts = split_reply(f"{PROSE}\n\nKind regards\nPat Lee\nAcme Dental\n512-555-0100")
    assert parts.new == PROSE
    assert parts.signature == "Kind regards\nPat Lee\nAcme Dental\n512-555-0100"


@pytest.mark.parametrize("text", [
    f"{PROSE}\n\nPat Lee\n", f"{PROSE}\nOn Monday pat@x.example wrote:\nthe old text",
    f"{PROSE}\nOn Monday pat@x.example wrote\nno colon", f"{PROSE}\nNotes:\n> quoted",
    f"{PROSE}\nSee: the wiki\nmail pat@x.example", f"{PROSE}\nsent > received",
    f"{PROSE}\nNotes:\nmore", f" {PROSE}\n  > quoted\n"])
def test_quoted_lines_and_attributions_move_out_of_the_new_text(text: str) -> None:
    # The long way round, line by line, whatever the text holds.
    lines = text.split("\n")
    quoted = {n for n, line in enumerate(lines) if line.lstrip().startswith(">")}
    quoted |= {n for n, line in enumerate(lines[:-1]) if line.endswith(":") and (
        n + 1 in quoted or "@" in line)}
    assert _strip_quoted_lines(text) == (
        "\n".join(line for n, line in enumerate(lines) if n not in quoted).strip(),
        "\n".join(line for n, line in enumerate(lines) if n in quoted).strip())


@pytest.mark.parametrize("text", [
    "---------- Forwarded message ---------\nFrom: Pat", f"{PROSE}\n\n-- Forwarded message --",
    f"{PROSE}\n  Begin forwarded message:  \nFrom: Pat", f"{PROSE}\n-----Original Message-----",
    f"{PROSE}\nsee --- Forwarded message --- below", f"{PROSE}\n", "",
    f"{PROSE}\n\n\n--Forwarded Message--\n\n-----ORIGINAL MESSAGE-----",
])
def test_the_history_starts_at_the_first_forward_marker_line(text: str) -> None:
    found = _FORWARD.search(text)
    assert _first_forward(text) == (found.start() if found else None)
