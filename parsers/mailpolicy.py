"""The `email` policies we parse and write with: the standard library's own, with a header
registry that builds each header class once.

`email.headerregistry.HeaderRegistry` makes a new class with `type()` every time a header
is set or read (about 12 microseconds each, a dozen times per message); the classes it
makes are the same every time, so keeping them changes nothing but the time.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry


class CachedRegistry(HeaderRegistry):
    """HeaderRegistry that keeps the class it makes for each header name."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        """The class for header `name`, made on first use."""
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made


DEFAULT = policy.default.clone(header_factory=CachedRegistry())
SMTP = policy.SMTP.clone(header_factory=CachedRegistry())
