"""One result of `ingest --json` against its label.

A label (accuracy/labels/<category>.toml, one table per .eml file) has:
  outcome      "ticket", "rejected" or "automatic"
  name         the requester's full name ("" = none can be found)
  company      the client company ("" = none can be found)
  numbers      the requester's call-back numbers in E.164 ([] = none)
  description  a phrase the description must contain ("" = there is no description)
  missing      the fields a rejection must name (for "rejected")
  name_also    other spellings of the name that are as right (a signature's "Ben Carter")
  note         why the label is what it is, when that is not obvious

Names compare without case, honorifics (Dr, Mrs...) or letters after the name; companies
without case, punctuation or a legal suffix (Ltd, LLC, Pty Ltd...); numbers as a set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("name", "company", "numbers", "description")
_HONORIFIC = re.compile(r"^(?:dr|mr|mrs|ms|miss|mx|prof|sir|dame)\.?\s+", re.IGNORECASE)
_LEGAL = re.compile(r"[,\s]+(?:inc|llc|ltd|limited|pty\.?\s*ltd|pty|plc|llp|gmbh|co|corp)\.?$",
                    re.IGNORECASE)


def same_name(got: str | None, expected: str) -> bool:
    """Equal as a person would read them: case, honorifics and post-nominals aside."""
    def bare(text: str) -> str:
        text = _HONORIFIC.sub("", " ".join(text.split()))
        return text.split(",")[0].strip().casefold()
    return bare(got or "") == bare(expected)


def same_company(got: str | None, expected: str) -> bool:
    """Equal as companies: case, punctuation and legal suffixes aside."""
    def bare(text: str) -> str:
        text = _LEGAL.sub("", " ".join(text.split()))
        return re.sub(r"[^0-9a-z]+", "", text.casefold().replace("&", "and"))
    return bare(got or "") == bare(expected)


def has_phrase(got: str | None, expected: str) -> bool:
    """The description holds the phrase (or, for "", there is none)."""
    if not expected:
        return not got
    return " ".join(expected.split()).casefold() in " ".join((got or "").split()).casefold()


@dataclass
class Row:
    """One message's result against its label."""

    category: str
    file: str
    outcome_ok: bool
    fields: dict[str, bool] | None  # None: fields not scored (automatic mail)
    false_accept: bool
    false_reject: bool
    automatic_missed: bool
    problems: list[str] = field(default_factory=list)


def check(category: str, file: str, label: dict[str, Any], result: dict[str, Any],
          fields: bool = True) -> Row:
    """Compare one `ingest --json` object with its label."""
    expected, got = label["outcome"], result["outcome"]
    problems = [] if got == expected else [f"outcome {got} (expected {expected}; "
                                           f"{result.get('reason')})"]
    scored: dict[str, bool] | None = None
    if fields and expected != "automatic":
        values = result["fields"]
        scored = {
            "name": any(same_name(values["requester_name"], n) for n in [
                label.get("name", ""), *label.get("name_also", [])]),
            "company": same_company(values["company"], label.get("company", "")),
            "numbers": sorted(values["callback_numbers"]) == sorted(label.get("numbers", [])),
            "description": has_phrase(values["description"], label.get("description", "")),
        }
        shown = {"name": values["requester_name"], "company": values["company"],
                 "numbers": values["callback_numbers"], "description": values["description"]}
        for name, ok in scored.items():
            if not ok:
                text = str(shown[name])[:70].replace("\n", " ")
                problems.append(f"{name} {text!r} (expected {label.get(name)!r})")
        if expected == "rejected" and sorted(result["missing"]) != sorted(label.get("missing", [])):  # noqa: E501
            problems.append(f"missing {result['missing']} (expected {label.get('missing')})")
    missing_ok = expected != "rejected" or "missing" not in label or sorted(
        result["missing"]) == sorted(label["missing"])
    return Row(
        category=category, file=file, outcome_ok=got == expected and missing_ok,
        fields=scored,
        false_accept=expected != "ticket" and got == "ticket",
        false_reject=expected == "ticket" and got != "ticket",
        automatic_missed=expected == "automatic" and got != "automatic",
        problems=problems,
    )
