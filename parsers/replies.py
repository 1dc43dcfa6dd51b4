"""The reply library (mail-parser-reply) as split_reply uses it: its own patterns for our
languages, tried only where a match can begin, and its reader without work that cannot
change its result. Every answer is the one the library's own scan gives."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import Any

from mailparser_reply.parser import EmailMessage as ReplyReader

LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs", "ja", "zh", "ko"]

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
    reader = ReplyReader(text="", languages=list(LANGUAGES), keep_hyphen_lists=True)
    return {"_header_regex": _AtLineStarts(reader.HEADER_REGEX, needs_colon=True),
            "_signature_regex": _AtLineStarts(reader.SIGNATURE_REGEX,
                                              first=_signature_openings(reader)),
            "_disclaimers_regex": _NeedsMail(reader.DISCLAIMERS_REGEX)}


PATTERNS = _patterns()


class Reader(ReplyReader):  # type: ignore[misc]  # the library is untyped
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


def read_replies(text: str) -> Any:
    """The library's reading of a body: its replies, each with headers and signature."""
    return Reader(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True,
                  **PATTERNS).read()
