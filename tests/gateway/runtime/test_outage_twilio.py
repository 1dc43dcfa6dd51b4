"""The Twilio API answering 500s, then timing out, under a running `serve`: pages are
retried, and each page's SMS is taken by Twilio exactly once when it answers again.

Each round turns the stand-in (our recording server in front of Prism) to answering 500,
queues a few critical pages in the store of the running gateway (as critical mail does),
waits until the gateway has recorded a 500 on one of them, turns the stand-in to holding
every request past the gateway's Twilio timeout until the gateway has recorded a timeout,
then lets requests through again. The round ends when every SMS item is sent; the test
fails on the first page never texted or texted twice. Rounds: FAULT_TRIALS / 10, at least
one.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from store import OutboxItem, open_store
from tests.helpers.faults import Figures, Serve, rounds, seeded
from tests.helpers.net import free_port
from tests.helpers.paging import (ACCOUNT, ACCOUNT_ENV, LEE, ROSTER, item_of, paging_config,
                                  queue_critical_pages)
from tests.helpers.twilio_api import RecordingServer, Sent
from tests.helpers.voice import TOKEN, TOKEN_ENV
from tests.helpers.waiting import wait_for


PER_ROUND = 4
# escalation out of reach: each page is exactly one SMS, to level 1
ONCALL = ROSTER.replace('escalate_after = "30s"', 'escalate_after = "1h"')


def accepted(api: RecordingServer) -> list[Sent]:
    """The SMS the stand-in took (201), in order."""
    with api.recorder.lock:
        return [s for s in api.recorder.sent
                if s.path.endswith("/Messages.json") and s.status == 201]


def sms_items(db: Path) -> list[OutboxItem]:
    """Every SMS item of the outbox at `db`, oldest first."""
    store = open_store(db)
    try:
        return [i for i in store.outbox.items() if i.kind == "sms"]
    finally:
        store.close()


def recorded(db: Path, first: int, error: str) -> bool:
    """True once an SMS item from the `first`-th on carries `error` as its last failure."""
    return any(error in (i.last_error or "") for i in sms_items(db)[first:])


@pytest.mark.faultsuite
def test_twilio_500s_then_timeouts_under_serve_text_each_page_once(
        tmp_path: Path, twilio_api: RecordingServer) -> None:
    http_port = free_port()
    config = paging_config(tmp_path, http_port, twilio_api.url, oncall=ONCALL)
    config.write_text(config.read_text() + "\n[deciders]\nprocesses = 1\n")
    db = tmp_path / "data" / "test.db"
    seed, rng = seeded("twilio outage")
    figures = Figures("twilio outage", seed, unit="rounds")
    recorder = twilio_api.recorder
    serve = Serve(config, http_port, env={TOKEN_ENV: TOKEN, ACCOUNT_ENV: ACCOUNT,
                                          "TEST_VOICE_API_TOKEN": "t"})
    queued: list[str] = []
    outage, catch_up = 0.0, 0.0
    serve.start()
    try:
        for round_ in range(rounds()):
            first = len(sms_items(db))
            recorder.mode = "500"
            down = time.monotonic()
            queued += queue_critical_pages(db, round_, rng.randint(1, PER_ROUND))
            wait_for(lambda: recorded(db, first, "Twilio answered 500"),
                     f"round {round_}: a 500 recorded")
            recorder.mode = "hang"  # held past the gateway's Twilio timeout, then a 500
            wait_for(lambda: recorded(db, first, "Twilio unreachable"),
                     f"round {round_}: a timeout recorded")
            recorder.mode = "forward"
            up = time.monotonic()
            wait_for(lambda: len(accepted(twilio_api)) >= len(queued)
                     and all(i.status == "sent" for i in sms_items(db)),
                     f"round {round_}: every page texted and every SMS item sent")
            outage += up - down
            catch_up = max(catch_up, time.monotonic() - up)
            figures.trials, figures.inputs = round_ + 1, len(queued)
            sms = accepted(twilio_api)
            failed = sum(i.attempts - 1 for i in sms_items(db))  # each sent on its last
            figures.extra.update({"attempts failed": failed, "down": outage,
                                  "longest catch-up": catch_up})
            assert all(s.form["To"] == LEE for s in sms), f"an SMS past level 1; {figures}"
            copies = Counter(item_of(s) for s in sms)
            assert not [i for i, n in copies.items() if n > 1], (
                f"round {round_}: texted twice {copies}; {figures}")
            assert sorted(s.form["Body"].split()[0] for s in sms) == sorted(queued), (
                f"round {round_}: pages lost or doubled; {figures}")
    finally:
        serve.stop()
        recorder.mode = "forward"
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
