"""Outgoing mail: built once, with every header checked, and queued in the outbox.

The outbox item (kind "email") carries the finished message in `payload["raw"]`, so the
sender sends exactly those bytes, and a message re-sent after a crash keeps its
Message-ID. The Message-ID is also kept on the outbox row, so an answer's In-Reply-To
finds the ticket or rejection it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from parsers.msgid import strict_ids
from parsers.mailpolicy import SMTP
from store import Store
from store.models import OutboxKind

EMAIL_KIND = OutboxKind.EMAIL
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SMTP = SMTP.clone(max_line_length=78)  # header classes made once (parsers.mailpolicy)


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
    """The finished RFC 5322 message, as ASCII text with CRLF line ends."""
    msg = EmailMessage(policy=_SMTP)
    local, _, domain = sender.partition("@")
    # As text, the same every time: parsed once (parsers.mailpolicy keeps it). The Address
    # checks and quotes the name; an Address given is parsed again from this same text.
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
        # RFC 5322 3.6.4: keep the first and the most recent ids when the chain is long.
        kept = references if len(references) <= 10 else [references[0], *references[-9:]]
        msg["References"] = " ".join(kept)
    msg["Auto-Submitted"] = email.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office answers back
    # Quoted-printable keeps the .eml readable for an operator even with accents.
    msg.set_content(email.text, cte="7bit" if email.text.isascii() else "quoted-printable")
    return msg.as_string()


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
