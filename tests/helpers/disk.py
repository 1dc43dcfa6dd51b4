"""A small disk for the tests that fill one: a tmpfs of a few MB, mounted for the test."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

MB = 1024 * 1024


@contextlib.contextmanager
def small_disk(megabytes: int) -> Iterator[Path]:
    """A folder on a tmpfs of `megabytes`; fails (never skips) where mount is not allowed."""
    folder = Path(tempfile.mkdtemp(prefix="intake-small-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs",
                              str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.fail(f"cannot mount a tmpfs (the test needs root): {mounted.stderr}",
                    pytrace=False)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
        folder.rmdir()


def fill(folder: Path) -> Path:
    """Take every byte the disk under `folder` has left; the file that holds them."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * MB)
                out.flush()
        except OSError:
            pass
    return filler
