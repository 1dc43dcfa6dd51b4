"""The relay down, then answering 4xx, under a running `serve`: every acknowledgement is
retried and delivered exactly once when the relay takes mail again.

Each round stops the relay (nothing listens on its port), sends a few complete requests to
the gateway's SMTP listener (each answered 250 and acknowledged through the outbox), waits
until the gateway has deferred every acknowledgement for the outage, brings the relay back
answering `451` to each message until every acknowledgement has been handed over and
refused at least once, then lets it take mail. The round ends when each acknowledgement is
sent; the test fails on the first one lost, delivered twice, or dead (retried no more).
Rounds: FAULT_TRIALS / 10, at least one.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from store import OutboxItem, open_store
from tests.helpers.faults import Figures, Serve, rounds, seeded
from tests.helpers.mail import LABELLED
from tests.helpers.net import free_port
from tests.helpers.relay import FlakySink
from tests.helpers.waiting import wait_for

REFUSAL = "451 4.3.0 Try again later"


def acknowledgements(db: Path) -> list[OutboxItem]:
    """Every email item of the outbox at `db` (the acknowledgements), oldest first."""
    store = open_store(db)
    try:
        return [i for i in store.outbox.items() if i.kind == "email"]
    finally:
        store.close()


def send_requests(port: int, round_: int, count: int) -> None:
    """`count` complete requests, each from a sender of its own (replies are capped per
    sender), each answered 250."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for n in range(count):
            sender = f"client{round_}-{n}@contoso.example"
            mid = f"<r{round_}-{n}@contoso.example>"
            raw = (LABELLED.replace(b"<t1@acme.example>", mid.encode())
                   .replace(b"From: jsmith@contoso.example", f"From: {sender}".encode()))
            smtp.sendmail(sender, ["support@desk.example"], raw)


@pytest.mark.faultsuite
def test_relay_down_then_4xx_under_serve_delivers_each_acknowledgement_once(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    sink = FlakySink()
    http_port, smtp_port = free_port(), free_port()
    # Quick retries (1 s, then every 2 s) so a round takes seconds; a short lease.
    config = write_config(f"""
        [mail.smtp]
        host = "127.0.0.1"
        port = {smtp_port}
        [mail.relay]
        host = "127.0.0.1"
        port = {sink.port}
        starttls = false
        poll_seconds = 1
        retry_initial_seconds = 1
        retry_max_seconds = 2
        lease_seconds = 10
        timeout_seconds = 5
        [deciders]
        processes = 1
        """, port=http_port)
    db = tmp_path / "data" / "test.db"
    seed, rng = seeded("relay outage")
    figures = Figures("relay outage", seed, unit="rounds")
    outage, catch_up, expected = 0.0, 0.0, 0
    serve = Serve(config, http_port)
    serve.start()
    try:
        for round_ in range(rounds()):
            count = rng.randint(3, 6)
            down = time.monotonic()
            send_requests(smtp_port, round_, count)
            expected += count

            def this_round() -> list[OutboxItem]:
                items = acknowledgements(db)
                return items[expected - count:] if len(items) >= expected else []

            wait_for(lambda: len(this_round()) == count
                     and all(i.last_error for i in this_round()),
                     f"round {round_}: {count} acknowledgements deferred for the outage")
            sink.refusal = REFUSAL
            sink.start()
            wait_for(lambda: all(i.attempts >= 1 and REFUSAL in (i.last_error or "")
                                 for i in this_round()),
                     f"round {round_}: each acknowledgement refused with a 4xx")
            sink.refusal = None
            up = time.monotonic()
            wait_for(lambda: all(i.status in ("sent", "dead") for i in this_round()),
                     f"round {round_}: every acknowledgement sent")
            outage += up - down
            catch_up = max(catch_up, time.monotonic() - up)
            figures.trials, figures.inputs = round_ + 1, expected
            figures.extra.update({"down or refusing": outage, "longest catch-up": catch_up,
                                  "4xx answered": sink.refused})
            items = acknowledgements(db)
            assert len(items) == expected, f"{len(items)} acknowledgements; {figures}"
            dead = [i.recipient for i in items if i.status != "sent"]
            assert not dead, f"round {round_}: given up on {dead}; {figures}"
            mids = {i.message_id or "" for i in items}
            with sink.lock:
                twice = {m: n for m, n in sink.seen.items() if n > 1}
                assert set(sink.seen) == mids, (
                    f"round {round_}: lost {mids - set(sink.seen)}, made up "
                    f"{set(sink.seen) - mids}; {figures}")
            assert not twice, f"round {round_}: delivered twice {twice}; {figures}"
            sink.stop()
    finally:
        serve.stop()
        sink.stop()
    assert sink.refused >= expected
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
