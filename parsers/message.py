"""Raw RFC 5322 bytes -> a parsed message: decoded headers, addresses, body text, attachments.

Any input gives a result: headers that will not decode are recovered as well as they can
be, unknown charsets fall back to UTF-8 or Windows-1252, and what went wrong is listed in
`defects`. Only input that is not a message at all raises `MessageError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from parsers.errors import MessageError
from parsers.limits import check_limits
from parsers.mailboxes import mailboxes
from parsers.msgid import read_ids
from parsers.mailpolicy import DEFAULT
from parsers.text import ReplyParts, html_to_text, split_reply
from parsers.textcodec import decode_bytes, unmangle


_VERBATIM = DEFAULT.clone(refold_source="none")  # what an attached message is saved as


@dataclass(frozen=True)
class Attachment:
    """A file that came with the message."""

    name: str
    content_type: str
    size: int
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class ParsedMessage:
    """What the pipeline needs from one email."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: str | None  # the From address as written (not yet validated)
    sender_name: str
    reply_to: str | None
    recipients: tuple[str, ...]  # To and Cc addresses
    return_path: str | None  # "" for the null path <>, None when absent
    date: datetime | None
    content_type: str
    headers: dict[str, tuple[str, ...]]  # lower-case name -> decoded values
    text: str  # the whole body as text (HTML rendered)
    body: ReplyParts  # the new text, the quoted history and the signature
    attachments: tuple[Attachment, ...]
    part_types: tuple[str, ...]  # every MIME type in the message, outermost first
    defects: tuple[str, ...]
    from_problem: str | None = None  # why a From header gave no address: no sender then

    def header(self, name: str) -> str:
        """The first value of a header, decoded, or ''."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def _decode_header_value(raw: str) -> str:
    # RFC 2047 words in any charset; bytes that were not declared are recovered.
    if raw.isascii() and "=?" not in raw:
        # Nothing to recover (the parser keeps undeclared bytes as non-ASCII surrogates)
        # and no encoded word to decode: what decode_header gives back is the text itself.
        return " ".join(raw.split())
    text = unmangle(raw)
    try:
        pieces = decode_header(text)
    except (UnicodeError, ValueError, AssertionError, IndexError, HeaderParseError):
        return " ".join(text.split())  # e.g. an encoded word whose base64 is cut short
    words = []
    for piece, charset in pieces:
        # An unknown or wrong charset in an encoded word still gives readable text.
        words.append(decode_bytes(piece, charset)[0] if isinstance(piece, bytes) else piece)
    return " ".join("".join(words).split())


def _headers(msg: Message) -> dict[str, tuple[str, ...]]:
    result: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        result.setdefault(name.lower(), []).append(_decode_header_value(str(value)))
    return {name: tuple(values) for name, values in result.items()}


def _message_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for value in values for i in read_ids(value)))


def _date(decoded: dict[str, tuple[str, ...]]) -> datetime | None:
    values = decoded.get("date")
    if not values:
        return None
    try:
        value = parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value if value.tzinfo is not None else None


class _Body:
    """Walks the MIME tree once, collecting text, HTML and attachments."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.types: list[str] = []
        self.defects: list[str] = []
        self._decoded: dict[int, str] = {}  # id(part) -> its text: each part decoded once

    def walk(self, part: Message, depth: int = 0) -> None:
        ctype = part.get_content_type()
        self.types.append(ctype)
        self.defects.extend(type(d).__name__ for d in part.defects)
        if depth > 20:
            self.defects.append("MIME nesting deeper than 20 levels ignored")
            return
        if ctype.startswith("message/"):
            # A forwarded message or a delivery report travels as a file, never as body
            # text: its words are not the sender's.
            self._attach(part, "forwarded.eml" if ctype == "message/rfc822" else "report.txt")
            return
        if part.is_multipart():
            children = [p for p in (part.get_payload() or []) if isinstance(p, Message)]
            if ctype == "multipart/alternative" and children:
                self._alternative(children, depth)
            else:
                for child in children:
                    self.walk(child, depth + 1)
            return
        filename = self._filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if ctype == "text/plain" and disposition != "attachment" and not filename:
            self.plain.append(self._text(part))
        elif ctype == "text/html" and disposition != "attachment" and not filename:
            self.html.append(self._text(part))
        else:
            self._attach(part, filename or "attachment")

    def _alternative(self, children: list[Message], depth: int) -> None:
        # Prefer the richest part the sender meant as equal: plain text when it has words,
        # else whatever else there is (usually HTML).
        plain = [c for c in children if c.get_content_type() == "text/plain"]
        if plain and self._text(plain[-1]).strip():
            self.walk(plain[-1], depth + 1)
            return
        others = [c for c in children if c.get_content_type() != "text/plain"]
        self.walk((others or children)[-1], depth + 1)

    def _text(self, part: Message) -> str:
        if id(part) in self._decoded:
            return self._decoded[id(part)]
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        text, problem = decode_bytes(raw, part.get_content_charset())
        if problem:
            self.defects.append(problem)
        self._decoded[id(part)] = text
        return text

    @staticmethod
    def _filename(part: Message) -> str:
        try:
            name = part.get_filename()
        except (LookupError, UnicodeError, ValueError):
            name = None
        return _decode_header_value(name) if name else ""

    def _attach(self, part: Message, name: str) -> None:
        payload = part.get_payload() if part.is_multipart() else part.get_payload(decode=True)
        if isinstance(payload, list):
            content = b"\n".join(_bytes_of(m) for m in payload if isinstance(m, Message))
        else:
            content = payload if isinstance(payload, bytes) else b""
        self.attachments.append(
            Attachment(name=name, content_type=part.get_content_type(), size=len(content),
                       content=content)
        )


def _bytes_of(msg: Message) -> bytes:
    try:
        # Headers as they came: refolding a long one parses it first, and an attached
        # message's address headers would reach the header parser's slow paths.
        return msg.as_bytes(policy=_VERBATIM)
    except (LookupError, UnicodeError, ValueError, TypeError) as exc:
        # Serialising a broken part can fail; its text is still worth keeping.
        return f"(part could not be serialised: {exc})".encode()


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw message bytes; MessageError only when there is nothing to parse."""
    if not raw.strip():
        raise MessageError("empty input: no headers and no body")
    check_limits(raw)  # before the standard library sees it: its slow paths stay out of reach
    try:
        msg = BytesParser(policy=DEFAULT).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - the parser is documented never to raise
        raise MessageError(f"not an RFC 5322 message: {exc}") from exc
    assert isinstance(msg, EmailMessage)
    decoded = _headers(msg)
    if not decoded:
        raise MessageError("no headers: this is not an RFC 5322 message")
    walker = _Body()
    walker.walk(msg)
    plain = "\n\n".join(t for t in walker.plain if t.strip())
    text = plain if plain.strip() else "\n\n".join(html_to_text(h) for h in walker.html)

    def boxes(name: str) -> tuple[list[tuple[str, str]], str | None]:
        # An absent header has no mailboxes and no problem: skip looking through them all.
        return mailboxes(msg, name) if name.lower() in decoded else ([], None)

    senders, from_problem = boxes("From")
    if not senders and from_problem is None:  # no From at all: the Sender header
        senders = boxes("Sender")[0]
    reply_to = boxes("Reply-To")[0]
    recipients = boxes("To")[0] + boxes("Cc")[0]
    return_path = decoded.get("return-path")
    return ParsedMessage(
        message_id=next(iter(_message_ids(decoded.get("message-id", ()))), None),
        in_reply_to=_message_ids(decoded.get("in-reply-to", ())),
        references=_message_ids(decoded.get("references", ())),
        subject=decoded.get("subject", ("",))[0],
        sender=senders[0][1] if senders else None,
        sender_name=" ".join(senders[0][0].split()) if senders else "",
        reply_to=reply_to[0][1] if reply_to else None,
        recipients=tuple(dict.fromkeys(addr for _, addr in recipients)),
        return_path=(return_path[0].strip("<> ") if return_path else None),
        date=_date(decoded),
        content_type=msg.get_content_type(),
        headers=decoded,
        text=text,
        body=split_reply(text),
        attachments=tuple(walker.attachments),
        part_types=tuple(walker.types),
        defects=tuple(dict.fromkeys(walker.defects)),
        from_problem=from_problem,
    )
