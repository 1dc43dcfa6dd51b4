"""kill -9 while the IMAP poller takes a batch from a real Dovecot: every message APPENDed
to the mailbox is one outcome (a ticket or a rejection), none lost, none doubled.

Each trial APPENDs a batch (complete requests and incomplete ones) to the mailbox of a
running `serve` and kills its process group once a random number of them are in the store;
the restart takes the rest. At the end the folder is empty and each Message-ID has exactly
one decided outcome (a re-fetch after a crash may add `duplicate` rows, which make nothing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from store import open_store
from tests.helpers import mail as F
from tests.helpers.dovecot import PASSWORD, Dovecot
from tests.helpers.faults import (Figures, Serve, message_outcomes, message_rows, seeded,
                                  trials)
from tests.helpers.net import free_port
from tests.helpers.waiting import wait_for

BATCH = 8
REQUEST = F.CONTOSO_REQUEST


def message(trial: int, n: int) -> tuple[str, bytes]:
    """A complete request (even n) or one missing its fields (odd n); its Message-ID."""
    mid = f"<imap{trial}-{n}@contoso.example>"
    body = REQUEST if n % 2 == 0 else "Help! My laptop will not start this morning at all."
    return mid, F.plain(body, sender="jsmith@contoso.example", subject=f"Request {trial}-{n}",
                        message_id=mid)


@pytest.mark.faultsuite
def test_kill_9_during_an_imap_batch_loses_and_doubles_nothing(
        write_config: Callable[..., Path], tmp_path: Path, dovecot: Dovecot) -> None:
    user = dovecot.add_user()
    http_port = free_port()
    config = write_config(f"""
        {dovecot.imap_section(user, "TEST_FAULTS_IMAP_PASSWORD", 'starttls = "off"')}
        [deciders]
        processes = 1
        """, port=http_port)
    db = tmp_path / "data" / "test.db"
    seed, rng = seeded("imap")
    figures = Figures("imap", seed)
    serve = Serve(config, http_port, {"TEST_FAULTS_IMAP_PASSWORD": PASSWORD})
    appended: list[str] = []
    serve.start()
    try:
        for trial in range(trials()):
            batch = [message(trial, n) for n in range(BATCH)]
            with dovecot.client(user) as imap:
                for _, raw in batch:
                    imap.append("INBOX", raw)
            appended += [mid for mid, _ in batch]
            goal = len(appended) - BATCH + rng.randint(0, BATCH - 1)
            wait_for(lambda: message_rows(db) >= goal, f"{goal} messages taken")
            serve.kill()
            serve.start()
            figures.trials, figures.inputs = trial + 1, len(appended)
        wait_for(lambda: dovecot.status(user)["messages"] == 0, "the folder emptied")
        store = open_store(db)
        try:
            wait_for(lambda: store.pending.count() == 0, "every message decided")
            outcomes = message_outcomes(store)
        finally:
            store.close()
    finally:
        serve.stop()
    duplicates = sum(o.count("duplicate") for o in outcomes.values())
    figures.extra["re-fetched as duplicate"] = duplicates
    for mid in appended:
        decided = [o for o in outcomes.get(mid, []) if o != "duplicate"]
        assert decided in (["ticket"], ["rejected"]), f"{mid}: {outcomes.get(mid)}; {figures}"
    kinds = Counter(o for mid in appended for o in outcomes[mid] if o != "duplicate")
    assert kinds["ticket"] == kinds["rejected"] == len(appended) // 2, f"{kinds}; {figures}"
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
