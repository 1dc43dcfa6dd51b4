"""What a query's text and columns say about its rows, worked out once per text and per
column list: every decided message runs the same few dozen statements thousands of times."""

from __future__ import annotations

import functools

from sqlite_utils.utils import dedupe_keys

_WRITES = ("INSERT", "UPDATE", "DELETE")


@functools.lru_cache(maxsize=512)
def statement_kind(statement: str) -> str:
    """"select", "returning" (a write that returns rows) or "other"."""
    keyword = statement.lstrip()[:6].upper()
    if keyword == "SELECT":
        return "select"
    return "returning" if keyword in _WRITES and "RETURNING" in statement.upper() else "other"


@functools.lru_cache(maxsize=256)
def row_keys(names: tuple[str, ...]) -> list[str]:
    """The dict keys of a result's columns (sqlite-utils' names for repeated ones)."""
    return dedupe_keys(names)  # type: ignore[no-any-return]
