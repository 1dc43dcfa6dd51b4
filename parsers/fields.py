"""The four fields a request must carry, found in what the sender just wrote.

Order of sources (seed 003, DESIGN.md): labelled lines, the signature block, the writer's
own sentences ("Priya Raman here, practice manager at Elm Court Dental"), the From display
name, a company name the sender's own domain confirms, and the requester's phone numbers
anywhere in the new text (never the desk's, a vendor's or a fax). The directory comes last
and lives in `gateway` (this module does no I/O): it gets the company names still to be
confirmed. Quoted history never supplies a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import islice

from parsers.callback import CALLBACK, FAX, OTHER, callback_numbers, find_numbers
from parsers.company import domain_confirms, has_company_word, spelled_domain
from parsers.issue import says_something
from parsers.labels import labelled_values
from parsers.phones import BlockCache
from parsers.prose import Introduction, introduction, mentions_in
from parsers.regions import region_chain
from parsers.signature import find_signature, looks_like_name, name_from_display, split_signature
from parsers.text import ReplyParts, bounded

FIELDS = ("requester_name", "company", "callback_numbers", "description")

_GREETING = re.compile(
    r"^\s*(hi|hello|hey|dear|good\s+(morning|afternoon|evening)|greetings|to whom)\b[^.!?\n]{0,40}"
    r"[,!:]?\s*$", re.IGNORECASE)
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


@dataclass(frozen=True)
class Context:
    """What the caller knows that the text does not say (passed in: no config reads here)."""

    sender: str | None = None  # the From address: its domain confirms a company, its
    # country-code points to a region
    regions: tuple[str, ...] = ()  # regions tried last for a national-format number
    company_region: str | None = None  # the directory's region for the sender's company
    desk_numbers: frozenset[str] = frozenset()  # the desk's own lines, E.164

    @property
    def domain(self) -> str | None:
        """The sender's domain, lower-cased."""
        return self.sender.rpartition("@")[2].lower() if self.sender and "@" in self.sender \
            else None


@dataclass(frozen=True)
class ExtractedFields:
    """The four fields (None or empty when not found) and where each came from."""

    requester_name: str | None = None
    company: str | None = None
    callback_numbers: tuple[str, ...] = ()
    description: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    fax_numbers: tuple[str, ...] = ()
    # Company names the text mentions that nothing has confirmed yet: the directory may.
    company_candidates: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        """Names of the required fields not found, in the seed's order."""
        return [name for name in FIELDS if not getattr(self, name)]


def word_count(text: str) -> int:
    """Words in the sense a reader would count them."""
    return len(_WORD.findall(text))


def has_words(text: str, count: int) -> bool:
    """`word_count(text) >= count`, reading no further than the `count`-th word."""
    return count <= 0 or next(islice(_WORD.finditer(text), count - 1, None), None) is not None


def _numbers(values: dict[str, list[str]], text: str, signature: str, regions: tuple[str, ...],
             desk: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """Call-back numbers, fax numbers and where the call-back numbers came from: labelled
    call-back lines first, then the requester's numbers anywhere in the text or signature."""
    cache: BlockCache = {}
    labelled = [n for n in find_numbers("\n".join(values.get("callback_numbers", [])),
                                        regions, desk, cache) if n.kind in (CALLBACK, OTHER)]
    fax_text = "\n".join(f"fax: {v}" for v in values.get("fax", []))
    free = find_numbers("\n".join([text, signature, fax_text]), regions, desk, cache)
    fax = tuple(dict.fromkeys(n.e164 for n in free if n.kind == FAX))
    first = tuple(dict.fromkeys(n.e164 for n in labelled if n.e164 not in fax))
    more = callback_numbers([n for n in free if n.e164 not in fax])
    if first:
        return tuple(dict.fromkeys([*first, *more])), fax, "label"
    if not more:
        return (), fax, None
    in_signature = callback_numbers(find_numbers(signature, regions, desk, cache))
    return more, fax, ("signature" if set(more) <= set(in_signature) else "text")


def _description(labelled: list[str], free_lines: list[str], min_words: int, own: str
                 ) -> tuple[str | None, str | None]:
    """The description and its source: a labelled description, else the sender's own
    words, as long as they say something beyond "please call me back"."""
    labelled_text = "\n".join(labelled).strip()
    if has_words(labelled_text, min_words) and says_something(labelled_text, own):
        return labelled_text, "label"
    free = "\n".join(line for line in free_lines if not _GREETING.match(line)).strip()
    free = re.sub(r"\n{3,}", "\n\n", free)
    combined = "\n".join(p for p in (labelled_text, free) if p)
    if has_words(combined, min_words) and says_something(combined, own):
        return combined, "text"
    return None, None


def _name(values: dict[str, list[str]], signature_name: str | None, intro: Introduction,
          sender_name: str) -> tuple[str | None, str | None]:
    labelled = next((v for v in values.get("requester_name", []) if v), None)
    if labelled:
        return labelled, "label"
    for name, source in ((signature_name, "signature"), (intro.name, "prose"),
                         (name_from_display(sender_name), "from_name")):
        if name and looks_like_name(name):
            return name, source
    return None, None


def _family_business(mentions: tuple[str, ...], name: str | None) -> str | None:
    """A business the text names that carries the writer's own surname ("Ramirez Auto
    Repair" from Jose Ramirez): family businesses are named so."""
    surname = name.split()[-1].lower() if name and len(name.split()) > 1 else None
    for mention in mentions:
        words = mention.split()
        if surname and len(words) > 1 and words[0].lower().rstrip("'’s") == surname and (
                mention.lower() != (name or "").lower()) and (
                has_company_word(mention) or not looks_like_name(mention)):
            return mention
    return None


def _company(values: dict[str, list[str]], signature_company: str | None,
             intro: Introduction, texts: tuple[str, str], domain: str | None, name: str | None
             ) -> tuple[str | None, str | None, tuple[str, ...]]:
    """The company, its source, and the names still to be confirmed by the directory.
    `texts` are the free text and the signature."""
    free_text, signature_text = texts
    labelled = next((v for v in values.get("company", []) if v), None)
    if labelled:
        return labelled, "label", ()
    if signature_company:
        return signature_company, "signature", ()
    if intro.company:
        return intro.company, "prose", ()
    weak = intro.weak_company
    if weak and (has_company_word(weak) or domain_confirms(weak, domain)
                 or weak.lower() in signature_text.lower()):
        return weak, "prose", ()
    for mention in intro.mentions:
        if domain_confirms(mention, domain):
            return mention, "domain", ()
    spelled = spelled_domain(free_text + "\n" + signature_text, domain)
    if spelled:
        return spelled, "domain", ()
    family = _family_business(intro.mentions, name)
    if family:
        return family, "prose", ()
    return None, None, tuple(m for m in ((weak,) if weak else ()) + intro.mentions)


def _with_own_quote(fields: ExtractedFields, own: ExtractedFields) -> ExtractedFields:
    """Fields the new text lacks, taken from the sender's own quoted earlier message; its
    description goes below the new words ("Sending again..." + the original request)."""
    values: dict[str, object] = {}
    sources = dict(fields.sources)
    for name in FIELDS:
        mine, theirs = getattr(fields, name), getattr(own, name)
        if name == "description" and mine and theirs and theirs.strip() not in mine:
            values[name], sources[name] = f"{mine}\n\n{theirs}", "text+own_quote"
        elif not mine and theirs:
            values[name], sources[name] = theirs, "own_quote"
    return replace(fields, sources=sources, **values) if values else fields  # type: ignore[arg-type]


def _own_quote(author: str | None, sender: str | None, sender_name: str) -> bool:
    """Did the sender write the quoted part themselves (same address, or, where the quote's
    header gives only a name, the same name as the From display name)?"""
    if not author:
        return False
    if "@" in author:
        return bool(sender) and author.lower() == (sender or "").lower()
    return " ".join(author.split()).casefold() == " ".join(sender_name.split()).casefold() \
        and looks_like_name(author)


def extract_fields(body: ReplyParts, sender_name: str, region: str = "US",
                   min_description_words: int = 4, context: Context | None = None
                   ) -> ExtractedFields:
    """Find name, company, call-back numbers and description in a message's new text, and
    what the new text lacks in the sender's own quoted earlier message."""
    context = context or Context()
    body = bounded(body)  # the work per message stays bounded, whatever its length
    fields = _extract(body, sender_name, region, min_description_words, context)
    if _own_quote(body.quoted_from, context.sender, sender_name) and body.first_quoted:
        own = _extract(ReplyParts(new=body.first_quoted, quoted="", signature=""), sender_name,
                       region, min_description_words, context)
        fields = _with_own_quote(fields, own)
    return fields


def _extract(body: ReplyParts, sender_name: str, region: str, min_description_words: int,
             context: Context) -> ExtractedFields:
    """The fields of the new text alone."""
    new_lines, signature_lines = split_signature(body.new.split("\n"), body.signature)
    values, free_lines = labelled_values(new_lines)
    signature = find_signature(signature_lines)
    free_text, signature_text = "\n".join(free_lines), "\n".join(signature_lines)
    intro = introduction(free_text)
    intro = Introduction(intro.name, intro.company, intro.weak_company,
                         intro.mentions + mentions_in(signature_text))
    sources: dict[str, str] = {}
    name, name_source = _name(values, signature.name, intro, sender_name)
    company, company_source, candidates = _company(values, signature.company, intro,
                                                   (free_text, signature_text), context.domain,
                                                   name)
    regions = region_chain(region, context.domain, body.new + "\n" + body.signature,
                           context.company_region, context.regions)
    numbers, fax, number_source = _numbers(values, free_text, signature_text, regions,
                                           context.desk_numbers)
    own = " ".join(filter(None, (name, company, sender_name)))
    description, description_source = _description(values.get("description", []), free_lines,
                                                   min_description_words, own)
    for key, source in (("requester_name", name_source), ("company", company_source),
                        ("callback_numbers", number_source),
                        ("description", description_source)):
        if source:
            sources[key] = source
    return ExtractedFields(requester_name=name, company=company, callback_numbers=numbers,
                           description=description, sources=sources, fax_numbers=fax,
                           company_candidates=candidates)
