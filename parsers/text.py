"""Body text: HTML rendered to readable text, and a reply split into its new text, the
quoted history (replies, forwards) and the signature."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from inscriptis import get_text

from parsers.replies import read_replies

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
    message = read_replies(head)
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
