"""The transport with no relay: each message is written as an .eml file to a folder, for
an operator (or another program) to pick up."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from mail.transport import PermanentFailure, Unavailable
from store import OutboxItem


def file_name(item: OutboxItem) -> str:
    """<created date>-<outbox id>.eml: one name per item, so a rewrite replaces the file."""
    return f"{item.created_at:%Y-%m-%d}-{item.id:06d}.eml"


def write_atomically(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Write `data` so that `path` holds the old content or all of the new, never part:
    a temporary file in the same folder, synced to disk, then renamed over `path`. The
    rename is durable once the folder is synced: here, or by the caller (`sync_folder`
    False, then `fsync_folder` once for several files)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if sync_folder:
        fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make the renames done in `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class FolderTransport:
    """Writes each message's raw text, unchanged, to `folder`/<date>-<id>.eml. The files
    of a group are durable once `sync` returned: the folder is synced once for them."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    @property
    def mode(self) -> str:
        """What it sends through: "folder <path>"."""
        return f"folder {self._folder}"

    def check(self) -> None:
        """Nothing to check before trying."""

    def open(self) -> None:
        """Create the folder if it is missing."""
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Unavailable(f"cannot create {self._folder}: {exc}") from exc

    def send(self, item: OutboxItem) -> str:
        """Write the file; return "written to <file name>"."""
        raw = item.payload.get("raw")
        if not isinstance(raw, str) or not raw:
            raise PermanentFailure("the outbox item carries no message (payload raw)")
        name = file_name(item)
        try:
            write_atomically(self._folder / name, raw.encode("utf-8"), sync_folder=False)
        except OSError as exc:
            raise Unavailable(f"cannot write {name} in {self._folder}: {exc}") from exc
        return f"written to {name}"

    def sync(self) -> None:
        """Make the files written so far durable (their renames): before they are recorded."""
        try:
            fsync_folder(self._folder)
        except OSError as exc:
            raise Unavailable(f"cannot sync {self._folder}: {exc}") from exc

    def close(self) -> None:
        """Nothing to close."""
