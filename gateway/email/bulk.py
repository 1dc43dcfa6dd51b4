"""Bulk ingest on every core: other processes read the messages ahead (`prepare`: the
parse, the sender, the fields), while this one decides and commits them in order, many
to a transaction.

The order of the messages is kept: each is decided after the ones before it are in the
store (a duplicate, an answer to a rejection earlier in the same mbox), exactly as one at
a time. A batch commits whole or not at all, so a crash leaves nothing of it and running
the same files again picks it up; what committed earlier is found as duplicates. What is
read ahead is bounded in count and in bytes, so a large mbox streams through.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from gateway.config import Config, load_config
from gateway.email.files import Source
from gateway.email.prepare import Prepared, prepare
from store import Store, open_store_at

log = logging.getLogger(__name__)
BATCH = 64  # messages committed in one transaction
BATCH_BYTES = 8 * 1024 * 1024  # ... or fewer, when they are large
AHEAD_BYTES = 32 * 1024 * 1024  # read ahead at most this much (and a few per worker)

_worker: tuple[Config, Store] | None = None  # in a worker process: its config and store


def _start(source: Path | None, cwd: str) -> None:
    """A worker: the parent's config file (secrets come from the inherited environment,
    never pickled) and its own connection to the store, only read."""
    global _worker  # noqa: PLW0603 - one per worker process, set by its initializer
    os.chdir(cwd)
    config = load_config(source)
    password = config.store.password
    store = open_store_at(config.store.url, config.store.path,
                         password=password.reveal() if password else None,
                         ticket_prefix=config.desk.ticket_prefix,
                         busy_timeout_ms=config.store.busy_timeout_ms)
    _worker = (config, store)


def _prepare(raw: bytes) -> Prepared:
    assert _worker is not None, "not in a bulk worker"
    config, store = _worker
    return prepare(raw, config, store)


@dataclass(frozen=True)
class Item:
    """One message on its way: where from, its bytes, and its `prepare` (None: here)."""

    source: Source
    raw: bytes
    ahead: Callable[[], Prepared] | None


def _result(future: Future[Prepared], raw: bytes, local: Callable[[bytes], Prepared]
            ) -> Prepared:
    try:
        return future.result()
    except BrokenProcessPool:  # a worker died (killed, out of memory): read it here
        log.warning("ingest.worker_lost")
        return local(raw)


class Readers:
    """Worker processes reading messages ahead; `workers` 0 reads each here when its turn
    comes (`local`, also used when a worker dies)."""

    def __init__(self, config: Config, workers: int, local: Callable[[bytes], Prepared]
                 ) -> None:
        self.workers = workers
        self.local = local
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start, initargs=(config.source, os.getcwd()))

    def items(self, sources: Iterable[Source]) -> Iterator[Item]:
        """The messages in order, each read ahead by a worker."""
        if self._pool is None:
            for source in sources:
                yield Item(source, source.load(), None)
            return
        window: deque[tuple[Source, bytes, Future[Prepared]]] = deque()
        held = 0
        for source in sources:
            raw = source.load()
            window.append((source, raw, self._pool.submit(_prepare, raw)))
            held += len(raw)
            while window and (held > AHEAD_BYTES or len(window) > 2 * BATCH):
                first = window.popleft()
                held -= len(first[1])
                yield Item(first[0], first[1], partial(_result, first[2], first[1], self.local))
        while window:
            first = window.popleft()
            yield Item(first[0], first[1], partial(_result, first[2], first[1], self.local))

    def close(self) -> None:
        """End the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    """The items cut into batches of at most BATCH messages and BATCH_BYTES."""
    batch: list[Item] = []
    size = 0
    for item in items:
        if batch and (len(batch) >= BATCH or size + len(item.raw) > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += len(item.raw)
    if batch:
        yield batch
