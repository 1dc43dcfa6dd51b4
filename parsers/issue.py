"""Is there an issue in what the sender wrote, or only a request to be called?

"Please call me back as soon as possible." above a full signature names a person, a
company and a number, but no problem: a technician would not know what to prepare. The
words that only arrange contact (call, ring, back, asap, my number is, thanks...), the
writer's own name and company, numbers and addresses are set aside; what remains has to
say something.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

# Words that arrange contact or are politeness, not a description of anything.
_CONTACT_TALK = frozenset("""
please pls plz kindly call calls calling ring ringing phone phoning give back me asap soon
possible can could would you your u thanks thank thx ty cheers regards hi hello hey dear
urgent urgently today tomorrow morning afternoon evening tonight now when whenever get
chance reach reached on at my mine number numbers mobile cell is are the a an i am i'm im
this here from it's it in to touch contact need needs speak talk with someone somebody
anyone technician tech techs engineer about and or be best regarding re quick quickly
question issue issues problem problems help assistance support have having has got we us
our there something want like discuss know let if as of for so that just up will
available free until all day after before pm o'clock hours minutes monday tuesday wednesday
thursday friday saturday sunday direct line office desk again still waiting much
appreciated appreciate sir madam team good great hope well doing fine ok okay convenience
earliest moment message left voicemail reply note tried trying try
urgentemente details detail matter things thing thanks! name company client called ddi
switchboard landline extension ext best sent iphone android my earlier later ago already yet
hear heard respond response follow following followup chasing chase checking check request
requested requests callback news update updates status progress same too also mine any
manager practice owner director receptionist administrator admin assistant bookkeeper
accountant partner principal office front nurse head lead supervisor coordinator here
""".split())
_WORD = re.compile(r"[^\W\d_][\w'’-]*|\d[\w'’./-]*")
_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")


def _content(text: str, own_words: str) -> Iterator[str]:
    own = {w.lower() for w in _WORD.findall(own_words)}
    # Line by line, so that a caller who needs only the first words reads only the first
    # lines: neither an address nor a word spans a line break.
    for line in text.split("\n"):
        for match in _WORD.finditer(_ADDRESS.sub(" ", line)):
            word = match.group().lower().strip("'’-")
            if word and word not in _CONTACT_TALK and word not in own \
                    and not word[0].isdigit() and len(word) > 1:
                yield word


def content_words(text: str, own_words: str = "") -> list[str]:
    """The words of `text` that say something beyond arranging contact; the words of
    `own_words` (the writer's name and company) do not count either."""
    return list(_content(text, own_words))


def says_something(text: str, own_words: str = "", minimum: int = 2) -> bool:
    """True when `text` holds at least `minimum` words that describe something (read only
    as far as the `minimum`-th)."""
    return next(islice(_content(text, own_words), minimum - 1, None), None) is not None \
        if minimum > 0 else True
