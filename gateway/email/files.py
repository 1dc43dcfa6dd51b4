"""Messages from files for `intake-gateway ingest`: .eml files, Maildir folders, mbox files
and folders of any of these."""

from __future__ import annotations

import mailbox
import re
from functools import partial
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


_FROM_LINE = re.compile(rb"\nFrom ")  # six bytes
_BLOCK = 1 << 20


def mbox_toc(file: BinaryIO, block: int = _BLOCK) -> tuple[dict[int, tuple[int, int]], int]:
    """The (start, stop) of each message of an mbox file, as `mailbox.mbox` finds them
    (a message starts at each line beginning "From "; it stops before the blank line
    ahead of the next one, if there is one), and the file's length. Read in large blocks,
    where the standard library reads one line at a time."""
    starts: list[int] = []
    stops: list[int] = []
    file.seek(0)
    carry = b"\n"  # as if a line ended just before the file: a "From " line may open it
    offset = 0  # where in the file the next block starts
    while True:
        data = file.read(block)
        if not data:
            break
        data = carry + data
        base = offset - len(carry)
        for match in _FROM_LINE.finditer(data):
            if match.end() <= len(carry):
                continue  # found in the block before
            newline = match.start()  # ends the line before; that line is empty if it is
            line = base + newline + 1  # a newline alone
            if len(stops) < len(starts):
                stops.append(line - 1 if data[newline - 1] == 10 else line)
            starts.append(line)
        offset = base + len(data)
        carry = data[-6:]  # a "From " line starting in this block's last line
    ends_empty = carry.endswith(b"\n\n")  # the last line is a newline alone
    stops.append(offset - 1 if ends_empty else offset)
    return dict(enumerate(zip(starts, stops))), offset


class _Mbox(mailbox.mbox):
    """`mailbox.mbox` with its table of contents made by `mbox_toc`."""

    def _generate_toc(self) -> None:
        if mailbox.linesep != b"\n":  # pragma: no cover - lines end in CRLF on Windows
            super()._generate_toc()  # type: ignore[misc]
            return
        file: BinaryIO = self._file  # type: ignore[attr-defined]
        self._toc, self._file_length = mbox_toc(file)
        self._next_key = len(self._toc)


def _mbox(path: Path) -> Iterator[Source]:
    box = _Mbox(path, create=False)
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
