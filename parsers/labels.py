"""Labelled lines: "Name:", "Company -", "Phone<tab>", a question a web form asks
("What's your name?") with the answer on the lines below, in any case, with markdown bold.
A value of "N/A", "none" or "-" says there is nothing."""

from __future__ import annotations

import re

_LABELS = {
    "requester_name": r"(?:requester'?s?\s+|your\s+|contact\s+)?(?:full\s+)?name|requester|"
                      r"contact(?:\s+person)?|submitted\s+by|reported\s+by|"
                      r"what'?s\s+your\s+(?:full\s+)?name",
    "company": r"(?:client\s+)?company(?:\s+name)?|client(?:\s+name)?|organi[sz]ation(?:\s+name)?|"
               r"business(?:\s+name)?|employer|firm|customer|account(?:\s+name)?|practice|site|"
               r"clinic|school|store|shop|"
               r"which\s+(?:business|company|organi[sz]ation)\s+are\s+you\s+(?:with|from|at)",
    "callback_numbers": r"(?:best\s+)?call[\s-]?back(?:\s+(?:number|no\.?|#|phone))?(?:s|\(s\))?|"
                        r"(?:best\s+|contact\s+|your\s+)?(?:phone|telephone|tel|mobile|cell|"
                        r"cell\s+phone|direct|direct\s+line|office|work|contact|best)"
                        r"(?:\s+(?:phone\s+)?(?:number|no\.?|#|phone))?(?:s|\(s\))?|"
                        r"ddi|switchboard|switch|main\s+line|ph|mob|t|m|c|p|o|w|h",
    "fax": r"fax(?:\s+(?:number|no\.?|#))?|facsimile|f",
    "email": r"e-?mail(?:\s+address)?|your\s+e-?mail|urgency|priority|preferred\s+contact",
    "description": r"(?:detailed\s+)?description(?:\s+of\s+(?:the\s+)?(?:issue|problem))?|"
                   r"issue(?:\s+description)?|problem(?:\s+description)?|details|summary|"
                   r"symptoms?|request|question|what\s+happened|message(?:\s+body)?|"
                   r"your\s+message|comments?|enquiry|inquiry|"
                   r"describe\s+the\s+(?:problem|issue)|what\s+do\s+you\s+need\s+help\s+with|"
                   r"what'?s\s+going\s+on|how\s+can\s+we\s+help(?:\s+you)?|"
                   r"what\s+is\s+the\s+(?:problem|issue)",
}
_LABEL_LINE = re.compile(
    r"^[\s*_•>\-]*(?P<label>" + "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items())
    + r")\??[*_]*(?:(?P<colon>\s*[:：]|\s+[-–—]\s|\s{2,}|\t)[\s*_]*(?P<value>.*?)|\s*)[\s*_]*$",
    re.IGNORECASE,
)
# Values that say there is nothing: "Company: N/A".
_EMPTY_VALUE = re.compile(r"^(?:n/?a|n\.a\.?|none|nil|-+|tbc|tba|unknown|not\s+applicable|"
                          r"\?+|private|personal|self)\.?$", re.IGNORECASE)


def labelled_values(lines: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Values of labelled lines (a value may sit on the lines below a bare label), and the
    lines that were not part of any label."""
    values: dict[str, list[str]] = {}
    rest: list[str] = []
    current: str | None = None
    for line in lines:
        match = _LABEL_LINE.match(line)
        if match and (match.group("colon") or len(line.split()) <= 6):
            key = next(k for k in _LABELS if match.group(k))
            value = (match.group("value") or "").strip().strip("*_ ").strip()
            values.setdefault(key, [])
            if _EMPTY_VALUE.match(value):
                current = None  # "Company: N/A" says there is none
                continue
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
