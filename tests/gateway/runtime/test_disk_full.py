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
from tests.helpers.faults import (Figures, resend_until_accepted, send_request, settled,
                                  smtp_serve)

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
    figures = Figures("disk full", 0, trials=1)
    serve, smtp_port = smtp_serve(disk / "config.toml", 'path = "data/test.db"\nmin_free_mb = 1')
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
        retried = {f"<during{n}@contoso.example>": code for n, code in enumerate(during)}
        resend_until_accepted(smtp_port, retried, "the retries accepted once room is free")
        figures.extra["seconds full"] = round(time.monotonic() - full)
        # Well inside the deciders' 30 s lease: a decider whose commit failed on the full
        # disk commits again within seconds of room (it took the lease, 30 s, before).
        took, outcomes, tickets = settled(open_store(disk / "data" / "test.db"), within=15)
        figures.extra["seconds to decide the backlog"] = round(took, 1)
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
