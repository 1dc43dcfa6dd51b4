"""kill -9 during an SMTP burst, twenty times: every 250 is exactly one outcome.

`serve` runs as a real process group (the gateway and its decider processes); clients send
complete requests until the whole group is killed with SIGKILL at a random moment. The next
start decides what the crash left pending before it opens its channels, and is itself the
next trial's victim. At the end, every message that got a 250 is one ticket, never two,
and nothing is left pending.
"""

from __future__ import annotations

import os
import random
import signal
import smtplib
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from store import NotFoundError, Store, open_store
from tests.helpers.http import wait_until_serving
from tests.helpers.mail import LABELLED
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.waiting import wait_for

TRIALS = 20
CLIENTS = 4


def _start(config: Path, http_port: int) -> subprocess.Popen[str]:
    with open(config.parent / "serve.log", "a", encoding="utf-8") as log:  # never a full pipe
        proc = subprocess.Popen([str(EXE), "serve", "--config", str(config)], text=True,
                                stdout=subprocess.DEVNULL, stderr=log,
                                start_new_session=True)  # its own group: one kill takes all
    wait_until_serving(f"http://127.0.0.1:{http_port}/healthz", proc)
    return proc


def _burst(port: int, trial: int, accepted: list[str], stop: threading.Event
           ) -> list[threading.Thread]:
    """Clients sending until the server dies; a Message-ID is recorded only on its 250."""

    def client(n: int) -> None:
        count = 0
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                while not stop.is_set():
                    mid = f"<t{trial}-c{n}-{count}@contoso.example>"
                    count += 1
                    smtp.sendmail("jsmith@contoso.example", ["support@desk.example"],
                                  LABELLED.replace(b"<t1@acme.example>", mid.encode()))
                    accepted.append(mid)
        except (smtplib.SMTPException, OSError):
            pass  # the server was killed under this client

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    return threads


def _outcomes(store: Store) -> dict[str, list[str]]:
    """Message-ID -> the outcome of each message row that carried it."""
    found: dict[str, list[str]] = {}
    row = 1
    while True:
        try:
            message = store.messages.get(row)
        except NotFoundError:
            return found
        assert message.outcome is not None, f"message {row} was never decided"
        found.setdefault(message.source_id or f"row {row}", []).append(message.outcome)
        row += 1


def test_kill_9_during_an_smtp_burst_loses_and_doubles_nothing(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    http_port, smtp_port = free_port(), free_port()
    config = write_config(f"[mail.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\n"
                          "[deciders]\nprocesses = 2\nlease_seconds = 60\n", port=http_port)
    accepted: list[str] = []
    rng = random.Random(20)
    proc = _start(config, http_port)
    try:
        for trial in range(TRIALS):
            stop = threading.Event()
            before = len(accepted)
            clients = _burst(smtp_port, trial, accepted, stop)
            wait_for(lambda: len(accepted) >= before + rng.randint(1, 25), "250s in the burst")
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            stop.set()
            for thread in clients:
                thread.join(15)
            proc = _start(config, http_port)  # decides the crash's backlog before serving
            store = open_store(tmp_path / "data" / "test.db")
            try:
                assert store.pending.count() == 0, f"trial {trial}: backlog not decided first"
            finally:
                store.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    store = open_store(tmp_path / "data" / "test.db")
    try:
        outcomes = _outcomes(store)
        tickets = [t.source_id for t in store.tickets.queue(include_closed=True)]
    finally:
        store.close()
    assert len(tickets) == len(set(tickets)), "a message made two tickets"
    for mid in accepted:
        assert outcomes.get(mid) in (["ticket"], ["ticket", "duplicate"]), (mid, outcomes.get(mid))
        assert mid in tickets
    assert len(accepted) >= TRIALS
