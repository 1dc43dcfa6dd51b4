"""PostgreSQL stopping under a real `serve` (a private server of the test's own, stopped
and started again): SMTP answers 451 while the database is down (the sender keeps the
message); once it is back the retries are accepted, what the deciders could not commit
meanwhile is decided within seconds, and every message is one ticket."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import open_store_at
from tests.helpers.faults import (Figures, resend_until_accepted, send_request, settled,
                                  smtp_serve)
from tests.helpers.net import free_port
from tests.helpers.postgres import Postgres

BEFORE = 40  # sent from 4 clients at once, the server stopped as the last is answered
DURING = 3  # sent while it is down: each answered 451, then retried


@pytest.fixture
def server() -> Iterator[Postgres]:
    """A PostgreSQL of this test's own: stopping it must not take the session's down.
    (Not under pytest's folder, for the reason given in tests/conftest.py.)"""
    folder = Path(tempfile.mkdtemp(prefix="intake-outage-"))
    postgres = Postgres(folder, free_port())
    try:
        postgres.start()
        yield postgres
    finally:
        try:
            postgres.stop()
        except RuntimeError:
            pass  # stopped by the test already (it failed while the server was down)
        shutil.rmtree(folder, ignore_errors=True)


def burst(port: int, mids: list[str]) -> list[int]:
    """Send `mids` from 4 clients at once; the answers, in the order of `mids`."""
    codes: dict[str, int] = {}

    def client(part: list[str]) -> None:
        for mid in part:
            codes[mid] = send_request(port, mid)

    threads = [threading.Thread(target=client, args=(mids[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return [codes.get(mid, 0) for mid in mids]


@pytest.mark.faultsuite
def test_smtp_answers_451_while_postgresql_is_down_then_each_message_is_one_ticket(
        server: Postgres, tmp_path: Path) -> None:
    url = server.new_database()
    figures = Figures("PostgreSQL down", 0, trials=1)
    serve, smtp_port = smtp_serve(tmp_path / "config.toml", f'url = "{url}"')
    try:
        before = [f"<before{n}@contoso.example>" for n in range(BEFORE)]
        first = burst(smtp_port, before)
        server.stop()  # mail just accepted may still wait for its decider
        assert first == [250] * BEFORE, f"{Counter(first)}; {figures}"
        during, waits = [], []
        for n in range(DURING):
            sent = time.monotonic()
            during.append(send_request(smtp_port, f"<during{n}@contoso.example>"))
            waits.append(time.monotonic() - sent)
        # The pool's wait for a connection (10 s), once: not again for each message alone.
        figures.extra["seconds to the 451, most"] = round(max(waits), 1)
        assert during == [451] * DURING, f"while down: {Counter(during)}; {figures}"
        assert max(waits) < 15, f"a 451 waited past the pool's 10 s; {figures}"
        server.resume()
        back = time.monotonic()
        retried = {f"<during{n}@contoso.example>": code for n, code in enumerate(during)}
        resend_until_accepted(smtp_port, retried, "the retries accepted once it is back")
        # Well inside the deciders' 30 s lease: a decider whose commit failed while the
        # database was down commits again within seconds of its return.
        _, outcomes, tickets = settled(open_store_at(url, tmp_path / "unused.db"), within=15)
        figures.extra["seconds from the return to all decided"] = round(
            time.monotonic() - back, 1)
    finally:
        serve.stop()
    figures.inputs = BEFORE + DURING
    for mid in before + [f"<during{n}@contoso.example>" for n in range(DURING)]:
        assert tickets[mid] == 1, f"{mid}: {tickets[mid]} tickets, {outcomes.get(mid)}; {figures}"
    assert max(tickets.values()) == 1, figures
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
