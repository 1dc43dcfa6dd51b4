"""Public labelled mail from PyPI sdists (accuracy/public.py): talon's replies and
signatures, flufl.bounce's bounces. Fetched with pip into .cache/; a test fails, never
skips, when they cannot be had."""

from __future__ import annotations

from pathlib import Path

import pytest

from accuracy.public import (NOT_BOUNCES, PublicDataError, bounce_files, talon_replies,
                             talon_signatures)
from parsers.classify import automatic_reason
from parsers.message import parse_message
from parsers.signature import split_signature


def fetched(get: object) -> list:  # type: ignore[type-arg]
    try:
        return list(get())  # type: ignore[operator]
    except PublicDataError as exc:
        pytest.fail(f"public test data unavailable: {exc}", pytrace=False)


def test_every_flufl_bounce_is_automatic_and_its_one_reply_is_not() -> None:
    files: list[Path] = fetched(bounce_files)
    missed = [f.name for f in files if f.name not in NOT_BOUNCES
              and automatic_reason(parse_message(f.read_bytes())) is None]
    assert missed == [] and len(files) > 100
    [reply] = [f for f in files if f.name in NOT_BOUNCES]
    assert automatic_reason(parse_message(reply.read_bytes())) is None


def test_talons_replies_keep_only_the_new_text() -> None:
    files: list[Path] = fetched(talon_replies)
    assert len(files) >= 10
    assert [f.name for f in files if parse_message(f.read_bytes()).body.new != "Hello"] == []


def test_talons_signatures_are_cut_where_talon_cuts_them() -> None:
    cases: list[tuple[str, str, str]] = fetched(talon_signatures)
    good = 0
    for _, body, signature in cases:
        found = split_signature(body.rstrip("\n").split("\n"), "")[1]
        good += lines(found) == lines(signature.split("\n"))
    assert (len(cases), good) == (6, 6)


def lines(signature: list[str]) -> list[str]:
    """A signature's lines: talon keeps a "----" delimiter, we cut just below it."""
    return [ln.strip() for ln in signature if ln.strip() and not set(ln.strip()) <= set("-_")]
