"""The four fields a request must carry, found in what the sender just wrote.

Order of sources (seed 003, DESIGN.md): labelled lines, the signature block, the From
display name, phone numbers anywhere in the new text. The directory comes last and lives
in `gateway` (this module does no I/O). Quoted history never supplies a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import PhoneNumberMatch

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
                        r"ph|mob|t|m|c|p",
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
class ExtractedFields:
    """The four fields (None or empty when not found) and where each came from."""

    requester_name: str | None = None
    company: str | None = None
    callback_numbers: tuple[str, ...] = ()
    description: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    fax_numbers: tuple[str, ...] = ()

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


_DIGIT = re.compile(r"\d")


def _matches(text: str, region: str) -> Iterator[tuple[int, int, PhoneNumberMatch]]:
    """The matcher's numbers with their offsets in `text`. The matcher is slow on prose, so
    it reads only runs of lines holding a digit (a number never spans a line without one)."""
    offset, block_start, block_end = 0, -1, -1
    for line in [*text.split("\n"), ""]:
        if _DIGIT.search(line):
            block_start = offset if block_start < 0 else block_start
            block_end = offset + len(line)
        elif block_start >= 0:
            block = text[block_start:block_end]
            for match in phonenumbers.PhoneNumberMatcher(block, region,
                                                         leniency=phonenumbers.Leniency.VALID):
                yield block_start + match.start, block_start + match.end, match
            block_start = -1
        offset += len(line) + 1


def _phones(text: str, region: str) -> tuple[list[str], list[str]]:
    """Valid numbers in E.164 (';ext=N' kept) split into call-back numbers and fax numbers."""
    callback: list[str] = []
    fax: list[str] = []
    previous_end = 0
    for start, end, match in _matches(text, region):
        line_start = text.rfind("\n", 0, start) + 1
        context = text[max(line_start, previous_end):start].lower()
        previous_end = end
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if match.number.extension:
            number += f";ext={match.number.extension}"
        is_fax = re.search(r"\bfax\b|\bfacsimile\b|(?:^|\s)f\s*[:.]\s*$", context)
        (fax if is_fax else callback).append(number)
    return list(dict.fromkeys(callback)), list(dict.fromkeys(fax))


def _description(labelled: list[str], free_lines: list[str], min_words: int) -> str | None:
    labelled_text = "\n".join(labelled).strip()
    if word_count(labelled_text) >= min_words:
        return labelled_text
    free = "\n".join(line for line in free_lines if not _GREETING.match(line)).strip()
    free = re.sub(r"\n{3,}", "\n\n", free)
    combined = "\n".join(p for p in (labelled_text, free) if p)
    return combined if word_count(combined) >= min_words else None


def extract_fields(body: ReplyParts, sender_name: str, region: str,
                   min_description_words: int = 4) -> ExtractedFields:
    """Find name, company, call-back numbers and description in a message's new text."""
    new_lines, signature_lines = split_signature(body.new.split("\n"), body.signature)
    values, free_lines = _labelled(new_lines)
    sources: dict[str, str] = {}
    signature = find_signature(signature_lines)

    name = next((v for v in values.get("requester_name", []) if v), None)
    if name:
        sources["requester_name"] = "label"
    elif signature.name:
        name, sources["requester_name"] = signature.name, "signature"
    else:
        name = name_from_display(sender_name)
        if name:
            sources["requester_name"] = "from_name"

    company = next((v for v in values.get("company", []) if v), None)
    if company:
        sources["company"] = "label"
    elif signature.company:
        company, sources["company"] = signature.company, "signature"

    numbers: list[str] = []
    labelled_phones = "\n".join(values.get("callback_numbers", []))
    if labelled_phones:
        numbers = _phones(labelled_phones, region)[0]
        if numbers:
            sources["callback_numbers"] = "label"
    fax_text = "\n".join(f"fax: {v}" for v in values.get("fax", []))
    free_text = "\n".join([*free_lines, *signature_lines, fax_text])
    more, fax = _phones(free_text, region)
    if more and not numbers:
        sources["callback_numbers"] = "signature" if set(more) <= set(
            _phones("\n".join(signature_lines), region)[0]) else "text"
    numbers = list(dict.fromkeys([*numbers, *(n for n in more if n not in fax)]))

    description = _description(values.get("description", []), free_lines,
                               min_description_words)
    if description:
        sources["description"] = "label" if values.get("description") and word_count(
            "\n".join(values["description"])) >= min_description_words else "text"

    if name and not looks_like_name(name) and sources.get("requester_name") != "label":
        name = None
        sources.pop("requester_name", None)
    return ExtractedFields(
        requester_name=name,
        company=company,
        callback_numbers=tuple(numbers),
        description=description,
        sources=sources,
        fax_numbers=tuple(fax),
    )
