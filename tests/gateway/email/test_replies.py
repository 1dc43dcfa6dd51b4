"""gateway.email.replies: what a reply quotes of the description is the description's
words one space apart, cut at 300 characters, however long or spaced the description."""

from __future__ import annotations

import random

from gateway.email.replies import _captured
from parsers.fields import ExtractedFields


def _quoted(description: str) -> str:
    text = " ".join(description.split())
    return f"  Issue:      {text[:300]}{'...' if len(text) > 300 else ''}"


def test_the_issue_line_quotes_the_descriptions_words() -> None:
    rng = random.Random(5)
    pieces = ["word", "ü", "x" * 299, "  ", "\n", "\t\t", "\u00a0", "\u2028", " " * 1500, "ab"]
    descriptions = ["a" * n for n in (1, 299, 300, 301, 1199, 1200, 1201, 5000)] + [
        " " * n + "z" for n in (0, 1199, 1200, 1201)] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, 400))) for _ in range(2000)]
    for description in descriptions:
        lines = _captured(ExtractedFields(description=description))
        expected = [_quoted(description)] if description else []
        assert lines == expected, description
