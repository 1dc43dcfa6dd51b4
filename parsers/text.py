"""Body text: HTML rendered to readable text, and a reply split into its new text, the
quoted history (replies, forwards) and the signature."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

from inscriptis import get_text
from mailparser_reply.parser import EmailMessage as ReplyReader

# Past these sizes the rest is kept but not rendered or searched: the new text of a real
# message is short, and both libraries are regular-expression and tree heavy.
# inscriptis lays tables out in time that grows with their cells (a 500 KB table of
# 50,000 cells: 1.1 s); real HTML mail is under 60 KB with under 200 cells (shared corpus).
MAX_HTML_CHARS = 256_000
MAX_HTML_CELLS = 2_000  # more table cells than this: the tags are stripped instead
MAX_REPLY_CHARS = 64_000
# What the field finders read of the new text (and of the sender's own quoted message):
# real requests are a few KB (the longest in the shared corpus 62 KB of test junk, the
# 99th percentile 3 KB), and phone matching, names and prose cost time per line.
MAX_FIELD_LINES = 400
MAX_FIELD_CHARS = 16_000
_CELL = re.compile(r"<t[dh][\s>/]", re.IGNORECASE)
_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs", "ja", "zh", "ko"]
# Forward markers the reply library does not know: Gmail's, Apple Mail's and a bare
# "Forwarded message" line.
_FORWARD = re.compile(  # [ \t], not \s: from each of many blank lines \s* rescans them all
    r"^[ \t]*(?:-{2,}[ \t]*Forwarded message[ \t]*-{2,}|Begin forwarded message:|"
    r"-{2,}[ \t]*Original Message[ \t]*-{2,})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# The same after a "\n": a marker line holds no newline, so the first marker is the one at
# the text's start or the first after a newline (found fast: `^` is tried at every character).
_FORWARD_AFTER_NEWLINE = re.compile("\n" + _FORWARD.pattern.removeprefix("^"), _FORWARD.flags)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_HEADER_LINE = re.compile(r"^\s*(?:from|de|von|date|sent|to|cc|subject|envoyé|gesendet|"
                          r"an|à|objet|betreff|asunto|enviado|para)\s*:", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"(wrote|écrit|schrieb|escribió|scritto|написал|skrev|napisał)\s*:\s*$",
                          re.IGNORECASE)


# Where a match of the reply library's header or signature patterns can begin: each of their
# alternatives starts with `^`, `\n` or `\s*^` (and the text it sees has every line
# stripped), except Danish's optional "-----Oprindelig meddelelse-----" which may start
# mid-line. Trying the patterns only there gives the same matches as the library's own
# scan of every character, about forty times faster on ordinary mail.
_MID_LINE_STARTS = re.compile(r"-----oprindelig meddelelse-----", re.IGNORECASE)
# Every header alternative has a colon within its first four lines, or is a separator
# line, which holds "-----" (found with str.find: a pattern with IGNORECASE alternatives
# tries each of them at every character, 60 us on a 5 KB request).
_HEADER_HINTS = (":", "：", "-----")
_HEADER_LINES = 4
# How the library's signature pattern ends: every character to the end of the text, which
# it matches one group repetition at a time (about 20 ns a character). Whenever the rest of
# the pattern matches, so does this, up to the end: the match is the text from its start.
_TO_THE_END = r"(.|\s)*)"


class _Rest:
    """A match that runs to the end of the text, as far as the library reads it."""

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.start = start

    def group(self) -> str:
        """As `Match.group()`: the text the match covers."""
        return self.text[self.start:]


class _AtLineStarts:
    """The library's pattern, tried only where a match can begin (see above)."""

    def __init__(self, pattern: re.Pattern[str], needs_colon: bool = False,
                 first: re.Pattern[str] | None = None) -> None:
        self.pattern = pattern
        self.pattern_text = pattern.pattern
        self.needs_colon = needs_colon
        self.first = first  # where a match's first line can start, when that is known
        # The same tried only after a "\n" (a literal found fast), not at every character
        # as `^` with MULTILINE is: a third of its time on ordinary mail.
        self.first_after_newline = (None if first is None else
                                    re.compile("\n" + first.pattern.removeprefix("^"),
                                               first.flags))
        self.head = (re.compile(pattern.pattern[:-len(_TO_THE_END)] + ")", pattern.flags)
                     if pattern.pattern.endswith(_TO_THE_END) else None)

    def _starts(self, text: str) -> list[int]:
        lines = [0, *accumulate(len(line) + 1 for line in text.split("\n"))]  # + len + 1
        starts = {m.start() for m in _MID_LINE_STARTS.finditer(text)}
        wanted: Iterable[int]  # the lines where a match may begin
        if self.needs_colon:
            # A header holds a colon within its first lines (wrote:, From:, 日:) unless it
            # is a separator line: only the lines up to _HEADER_LINES above one can start it.
            wanted = set()
            for hint in _HEADER_HINTS:
                at = text.find(hint)
                while at >= 0:
                    line = bisect_right(lines, at) - 1
                    wanted.update(range(max(0, line - _HEADER_LINES + 1), line + 1))
                    at = text.find(hint, lines[line + 1])  # the next line on
        elif self.first is not None:
            # A match's first line that is not blank opens as `first` says; the blank lines
            # just above it may start the match too (`\s*^`, `\n{2,}`).
            wanted = set()
            for found in self._line_openings(text):
                line = bisect_right(lines, found.end() - 1) - 1
                wanted.add(line)
                while line and lines[line] - lines[line - 1] == 1:
                    line -= 1
                    wanted.add(line)
        else:
            wanted = range(len(lines) - 1)
        for n in wanted:
            begin = lines[n]
            # Inside a run of blank lines a match cannot begin where it could not have begun
            # at the run's first line: every alternative that may start on a blank line
            # opens with `\s*^` or `\n{2,}`, which from there reach as far. Trying each
            # blank line again rescanned the rest of the run: quadratic in its length.
            if n and lines[n + 1] - begin == 1 and begin - lines[n - 1] == 1:
                continue
            starts.update((begin - 1, begin) if begin else (begin,))
        return sorted(starts)

    def _line_openings(self, text: str) -> Iterator[re.Match[str]]:
        """The matches of `first` (at line starts, none holding a newline)."""
        assert self.first is not None and self.first_after_newline is not None
        at_start = self.first.match(text)
        if at_start is not None:
            yield at_start
        yield from self.first_after_newline.finditer(text)

    def findall(self, text: str) -> list[Any]:
        """As `Pattern.findall`: the groups of each non-overlapping match, leftmost first."""
        found: list[Any] = []
        groups = self.pattern.groups
        after = 0
        for start in self._starts(text):
            if start < after:
                continue
            match = self.pattern.match(text, start)
            if match is None:
                continue
            found.append(match.groups("") if groups > 1 else match.group(groups))
            after = match.end() if match.end() > start else start + 1
        return found

    def search(self, text: str) -> re.Match[str] | _Rest | None:
        """As `Pattern.search`: the leftmost match."""
        for start in self._starts(text):
            if self.head is not None:
                if self.head.match(text, start) is not None:
                    return _Rest(text, start)
                continue
            match = self.pattern.match(text, start)
            if match is not None:
                return match
        return None


class _NeedsMail:
    """The library's disclaimer pattern, which ends in "mail" (any case) that every match
    holds: a text without it is not scanned (a scan of every character, about 80 us on an
    ordinary request). "ı" and "İ" are an i to IGNORECASE but not to str.lower: a text
    holding one is scanned."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def findall(self, text: str) -> list[Any]:
        """As `Pattern.findall`."""
        if "ı" not in text and "İ" not in text and "mail" not in text.lower():
            return []
        return self.pattern.findall(text)


def _signature_openings(reader: ReplyReader) -> re.Pattern[str]:
    """Where a match of the library's signature pattern can have its first line that is not
    blank: each alternative, after `\\s*^` and the quote marks `(?:> ?)*`, opens with a "--"
    or "__" line, a line of 32 "_" or "-", or one of the "Sent from" or sign-off phrases
    (its own pieces, with its flags, so "ſ" is an s here as there)."""
    def phrases(key: str) -> str:
        found = (reader._get_language_regex(language=language, regex_key=key)
                 for language in reader.languages)
        return "|".join(p for p in found if p)
    return re.compile(rf"^(?:> ?)*(?: ?[-_]{{2}}|(?:{phrases('sent_from')})|"
                      rf"(?:{phrases('signatures')}))", re.MULTILINE | re.IGNORECASE)


def _patterns() -> dict[str, Any]:
    """The library's patterns for our languages, compiled once for every message."""
    reader = ReplyReader(text="", languages=list(_LANGUAGES), keep_hyphen_lists=True)
    return {"_header_regex": _AtLineStarts(reader.HEADER_REGEX, needs_colon=True),
            "_signature_regex": _AtLineStarts(reader.SIGNATURE_REGEX,
                                              first=_signature_openings(reader)),
            "_disclaimers_regex": _NeedsMail(reader.DISCLAIMERS_REGEX)}


_PATTERNS = _patterns()


class _Reader(ReplyReader):  # type: ignore[misc]  # the library is untyped
    """The library's reader, normalising the text as it does, but without its scan for an
    Outlook separator (about 25 us a request, most of its normalising) in a text that
    cannot hold one: 32 "_" or "-" in a row need two of them side by side, and stripping
    lines never puts two side by side."""

    text: str  # the library's field, declared for the type checker

    def _normalize_text(self) -> None:
        if any(pair in self.text for pair in ("--", "__", "-_", "_-")):
            super()._normalize_text()
            return
        text = self.text.replace("\r\n", "\n")
        self.text = "\n".join([line.strip() for line in text.split("\n")])


@dataclass(frozen=True)
class ReplyParts:
    """A message body split into what the sender just wrote and what came before."""

    new: str
    quoted: str
    signature: str
    quoted_from: str | None = None  # who wrote the first quoted part: an address, or the
    # name alone when its header gives no address ("From: Jill Porter")
    first_quoted: str = ""  # that part's own text, without '>' marks or header lines


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (tables, lists and line breaks kept)."""
    head, rest = html[:MAX_HTML_CHARS], html[MAX_HTML_CHARS:]
    if len(_CELL.findall(head)) > MAX_HTML_CELLS:
        return re.sub(r"<[^>]*>", " ", head) + (
            "\n[... rest of the HTML body not rendered]" if rest else "")
    try:
        text = str(get_text(head))
    except (ValueError, TypeError, RecursionError):
        # inscriptis gives up on some broken documents: strip the tags instead.
        text = re.sub(r"<[^>]*>", " ", head)
    return text + ("\n[... rest of the HTML body not rendered]" if rest else "")


def _strip_quoted_lines(text: str) -> tuple[str, str]:
    """Lines quoted with '>' (and the attribution line above them) moved out."""
    if ">" not in text and ("@" not in text or ":" not in text):
        # No line is quoted, and an attribution line needs a '>' line below it or an
        # address, and a colon: nothing moves.
        return text.strip(), ""
    lines = text.split("\n")
    keep: list[str] = []
    quoted: list[str] = []
    following_of = [""] * len(lines)  # the next non-blank line after each line
    following = ""
    for index in range(len(lines) - 1, -1, -1):
        following_of[index] = following
        if lines[index].strip():
            following = lines[index]
    for index, line in enumerate(lines):
        following = following_of[index]
        if line.lstrip().startswith(">"):
            quoted.append(line)
        elif (following.lstrip().startswith(">") or "@" in line) and (
                line.rstrip().endswith(":") or _ATTRIBUTION.search(line)):  # cheap tests first
            # An attribution wrapped over two lines ("On ... <bob@x" / "bob@x> wrote:").
            if keep and ("@" in keep[-1] or keep[-1].rstrip().endswith("<")):
                quoted.append(keep.pop())
            quoted.append(line)
        else:
            keep.append(line)
    return "\n".join(keep).strip(), "\n".join(quoted).strip()


def _dequoted(text: str) -> str:
    """A quoted part's own words: '>' marks, header lines and the forward marker removed."""
    lines = [re.sub(r"^\s*(?:>\s?)+", "", line) for line in text.split("\n")]
    body = [ln for ln in lines if not _HEADER_LINE.match(ln) and not _FORWARD.match(ln)]
    return "\n".join(body).strip()


def _first_quoted(headers: str, quoted_lines: str, earlier: list[str], history: str
                  ) -> tuple[str | None, str]:
    """Who wrote the first quoted part (an address), and its text."""
    if quoted_lines:
        head = "\n".join(ln for ln in quoted_lines.split("\n")[:3] if not ln.lstrip(
            ).startswith(">") or _ATTRIBUTION.search(ln))
        found = _ADDRESS.search(head) or _ADDRESS.search(headers)
        return (found.group(0) if found else None), _dequoted(quoted_lines)
    if earlier:
        found = _ADDRESS.search(headers)
        return (found.group(0) if found else None), _dequoted(earlier[0])
    if history:
        top = history.split("\n")[:8]
        line = next((ln for ln in top if re.match(r"\s*(?:from|de|von)\s*:", ln, re.IGNORECASE)),
                    "")
        found = _ADDRESS.search(line)
        author = found.group(0) if found else (line.partition(":")[2].strip() or None)
        parts = [p for p in _FORWARD.split(history) if p.strip()]
        return author, _dequoted(parts[0] if parts else history)
    return None, ""


def _first_forward(text: str) -> int | None:
    """Where the first forward marker line starts (as `_FORWARD.search`), or None."""
    if _FORWARD.match(text) is not None:
        return 0
    found = _FORWARD_AFTER_NEWLINE.search(text)
    return None if found is None else found.start() + 1


def split_reply(text: str) -> ReplyParts:
    """Split a body into new text, quoted history and signature."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    head, tail = text[:MAX_REPLY_CHARS], text[MAX_REPLY_CHARS:]
    forward = _first_forward(head)
    history = ""
    if forward is not None:
        head, history = head[:forward], head[forward:]
    message = _Reader(text=head, languages=list(_LANGUAGES), keep_hyphen_lists=True,
                          **_PATTERNS).read()
    first = message.replies[0] if message.replies else None
    new = first.body if first else ""
    signature = first.signatures if first else ""
    earlier = [r.full_body for r in message.replies[1:]]
    new, quoted_lines = _strip_quoted_lines(new)
    quoted = "\n\n".join(p for p in [quoted_lines, *earlier, history.strip(), tail] if p)
    headers = message.replies[1].headers if len(message.replies) > 1 else ""
    author, first = _first_quoted(str(headers or ""), quoted_lines, earlier, history.strip())
    return ReplyParts(new=new.strip(), quoted=quoted.strip(), signature=signature.strip(),
                      quoted_from=author, first_quoted=first)


def _head(text: str, lines: int, chars: int) -> str:
    head = text[:chars]
    cut = -1
    for _ in range(lines):
        cut = head.find("\n", cut + 1)
        if cut < 0:
            return head
    return head[:cut]


def bounded(parts: ReplyParts) -> ReplyParts:
    """The parts as far as the field finders read them (MAX_FIELD_LINES, MAX_FIELD_CHARS)."""
    return replace(parts, new=_head(parts.new, MAX_FIELD_LINES, MAX_FIELD_CHARS),
                   signature=_head(parts.signature, 60, 4_000),
                   first_quoted=_head(parts.first_quoted, MAX_FIELD_LINES, MAX_FIELD_CHARS))
