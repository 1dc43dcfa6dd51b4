"""kill -9 while the outbox is sending mail through a relay: each item is sent, and only
an item caught mid-send (relay answered, our record not yet written) goes twice, the same
bytes under the same Message-ID, which receivers drop (the outbox's documented at-least-once
window). Any other second copy, or a mail never sent, fails.

Each trial queues a few mails in the store of a running `serve` and kills its process
group after the relay sink has taken a random number of them; the restart carries on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gateway.outbound.compose import OutgoingEmail, queue_email
from store import open_store
from tests.helpers.faults import Figures, Serve, seeded, trials
from tests.helpers.net import free_port
from tests.helpers.relay import CountingSink
from tests.helpers.waiting import wait_for

PER_TRIAL = 8
LEASE = 10  # the shortest [mail.relay] lease_seconds: an in-doubt item goes again after it


def queue(db: Path, trial: int) -> list[str]:
    """PER_TRIAL mails queued as the gateway queues its replies; their Message-IDs."""
    store = open_store(db)
    try:
        now = datetime.now(timezone.utc)
        mids = [queue_email(store, "support@desk.example", "Service Desk",
                            OutgoingEmail(to=f"client{trial}-{n}@acme.example",
                                          subject=f"Your request {trial}-{n}",
                                          text="We have your request."), now)
                for n in range(PER_TRIAL)]
    finally:
        store.close()
    assert all(mids)
    return [m for m in mids if m]


def states(db: Path) -> dict[str, str]:
    """Message-ID -> outbox status of every email item."""
    store = open_store(db)
    try:
        return {i.message_id or "": i.status for i in store.outbox.items() if i.kind == "email"}
    finally:
        store.close()


@pytest.mark.faultsuite
def test_kill_9_while_sending_the_outbox_loses_nothing_and_doubles_only_in_doubt(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    sink = CountingSink()
    sink.start()
    http_port = free_port()
    config = write_config(f"[mail.relay]\nhost = \"127.0.0.1\"\nport = {sink.port}\n"
                          f"starttls = false\npoll_seconds = 1\nlease_seconds = {LEASE}\n"
                          "timeout_seconds = 5\n[deciders]\nprocesses = 1\n", port=http_port)
    db = tmp_path / "data" / "test.db"
    seed, rng = seeded("outbox")
    figures = Figures("outbox", seed)
    serve = Serve(config, http_port)
    queued: list[str] = []
    in_doubt: Counter[str] = Counter()  # Message-ID -> kills that caught it mid-send
    serve.start()
    try:
        for trial in range(trials()):
            mids = queue(db, trial)
            queued += mids
            goal = rng.randint(0, PER_TRIAL - 1)
            wait_for(lambda: sink.count(mids) >= goal, f"{goal} mails at the relay")
            serve.kill()
            in_doubt.update(m for m, s in states(db).items() if s == "sending")
            serve.start()
            figures.trials, figures.inputs = trial + 1, len(queued)
        wait_for(lambda: all(s == "sent" for s in states(db).values()),
                 "every mail sent", timeout=LEASE * 4)
    finally:
        serve.stop()
        sink.stop()
    twice = {m: n for m, n in sink.seen.items() if n > 1}
    figures.extra.update({"in doubt at a kill": len(in_doubt), "sent twice": len(twice)})
    assert set(sink.seen) == set(queued), f"mails lost or made up; {figures}"
    for mid, copies in twice.items():
        assert copies <= 1 + in_doubt[mid], (
            f"{mid} sent {copies} times, in doubt at {in_doubt[mid]} kills; {figures}")
    assert all(len(set(sink.content[m])) == 1 for m in twice), f"a resend differs; {figures}"
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
