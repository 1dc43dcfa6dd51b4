"""Names and companies written in sentences rather than on labelled lines.

"Hi, Priya Raman here, practice manager at Elm Court Dental", "My name is Tom Okafor",
"I run Copperleaf Florist", "this is the front office for Lakeside Veterinary", "we're
over at Northgate Tyre & Auto on Route 9". A self-introduction names the writer's company
outright (`strong`); a company merely mentioned ("the printer at Harbor View is down") is a
`mention`, which counts only once something else confirms it (the sender's domain, the
signature, the directory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.company import has_company_word

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſ"
_NAME = (rf"[{_UPPER}][\w'’-]*(?:\s+(?:(?:van|von|de|der|den|da|del|della|di|du|la|le|bin|al|"
         rf"el|ten|ter|dos|das|st\.?)\s+)*[{_UPPER}][\w'’-]*){{1,3}}")
_NAME_PATTERNS = [
    re.compile(rf"(?i:\bmy\s+name\s+is|\bmy\s+name's)\s+(?P<name>{_NAME})"),
    re.compile(rf"(?i:\b(?:i'm|i’m|i\s+am|this\s+is|it's|it’s|it\s+is))\s+(?P<name>{_NAME})"
               r"(?=\s*(?:,|\.|-|–|\bfrom\b|\bat\b|\bwith\b|\bhere\b|\bof\b|\band\b|$))"),
    re.compile(rf"(?:^|[.!]\s+|^(?i:hi|hello|hey|good\s+\w+)[,!]?\s+)(?P<name>{_NAME})\s+here\b",
               re.MULTILINE),
]
_TITLE = (r"(?:manager|director|owner|co-owner|administrator|admin|receptionist|accountant|"
          r"bookkeeper|partner|principal|coordinator|assistant|nurse|dentist|vet|physician|"
          r"doctor|lead|head|officer|secretary|clerk|supervisor|chef|pharmacist|teacher|"
          r"engineer|technician|president|founder|ceo|cfo|coo|cto|controller|paralegal|"
          r"attorney|solicitor|hygienist|optometrist|architect|consultant|analyst|"
          r"front\s+office|front\s+desk|reception)")
_ORG_NOUN = (r"(?:company|practice|firm|office|clinic|shop|store|business|salon|restaurant|"
             r"school|surgery|agency|studio|garage|bakery|cafe|café|pharmacy|farm|hotel|"
             r"charity|church|club|team)")
_COMPANY_START = rf"(?=[{_UPPER}0-9])"
_OUR = r"o(?<!\wo)ur"  # "\bour", the letter first: scanned for in C, ~1.7x as fast
_STRONG = [
    rf"(?i:\b{_TITLE}\s+(?:at|for|of|with))\s+{_COMPANY_START}",
    rf"(?i:\b(?:i|we)\s+(?:run|own|manage|co-own|founded|started))\s+(?:(?i:a|an|the)\s+\w+"
    rf"\s+(?i:called|named)\s+)?{_COMPANY_START}",
    rf"(?i:\b(?:i|we)\s+work\s+(?:at|for|with))\s+{_COMPANY_START}",
    rf"(?i:\b(?:i'm|i’m|i\s+am|we're|we’re|we\s+are)\s+(?:with|from))\s+{_COMPANY_START}",
    rf"(?i:\b(?:writing|calling|emailing|reaching\s+out|contacting\s+you)\s+(?:from|on\s+"
    rf"behalf\s+of))\s+{_COMPANY_START}",
    rf"(?i:\bon\s+behalf\s+of)\s+{_COMPANY_START}",
    rf"(?i:\bhere\s+at)\s+{_COMPANY_START}",
    rf"(?i:{_OUR}\s+{_ORG_NOUN}),?\s+(?:(?i:is|called|named)\s+)?{_COMPANY_START}",
    rf"{_NAME}\s+(?:(?i:here\s+)?(?i:from|at|with))\s+{_COMPANY_START}",
]
_WEAK = [
    rf"(?i:\b(?:i'm|i’m|i\s+am|we're|we’re|we\s+are)\s+(?:over\s+|based\s+|located\s+|)(?:at|in))"
    rf"\s+{_COMPANY_START}",
    rf"(?i:{_OUR}\s+{_ORG_NOUN}\s+(?:at|in))\s+{_COMPANY_START}",
]
_STRONG_RE = [re.compile(p) for p in _STRONG]
# What the first strong pattern cannot match without (a title is slow to look for at every
# word): one of its prepositions after a space, then the company's first letter.
_TITLE_AFTER = re.compile(rf"\s(?i:at|for|of|with)\s+{_COMPANY_START}")
_WEAK_RE = [re.compile(p) for p in _WEAK]
# Words a pattern cannot match without (any case): a text holding none of them is not
# searched with it, each search being a scan of the whole text. `str.lower` agrees with the
# patterns' IGNORECASE on these words unless the text holds "ı", "ſ" or "İ" (which
# IGNORECASE takes for i, s and i; "İ".lower() is two characters): then every pattern runs.
_NEEDS: dict[re.Pattern[str], tuple[str, ...]] = {
    _STRONG_RE[1]: ("run", "own", "manage", "founded", "started"),
    _STRONG_RE[2]: ("work",),
    _STRONG_RE[3]: ("with", "from"),
    _STRONG_RE[4]: ("writing", "calling", "emailing", "reaching", "contacting"),
    _STRONG_RE[5]: ("behalf",),
    _STRONG_RE[6]: ("here",),
    _STRONG_RE[7]: ("our",),
    _WEAK_RE[1]: ("our",),
}
# What the writer's sentence about themselves starts with ("I'm", "we are", "this is"),
# in lower case and without the patterns' word boundary: the patterns that need one
# (_SPEAKING) do not scan a text without one, being slow to scan (IGNORECASE at every
# position). Trusted only where `_NEEDS` is (see above).
_SPEAKER = re.compile(r"(?:i'm|i’m|i\s+am|we're|we’re|we\s+are|this\s+is|it's|it’s|"
                      r"it\s+is)\s")
_SPEAKING = (_NAME_PATTERNS[1], _STRONG_RE[3], _WEAK_RE[0])
_CONNECTORS = {"&", "and", "of", "+", "de", "du", "la", "y", "-"}
_STOP = {"I", "I'm", "I’m", "We", "Our", "Please", "Thanks", "Thank", "Hi", "Hello", "Can",
         "Could", "It", "It's", "This", "Monday", "Tuesday", "Wednesday", "Thursday",
         "Friday", "Saturday", "Sunday", "Today", "Tomorrow", "Yesterday", "Re", "Fwd"}
_TOKEN = re.compile(r"[\w'’.&+-]+|[^\w\s]")
_TRAILING = re.compile(r"(?:\s+(?:&|and|of|the|\+|de|du|la|y|-))+$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\s+'s$|'s$|’s$")
_STREET = re.compile(r"\b(?:road|rd|street|st|avenue|ave|route|highway|hwy|lane|drive|suite)$",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Introduction:
    """What the writer's own sentences say about them."""

    name: str | None = None
    company: str | None = None  # named in a self-introduction: counts on its own
    weak_company: str | None = None  # "we're at X": counts with a company word or confirmed
    mentions: tuple[str, ...] = ()  # other capitalised names, to confirm by domain/directory


_AT_MOST = 120  # company_at reads no further
_ENDS = (".", "!", "?", ":")


def _line_end(text: str, start: int) -> int:
    """Where company_at stops reading: the end of the line, at most _AT_MOST characters on."""
    end = text.find("\n", start, start + _AT_MOST)
    return end if end >= 0 else min(len(text), start + _AT_MOST)


def company_at(text: str, start: int = 0) -> str | None:
    """The company name that starts `text` at `start` ("Northgate Tyre & Auto on Route 9"
    -> "Northgate Tyre & Auto"): capitalised words, joined by connectors such as "&" or
    "of" only when another capitalised word follows."""
    words: list[str] = []
    # Read token by token (most capitalised words end after one or two), one ahead; in
    # place, as a slice from `start` would be read (a token looks neither back nor ahead).
    tokens = _TOKEN.finditer(text, start, _line_end(text, start))
    ahead = next(tokens, None)
    while ahead is not None:
        token, ahead = ahead.group(), next(tokens, None)
        bare, lower, first = token.rstrip("."), token.lower(), token[:1]
        if words and (bare in _STOP or lower == "the"):
            break
        if first.isdigit() and (len(token) > 4 or not words):
            break  # a number, not part of a name ("Route 9" is; "512-555-0154" is not)
        if first.isupper() or first.isdigit() or (lower == "the" and not words):
            words.append(bare if token.endswith(".") and len(bare) > 3 else token)
            if token.endswith(".") and len(bare) > 3:
                break  # "... Elm Court Dental." ends the sentence
            continue
        following = ahead.group() if ahead is not None else ""
        if lower in _CONNECTORS and words and following[:1].isupper():
            words.append(token)
            continue
        break
    return _company_of(words)


def _company_of(words: list[str]) -> str | None:
    """The company name company_at's words make, or None when they make none."""
    # Each pattern needs what the test before it looks for (a space, a final "s").
    name = (_TRAILING.sub("", " ".join(words)) if len(words) > 1 else "".join(words)
            ).strip(" '’-")
    if name.endswith("s"):
        name = _POSSESSIVE.sub("", name)
    if name.lower().startswith("the ") and len(name.split()) == 2 and not has_company_word(name):
        return None
    # _STREET's words end in d, t, e or y (letters IGNORECASE takes for no other): searched
    # only when the name does.
    if not name or name in _STOP or name.lower() == "the" or (
            name[-1] in "dDtTeEyY" and _STREET.search(name)):
        return None
    return name


def _name(text: str, low: str, speaks: bool) -> str | None:
    for pattern, needs, within in zip(_NAME_PATTERNS, ("name", None, "here"), (low, "", text)):
        if needs is not None and needs not in within:
            continue  # "my name is" in any case; "X here" as written
        if not speaks and pattern is _SPEAKING[0]:
            continue
        match = pattern.search(text)
        if match:
            return match.group("name").strip()
    return None


def _first_company(patterns: list[re.Pattern[str]], text: str, low: str | None,
                   speaks: bool = True) -> str | None:
    """The company the first of `patterns` that finds one finds; `low` is the text in
    lower case, or None when the word filter (_NEEDS) cannot be trusted on it; `speaks`
    is False when the text has no _SPEAKER phrase."""
    for pattern in patterns:
        if pattern is _STRONG_RE[0] and not _TITLE_AFTER.search(text):
            continue
        if not speaks and pattern in _SPEAKING:
            continue
        needs = _NEEDS.get(pattern)
        if needs and low is not None and not any(word in low for word in needs):
            continue
        for match in pattern.finditer(text):
            company = company_at(text, match.end())
            if company:
                return company
    return None


# A capitalised word of its own: at the start, or after a space, a line break, "(" or a
# quote. A word that starts with a digit is never a name's first (company_at reads none).
# The capital first, then a look back before it: scanned for in C, 3x as fast as `^|(?<=...)`.
_CAPITALISED = re.compile(rf"[{_UPPER}](?<![^ \t\n(\"“][{_UPPER}])[\w'’&.-]*")


_ALONE_KEPT = 4096  # words kept with what company_at makes of them alone
_alone: dict[str, tuple[str | None, bool]] = {}


def _one_word(text: str, match: re.Match[str]) -> tuple[str | None, bool] | None:
    """(What company_at(text, match.start()) says, has it a company word) when the next
    characters show it reads the word alone (as after most capitalised words: a comma, a
    full stop, a lower-case word); None when they do not show it."""
    word, end = match.group(), match.end()
    if end - match.start() > _AT_MOST:
        return None  # company_at reads part of it
    after = text[end:end + 2]
    # The word's token ends here unless a "+" follows (_TOKEN takes it, the match not).
    # Then: no next token, a punctuation mark (never a connector: "&" and "-" would be in
    # the word) that is not upper case ("Ⓐ" is), or a lower-case word that is no
    # connector ("and", "of", "de"...: its whole token, as company_at reads it; not "access").
    if not (not after or (after[0] != "+" and not after[0].isspace()
                          and not after[0].isupper())
            or (after[0] == " " and len(after) == 2 and after[1].islower()
                and (after[1] not in "aodly" or _no_connector(text, end + 1)))):
        return None
    if not word[0].isupper():
        return (None, False)  # a lower-case letter of _UPPER's range: company_at takes no word
    return _word_alone(word)


def _no_connector(text: str, at: int) -> bool:
    """True when the token at `at` (a lower-case letter starts it) is no connector."""
    token = _TOKEN.match(text, at)
    return token is None or token.group().lower() not in _CONNECTORS


def _word_alone(word: str) -> tuple[str | None, bool]:
    """What company_at makes of a capitalised word read alone, has it a company word: a pure
    function of the word, and the same words come back in message after message ("The")."""
    global _alone  # noqa: PLW0603 - a bounded memo, started afresh when full
    known = _alone  # one dict throughout, though another thread may start a new one
    if word in known:
        return known[word]
    if len(known) >= _ALONE_KEPT:
        known = _alone = {}
    bare = word.rstrip(".")
    company = _company_of([bare if word.endswith(".") and len(bare) > 3 else word])
    read = known[word] = (company, has_company_word(company) if company else False)
    return read


def mentions(text: str) -> tuple[str, ...]:
    """Capitalised runs of words that could be a company's name, in order, each once."""
    found: list[str] = []
    taken_end = -1  # where the run taken last ends, so the words inside it are not taken again
    for match in _CAPITALISED.finditer(text):
        if match.start() < taken_end:
            continue
        known = _one_word(text, match)
        company = known[0] if known is not None else company_at(text, match.start())
        # The company-word search last: the slowest test (remembered for a word read alone).
        if company and (len(company.split()) > 1 or (
                len(company) > 3 and not _starts_sentence(text, match.start()))
                        or (known[1] if known is not None else has_company_word(company))):
            found.append(company)
            # Its first place in the text, as before (found once, not once per word).
            first = text.find(company)
            taken_end = first + len(company) if first >= 0 else -1
    return tuple(dict.fromkeys(found))


def _starts_sentence(text: str, at: int) -> bool:
    # What `(?:^|[.!?:]\s+|\n\s*)$` said of text[:at], read from `at` backwards: searching
    # the whole prefix for each capitalised word was quadratic in the message's length.
    start = at
    while start and text[start - 1].isspace():
        start -= 1
    space = text[start:at]
    return at == 0 or "\n" in space or (bool(space) and text[start - 1:start] in _ENDS)


# A line break inside a paragraph: the sentences read on across it. With no space or tab
# before a line break (most mail), one that starts with the break, scanned for in C, is it.
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*(?=\S)")
_BREAK = re.compile(r"\n[ \t]*(?=\S)")


def _flat(text: str) -> str:
    return (_LINE_BREAK if " \n" in text or "\t\n" in text else _BREAK).sub(" ", text)


def mentions_in(text: str) -> tuple[str, ...]:
    """`introduction(text).mentions` alone (a signature supplies only its mentions)."""
    return mentions(_flat(text))


def introduction(text: str) -> Introduction:
    """The writer's name and company as their own sentences give them."""
    flat = _flat(text)
    lowered = flat.lower()
    low = None if ("ı" in flat or "ſ" in flat or "İ" in flat) else lowered
    speaks = low is None or _SPEAKER.search(low) is not None
    # "name" has no letter str.lower and IGNORECASE disagree on: `lowered` for it.
    name = _name(flat, lowered, speaks)
    company = _first_company(_STRONG_RE, flat, low, speaks)
    weak = None if company else _first_company(_WEAK_RE, flat, low, speaks)
    return Introduction(name=name, company=company, weak_company=weak, mentions=mentions(flat))
