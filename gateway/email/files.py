"""Messages from files for `intake-gateway ingest`: .eml files, Maildir folders, mbox files
and folders of any of these."""

from __future__ import annotations

import mailbox
from functools import partial
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import IntakeError


class IngestFileError(IntakeError):
    "A path given to ingest could not be read"


@dataclass(frozen=True)
class Source:
    """One message to read: where it is, and how to get its bytes."""

    file: str
    index: int | None  # position in an mbox file (1-based), None for a file of its own
    load: Callable[[], bytes]


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def _mbox(path: Path) -> Iterator[Source]:
    box = mailbox.mbox(path, create=False)
    for index, key in enumerate(box.keys(), start=1):
        yield Source(str(path), index, partial(box.get_bytes, key))


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(folder).parts):
            yield path


def sources(paths: tuple[Path, ...]) -> list[Source]:
    """Every message under the given paths, in a stable order."""
    found: list[Source] = []
    for path in paths:
        if not path.exists():
            raise IngestFileError(f"{path}: no such file or folder")
        if path.is_dir():
            folders = [path / "new", path / "cur"] if _is_maildir(path) else [path]
            files = [f for folder in folders for f in _files(folder)]
        else:
            files = [path]
        for file in files:
            if _is_mbox(file):
                found.extend(_mbox(file))
            else:
                found.append(Source(str(file), None, file.read_bytes))
    return found
