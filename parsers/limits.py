"""Bounds on one message, checked on the raw bytes before the standard library parses them.

Python's `email` package has slow paths that a small message can reach: its structured
header parser is quadratic in some tokens (a 40 KB `From: . . .` takes seconds,
CPython gh-136063), copies the rest of a header for each encoded word (a 140 KB run of
them in `From:` needs 1.4 GB), recurses once per nested comment, and builds an object for
every MIME part (gh-87075). Every header the parser reads structurally (addresses, the
MIME headers of every part, dates, message ids) is measured here first, in one linear
pass, against limits far above real mail (the shared corpus: the longest header 2 KB,
at most 11 parts, 21 recipients); a message over them is refused with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from parsers.errors import LimitError
from parsers.msgid import read_ids

# Each header field where a line may hold one: a name, a colon, the value with its folded
# continuation lines. The body is searched too: nested messages and MIME parts carry
# header blocks of their own that the parser reads.
# The patterns are tried at the text's start and at each "\n" (a literal that the regular
# expression engine finds fast), not at every byte as `^` with MULTILINE is: a third of the
# time on real mail. A name never holds a space, a tab or a colon, so giving none of it
# back (`{1,80}+`) finds the same fields without retrying every shorter name on each line
# of a base64 attachment.
_NAME_VALUE = rb"([!-9;-~]{1,80}+)[ \t]*:(.*(?:\r?\n[ \t].*)*)"
_FIELD_AT_START = re.compile(_NAME_VALUE)
_FIELD = re.compile(rb"\n" + _NAME_VALUE)
_ENCODED_WORD = re.compile(rb"=\?[^?\s]*\?[bqBQ]\?")
# Searched for in the text in lower case (bytes patterns fold ASCII only, as bytes.lower):
# a literal start is found fast, "boundary" with IGNORECASE is tried at every byte.
_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""")
_DELIMITER_AT_START = re.compile(rb"--([^\r\n]{1,204})\r?$", re.MULTILINE)
_DELIMITER = re.compile(rb"\n--([^\r\n]{1,204})\r?$", re.MULTILINE)
_CONTAINER = re.compile(rb"^\s*(?:\([^)]*\)\s*)*(?:multipart|message)\s*/", re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")

KB = 1024


@dataclass(frozen=True)
class Limits:
    """How much of each kind one message may hold (defaults: far above real mail)."""

    sender_header: int = 2 * KB  # From, Sender, Reply-To, Resent-From, Resent-Sender
    recipient_header: int = 8 * KB  # To, Cc, Bcc and their Resent- forms
    addresses: int = 500  # addresses (one more than the , and ; separators) in one header
    mime_header: int = 4 * KB  # Content-Type, Content-Disposition
    parameters: int = 64  # parameters (one for each ;) of one MIME header
    mime_total: int = 16 * KB  # Content-Type and Content-Disposition of all parts together
    short_header: int = 256  # Content-Transfer-Encoding, MIME-Version, Date
    message_id: int = 1 * KB
    reply_chain: int = 64 * KB  # In-Reply-To, References
    any_header: int = 64 * KB  # every other field, folded lines included
    header_fields: int = 1000  # fields in the top header block
    encoded_words: int = 200  # RFC 2047 words in one field
    address_encoded_words: int = 50  # in one address header
    comments: int = 32  # "(" in one structured header (each may nest)
    parts: int = 500  # MIME parts: boundary lines and Content-Type fields
    containers: int = 64  # multipart and message parts (each a level of nesting)


DEFAULT_LIMITS = Limits()

_SENDERS = frozenset({b"from", b"sender", b"reply-to", b"resent-from", b"resent-sender"})
_RECIPIENTS = frozenset({b"to", b"cc", b"bcc", b"resent-to", b"resent-cc", b"resent-bcc"})
_MIME = frozenset({b"content-type", b"content-disposition"})
_SHORT = frozenset({b"content-transfer-encoding", b"mime-version", b"date", b"resent-date",
                    b"orig-date"})
_IDS = frozenset({b"in-reply-to", b"references"})


def _size_limit(name: bytes, limits: Limits) -> int:
    if name in _SENDERS:
        return limits.sender_header
    if name in _RECIPIENTS:
        return limits.recipient_header
    if name in _MIME:
        return limits.mime_header
    if name in _SHORT:
        return limits.short_header
    if name == b"message-id":
        return limits.message_id
    if name in _IDS:
        return limits.reply_chain
    return limits.any_header


def _field_problem(name: bytes, value: bytes, limits: Limits) -> str | None:
    """What is wrong with one header field, or None."""
    shown, name = name.decode("ascii", "replace"), name.lower()
    size = len(value)
    if size > _size_limit(name, limits):
        return f"{shown} header of {size:,} bytes (limit {_size_limit(name, limits):,})"
    words = len(_ENCODED_WORD.findall(value)) if b"=?" in value else 0
    address = name in _SENDERS or name in _RECIPIENTS
    most_words = limits.address_encoded_words if address else limits.encoded_words
    if words > most_words:
        return f"{shown} header with {words:,} encoded words (limit {most_words:,})"
    structured = address or name in _MIME or name in _SHORT or name == b"message-id"
    if structured and value.count(b"(") > limits.comments:
        return f"{shown} header with {value.count(b'('):,} comments (limit {limits.comments})"
    if address:
        count = value.count(b",") + value.count(b";") + 1
        if count > limits.addresses:
            return f"{shown} header with {count:,} addresses (limit {limits.addresses:,})"
    if name in _MIME and value.count(b";") > limits.parameters:
        return (f"{shown} header with {value.count(b';'):,} parameters "
                f"(limit {limits.parameters})")
    return None


def header_block(raw: bytes) -> bytes:
    """The top header block of a message: everything before the first blank line."""
    end = _BLANK_LINE.search(raw)
    return raw[: end.start()] if end else raw


def over_limits(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why the message is beyond what one message may hold, or None when it is within."""
    fields = 0
    head_end = len(header_block(raw))
    # A value this short is within every size limit, and holds no more encoded words,
    # comments, parameters or addresses than it has bytes: it cannot be over any limit.
    quiet = min(limits.sender_header, limits.recipient_header, limits.mime_header,
                limits.short_header, limits.message_id, limits.reply_chain, limits.any_header,
                limits.address_encoded_words, limits.encoded_words, limits.comments,
                limits.parameters, limits.addresses - 1)
    content_types = containers = mime = 0
    for match in _fields(raw):
        name = match.group(1).lower()
        value = match.group(2).rstrip(b"\r")
        if match.start(1) < head_end:
            fields += 1
        if name == b"content-type":
            content_types += 1
            containers += bool(_CONTAINER.match(value))
        if name in _MIME:
            mime += len(value)
        problem = _field_problem(match.group(1), value, limits) if len(value) > quiet else None
        if problem:
            return problem
    if fields > limits.header_fields:
        return f"{fields:,} header fields (limit {limits.header_fields:,})"
    parts = max(content_types, _opened_parts(raw) + 1)
    if parts > limits.parts:
        return f"{parts:,} MIME parts (limit {limits.parts:,})"
    if containers > limits.containers:
        return f"{containers:,} nested multipart or message parts (limit {limits.containers})"
    if mime > limits.mime_total:
        return f"{mime:,} bytes of MIME headers (limit {limits.mime_total:,})"
    return None


def _at_line_starts(raw: bytes, at_start: re.Pattern[bytes], after_newline: re.Pattern[bytes]
                    ) -> Iterator[re.Match[bytes]]:
    """The matches of a pattern at the start of a line, as `^` with MULTILINE finds them."""
    first = at_start.match(raw)
    if first is not None:
        yield first
    yield from after_newline.finditer(raw)


def _fields(raw: bytes) -> Iterator[re.Match[bytes]]:
    """Every line that may be a header field, as a match: group 1 its name, 2 its value."""
    return _at_line_starts(raw, _FIELD_AT_START, _FIELD)


def _opened_parts(raw: bytes) -> int:
    """Boundary lines that open a part (each one a part the parser builds)."""
    if b"--" not in raw:
        return 0
    lower = raw.lower()  # the same length: each match's place is the same in `raw`
    boundaries = {raw[m.start(1):m.end(1)] if m.start(1) >= 0 else raw[m.start(2):m.end(2)]
                  for m in _BOUNDARY.finditer(lower)}
    if not boundaries:
        return 0
    return sum(1 for m in _at_line_starts(raw, _DELIMITER_AT_START, _DELIMITER)
               if m.group(1).rstrip(b" \t") in boundaries)


def check_limits(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise LimitError (a MessageError) when the message is beyond `limits`."""
    problem = over_limits(raw, limits)
    if problem:
        raise LimitError(f"message over the parsing limits: {problem}")


_MESSAGE_ID_FIELD = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)",
                               re.IGNORECASE | re.MULTILINE)


def first_message_id(raw: bytes) -> str | None:
    """The Message-ID as `<id>`, read cheaply from the top header block (no parsing), so a
    message seen before is recognised before any work is spent on it; None when absent."""
    found = _MESSAGE_ID_FIELD.search(header_block(raw)[:1_048_576])
    if found is None:
        return None
    ids = read_ids(found.group(1)[:2048].decode("utf-8", "replace"))
    return ids[0] if ids else None
