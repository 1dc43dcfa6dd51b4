"""Rows cut into batches for `store copy`: a row count, and a byte budget so a table of
large raw messages still moves in bounded memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

BATCH_BYTES = 32 * 2**20  # a batch of large raw messages ends sooner: memory stays bounded


def batches(rows: Iterable[tuple[Any, ...]], batch: int,
            max_bytes: int = BATCH_BYTES) -> Iterator[list[tuple[Any, ...]]]:
    """`rows` in lists of at most `batch` rows and, past one row, about `max_bytes` of text
    and bytes."""
    chunk: list[tuple[Any, ...]] = []
    size = 0
    for row in rows:
        chunk.append(row)
        size += sum(len(v) for v in row if isinstance(v, (bytes, str)))
        if len(chunk) >= batch or size >= max_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
