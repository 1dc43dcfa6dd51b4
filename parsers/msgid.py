"""Message ids as read from mail, and as written into ours.

What arrives is read leniently (any `<...>` without spaces, angle brackets or control
characters), so the same message is recognised again however odd its id. What we write
into In-Reply-To and References is only RFC 5322 `msg-id` syntax (dot-atom-text "@"
dot-atom-text or a domain literal): nothing else from outside reaches a header we send.
"""

from __future__ import annotations

import re

_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~"
_DOT_ATOM = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"
STRICT = re.compile(rf"<{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[!-Z^-~]*\])>")
_LENIENT = re.compile(r"<([^<>\s\x00-\x1f\x7f]+)>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def read_ids(value: str) -> list[str]:
    """The ids in a Message-ID, In-Reply-To or References value, as `<id>`, in order; a
    bare `id@host` alone counts too."""
    ids = _LENIENT.findall(value)
    bare = value.strip()
    if not ids and "@" in bare and " " not in bare and not _CONTROL.search(bare) \
            and "<" not in bare and ">" not in bare:
        ids = [bare]
    return [f"<{i}>" for i in ids]


def strict_ids(value: str | None) -> list[str]:
    """The RFC 5322 msg-ids in a value, in order: what may go into a header we send."""
    return STRICT.findall(value or "")
