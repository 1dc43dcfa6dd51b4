"""parsers.mailboxes and parsers.msgid: the sender is the From address as parsed, never
text from a display name; no control character reaches an address or a message id."""

from __future__ import annotations

import random

import pytest

from parsers.mailboxes import _registry, _simple
from parsers.message import parse_message
from parsers.msgid import read_ids, strict_ids
from tests.helpers import mail as F

SPOOF = "=?utf-8?q?x=0D=0ATo:_ceo@victim.example?= <mallory@attacker.example>"


def test_a_display_name_never_becomes_the_sender() -> None:
    parsed = parse_message(F.plain("Printer down.", sender=SPOOF))
    assert parsed.sender == "mallory@attacker.example"
    assert parsed.sender_name == "x To: ceo@victim.example"  # a name, on one line
    assert parsed.from_problem is None


@pytest.mark.parametrize(("sender", "problem"), [
    ("Big Bug bb@bug.com", "the From header holds no address that can be read"),
    ("<a\x00b@x.example>", "the From header holds no address that can be read"),
    ("J.<j@x.example>", "the From header could not be parsed"),  # the stdlib's parser fails
])
def test_a_from_without_a_readable_address_gives_no_sender(sender: str, problem: str) -> None:
    raw = F.plain("Printer down.", sender=sender)
    parsed = parse_message(raw)
    assert (parsed.sender, parsed.from_problem) == (None, problem)


def test_a_bare_cr_in_from_ends_the_header_line_and_never_reaches_the_address() -> None:
    parsed = parse_message(F.plain("Printer down.", sender="<a\rb@x.example>"))
    assert "\r" not in (parsed.sender or "") and "\n" not in (parsed.sender or "")


def test_an_unquoted_comma_in_a_name_leaves_the_address_the_sender() -> None:
    parsed = parse_message(F.plain("Printer down.", sender="Doe, Jane <jane@acme.example>"))
    assert parsed.sender == "jane@acme.example"


def test_control_characters_never_reach_recipients_or_reply_to() -> None:
    raw = F.plain("Printer down.", extra="Reply-To: <r\x01@x.example>\nCc: <c\x00@x.example>")
    parsed = parse_message(raw)
    assert parsed.reply_to is None
    assert all("\x00" not in r for r in parsed.recipients)


def test_a_long_recipient_list_is_read_by_the_linear_parser() -> None:
    many = ", ".join(f"user{i}@client.example" for i in range(100))
    parsed = parse_message(F.plain("Printer down.", extra=f"Cc: {many}, Critical@Desk.example"))
    assert "Critical@Desk.example" in parsed.recipients and len(parsed.recipients) == 102


@pytest.mark.parametrize(("value", "lenient", "strict"), [
    ("<a.b@c.example>", ["<a.b@c.example>"], ["<a.b@c.example>"]),
    ("<a\x00b@c.example> <ok@c.example>", ["<ok@c.example>"], ["<ok@c.example>"]),
    ("<a\x01b@c.example>", [], []),
    ("<no-at-sign>", ["<no-at-sign>"], []),
    ("<a b@c.example>", [], []),
    ("<1234@[192.168.0.1]>", ["<1234@[192.168.0.1]>"], ["<1234@[192.168.0.1]>"]),
    ("bare@c.example", ["<bare@c.example>"], []),
    ("<\"quoted\"@c.example>", ["<\"quoted\"@c.example>"], []),
])
def test_message_ids_are_read_leniently_and_written_strictly(
        value: str, lenient: list[str], strict: list[str]) -> None:
    assert read_ids(value) == lenient
    assert strict_ids(value) == strict


def test_a_group_inside_a_group_in_to_is_no_crash() -> None:
    # Found by the long fuzz run: the standard library lists the inner group among the
    # mailboxes of such a header, and a group has no local part.
    junk = "suDate: Mon, 23 Nov 2026 14:30:00 -0Content-Type: text/html; charset=utf-8"
    raw = F.plain("Printer down.").replace(b"To: support@desk.example",
                                           f"To: {junk}".encode(), 1)
    assert junk.encode() in raw
    parsed = parse_message(raw)
    assert parsed.sender == "jane.doe@acme.example"


def test_an_encoded_word_with_broken_base64_is_no_crash() -> None:
    # Found by the long fuzz run: decode_header raises HeaderParseError on bad padding.
    word = "=?utf-8?b?YWFh?=" * 3 + "=?utf-8?b?b?b?YWFh?="
    raw = F.plain("Printer down.", extra=f"Reply-To: {word}")
    assert b"Reply-To: =?utf-8?b?YWFh?=" in raw
    assert parse_message(raw).sender == "jane.doe@acme.example"


# Pieces of header values: the plain ones the shortcut reads, and the characters near its
# edges (dots at the ends of an atom, quotes, commas, brackets, encoded-word marks, tabs,
# non-ASCII) that must send a value to the header parser or be read as it reads them.
_PLAIN_WORDS = ["Priya", "O'Neil", "J.", "x-y", "_a", "9", "'", "-", "Garc\udcc3\udcada",
                "Zoë", "日本", "\u00a0", "x\u2028y", "\x85", "\udcff", "\u200b",
                "\u3000", "\ufeff", "e\u0301"]
_ODD_WORDS = [".", "..", ",", "é", "=?utf-8?q?x?=", "(c)", "\\", "@", ":", ";", "\""]
_PLAIN_ATOMS = ["a", "Bo", "x9", "+tag", "-", "_", "."]
_ODD_ATOMS = ["..", "é", "'", "!", "\"", " ", "@", "=", "?"]


def _piece(rng: random.Random, plain: list[str], odd: list[str]) -> str:
    return rng.choice(plain if rng.random() < 0.9 else odd)


def _words(rng: random.Random) -> str:
    gaps = [" ", "  ", "\t", ""]
    return "".join(_piece(rng, _PLAIN_WORDS, _ODD_WORDS) + rng.choice(gaps)
                   for _ in range(rng.randint(1, 4)))


def _atom(rng: random.Random) -> str:
    return "".join(_piece(rng, _PLAIN_ATOMS, _ODD_ATOMS) for _ in range(rng.randint(1, 4)))


def _value(rng: random.Random) -> str:
    spec = f"{_atom(rng)}@{_atom(rng)}" if rng.random() < 0.9 else _atom(rng)
    form = rng.randrange(5)
    if form == 0:
        body = spec
    elif form == 1:
        body = f"<{spec}>"
    elif form == 2:
        body = f"{_words(rng)}{rng.choice(['', ' ', '  '])}<{spec}>"
    elif form == 3:
        body = f"\"{_words(rng)}\" <{spec}>"
    else:
        body = f"{_words(rng)} <{spec}>, {spec}"
    return rng.choice(["", " ", "\t"]) + body + rng.choice(["", " ", "\t"])


def test_the_plain_mailbox_shortcut_reads_what_the_header_parser_reads() -> None:
    # The shortcut saves the header parser's ~0.1 ms on most From and Reply-To values; it
    # may refuse any value, but a value it reads must come out as the parser reads it.
    rng = random.Random(20)
    read = 0
    for _ in range(20_000):
        value = _value(rng)
        simple = _simple(value)
        if simple is not None:
            read += 1
            assert simple == _registry(value), value
    assert read > 1_000  # the generator reaches the shortcut, so this test can fail


@pytest.mark.parametrize("value", [
    "Priya Raman <priya.raman@elmcourt.example>", "\"Raman, Priya\" <p@elmcourt.example>",
    "<it-desk+ops@desk.example>", "tom_okafor@copperleaf.example", "J. R. Smith <j@x.example>",
    "Zoë Müller <zoe@x.example>", "Mar\udcc3\udcada Garc\udcc3\udcada <maria@x.example>",
])
def test_the_usual_forms_take_the_shortcut(value: str) -> None:
    assert _simple(value) is not None
    assert _simple(value) == _registry(value)
