"""Dovecot stopped and started again under a running `serve`: every message delivered to the
mailbox, before or during the outage, becomes exactly one ticket once it is back.

Each round APPENDs a batch of complete requests, stops Dovecot (its sessions kicked, as a
server going down drops them) once a random number of the batch is in the store, delivers
more into the Maildir while IMAP is down (the local mail server keeps taking mail), waits
until the gateway's /healthz reports the poller reconnecting, and starts Dovecot again. The
round ends when the folder is empty and each message is one ticket; the test fails on the
first message lost or doubled. Rounds: FAULT_TRIALS / 10, at least one.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from store import open_store
from tests.helpers import mail as F
from tests.helpers.dovecot import PASSWORD, Dovecot
from tests.helpers.faults import Figures, Serve, message_outcomes, message_rows, rounds, seeded
from tests.helpers.http import get
from tests.helpers.net import free_port
from tests.helpers.waiting import wait_for

BATCH = 6  # APPENDed while Dovecot is up
WHILE_DOWN = 3  # delivered into the Maildir while it is down
PASSWORD_ENV, TOKEN_ENV, TOKEN = "TEST_OUTAGE_IMAP_PASSWORD", "TEST_OUTAGE_API_TOKEN", "t"
REQUEST = F.CONTOSO_REQUEST


def message(round_: int, n: int) -> tuple[str, bytes]:
    """A complete request and its Message-ID."""
    mid = f"<down{round_}-{n}@contoso.example>"
    return mid, F.plain(REQUEST, sender="jsmith@contoso.example",
                        subject=f"Request {round_}-{n}", message_id=mid)


def poller_state(http_port: int) -> str:
    """The IMAP poller's state as `serve` reports it on /healthz."""
    _, body = get(f"http://127.0.0.1:{http_port}/healthz", TOKEN)
    return str(body["components"]["imap"]["state"])


def ticket_sources(db: Path) -> list[str]:
    """The Message-ID of every ticket in the store at `db`."""
    store = open_store(db)
    try:
        return [t.source_id or "" for t in store.tickets.queue(include_closed=True)]
    finally:
        store.close()


@pytest.mark.faultsuite
def test_dovecot_stopped_and_started_under_serve_makes_each_message_one_ticket(
        write_config: Callable[..., Path], tmp_path: Path, dovecot: Dovecot) -> None:
    user = dovecot.add_user()
    http_port = free_port()
    section = dovecot.imap_section(user, PASSWORD_ENV, 'starttls = "off"',
                                "reconnect_max_seconds = 2")  # back within 2 s of Dovecot
    config = write_config(f"""
        {section}
        [api]
        token_env = "{TOKEN_ENV}"
        [deciders]
        processes = 1
        """, port=http_port)
    db = tmp_path / "data" / "test.db"
    seed, rng = seeded("imap outage")
    figures = Figures("imap outage", seed, unit="rounds")
    outage, catch_up = 0.0, 0.0
    serve = Serve(config, http_port, {PASSWORD_ENV: PASSWORD, TOKEN_ENV: TOKEN})
    sent: list[str] = []
    serve.start()
    try:
        for round_ in range(rounds()):
            batch = [message(round_, n) for n in range(BATCH)]
            with dovecot.client(user) as imap:
                for _, raw in batch:
                    imap.append("INBOX", raw)
            sent += [mid for mid, _ in batch]
            goal = len(sent) - BATCH + rng.randint(0, BATCH - 1)
            wait_for(lambda: message_rows(db) >= goal, f"{goal} messages taken")
            down = time.monotonic()
            dovecot.stop()
            try:
                for n in range(BATCH, BATCH + WHILE_DOWN):
                    mid, raw = message(round_, n)
                    dovecot.drop_in_maildir(user, raw)
                    sent.append(mid)
                wait_for(lambda: poller_state(http_port) == "reconnecting",
                         "serve to report the poller reconnecting")
            finally:
                dovecot.start()
            up = time.monotonic()
            wait_for(lambda: dovecot.status(user)["messages"] == 0
                     and len(ticket_sources(db)) >= len(sent),
                     f"round {round_}: every message taken and filed", timeout=60)
            outage += up - down
            catch_up = max(catch_up, time.monotonic() - up)
            figures.trials, figures.inputs = round_ + 1, len(sent)
            figures.extra.update({"down": outage, "longest catch-up": catch_up})
            tickets = Counter(ticket_sources(db))
            assert tickets == Counter(sent), (
                f"round {round_}: lost {set(sent) - set(tickets)}, doubled "
                f"{[m for m, n in tickets.items() if n > 1]}, made up "
                f"{set(tickets) - set(sent)}; {figures}")
        store = open_store(db)
        try:
            outcomes = message_outcomes(store)
        finally:
            store.close()
    finally:
        serve.stop()
    duplicates = sum(o.count("duplicate") for o in outcomes.values())
    figures.extra["re-fetched as duplicate"] = duplicates
    for mid in sent:
        decided = [o for o in outcomes.get(mid, []) if o != "duplicate"]
        assert decided == ["ticket"], f"{mid}: {outcomes.get(mid)}; {figures}"
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
