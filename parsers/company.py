"""Company names: what looks like one, and whether the sender's own domain confirms it.

`priya@elmcourtdental.example` confirms "Elm Court Dental", `sam@northgate-auto.example`
confirms "Northgate Tyre & Auto" (whole words and initials, in order, may be left out),
`jo@ecd.co.uk` confirms "Elm Court Dental" by its initials; a webmail domain confirms
nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

WEBMAIL = frozenset({
    "gmail", "googlemail", "outlook", "hotmail", "live", "msn", "yahoo", "ymail", "aol",
    "icloud", "me", "mac", "proton", "protonmail", "pm", "gmx", "web", "mail", "yandex",
    "zoho", "fastmail", "hey", "tutanota", "btinternet", "bigpond", "optusnet", "xtra",
    "comcast", "verizon", "att", "sbcglobal", "bellsouth", "cox", "charter", "earthlink",
    "rogers", "shaw", "sympatico", "telus", "orange", "free", "laposte", "t-online",
    "libero", "virgilio", "sky", "talktalk", "virginmedia", "ntlworld", "eircom", "iinet",
    "tpg", "qq", "163", "126", "naver", "rediffmail", "inbox", "rocketmail", "aim",
})
# Second-level labels under a country code: clinic.com.au, firm.co.uk.
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "nhs",
                           "id", "or", "ne", "asn", "gen", "school", "govt", "sch"})
_LEGAL = re.compile(
    r"[,\s]+(?:inc|incorporated|llc|l\.l\.c|ltd|limited|pty|pty\s+ltd|plc|llp|gmbh|ag|s\.?a|"
    r"bv|corp|corporation|co|company)\.?\s*$", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_NAMES_SPLIT = re.compile(r"[^0-9a-z]+")
# What companies add to the name in their domain: acmecorp, northgategroup, elmcourtuk.
_LABEL_SUFFIX = re.compile(r"(?:corp|inc|llc|ltd|group|co|hq|online|global|intl|uk|usa|us|"
                           r"au|nz|ie|ca|team|mail|it)$")
COMPANY_WORDS = re.compile(
    r"\b(?:inc|incorporated|llc|l\.l\.c|ltd|limited|pty|gmbh|ag|sa|bv|plc|llp|corp|"
    r"corporation|co|company|group|partners|associates|clinic|hospital|health|medical|"
    r"dental|dentistry|orthodontics|law|legal|solicitors|attorneys|accountants|accounting|"
    r"school|academy|university|college|bank|services|solutions|systems|technologies|tech|"
    r"labs?|industries|holdings|enterprises|foundation|institute|agency|studio|studios|"
    r"consulting|consultants|pharmacy|chemist|practice|surgery|center|centre|realty|"
    r"properties|insurance|logistics|freight|transport|manufacturing|auto|autos|motors|"
    r"garage|tyres?|tires?|florist|florists|flowers|veterinary|vet|vets|animal|bakery|"
    r"cafe|café|coffee|restaurant|kitchen|bistro|bar|pub|hotel|inn|salon|spa|barbers?|"
    r"fitness|gym|farm|farms|nursery|plumbing|electrical|electric|builders|construction|"
    r"roofing|landscaping|cleaning|printing|print|press|media|design|architects|"
    r"engineering|trust|council|church|charity|club|store|stores|shop|supplies|supply|"
    r"hardware|market|foods|wines?|brewing|brewery|distillery|optometrists|opticians|"
    r"physio|physiotherapy|chiropractic|therapy|care|homes|estates|traders|trading|"
    r"imports|exports|marine|aviation|energy|water|labs|works|workshop|mill|mills|repair|"
    r"repairs|body|glass|joinery|roofing|cabinetry|catering|travel|moving|removals|pizzeria|"
    r"trattoria|deli|diner|grill|childcare|daycare|preschool|kindergarten|nails|boutique|"
    r"gallery|galleries|cinema|theatre|theater|surveyors|brokers|opticians|eyecare|"
    r"physiotherapy|pediatrics|paediatrics|orthodontics|chiropractic|motel|lodge|resort)\b",
    re.IGNORECASE)


def has_company_word(text: str) -> bool:
    """True when `text` carries a word that businesses put in their names."""
    return COMPANY_WORDS.search(text) is not None


def normalised(name: str) -> str:
    """A company name for comparison: lower case, letters and digits, no legal suffix."""
    bare = _LEGAL.sub("", name.strip())
    return _NOT_ALNUM.sub("", bare.lower().replace("&", "and"))


def same_company(a: str, b: str) -> bool:
    """True when two spellings name the same company ("Acme Ltd" and "ACME")."""
    left, right = normalised(a), normalised(b)
    return bool(left) and left == right


def domain_label(domain: str | None) -> str | None:
    """The label a company chose in its domain ("mail.elmcourt.co.uk" -> "elmcourt"),
    or None for webmail and domains too short to say anything."""
    if not domain:
        return None
    labels = [label for label in domain.lower().strip(".").split(".") if label]
    if len(labels) < 2:
        return None
    labels = labels[:-1]  # the top-level domain
    if len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    label = labels[-1]
    if label in WEBMAIL:
        return None
    return label


def _words(name: str) -> tuple[str, ...]:
    bare = _LEGAL.sub("", name.strip()).lower().replace("&", " and ")
    return tuple(w for w in _NOT_ALNUM.split(bare) if w)


@lru_cache(maxsize=4096)
def _spells(label: str, words: tuple[str, ...], strong: bool) -> bool:
    """Can `label` be written with `words`, in order, each left out, used as its initial or
    as a beginning of three letters or more? `strong` once a beginning of four letters or
    more was used (initials alone must be the whole label; see `domain_confirms`)."""
    if not label or label == "s":
        return strong
    if not words:
        return False
    word, rest = words[0], words[1:]
    if label[0] == word[0] and _spells(label[1:], rest, strong):
        return True
    for size in range(min(len(word), len(label)), 2, -1):
        if label.startswith(word[:size]) and _spells(label[size:], rest, strong or size >= 4):
            return True
    return _spells(label, rest, strong)


def domain_confirms(company: str, domain: str | None) -> bool:
    """True when the sender's domain names this company (never for webmail): the domain's
    label spells the name's words in order, the first of them always used."""
    label = domain_label(domain)
    if label is None or len(label) < 3:
        return False
    compact = _NOT_ALNUM.sub("", label)
    bare = _LABEL_SUFFIX.sub("", compact)
    return _confirms(compact, company) or (bare != compact and _confirms(bare, company))


def _confirms(compact: str, company: str) -> bool:
    words = _words(company)
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    if not words or len(compact) < 3:
        return False
    if compact == "".join(w[0] for w in words) and len(words) >= 3:
        return True
    first, rest = words[0], words[1:]
    if compact[0] != first[0]:
        return False
    for size in range(min(len(first), len(compact)), 0, -1):
        if size in (2,) or not compact.startswith(first[:size]):
            continue
        if _spells(compact[size:], rest, size >= 4):
            return True
    return False


def spelled_domain(text: str, domain: str | None) -> str | None:
    """Words of `text` that spell the sender's domain ("jackson barber shop" in mail from
    jacksonbarbershop.example): the company's name as the sender wrote it."""
    label = domain_label(domain)
    if label is None or len(label) < 5:
        return None
    target = _NOT_NAMES_SPLIT.sub("", label)
    words = [(m.group(0), _NOT_ALNUM.sub("", m.group(0).lower().replace("&", "and")))
             for m in re.finditer(r"[\w'’&.-]+", text)]
    for start in range(len(words)):
        joined = ""
        for end in range(start, min(start + 6, len(words))):
            joined += words[end][1]
            if joined == target:
                found = " ".join(w for w, _ in words[start:end + 1]).strip(".,")
                return found.title() if found.islower() else found
            if not target.startswith(joined):
                break
    return None
