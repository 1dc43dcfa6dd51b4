"""The IMAP row of `bench.intake`: messages appended to a real Dovecot mailbox that `serve`
watches with IDLE, p95 from the APPEND's answer to the ticket committed in the store.

Dovecot is the tests' private server (tests/helpers/dovecot.py, Debian's dovecot-imapd, as
root), started in a temporary folder on a free loopback port and stopped after the row."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.procs import Served, free_port, pct
from bench.realistic import messages
from store import open_store
from tests.helpers.dovecot import PASSWORD, Dovecot

PASSWORD_ENV = "BENCH_IMAP_PASSWORD"
RATE = 10  # messages appended per second
WAIT_S = 60  # at most this long for the last outcome


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise ValueError("a benchmark message without a Message-ID")


def _measure(server: Dovecot, user: str, served: Served, raws: list[bytes]) -> list[float]:
    """Append each message at RATE; seconds from each APPEND's answer to its outcome."""
    store = open_store(served.db)
    appended: dict[str, float] = {}
    decided: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:
        deadline = None
        while len(decided) < len(appended) or not done.is_set():
            if done.is_set():
                deadline = deadline or time.monotonic() + WAIT_S
                if time.monotonic() > deadline:
                    return
            for mid in [m for m in list(appended) if m not in decided]:
                if store.messages.seen("email", mid) is not None:
                    decided[mid] = time.perf_counter()
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with server.client(user) as client:
            started = time.perf_counter()
            for n, raw in enumerate(raws):
                time.sleep(max(0.0, started + n / RATE - time.perf_counter()))
                client.append("INBOX", raw)
                appended[_message_id(raw)] = time.perf_counter()
    finally:
        done.set()
        watcher.join(WAIT_S + 10)
        store.close()
    return [decided[m] - at for m, at in appended.items() if m in decided]


def imap_row(folder: Path, count: int) -> dict[str, Any]:
    """The row: p50/p95 from append to committed outcome over `count` messages, IDLE on."""
    home = Path(tempfile.mkdtemp(prefix="bench-dovecot-"))  # short: its sockets live inside
    server = Dovecot(home, free_port())
    server.write_config()
    server.start()
    served = None
    try:
        user = server.add_user()
        os.environ[PASSWORD_ENV] = PASSWORD
        served = Served(folder / "imap", f'[mail.imap]\nenabled = true\nhost = "127.0.0.1"\n'
                        f'port = {server.port}\nssl = false\nusername = "{user}"\n'
                        f'password_env = "{PASSWORD_ENV}"\nfolder = "INBOX"\nidle = true\n')
        warm = _measure(server, user, served, messages(1, seed=30))  # connected, in IDLE
        if not warm:
            raise RuntimeError("the IMAP poller took nothing from Dovecot within a minute")
        waits = _measure(server, user, served, messages(count, seed=31))
    finally:
        if served is not None:
            served.stop()
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    p95 = pct(waits, 95)
    return {"benchmark": "IMAP", "ratio": None,
            "ours": {"p50_ms": pct(waits, 50), "p95_ms": p95, "messages": len(waits)},
            "baseline": None, "target": "p95 <= 1 s",
            "met": p95 <= 1000 and len(waits) == count}
