"""parsers.replies tries the reply library's patterns only where a match can begin: it must
find exactly what the library's own scan of every character finds."""

from __future__ import annotations

import random
from typing import Any

import pytest
from mailparser_reply.parser import EmailMessage as ReplyReader

from parsers.replies import LANGUAGES, PATTERNS, Reader


def _replies(text: str, reader: Any = ReplyReader, **patterns: Any
             ) -> list[tuple[str, str, str, list[str]]]:
    message = reader(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True,
                     **patterns).read()
    return [(str(r.headers), r.content, str(r.signatures), list(r.disclaimers or []))
            for r in message.replies]


def _same_as_the_library(text: str) -> None:
    assert _replies(text, Reader, **PATTERNS) == _replies(text)


PROSE = "The shared printer on the third floor prints blank pages since this morning."
SIGNATURES = [
    "Thanks,\nPat Lee", "Kind regards\nPat", "Best,\nPat", "-- \nPat Lee", "--\nPat",
    "__\nPat", "Sent from my iPhone", "Get Outlook for iOS", "Mit freundlichen Grüßen\nPat",
    "Viele Grüße\nPat", "Cordialement\nPat", "Saludos,\nPat", "Med venlig hilsen\nPat",
    "Take a look at the logs.",  # "Tak" (Danish): the library calls this a signature
    "/pl", "Mvh\nPat", "S pozdravem,\nPat", "谢谢，\n张伟", "감사합니다,\n김민수",
    # Letters that are another letter to IGNORECASE but not to str.lower.
    "ſent from my iPhone", "\u212aind regards\nPat", "İnviato da iPhone", "THANKS,\nPAT",
    "> Best regards\n> Pat", "> > Thanks,\n> > Pat", ">Thanks,",
]


@pytest.mark.parametrize("signature", SIGNATURES)
def test_a_signature_is_found_where_the_library_finds_it(signature: str) -> None:
    for text in (f"{PROSE}\n\n{signature}", f"{PROSE}\n{signature}\nMore words after it.",
                 f"{PROSE}\n\n\n\n{signature}", signature, f"{signature}\n{PROSE}"):
        _same_as_the_library(text)


@pytest.mark.parametrize("separator", ["_" * 32, "-" * 40, " " + "_" * 35, "-_" * 16])
def test_an_outlook_separator_after_blank_lines_is_found(separator: str) -> None:
    _same_as_the_library(f"{PROSE}\n\n{separator}\nFrom: Pat Lee\nSent: Monday\nTo: desk")
    _same_as_the_library(f"{PROSE}\n\n\n{separator}\nthe older text")
    # The library's normalisation removes a separator that follows text, but not one
    # after blank lines at the very top: that one the blank lines above it start.
    _same_as_the_library(f"\n\n{separator}\nthe older text")
    _same_as_the_library(f"\n\n\n\n{separator}\nthe older text")
    # The library's normalisation removes a separator that follows text, CRLF lines too.
    _same_as_the_library(f"{PROSE}\r\n\r\n{separator}\r\nthe older text")


@pytest.mark.parametrize("header", [
    "On Mon, Nov 23, 2026 at 9:12 AM Service Desk <support@desk.example> wrote:",
    "From: Service Desk <support@desk.example>\nSent: Monday\nTo: Pat\nSubject: SR-1",
    "-----Original Message-----",
    "Am 23.11.2026 um 09:12 schrieb Service Desk <support@desk.example>:",
    "See below -----Oprindelig meddelelse-----\nFra: Desk\nSendt: mandag",
    "Le lun. 23 nov. 2026 à 09:12, Service Desk a écrit :",
    "> On Mon, Nov 23, 2026 Desk wrote:",
    "On Monday 23 November Service Desk\n<support@desk.example> wrote:",  # wrapped
    "发件人: 服务台 <support@desk.example>\n发送时间: 2026年11月23日\n主题: SR-1",
])
def test_a_reply_header_is_found_where_the_library_finds_it(header: str) -> None:
    _same_as_the_library(f"{PROSE}\n\n{header}\n> {PROSE}\n\nThanks,\nDesk")


def test_random_mixes_of_lines_give_the_librarys_replies() -> None:
    # Lines that open a signature or a header, lines that look like one and are not,
    # blank runs and quote marks, in random orders (fixed seed: a failure repeats).
    pieces = [PROSE, "", "", "", "> " + PROSE, ">", "Thanks,", "Thanks for the help.",
              "Tak", "Takeaway", "The", "-- ", "--", "- item", "__", "_" * 32, "-" * 33,
              "Sent from my phone", "Sent: Monday", "From: Pat <pat@x.example>",
              "To: desk@x.example", "Subject: printer", "Name: Pat Lee", "Phone: 512-555-0100",
              "On Monday Pat wrote:", "/x", "/ no", "Best regards", "best,", "ſent from my iPad",
              "\u212ah", "CONFIDENTIAL: this e-mail is private", "Regards,", "> > Kind regards",
              "_-" * 16, "-" * 31, "  " + "_" * 33 + "  "]
    rng = random.Random(20)
    for _ in range(400):
        _same_as_the_library("\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 25))))
