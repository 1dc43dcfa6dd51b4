"""Typed reads from a parsed TOML table, with errors that name the file, key and expectation."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, time, timedelta
from typing import Any, TypeVar

from gateway.errors import ConfigError
from mail.settings import Secret

T = TypeVar("T")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
_MISSING = object()


def parse_duration(text: str) -> timedelta:
    """'1h', '90m', '2d', '1h30m' as a timedelta; ValueError otherwise."""
    match = _DURATION.match(text)
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(text)
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def env_secret(environ: Mapping[str, str], name: str) -> Secret | None:
    """The secret kept in the environment variable `name`; None when unset or empty."""
    value = environ.get(name, "")
    return Secret(value) if value else None


def parse_clock(text: str) -> time:
    """'07:00' as a time; ValueError otherwise."""
    if not re.fullmatch(r"\d{2}:\d{2}", text):
        raise ValueError(text)
    return time.fromisoformat(text)


class Section:
    """One TOML table being read; remembers which keys were used to report the others."""

    def __init__(self, data: dict[str, Any], name: str, file: str) -> None:
        self.data = data
        self.name = name
        self.file = file
        self.used: set[str] = set()
        self.children: list[Section] = []

    def where(self, key: str) -> str:
        """'desk.open' for key 'open' of table 'desk'."""
        return f"{self.name}.{key}" if self.name else key

    def fail(self, key: str, value: Any, expected: str) -> ConfigError:
        """The error for a bad value: `config.toml: desk.open = "7am": expected HH:MM`."""
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        return ConfigError(f"{self.file}: {self.where(key)} = {shown}: expected {expected}")

    def _raw(self, key: str, default: Any) -> Any:
        self.used.add(key)
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise ConfigError(f"{self.file}: {self.where(key)} is missing")
            return default
        return value

    def get(self, key: str, kind: type, expected: str, default: Any = _MISSING) -> Any:
        """A value of one TOML type (bool is not taken for int)."""
        value = self._raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, value, expected)
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        """A string."""
        return str(self.get(key, str, "a string", default))

    def optional_text(self, key: str) -> str | None:
        """A string, or None when absent or empty."""
        value = self.get(key, str, "a string", "")
        return value or None

    def integer(self, key: str, default: Any = _MISSING, low: int = 0, high: int = 2**31) -> int:
        """A whole number within [low, high]."""
        value = self.get(key, int, f"a whole number from {low} to {high}", default)
        if not low <= value <= high:
            raise self.fail(key, value, f"a whole number from {low} to {high}")
        return int(value)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        """true or false."""
        return bool(self.get(key, bool, "true or false", default))

    def texts(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        """A list of strings."""
        value = self.get(key, list, "a list of strings", default)
        if not all(isinstance(item, str) for item in value):
            raise self.fail(key, value, "a list of strings")
        return tuple(value)

    def convert(self, key: str, parse: Callable[[str], T], expected: str, default: Any) -> T:
        """A string turned into something else by `parse` (which raises ValueError)."""
        value = self.get(key, str, expected, default)
        try:
            return parse(value)
        except (ValueError, KeyError) as exc:
            raise self.fail(key, value, expected) from exc

    def dates(self, key: str) -> tuple[date, ...]:
        """A list of 'YYYY-MM-DD' strings (TOML dates are taken too)."""
        value = self.get(key, list, 'a list of dates such as ["2026-12-24"]', [])
        out = []
        for item in value:
            if isinstance(item, date):
                out.append(item)
                continue
            try:
                out.append(date.fromisoformat(str(item)))
            except ValueError as exc:
                raise self.fail(key, value, 'a list of dates such as ["2026-12-24"]') from exc
        return tuple(out)

    def table(self, key: str) -> Section:
        """A sub-table (empty when absent)."""
        value = self.get(key, dict, "a table", {})
        child = Section(value, self.where(key), self.file)
        self.children.append(child)
        return child

    def unknown_keys(self) -> list[str]:
        """Keys present in the file that nothing read (likely typos), with their full names."""
        out = [self.where(key) for key in self.data if key not in self.used]
        for child in self.children:
            out.extend(child.unknown_keys())
        return out


def one_of(*choices: str) -> Callable[[str], str]:
    """A converter for `Section.convert` that accepts only `choices`."""

    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(text)
        return text

    return parse
