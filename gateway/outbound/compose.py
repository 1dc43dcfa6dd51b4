"""Outgoing mail: built once, with every header checked, and queued in the outbox.

The outbox item (kind "email") carries the finished message in `payload["raw"]`, so the
sender sends exactly those bytes, and a message re-sent after a crash keeps its
Message-ID. The Message-ID is also kept on the outbox row, so an answer's In-Reply-To
finds the ticket or rejection it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.quoprimime import body_encode
from email.utils import format_datetime, make_msgid

from parsers.msgid import STRICT, strict_ids
from parsers.mailpolicy import SMTP
from store import Store
from store.models import OutboxKind

EMAIL_KIND = OutboxKind.EMAIL
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_WIDTH = 78
_SMTP = SMTP.clone(max_line_length=_WIDTH)  # header classes made once (parsers.mailpolicy)


@dataclass(frozen=True)
class OutgoingEmail:
    """A mail the desk sends: a reply, an acknowledgement or a notification."""

    to: str
    subject: str
    text: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # RFC 3834: "auto-replied" for answers to a message, "auto-generated" otherwise.
    auto_submitted: str = "auto-replied"


def one_line(value: str, limit: int = 200) -> str:
    """Text from outside made safe for a header: no CR, LF or other control characters."""
    return _CONTROL.sub(" ", value).strip()[:limit]


def message_ids(value: str | None) -> list[str]:
    """The RFC 5322 msg-ids in a header value, in order (nothing else from outside reaches
    In-Reply-To or References: no control characters, no spaces)."""
    return strict_ids(value)


def render(email: OutgoingEmail, sender: str, sender_name: str, message_id: str,
           at: datetime) -> str:
    """The finished RFC 5322 message, as ASCII text with CRLF line ends: the bytes the
    standard library's `EmailMessage` (policy SMTP, 78 columns) writes for it."""
    parents = message_ids(email.in_reply_to)
    references = [ref for value in email.references for ref in message_ids(value)]
    if parents and parents[0] not in references:
        references.append(parents[0])
    # RFC 5322 3.6.4: keep the first and the most recent ids when the chain is long.
    kept = references if len(references) <= 10 else [references[0], *references[-9:]]
    ascii_text = email.text.isascii()
    return "".join([
        _from_line(sender_name, sender),
        _line("To", one_line(email.to), _PLAIN_ADDRESS),
        _line("Subject", one_line(email.subject, 250), _PLAIN_TEXT),
        _date_line(at),
        _line("Message-ID", message_id, STRICT),
        _line("In-Reply-To", parents[0], _PLAIN_TEXT) if parents else "",
        _line("References", " ".join(kept), _PLAIN_TEXT) if kept else "",
        _line("Auto-Submitted", email.auto_submitted, _PLAIN_TEXT),
        # Exchange: no out-of-office answers back.
        "X-Auto-Response-Suppress: All\r\n",
        # Quoted-printable keeps the .eml readable for an operator even with accents.
        _TEXT_HEADERS if ascii_text else _QP_HEADERS,
        "\r\n",
        _body(email.text, ascii_text),
    ])


# Writing a header through EmailMessage parses the value into a header object and folds
# it again (about 40 microseconds each). A value that is one line of plain ASCII words, or
# a plain address or message id, that fits in 78 columns comes out exactly as it went in,
# so it is written as it is; anything else (non-ASCII, encoded-word look-alikes, quoting,
# folding) goes through the standard library's own parse and fold.
_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_PLAIN_TEXT = re.compile(r"[!-~]+(?: [!-~]+)*")  # printable ASCII words, one space apart
_NEVER = re.compile(r"(?!)")  # matches nothing: always parsed and folded
_NEWLINE = re.compile(r"\r\n|\r|\n")  # as email.generator splits a body into lines
_TEXT_HEADERS = ('Content-Type: text/plain; charset="utf-8"\r\n'
                 "Content-Transfer-Encoding: 7bit\r\nMIME-Version: 1.0\r\n")
_QP_HEADERS = ('Content-Type: text/plain; charset="utf-8"\r\n'
               "Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n")
_FROM: dict[tuple[str, str], str] = {}  # the desk's From line, per name and address


def _line(name: str, value: str, plain: re.Pattern[str]) -> str:
    """`name: value` folded as EmailMessage folds it under the SMTP policy."""
    if "=?" not in value and plain.fullmatch(value):
        if len(name) + 2 + len(value) <= _WIDTH:
            return f"{name}: {value}\r\n"
        if plain is _PLAIN_TEXT:
            words = _fold_words(name, value)
            if words is not None:
                return words
    folded: str = _SMTP.fold(name, _SMTP.header_store_parse(name, value)[1])
    return folded


def _fold_words(name: str, value: str) -> str | None:
    """Plain ASCII words too long for one line, folded as the standard library folds an
    unstructured header: the whole value on a line of its own when it fits there, else
    as many words on each line as fit; None when a word is too long for any line (the
    library then writes encoded words)."""
    if len(value) + 1 <= _WIDTH:
        return f"{name}:\r\n {value}\r\n"
    lines = [f"{name}:"]
    for word in value.split(" "):
        if len(word) + 1 > _WIDTH:
            return None
        if len(lines[-1]) + 1 + len(word) <= _WIDTH:
            lines[-1] += " " + word
        else:
            lines.append(" " + word)
    return "\r\n".join(lines) + "\r\n"


def _from_line(sender_name: str, sender: str) -> str:
    """The From line: the same for every mail of one desk, so made once."""
    line = _FROM.get((sender_name, sender))
    if line is None:
        local, _, domain = sender.partition("@")
        # The Address checks and quotes the name; its text is parsed again as a header.
        value = str(Address(one_line(sender_name), local, domain))
        line = _FROM[(sender_name, sender)] = _line("From", value, _NEVER)
    return line


def _date_line(at: datetime) -> str:
    """The Date line; a date header is read back into a datetime and written again, which
    gives the same text for a zone of whole minutes."""
    offset = at.utcoffset()
    if offset is not None and not offset % timedelta(minutes=1) and at.year >= 1900:
        return f"Date: {format_datetime(at)}\r\n"
    return _line("Date", format_datetime(at), _NEVER)


def _body(text: str, ascii_text: bool) -> str:
    """The body as EmailMessage.set_content encodes it (7bit for ASCII, else
    quoted-printable of UTF-8), with CRLF line ends."""
    data = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    payload = data.decode("ascii") if ascii_text else body_encode(data.decode("latin-1"), _WIDTH)
    return "\r\n".join(_NEWLINE.split(payload))


def queue_email(
    store: Store,
    sender: str,
    sender_name: str,
    email: OutgoingEmail,
    at: datetime,
    ticket_id: int | None = None,
    dedupe_key: str | None = None,
) -> str | None:
    """Build the mail and queue it; return its Message-ID, or None if `dedupe_key`
    already queued one."""
    message_id = make_msgid(domain=sender.partition("@")[2] or None)
    raw = render(email, sender, sender_name, message_id, at)
    payload = {"from": sender, "to": one_line(email.to), "subject": one_line(email.subject, 250),
               "raw": raw}
    item = store.outbox.enqueue(EMAIL_KIND, one_line(email.to), payload, at,
                                ticket_id=ticket_id, dedupe_key=dedupe_key,
                                message_id=message_id)
    return message_id if item is not None else None
