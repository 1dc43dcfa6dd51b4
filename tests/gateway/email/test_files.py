"""gateway.email.files: an mbox's messages are where the standard library's mailbox finds
them, however its lines, blank lines and "From " lines fall, and whatever the block size."""

from __future__ import annotations

import io
import mailbox
import random
from pathlib import Path

import pytest

from gateway.email.files import mbox_toc, sources

PIECES = [b"From a@b Mon Nov 30 14:00:00 2026\n", b"\n", b"\n\n", b"Subject: x\n", b"From ",
          b"From", b">From quoted\n", b"body line\n", b"\r\n", b"From x\r\n", b"no newline",
          b"\nFrom ", b"text From inside\n", b"\rFrom y\n", b"From\n", b"\xff\xfe binary\n"]


def _stdlib_toc(path: Path) -> tuple[dict[int, tuple[int, int]], list[bytes]]:
    box = mailbox.mbox(path, create=False)
    try:
        keys = box.keys()
        toc = {int(k): box._lookup(k) for k in keys}  # type: ignore[attr-defined]
        return toc, [box.get_bytes(k) for k in keys]
    finally:
        box.close()


@pytest.mark.parametrize("block", [1, 2, 5, 6, 7, 64, 1 << 20])
def test_the_table_of_contents_is_the_standard_librarys(tmp_path: Path, block: int) -> None:
    rng = random.Random(block)
    path = tmp_path / "box.mbox"
    cases = [b"", b"\n", b"From ", b"From a\n", b"\nFrom a\n\n", b"From a\n\n\n"] + [
        b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(400)]
    for data in cases:
        path.write_bytes(data)
        toc, length = mbox_toc(io.BytesIO(data), block)
        assert (toc, length) == (_stdlib_toc(path)[0], len(data)), data
        assert len(toc) == data.count(b"\nFrom ") + data.startswith(b"From ")


def test_ingest_reads_each_message_of_an_mbox_as_mailbox_does(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    rng = random.Random(7)
    path.write_bytes(PIECES[0] + b"".join(rng.choice(PIECES) for _ in range(3000)))
    found = sources((path,))
    try:
        assert [source.load() for source in found] == _stdlib_toc(path)[1]
        assert [source.index for source in found] == list(range(1, len(found) + 1))
        assert len(found) > 100
    finally:
        found[0].load.func.__self__.close()  # type: ignore[attr-defined]  # the mbox
