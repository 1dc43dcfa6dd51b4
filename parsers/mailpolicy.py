"""The `email` policies we parse and write with: the standard library's own, with a header
registry that builds each header class once and parses each header value once.

`email.headerregistry.HeaderRegistry` makes a new class with `type()` every time a header
is set or read (about 12 microseconds each, a dozen times per message), and the policy
parses a header again on every read: reading one part's type, charset, disposition and
filename parses its Content-Type four times. The classes are the same every time and a
parsed header is immutable, so keeping both changes nothing but the time.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from typing import Any

KEPT = 256  # parsed header values kept; past that the memory starts afresh
LONGEST = 1000  # longer header values are parsed every time rather than kept


class CachedRegistry(HeaderRegistry):
    """HeaderRegistry that keeps the class it makes for each header name, and the header
    it parsed for each (name, text) pair."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: Any) -> BaseHeader:
        """The header object for `name` with `value`; parsed once per text."""
        if not isinstance(value, str) or len(value) > LONGEST:  # an Address, or a long one
            return super().__call__(name, value)  # type: ignore[no-any-return]
        header = self._parsed.get((name, value))
        if header is None:
            if len(self._parsed) >= KEPT:
                self._parsed = {}
            header = self._parsed[(name, value)] = super().__call__(name, value)
        return header

    def __getitem__(self, name: str) -> type[BaseHeader]:
        """The class for header `name`, made on first use."""
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made


DEFAULT = policy.default.clone(header_factory=CachedRegistry())
SMTP = policy.SMTP.clone(header_factory=CachedRegistry())
