"""A full disk under the SQLite file of a real `serve` (a small tmpfs): SMTP answers 451 while
it is full (the sender keeps the message), and once room is freed the retries are accepted
and every message is one ticket, as is the mail accepted just before the disk filled; what
the deciders could not commit while it was full is decided within seconds of room.

A write-ahead log already on the disk has room that a full disk does not take away: mail that
still fits in it is committed (and answered 250) until it does not; none is lost either way."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import open_store
from tests.helpers.disk import fill, small_disk
from tests.helpers.faults import Figures, Serve, message_outcomes, send_request
from tests.helpers.net import free_port
from tests.helpers.waiting import wait_for

BEFORE = 10  # messages sent before the disk fills
DURING = 10  # answered 451 while it is full, each retried once room is free
MOST = 1000  # sent while it is full at most: the log's room is used up well before


@pytest.fixture
def disk() -> Iterator[Path]:
    """A 24 MB tmpfs, mounted for the test."""
    with small_disk(24) as folder:
        yield folder


@pytest.mark.faultsuite
def test_smtp_answers_451_while_the_disk_is_full_then_catches_up(disk: Path) -> None:
    http_port, smtp_port = free_port(), free_port()
    config = disk / "config.toml"
    config.write_text(f'[store]\npath = "data/test.db"\nmin_free_mb = 1\n[http]\n'
                      f'port = {http_port}\n[mail.smtp]\nhost = "127.0.0.1"\n'
                      f'port = {smtp_port}\n[deciders]\nprocesses = 1\n', encoding="utf-8")
    figures = Figures("disk full", 0, trials=1)
    serve = Serve(config, http_port)
    serve.start()
    try:
        first = [send_request(smtp_port, f"<before{n}@contoso.example>") for n in range(BEFORE)]
        assert first == [250] * BEFORE, f"{Counter(first)}; {figures}"
        filler = fill(disk)
        full = time.monotonic()
        during: list[int] = []
        while during.count(451) < DURING and len(during) < MOST:
            during.append(send_request(smtp_port, f"<during{len(during)}@contoso.example>"))
        figures.extra["answered 250 into the log's room"] = during.count(250)
        figures.extra["answered 451 while full"] = during.count(451)
        assert set(during) <= {250, 451} and during.count(451) == DURING, (
            f"while full: {Counter(during)}; {figures}")
        filler.unlink()
        retried = {n: code for n, code in enumerate(during)}

        def retry() -> bool:  # as the sending MTA would, until each one is taken
            for n in [n for n, code in retried.items() if code != 250]:
                retried[n] = send_request(smtp_port, f"<during{n}@contoso.example>")
            return all(code == 250 for code in retried.values())

        wait_for(retry, "the retries accepted once room is free")
        figures.extra["seconds full"] = round(time.monotonic() - full)
        store = open_store(disk / "data" / "test.db")
        try:
            # Well inside the deciders' 30 s lease: a decider whose commit failed on the full
            # disk commits again within seconds of room (it took the lease, 30 s, before).
            freed = time.monotonic()
            wait_for(lambda: store.pending.count() == 0, "the backlog decided", timeout=15)
            figures.extra["seconds to decide the backlog"] = round(time.monotonic() - freed, 1)
            outcomes = message_outcomes(store)
            tickets = Counter(t.source_id for t in store.tickets.queue(include_closed=True))
        finally:
            store.close()
    finally:
        serve.stop()
    figures.inputs = BEFORE + len(during)
    mids = [f"<before{n}@contoso.example>" for n in range(BEFORE)] + [
        f"<during{n}@contoso.example>" for n in range(len(during))]
    for mid in mids:
        assert tickets[mid] == 1, f"{mid}: {tickets[mid]} tickets, {outcomes.get(mid)}; {figures}"
    assert max(tickets.values()) == 1, figures
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
