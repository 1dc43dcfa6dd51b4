"""The DATA of an SMTP message read in the stream's own chunks, not line by line.

aiosmtpd reads DATA with one `readuntil(b"\\r\\n")` per line on the event loop: a 20 MB
attachment is some 270,000 awaits and Python-level checks, about a second of the loop's
time per message, while every other session waits for its turn. Here the end mark is found
with `readuntil(b".\\r\\n")`, which searches the whole buffer in C: a base64 attachment
(never a dot at a line's end) is taken a buffer at a time, a text line ending in a full
stop costs one read. The result is what aiosmtpd's own loop gives, byte for byte: the same
dot-unstuffing, the same size and line-length limits (552 and 500, answered once the data
is drained), the same `original_content`.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, field

END = b".\r\n"  # the end mark, when it opens a line


class Fault(enum.Enum):
    """Why the data read is not kept (aiosmtpd's answers: see mail/listener.py)."""

    TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
    TOO_MUCH = "552 Error: Too much mail data"


@dataclass
class _Reading:
    size_limit: int | None
    line_limit: int  # the longest line taken, its CRLF included (aiosmtpd's 1001)
    pieces: list[bytes] = field(default_factory=list)
    size: int = 0
    line: int = 0  # bytes of the line still open (no CRLF read yet)
    cr: bool = False  # what was read so far ends with a CR (a CRLF may straddle two reads)
    fault: Fault | None = None

    def take(self, piece: bytes) -> None:
        """Count and keep `piece` of the data (its end mark excluded). The first fault
        stands, as in aiosmtpd; a read past the size limit is one, before its lines are
        measured (aiosmtpd would name a line too long that came earlier in the same read:
        both refuse the message, only the reply differs)."""
        self.size += len(piece)
        if self.fault is None and self.size_limit and self.size > self.size_limit:
            self._fail(Fault.TOO_MUCH)
        if self.fault is None and self._longest(piece) > self.line_limit:
            self._fail(Fault.TOO_LONG)
        if self.fault is None:
            self.pieces.append(piece)

    def _longest(self, piece: bytes) -> int:
        """The longest line `piece` ends (its CRLF included); 0 when it ends none."""
        ended = -2  # the longest line this read ends, CRLF not counted (-2: none)
        if self.cr and piece[:1] == b"\n":  # the last read ended within a CRLF
            ended, self.line, piece = self.line - 1, 0, piece[1:]
        lines = piece.split(b"\r\n")
        if len(lines) > 1:
            inner = max(map(len, lines[1:-1]), default=0)  # in C: a line is 80 bytes
            ended = max(ended, self.line + len(lines[0]), inner)
            self.line = len(lines[-1])
        else:
            self.line += len(piece)
        self.cr = piece[-1:] == b"\r"
        return ended + 2

    def _fail(self, fault: Fault) -> None:
        self.fault = fault
        self.pieces.clear()  # as aiosmtpd: nothing more is kept, the rest is only drained

    def content(self) -> bytes:
        """The message: each line's leading dot removed (RFC 5321 4.5.2)."""
        data = b"".join(self.pieces)
        self.pieces.clear()
        unstuffed = data.replace(b"\r\n.", b"\r\n")
        return unstuffed[1:] if unstuffed[:1] == b"." else unstuffed


async def read_data(reader: asyncio.StreamReader, size_limit: int | None,
                    line_limit: int) -> bytes | Fault:
    """Read up to and including the end mark (`<CRLF>.<CRLF>`, or `.<CRLF>` at once), never
    past it: what follows is the client's next command. The content, or why it is refused."""
    reading = _Reading(size_limit, line_limit)
    before = b"\r\n"  # the last two bytes read: the data starts a line
    while True:
        try:
            piece = await reader.readuntil(END)
        except asyncio.LimitOverrunError as exc:
            # No end mark within the stream's limit: take what cannot hold its start.
            piece = await reader.readexactly(exc.consumed)
            reading.take(piece)
            before = (before + piece)[-2:]
            continue
        if (before + piece[:-3])[-2:] == b"\r\n":  # the dot opens a line: the end
            reading.take(piece[:-3])
            return reading.fault or reading.content()
        reading.take(piece)
        before = piece[-2:]
