"""Phone numbers in what the sender wrote, and whose they are.

Every valid number is found (`phonenumbers`), each read with the first region of the
message's chain in which it is valid (see `parsers.regions`). Then the words around it say
whose it is: the requester's ("call me on", "DDI:", "M:", a signature line), a fax, the
desk's own (any configured line), or somebody else's ("their support line is", "I called
1-800-..."). Only the requester's numbers are call-back numbers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import phonenumbers

from parsers.phones import BlockCache, digit_runs, match_numbers

CALLBACK, FAX, DESK, OTHER = "callback", "fax", "desk", "other"

_FAX_BEFORE = re.compile(r"(?:\bfax\b|\bfacsimile\b|(?:^|[\s|,;(/])f)\s*(?:no\.?|number|#)?"
                         r"\s*[:.]?\s*$", re.IGNORECASE)
_FAX_AFTER = re.compile(r"^\s*[(\[]?\s*(?:fax|facsimile)\b", re.IGNORECASE)
# A label right before the number: the requester's own line.
_LABEL_BEFORE = re.compile(
    r"(?:\b(?:ddi|direct(?:\s+(?:line|dial))?|switchboard|main(?:\s+line)?|cell(?:\s*phone)?|"
    r"mob(?:ile)?|tel(?:ephone)?|phone|ph|office|work|home|landline|call[\s-]?back|"
    r"contact|number|no)|(?:^|[\s|,;(/])[tmocwhp])\s*(?:no\.?|number|#)?\s*[:.]?\s*$",
    re.IGNORECASE)
_SELF = re.compile(
    r"\b(?:me|my|mine|i|i'm|i’m|i am|us|our|ours|we|myself|call[\s-]?back|callback)\b|"
    r"\bfrom\s*$", re.IGNORECASE)
_NOUN = r"(?:number|no\.?|line|lines|desk|help\s*desk|helpdesk|support|hotline|helpline|" \
        r"toll[\s-]?free|800|office|team|switchboard|phone)"
_OTHER = re.compile(
    r"\b(?:their|theirs|they|they're|them|vendor|vendor's|supplier|provider|isp|carrier|"
    r"manufacturer|reseller|landlord|contractor|helpline|hotline|"
    r"your(?:\s+[\w-]+){0,2}\s+" + _NOUN + r"|[a-z]+'s\s+(?:[\w-]+\s+)?" + _NOUN + r"|"
    r"support\s+(?:line|number)|help\s*desk\s+number|"
    r"called|rang|dialled|dialed|phoned|tried\s+(?:calling|ringing|phoning))\b",
    re.IGNORECASE)
_OTHER_AFTER = re.compile(
    r"^[\s)\],.-]*(?:is|was|=|-|–|\()?\s*(?:their|the\s+vendor|the\s+supplier|the\s+isp|"
    r"[a-z]+'s\s+(?:[\w-]+\s+)?" + _NOUN + r"|your\s+" + _NOUN + r")", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;](?:\s|$)|\n\s*\n")


@dataclass(frozen=True)
class FoundNumber:
    """One valid number: E.164 (';ext=N' kept), whose it is, and where it was written."""

    e164: str
    kind: str  # CALLBACK, FAX, DESK or OTHER
    start: int


def _e164(number: phonenumbers.PhoneNumber) -> str:
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{text};ext={number.extension}" if number.extension else text


# A national trunk prefix ("020 ...", "(0)20", "0412"); after a letter ("FS01") it cannot
# start a number: phonenumbers' matcher refuses a number that follows a Latin letter.
_TRUNK = re.compile(r"(?<![A-Za-z\d+])0\d")


def _matches(text: str, regions: Sequence[str], cache: BlockCache | None = None
             ) -> list[tuple[int, int, str]]:
    """(start, end, E.164) of every valid number; each span read with the first region of
    `regions` in which it is valid. The regions after the first read only the runs of lines
    that hold a trunk prefix (what only another region could read) outside the numbers
    found so far."""
    spans: list[tuple[int, int, str]] = []
    runs = digit_runs(text)
    # Where a trunk prefix starts (each in a run: it holds digits, and a run starts a line);
    # the same for every region, so found once. A run's matches lie inside it, so reading one run never covers
    # another's: what a region reads is known before it starts.
    trunks = [offset + t.start() for offset, block in runs for t in _TRUNK.finditer(block)]
    for n, region in enumerate(regions):
        if n:
            trunks = [p for p in trunks if not any(start <= p < end for start, end, _ in spans)]
            if not trunks:
                break  # nothing left that only another region could read
            runs = [(offset, block) for offset, block in runs
                    if any(offset <= p < offset + len(block) for p in trunks)]
        for m_start, m_end, match in match_numbers(text, region, cache, runs):
            if any(m_start < end and start < m_end for start, end, _ in spans):
                continue
            spans.append((m_start, m_end, _e164(match.number)))
    return sorted(spans)


def _kind(label: str, sentence: str, after: str) -> str:
    """Whose number this is: `label` is the text since the previous number on its line,
    `sentence` the text of its sentence before it, `after` the rest of its line."""
    if _FAX_BEFORE.search(label) or _FAX_AFTER.match(after):
        return FAX
    others = list(_OTHER.finditer(sentence))
    selves = list(_SELF.finditer(sentence))
    last_other = others[-1].end() if others else -1
    last_self = selves[-1].end() if selves else -1
    if last_other > last_self:
        return OTHER
    if last_self < 0 and not _LABEL_BEFORE.search(label) and _OTHER_AFTER.match(after):
        return OTHER
    return CALLBACK


def _sentence_before(text: str, start: int) -> str:
    """The words of the sentence that leads up to `start` (at most 300 characters)."""
    window = text[max(0, start - 300):start]
    ends = list(_SENTENCE_END.finditer(window))
    return window[ends[-1].end():] if ends else window


def find_numbers(text: str, regions: Sequence[str], desk_numbers: Collection[str] = (),
                 cache: BlockCache | None = None) -> list[FoundNumber]:
    """Every valid number in `text`, in order, with whose it is; `cache` shares the
    matcher's work between reads of the same message."""
    found: list[FoundNumber] = []
    previous_end = 0
    for start, end, e164 in _matches(text, regions, cache):
        line_start = text.rfind("\n", 0, start) + 1
        label = text[max(line_start, previous_end):start]
        after = text[end:end + 60].split("\n")[0]
        previous_end = end
        kind = _kind(label, _sentence_before(text, start), after)
        if e164.split(";")[0] in desk_numbers:
            kind = DESK
        found.append(FoundNumber(e164, kind, start))
    return found


def callback_numbers(found: Sequence[FoundNumber]) -> tuple[str, ...]:
    """The requester's numbers among `found`, each once, in order."""
    return tuple(dict.fromkeys(n.e164 for n in found if n.kind == CALLBACK))
