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
from dataclasses import dataclass, field

from parsers.callback import CALLBACK, FAX, OTHER, callback_numbers, find_numbers
from parsers.company import domain_confirms, has_company_word
from parsers.issue import says_something
from parsers.prose import Introduction, introduction
from parsers.regions import region_chain
from parsers.signature import find_signature, looks_like_name, name_from_display, split_signature
from parsers.text import ReplyParts

FIELDS = ("requester_name", "company", "callback_numbers", "description")

_LABELS = {
    "requester_name": r"(?:requester'?s?\s+|your\s+|contact\s+)?(?:full\s+)?name|requester|"
                      r"contact(?:\s+person)?|submitted\s+by|reported\s+by",
    "company": r"(?:client\s+)?company(?:\s+name)?|client(?:\s+name)?|organi[sz]ation(?:\s+name)?|"
               r"business(?:\s+name)?|employer|firm|customer|account(?:\s+name)?|practice|site",
    "callback_numbers": r"call[\s-]?back(?:\s+(?:number|no\.?|#|phone))?(?:s|\(s\))?|"
                        r"(?:phone|telephone|tel|mobile|cell|cell\s+phone|direct|direct\s+line|"
                        r"office|work|contact|best)(?:\s+(?:number|no\.?|#|phone))?(?:s|\(s\))?|"
                        r"ddi|switchboard|switch|main\s+line|ph|mob|t|m|c|p|o|w|h",
    "fax": r"fax(?:\s+(?:number|no\.?|#))?|facsimile|f",
    "description": r"(?:detailed\s+)?description(?:\s+of\s+(?:the\s+)?(?:issue|problem))?|"
                   r"issue(?:\s+description)?|problem(?:\s+description)?|details|summary|"
                   r"symptoms?|request|question|what\s+happened",
}
_LABEL_LINE = re.compile(
    r"^[\s*_•>\-]*(?P<label>" + "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items())
    + r")[\s*_]*(?:(?P<colon>[:：])\s*(?P<value>.*?)|\s*)[\s*_]*$",
    re.IGNORECASE,
)
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


def _labelled(lines: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Values of labelled lines (a value may sit on the lines below a bare label), and the
    lines that were not part of any label."""
    values: dict[str, list[str]] = {}
    rest: list[str] = []
    current: str | None = None
    for line in lines:
        match = _LABEL_LINE.match(line)
        if match and (match.group("colon") or len(line.split()) <= 4):
            key = next(k for k in _LABELS if match.group(k))
            value = (match.group("value") or "").strip()
            if not match.group("colon") and key == "description" and not value:
                # "Problem" alone on a line is a heading only if text follows it.
                pass
            values.setdefault(key, [])
            if value:
                values[key].append(value)
            # A bare label takes the lines below it; a one-line value ends the field,
            # except a description, which runs on to the next label.
            current = key if (not value or key == "description") else None
            continue
        if current is not None:
            if not line.strip():
                if values[current] and current != "description":
                    current = None
                elif values[current]:
                    values[current].append("")
                continue
            values[current].append(line.strip())
            continue
        rest.append(line)
    return values, rest




def _numbers(values: dict[str, list[str]], text: str, signature: str, regions: tuple[str, ...],
             desk: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """Call-back numbers, fax numbers and where the call-back numbers came from: labelled
    call-back lines first, then the requester's numbers anywhere in the text or signature."""
    labelled = [n for n in find_numbers("\n".join(values.get("callback_numbers", [])),
                                        regions, desk) if n.kind in (CALLBACK, OTHER)]
    fax_text = "\n".join(f"fax: {v}" for v in values.get("fax", []))
    free = find_numbers("\n".join([text, signature, fax_text]), regions, desk)
    fax = tuple(dict.fromkeys(n.e164 for n in free if n.kind == FAX))
    first = tuple(dict.fromkeys(n.e164 for n in labelled if n.e164 not in fax))
    more = callback_numbers([n for n in free if n.e164 not in fax])
    if first:
        return tuple(dict.fromkeys([*first, *more])), fax, "label"
    if not more:
        return (), fax, None
    in_signature = callback_numbers(find_numbers(signature, regions, desk))
    return more, fax, ("signature" if set(more) <= set(in_signature) else "text")


def _description(labelled: list[str], free_lines: list[str], min_words: int, own: str
                 ) -> tuple[str | None, str | None]:
    """The description and its source: a labelled description, else the sender's own
    words, as long as they say something beyond "please call me back"."""
    labelled_text = "\n".join(labelled).strip()
    if word_count(labelled_text) >= min_words and says_something(labelled_text, own):
        return labelled_text, "label"
    free = "\n".join(line for line in free_lines if not _GREETING.match(line)).strip()
    free = re.sub(r"\n{3,}", "\n\n", free)
    combined = "\n".join(p for p in (labelled_text, free) if p)
    if word_count(combined) >= min_words and says_something(combined, own):
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


def _company(values: dict[str, list[str]], signature_company: str | None,
             intro: Introduction, signature_text: str, domain: str | None
             ) -> tuple[str | None, str | None, tuple[str, ...]]:
    """The company, its source, and the names still to be confirmed by the directory."""
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
    return None, None, tuple(m for m in ((weak,) if weak else ()) + intro.mentions)


def extract_fields(body: ReplyParts, sender_name: str, region: str = "US",
                   min_description_words: int = 4, context: Context | None = None
                   ) -> ExtractedFields:
    """Find name, company, call-back numbers and description in a message's new text."""
    context = context or Context()
    new_lines, signature_lines = split_signature(body.new.split("\n"), body.signature)
    values, free_lines = _labelled(new_lines)
    signature = find_signature(signature_lines)
    free_text, signature_text = "\n".join(free_lines), "\n".join(signature_lines)
    intro = introduction(free_text)
    intro = Introduction(intro.name, intro.company, intro.weak_company,
                         intro.mentions + introduction(signature_text).mentions)
    sources: dict[str, str] = {}
    name, name_source = _name(values, signature.name, intro, sender_name)
    company, company_source, candidates = _company(values, signature.company, intro,
                                                   signature_text, context.domain)
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
