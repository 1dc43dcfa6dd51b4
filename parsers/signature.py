"""Signature blocks: where they start, and the name and company written in them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SIGN_OFF = re.compile(
    r"^\s*(?:-{2,}\s*|(?:best|kind|warm|many)?\s*(?:regards|wishes)|thanks?(?:\s+you)?(?:\s+so\s+much)?"
    r"(?:\s+in\s+advance)?|thx|cheers|sincerely(?:\s+yours)?|yours(?:\s+truly|\s+sincerely)?|"
    r"best|respectfully|cordially|mit freundlichen grüßen|cordialement|saludos|"
    r"sent from my .*|get outlook for .*)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
_PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "la", "le", "du",
              "bin", "al", "el", "ten", "ter", "st.", "mc", "mac", "y", "dos", "das"}
_NOT_NAMES = {
    "regards", "thanks", "thank", "team", "support", "desk", "department", "dept", "inc",
    "llc", "ltd", "office", "manager", "service", "services", "sent", "from", "my", "iphone",
    "the", "and", "admin", "administrator", "help", "it", "hello", "hi", "dear", "please",
    "customer", "client", "company", "group", "corp", "info", "sales", "billing", "reception",
    "noreply", "no-reply", "user", "mailer-daemon", "postmaster", "printer", "server", "email",
}
_CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,6}$")
_COMPANY_WORDS = re.compile(
    r"\b(inc|incorporated|llc|l\.l\.c|ltd|limited|gmbh|ag|sa|s\.a|bv|plc|corp|corporation|co|"
    r"company|group|partners|associates|clinic|hospital|health|medical|dental|law|legal|"
    r"school|university|college|bank|services|solutions|systems|technologies|labs?|"
    r"industries|holdings|enterprises|foundation|institute|agency|studio|consulting|"
    r"pharmacy|practice|center|centre|realty|insurance|logistics|manufacturing)\b\.?",
    re.IGNORECASE,
)
_SUFFIX_ONLY = re.compile(r"^(inc|llc|l\.l\.c|ltd|limited|gmbh|ag|s\.?a|bv|plc|corp|co|s\.l)\.?$",
                          re.IGNORECASE)
_TITLE_WORDS = re.compile(
    r"\b(manager|director|administrator|admin|assistant|engineer|officer|coordinator|"
    r"specialist|technician|analyst|owner|president|vp|ceo|cto|cfo|coo|supervisor|lead|head|"
    r"receptionist|accountant|nurse|doctor|dr|consultant|developer|secretary|clerk|partner|"
    r"associate|executive|controller|bookkeeper|teacher|principal|attorney|paralegal)\b",
    re.IGNORECASE,
)
_CONTACT_LINE = re.compile(r"@|https?://|www\.|\d{3}|^\s*[a-z]{1,6}\s*[:.]\s", re.IGNORECASE)


@dataclass(frozen=True)
class SignatureInfo:
    """What a signature block says about its writer."""

    name: str | None = None
    company: str | None = None


def looks_like_name(text: str) -> bool:
    """True for something a person would write as their full name ("Jane O'Neil-Smith")."""
    text = text.strip()
    if _CJK.match(text.replace(" ", "")) and len(text.split()) <= 2:
        return True  # 山田 太郎 / 山田太郎
    words = text.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() or ch in "@/:;|" for ch in text):
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
    text = re.split(r"\s+[|–—-]\s+", text)[0].strip()  # "Jane Doe - Acme"
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        text = f"{first} {last}".strip()
    return text if looks_like_name(text) else None


def split_signature(lines: list[str], known: str) -> tuple[list[str], list[str]]:
    """The new text's lines without the signature, and the signature's lines.

    `known` is what the reply reader already cut off; otherwise a short last paragraph
    that opens with a sign-off or a name counts as the signature.
    """
    if known.strip():
        return lines, known.split("\n")
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if not block or len(block) > 7:
        return lines, []
    first = block[0].strip()
    if _SIGN_OFF.match(first) or (looks_like_name(first) and all(len(b) <= 80 for b in block)):
        # "Thanks," alone in the paragraph above the name belongs to the signature too.
        above = start
        while above and not lines[above - 1].strip():
            above -= 1
        if above and _SIGN_OFF.match(lines[above - 1].strip()) and (
                above < 2 or not lines[above - 2].strip()):
            start = above - 1
        return lines[:start], lines[start:end]
    return lines, []


def _company_in(line: str) -> str | None:
    parts = [p.strip() for p in re.split(r"\s+(?:at|@)\s+|\s*[|•·]\s*|\s+[-–—]\s+|,\s+", line)
             if p.strip()]
    for i in range(len(parts) - 1, 0, -1):
        if _SUFFIX_ONLY.match(parts[i]):  # "Acme, Inc." is one name
            parts[i - 1:i + 1] = [f"{parts[i - 1]}, {parts[i]}"]
    for part in reversed(parts):
        if _COMPANY_WORDS.search(part) and not _TITLE_WORDS.search(part):
            return part
    if len(parts) > 1 and _TITLE_WORDS.search(parts[0]) and not _TITLE_WORDS.search(parts[-1]):
        return parts[-1]  # "IT Manager, Acme" / "Office Manager | Contoso"
    return None


def find_signature(lines: list[str]) -> SignatureInfo:
    """The writer's name and company from a signature block, where they can be told apart."""
    text_lines = [ln.strip() for ln in lines if ln.strip() and not _SIGN_OFF.match(ln.strip())]
    if not text_lines:
        return SignatureInfo()
    name: str | None = None
    rest = text_lines
    first_parts = [p.strip() for p in re.split(r"\s*[|•·]\s*|,\s+", text_lines[0])]
    if looks_like_name(first_parts[0]):
        name = first_parts[0]
        rest = ([" | ".join(first_parts[1:])] if len(first_parts) > 1 else []) + text_lines[1:]
    candidates = [ln for ln in rest[:4] if not _CONTACT_LINE.search(ln)]
    company = next((c for c in map(_company_in, candidates) if c), None)
    if company is None and name is not None:
        plain = [ln for ln in candidates if not _TITLE_WORDS.search(ln) and len(ln) <= 60]
        # Name, then a title, then the company: the usual order when no suffix says so.
        if plain and (len(candidates) >= 2 or not _TITLE_WORDS.search(candidates[0])):
            company = plain[0]
    return SignatureInfo(name=name, company=company)
