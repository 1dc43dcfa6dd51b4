"""parsers.classify: machine mail is recognised, people's mail is not; and the shared
corpus of real bounces and odd MIME goes through the parser without a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parsers.classify import automatic_reason, form_requester
from parsers.errors import MessageError
from parsers.message import parse_message
from tests.helpers import mail as F
from tests.helpers.paths import REPO

CORPUS = Path(os.environ.get("INTAKE_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.mark.parametrize("raw, reason", [
    (F.OUT_OF_OFFICE, "automatic subject"),
    (F.AUTO_SUBMITTED, "Auto-Submitted: auto-replied"),
    (F.LIST_MAIL, "list-id"),
    (F.BULK, "Precedence: bulk"),
    (F.bounce(), "delivery or feedback report"),
    (F.plain("Out of office until Monday.", sender="<>", extra="Return-Path: <>"),
     "empty return path"),
    (F.plain("Your mail could not be sent.", sender="MAILER-DAEMON@mx.example"), "robot sender"),
    (F.plain("Do not answer this.", sender="no-reply@vendor.example"), "robot sender"),
    (F.plain("Abwesend.", subject="Abwesenheitsnotiz: Drucker"), "automatic subject"),
])
def test_automatic_mail_is_recognised(raw: bytes, reason: str) -> None:
    found = automatic_reason(parse_message(raw))
    assert found is not None and reason in found


@pytest.mark.parametrize("raw", [F.LABELLED, F.FREE_TEXT_SIGNATURE, F.HTML_ONLY_OUTLOOK,
                                 F.REPLY_WITH_HISTORY, F.FORWARDED, F.EMPTY_BODY,
                                 F.plain("x", extra="Auto-Submitted: no")])
def test_mail_from_people_is_not_automatic(raw: bytes) -> None:
    assert automatic_reason(parse_message(raw)) is None


def corpus_files(folder: str) -> list[Path]:
    """Messages of one corpus folder (the LICENSE files are not messages)."""
    root = CORPUS / folder
    if not root.is_dir():
        pytest.fail(f"the shared mail corpus is missing: {root} (set INTAKE_CORPUS to its path)")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "LICENSE")


def test_every_bounce_and_auto_reply_of_the_corpus_is_automatic() -> None:
    files = corpus_files("automatic")
    assert len(files) > 600
    missed = [f.name for f in files if automatic_reason(parse_message(f.read_bytes())) is None]
    assert missed == []


def test_ordinary_mail_of_the_corpus_is_not_automatic_unless_rfc_3834_says_so() -> None:
    for path in corpus_files("other"):
        msg = parse_message(path.read_bytes())
        reason = automatic_reason(msg)
        # One "not a bounce" message is a postmaster's auto-reply with an empty return
        # path: RFC 3834 forbids answering it, so it is automatic here.
        assert reason is None or msg.header("auto-submitted") or msg.return_path == ""


def test_odd_mime_never_crashes_the_parser() -> None:
    files = corpus_files("odd-mime")
    parsed = errors = 0
    for path in files:
        try:
            msg = parse_message(path.read_bytes())
        except MessageError:
            errors += 1  # a precise error: not an RFC 5322 message at all
            continue
        assert isinstance(msg.body.new, str)
        parsed += 1
    assert parsed > 200 and errors < 5


def test_replies_of_the_corpus_keep_only_the_new_text() -> None:
    for path in corpus_files("replies"):
        if path.suffix != ".eml":
            continue
        body = parse_message(path.read_bytes()).body
        assert body.new == "Hello", path.name


def test_a_web_form_with_the_person_in_reply_to_is_a_persons_mail() -> None:
    raw = F.plain("Name: Ines Moreau\nPhone: 512-555-0110\nMessage: the booking app is down.",
                  sender="Website Forms <no-reply@forms.yoga.example>",
                  extra="Reply-To: ines@yoga.example")
    msg = parse_message(raw)
    assert automatic_reason(msg) is None and form_requester(msg) == "ines@yoga.example"
    bounce = F.plain("Your mail could not be sent.", sender="MAILER-DAEMON@mx.example",
                     extra="Reply-To: ines@yoga.example")
    assert automatic_reason(parse_message(bounce)) is not None


def test_a_bounce_written_as_plain_text_is_automatic() -> None:
    raw = F.plain("****\nYour message could not be delivered to\nuserx@example.com\n****",
                  sender="Dsics.spi@bank.example", subject="RE: Your message : non remis")
    assert "delivery failure" in (automatic_reason(parse_message(raw)) or "")
    person = F.plain("My message could not be delivered to our supplier, can you help?")
    assert automatic_reason(parse_message(person)) is None


def test_a_person_pasting_a_bounce_is_a_person() -> None:
    raw = F.plain("Hi, I keep getting this when I write to our supplier:\n\n"
                  "Your message could not be delivered to orders@supplier.example\n\n"
                  "Can you look at it? Ann Lee, Acme Dental, 512-555-0100")
    assert automatic_reason(parse_message(raw)) is None
