"""Signature blocks: where they start, and the name and company written in them.

A signature line may hold several parts, whatever separates them ("Office Manager | Elm
Court Dental", "Elm Court Dental - Office Manager", "Office Manager, Elm Court Dental",
"Owner at Olive Tree Taverna", "Pat Moreno - Moreno Tile & Stone - 361-555-0172"): the
company is the part that is neither the name, a job title, a department nor contact
details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.company import COMPANY_WORDS, has_company_word

_SIGN_OFF = re.compile(
    r"^\s*(?:-{2,}\s*|(?:best|kind|warm|many|warmest)?\s*(?:regards|wishes)|thanks?(?:\s+you)?"
    r"(?:\s+so\s+much)?(?:\s+again)?(?:\s+in\s+advance)?|thx|ty|cheers|sincerely(?:\s+yours)?|"
    r"yours(?:\s+truly|\s+sincerely)?|best|respectfully|cordially|ciao|"
    r"mit freundlichen grüßen|cordialement|saludos|merci|"
    r"sent from my .*|sent from .* for .*|get outlook for .*)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
_SIGN_OFF_PREFIX = re.compile(
    r"^\s*(?:(?:many\s+)?thanks?(?:\s+you)?|cheers|(?:best|kind|warm)?\s*regards|best|"
    r"sincerely)\s*[,.!–—-]\s*(?=\S)", re.IGNORECASE)
_PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "la", "le", "du",
              "bin", "al", "el", "ten", "ter", "st.", "mc", "mac", "y", "dos", "das"}
_NOT_NAMES = {
    "regards", "thanks", "thank", "team", "support", "desk", "department", "dept", "inc",
    "llc", "ltd", "office", "manager", "service", "services", "sent", "from", "my", "iphone",
    "the", "and", "admin", "administrator", "help", "it", "hello", "hi", "dear", "please",
    "customer", "client", "company", "group", "corp", "info", "sales", "billing", "reception",
    "noreply", "no-reply", "user", "mailer-daemon", "postmaster", "printer", "server", "email",
    "accounts", "front", "website", "portal", "form", "contact", "operations", "staff",
    "i", "i'm", "i’m", "im", "this", "it's", "my", "we", "our", "you", "your", "is", "here",
}
# Words that make a would-be name a business ("Canyon View Inn", "Summit Legal LLP").
_BUSINESS_IN_NAME = re.compile(
    r"\b(?:inc|llc|ltd|gmbh|plc|llp|corp|group|clinic|dental|medical|services|solutions|"
    r"systems|technologies|restaurant|cafe|café|bakery|salon|hotel|inn|pharmacy|surgery|"
    r"veterinary|school|academy|studio|consulting|logistics|insurance|realty|florist|garage|"
    r"motors|accounting|accountants|legal|partners|associates|foundation|institute|agency|"
    r"center|centre|university|college|company|co|supply|supplies|imports|wines)\b\.?",
    re.IGNORECASE)
_CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,6}$")
_SUFFIX_ONLY = re.compile(r"^(inc|llc|l\.l\.c|ltd|limited|gmbh|ag|s\.?a|bv|plc|corp|co|s\.l|"
                          r"pty\.?\s*ltd)\.?$", re.IGNORECASE)
_TITLE_WORDS = re.compile(
    r"\b(manager|director|administrator|admin|assistant|engineer|officer|coordinator|"
    r"specialist|technician|analyst|owner|co-owner|president|vp|ceo|cto|cfo|coo|supervisor|"
    r"lead|head|receptionist|accountant|nurse|doctor|dr|consultant|developer|secretary|clerk|"
    r"partner|associate|executive|controller|bookkeeper|teacher|principal|attorney|paralegal|"
    r"pharmacist|dentist|hygienist|founder|chef|proprietor|agent|buyer|planner|"
    r"department|dept|operations|accounts|finance|sales|marketing|reception|administration|"
    r"hr|purchasing|dispatch|warehouse|facilities|front\s+desk|front\s+office|customer\s+service"
    r")\b", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s+[|•·–—-]\s+|\s*[|•·]\s*|,\s+|\s+at\s+|\s+@\s+")
_CONTACT = re.compile(r"@|https?://|www\.|\.(?:com|org|net|example)\b|\d{3}|"
                      r"^\s*(?:tel|phone|ph|fax|mob|mobile|cell|t|m|f|o|c|e|w|p|email|e-mail|"
                      r"web|ddi|direct|office|switchboard|skype)\s*[:.]\s*\S", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^\s*\[(?:cid|image|logo)[^\]]*\]\s*$", re.IGNORECASE)
_DELIMITER = re.compile(r"^\s*(?:-{2,}|_{3,}|—+|={3,})\s*$")
_PHONEISH = re.compile(r"\d[\d\s().-]{6,}\d")


@dataclass(frozen=True)
class SignatureInfo:
    """What a signature block says about its writer."""

    name: str | None = None
    company: str | None = None


# Business words that are also surnames ("Sam Mills", "Ann Church"): not enough alone.
_SURNAME_LIKE = frozenset({"mill", "mills", "glass", "church", "bank", "press", "body", "water",
                           "inn", "bar", "care", "homes", "trust", "market", "print", "works",
                           "design", "club", "hall", "marsh", "farm", "co", "law"})


def _is_business(text: str) -> bool:
    """A would-be name carrying a business word ("Bright Star Childcare") or a possessive
    ("Esposito's Pizzeria")."""
    if re.search(r"\w['’]s\b", text):
        return True
    words = [m.group(0).lower() for m in COMPANY_WORDS.finditer(text)]
    return any(word not in _SURNAME_LIKE for word in words)


def looks_like_name(text: str) -> bool:
    """True for something a person would write as their full name ("Jane O'Neil-Smith")."""
    text = text.strip()
    if _CJK.match(text.replace(" ", "")) and len(text.split()) <= 2:
        return True  # 山田 太郎 / 山田太郎
    words = text.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() or ch in "@/:;|&" for ch in text):
        return False
    if _BUSINESS_IN_NAME.search(text) or _is_business(text):
        return False
    capitalised = 0
    for word in words:
        bare = word.strip(".,'\"()")
        if bare.lower() in _NOT_NAMES:
            return False
        if bare.lower() in _PARTICLES:
            continue
        if not bare or not bare[0].isalpha() or not bare[0].isupper():
            return False
        capitalised += 1
    return capitalised >= 2


def name_from_display(display: str) -> str | None:
    """A full name from a From display name ("Doe, Jane" -> "Jane Doe"), if it is one."""
    text = " ".join(display.replace('"', " ").split())
    if not text or "@" in text:
        return None
    text = re.sub(r"\s*[(\[].*?[)\]]\s*", " ", text).strip()  # "Jane Doe (Acme)"
    text = re.split(r"\s+[|–—-]\s+|\s+via\s+", text)[0].strip()  # "Jane Doe - Acme"
    text = re.sub(r"^(?:dr|mr|mrs|ms|prof)\.?\s+", "", text, flags=re.IGNORECASE)
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        text = f"{first} {last}".strip()
    return text if looks_like_name(text) else None


def parts_of(line: str) -> list[str]:
    """The parts of one signature line, whatever separates them ("Acme, Inc." stays one)."""
    parts = [p.strip(" ,") for p in _SEPARATOR.split(_SIGN_OFF_PREFIX.sub("", line)) if p.strip(" ,")]
    for i in range(len(parts) - 1, 0, -1):
        if _SUFFIX_ONLY.match(parts[i]):
            parts[i - 1:i + 1] = [f"{parts[i - 1]}, {parts[i]}"]
    return parts


def _name_in(line: str) -> str | None:
    first = parts_of(line)[:1]
    candidate = re.sub(r"^(?:dr|mr|mrs|ms|prof)\.?\s+", "", first[0], flags=re.IGNORECASE) \
        if first else ""
    return candidate if candidate and looks_like_name(candidate) else None


_FORM_LINE = re.compile(r"^\s*(?:name|full\s+name|company|description|issue|problem|message|"
                        r"details|request)\s*:", re.IGNORECASE)


def _is_block_start(first: str, block: list[str], whole: list[str], start: int) -> bool:
    """Does a last paragraph starting with `first` look like a signature?"""
    if any(_FORM_LINE.match(line) for line in block):
        return False  # a form's fields, not a signature
    if _SIGN_OFF.match(first) or _SIGN_OFF_PREFIX.match(first):
        return True
    if _name_in(first) and all(len(b) <= 80 for b in block):
        return True
    # A contact block: short lines, one of them a number or an address, after the text.
    return (start > 0 and any(ln.strip() for ln in whole[:start]) and len(block) <= 6
            and all(len(b.strip()) <= 60 for b in block)
            and any(_PHONEISH.search(b) or "@" in b for b in block))


def split_signature(lines: list[str], known: str) -> tuple[list[str], list[str]]:
    """The new text's lines without the signature, and the signature's lines.

    `known` is what the reply reader already cut off; otherwise a "--" line, or a short last
    paragraph that opens with a sign-off, a name or is a block of contact details, starts it.
    """
    if known.strip():
        return lines, known.split("\n")
    for index in range(len(lines) - 1, max(-1, len(lines) - 40), -1):
        below = [ln for ln in lines[index + 1:] if ln.strip()]
        if len(below) > 12 or any(len(ln) > 80 for ln in below):
            break  # text, not a signature, below any delimiter from here up
        if _DELIMITER.match(lines[index]) and any(ln.strip() for ln in lines[:index]):
            return lines[:index], lines[index + 1:]
    end = len(lines)
    while end and (not lines[end - 1].strip() or _SIGN_OFF.match(lines[end - 1].strip())):
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if not block or len(block) > 8 or not _is_block_start(block[0].strip(), block, lines, start):
        return lines, []
    # "Thanks," alone in the paragraph above the name belongs to the signature too.
    above = start
    while above and not lines[above - 1].strip():
        above -= 1
    if above and _SIGN_OFF.match(lines[above - 1].strip()) and (
            above < 2 or not lines[above - 2].strip()):
        start = above - 1
    return lines[:start], lines[start:]


def _company(lines: list[str], name: str | None) -> str | None:
    """The part of the signature that names a company (see the module's docstring)."""
    paired: str | None = None
    plain: str | None = None
    for line in lines[:6]:
        parts = [p for p in parts_of(line) if p != name and not _CONTACT.search(p)
                 and len(re.findall(r"\d", p)) < 5]
        if not parts:
            continue
        titled = [p for p in parts if _TITLE_WORDS.search(p)]
        # Once the name is known, another name-like part is the company ("Westbrook
        # Orthodontics"); before, it may be the person.
        others = [p for p in parts if not _TITLE_WORDS.search(p)
                  and (name is not None or not looks_like_name(p))]
        for part in others:
            if has_company_word(part):
                return _cased(part)
        if titled and others and paired is None:
            paired = others[-1]  # "Office Manager | Contoso" / "Contoso - Owner"
        elif others and not titled and plain is None and len(others[0]) <= 60:
            plain = others[0]
    found = paired or (plain if name else None)
    return _cased(found) if found else None


def _cased(company: str) -> str:
    return company.title() if company.islower() else company


def find_signature(lines: list[str]) -> SignatureInfo:
    """The writer's name and company from a signature block, where they can be told apart."""
    text_lines = [ln.strip() for ln in lines if ln.strip() and not _SIGN_OFF.match(ln.strip())
                  and not _PLACEHOLDER.match(ln) and not _DELIMITER.match(ln)]
    if not text_lines:
        return SignatureInfo()
    name = next((n for n in map(_name_in, text_lines[:3]) if n), None)
    return SignatureInfo(name=name, company=_company(text_lines, name))
