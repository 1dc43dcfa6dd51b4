"""compose.render writes each mail as the standard library's EmailMessage writes it: the
same text for plain headers written directly and for every other input (non-ASCII names
and subjects, folding, quoting, odd addresses, odd zones and bodies)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email import message_from_string, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.outbound.compose import OutgoingEmail, message_ids, one_line, render

SMTP78 = policy.SMTP.clone(max_line_length=78)


def stdlib_render(email: OutgoingEmail, sender: str, sender_name: str, message_id: str,
                  at: datetime) -> str:
    """The message built header by header in an EmailMessage and written by its
    generator: what render must equal."""
    msg = EmailMessage(policy=SMTP78)
    local, _, domain = sender.partition("@")
    msg["From"] = str(Address(one_line(sender_name), local, domain))
    msg["To"] = one_line(email.to)
    msg["Subject"] = one_line(email.subject, 250)
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id
    parents = message_ids(email.in_reply_to)
    if parents:
        msg["In-Reply-To"] = parents[0]
    references = [ref for value in email.references for ref in message_ids(value)]
    if parents and parents[0] not in references:
        references.append(parents[0])
    if references:
        kept = references if len(references) <= 10 else [references[0], *references[-9:]]
        msg["References"] = " ".join(kept)
    msg["Auto-Submitted"] = email.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(email.text, cte="7bit" if email.text.isascii() else "quoted-printable")
    return msg.as_string()


NAMES = ["Acme IT Desk", "Service Desk", "José Müller Support", "Desk, Inc.", 'The "Best" Desk',
         "北京 服务台", "A" * 90, "desk (24/7)", "", "=?utf-8?q?x?="]
SENDERS = ["support@desk.example", "help.desk+in@sub.desk.example", "desk@[192.0.2.1]"]
ADDRESSES = [
    "jane.doe@example.com", "o'brien+tag@example.co.uk", "a_b-c.d@mail.example", "x@y",
    '"john smith"@example.com', "üser@example.com", "user@bücher.example",
    "=?utf-8?q?x?=@example.com", "very." + "long" * 20 + "@example.com", "",
    "a..b@example.com", "name with space@example.com", "user@example.com.", "{x}|~@ex.com",
    "Jane <jane@example.com>", "a@b@c", "user@-bad-.example", "UPPER@EXAMPLE.COM",
]
SUBJECTS = [
    "[SR-000123] Re: Printer on 3rd floor not working", "Re: your request", "",
    "[SR-000001] Re: Imprimante cassée au 2e étage", "Re: " + "word " * 40,
    "Re: " + "x" * 120, "Re:  two  spaces   here", "Re: =?utf-8?q?caf=C3=A9?= menu",
    "Re: tab\there\nand newline\r\nend", "Re: 請幫忙 the VPN is down",
    "Re: (comment) <angle> \"quotes\" ; : , @ [x]", "Re: trailing space ", " Re: leading",
    "[SR-000123] Re: " + "a" * 61, "[SR-000123] Re: " + "a" * 53, "Re: \x7fdel\x00nul",
]
BODIES = [
    "Hello,\n\nThank you.\n\nAcme Desk", "", "\n", "one line", "crlf\r\nlines\r\n",
    "cr\ronly", "Bonjour José,\nçava ?\n", "long " * 300, "x" * 1200, "From here\n.\n..\n",
    "tail spaces   \nand tab\t\n", "form\x0cfeed\x0bvt", "line\u2028sep\x85nel",
    "é" * 200, "=3D already = signs =\n", "emoji 🙂 mixed\r\n\r\n", "a\n" * 50,
]
WORDS = ["Re:", "[SR-000123]", "printer" * 12, "über" * 20, "x" * 90, "a", "(b)", "=?q?=", "\t"]
IDS = [None, "<abc@x.example>", "<a.b.c@[10.0.0.1]>", "junk", "<bad id@x>",
       "<" + "z" * 90 + "@long.example>", "<=?x?=@y>"]
ZONES = [timezone.utc, ZoneInfo("America/Chicago"), timezone(timedelta(hours=5, minutes=30)),
         timezone(timedelta(hours=-11)), timezone(timedelta(seconds=30)), None]


def _outcome(fn: Callable[..., str], *args: object) -> str | type[Exception]:
    try:
        return fn(*args)
    except Exception as error:  # noqa: BLE001 - both must fail the same way
        return type(error)


def _case(rng: random.Random) -> tuple[OutgoingEmail, str, str, str, datetime]:
    refs = tuple(rng.choice([i for i in IDS if i]) if rng.random() < 0.9
                 else " ".join(f"<r{k}@chain.example>" for k in range(rng.randint(1, 14)))
                 for _ in range(rng.choice([0, 0, 1, 2, 5, 12])))
    email = OutgoingEmail(
        to=rng.choice(ADDRESSES), subject=rng.choice(SUBJECTS) if rng.random() < 0.6 else
        " ".join(rng.choice(WORDS)[:rng.choice([3, 8, 40, 70, 80])]
                 for _ in range(rng.randint(1, 30))), text=rng.choice(BODIES),
        in_reply_to=rng.choice(IDS), references=refs,
        auto_submitted=rng.choice(["auto-replied", "auto-generated"]))
    zone = rng.choice(ZONES)
    at = datetime(rng.choice([1999, 2026, 2038]), rng.randint(1, 12), rng.randint(1, 28),
                  rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                  rng.randint(0, 999_999), tzinfo=zone)
    message_id = rng.choice(["<123.456.789@desk.example>", "<x@[192.0.2.1]>",
                             "<" + "1" * 80 + "@desk.example>", "<a b@x>"])
    return email, rng.choice(SENDERS), rng.choice(NAMES), message_id, at


def test_render_writes_what_email_message_writes_for_varied_input() -> None:
    rng = random.Random(20)
    direct = 0
    for _ in range(3000):
        args = _case(rng)
        ours = _outcome(render, *args)
        assert ours == _outcome(stdlib_render, *args), args
        direct += isinstance(ours, str)
    assert direct > 2500  # most cases render, and are compared as text


@pytest.mark.parametrize("length", range(60, 90))
def test_subject_at_the_folding_edge(length: int) -> None:
    at = datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc)
    for subject in ("s" * length, "Re: " + "ab " * (length // 3), "w" * (length - 5) + " tail"):
        email = OutgoingEmail(to="jane@example.com", subject=subject, text="hi",
                              in_reply_to="<a@b>")
        args = (email, "support@desk.example", "Desk", "<1.2@desk.example>", at)
        assert render(*args) == stdlib_render(*args)


def test_rendered_mail_reads_back() -> None:
    email = OutgoingEmail(to="o'brien+tag@example.com", subject="Re: Imprimante cassée " * 5,
                          text="Bonjour José,\nvoilà.", in_reply_to="<a@b.example>")
    raw = render(email, "support@desk.example", "Desk, Inc.", "<1.2@desk.example>",
                 datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc))
    msg = message_from_string(raw, policy=policy.default)
    assert msg["To"] == "o'brien+tag@example.com"
    assert msg["Subject"] == ("Re: Imprimante cassée " * 5).strip()
    assert msg["From"].addresses[0].display_name == "Desk, Inc."
    assert msg.get_content().replace("\r\n", "\n") == "Bonjour José,\nvoilà.\n"
    assert all(len(line) <= 78 for line in raw.split("\r\n\r\n")[0].split("\r\n"))
