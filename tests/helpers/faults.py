"""The fault suite's trials: `serve` as a real process group killed with SIGKILL at a random
moment, how many trials to run, the seed that chose the moments, and the figures a test
prints (run with -s) and puts in its assertion messages.

FAULT_TRIALS sets the trials per channel (the short profile of `make test` when unset;
`make faults` 50, `make soak` more); the outage tests run a tenth as many rounds (each
round is an outage of seconds, not a kill); FAULT_SEED replays a run.
"""

from __future__ import annotations

import os
import random
import signal
import smtplib
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from store import NotFoundError, Store, open_store
from tests.helpers.http import wait_until_serving
from tests.helpers.mail import LABELLED
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.waiting import wait_for

SHORT = 4  # trials per channel in `make test`
ROUNDS_PER_TRIAL = 10  # an outage round costs about as much as ten kill -9 trials


def trials(short: int = SHORT) -> int:
    """Trials per channel: FAULT_TRIALS, or `short` (the channel's `make test` profile)."""
    return int(os.environ.get("FAULT_TRIALS", short))


def rounds() -> int:
    """Outage rounds: FAULT_TRIALS / ROUNDS_PER_TRIAL, at least one (one in `make test`)."""
    return max(1, trials() // ROUNDS_PER_TRIAL)


def seeded(channel: str, short: int = SHORT) -> tuple[int, random.Random]:
    """FAULT_SEED (or a fresh seed), printed so a failing run can be replayed."""
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(1 << 31))
    print(f"\nfaults {channel}: FAULT_SEED={seed} FAULT_TRIALS={trials(short)}")
    return seed, random.Random(seed)


@dataclass
class Figures:
    """What a fault test measured: printed at the end, and named in every failure."""

    channel: str
    seed: int
    trials: int = 0
    unit: str = "trials"  # what `trials` counts: kill -9 trials, or outage rounds
    inputs: int = 0
    started: float = field(default_factory=time.monotonic)
    extra: dict[str, int | float] = field(default_factory=dict)  # floats are seconds

    def __str__(self) -> str:
        more = "".join(f", {k} {v:.1f} s" if isinstance(v, float) else f", {k} {v}"
                       for k, v in self.extra.items())
        seed = f", FAULT_SEED={self.seed}" if self.seed else ""
        return (f"faults {self.channel}: {self.trials} {self.unit}, {self.inputs} inputs"
                f"{more}, {time.monotonic() - self.started:.1f} s{seed}")

    def report(self) -> None:
        """Print the figures (seen with -s)."""
        print(self)


class Serve:
    """`intake-gateway serve` in its own process group, so one SIGKILL takes all of it
    (the gateway and its decider processes); its log appended to serve.log."""

    def __init__(self, config: Path, http_port: int, env: dict[str, str] | None = None) -> None:
        self.config, self.http_port = config, http_port
        self.env = {**os.environ, **(env or {})}
        self.log = config.parent / "serve.log"
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0

    def start(self) -> None:
        """Start and return once /healthz answers (a crash's backlog is decided first)."""
        with open(self.log, "a", encoding="utf-8") as log:  # never a full pipe
            self.proc = subprocess.Popen([str(EXE), "serve", "--config", str(self.config)],
                                         text=True, stdout=subprocess.DEVNULL, stderr=log,
                                         env=self.env, start_new_session=True)
        self.starts += 1
        wait_until_serving(f"http://127.0.0.1:{self.http_port}/healthz", self.proc)

    def kill(self) -> None:
        """SIGKILL to the whole group, and reap the gateway."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; fails if it does not exit in time."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)

    def tracebacks(self) -> int:
        """How many tracebacks the log holds."""
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0


# Row ids a PostgreSQL store skips (a sequence is not rolled back with the insert a kill cut
# short) before the rows are taken to end; a row beyond such a run would show as lost.
ROW_GAP = 100


def message_outcomes(store: Store) -> dict[str, list[str]]:
    """Message-ID -> the outcome of each message row that carried it; fails on a message
    row never decided."""
    found: dict[str, list[str]] = {}
    row, missing = 1, 0
    while missing < ROW_GAP:
        try:
            message = store.messages.get(row)
        except NotFoundError:
            missing, row = missing + 1, row + 1
            continue
        assert message.outcome is not None, f"message {row} was never decided"
        found.setdefault(message.source_id or f"row {row}", []).append(message.outcome)
        row, missing = row + 1, 0
    return found


def message_rows(db: Path) -> int:
    """How many messages the store at `db` holds (accepted, pending or decided)."""
    store = open_store(db)
    try:
        row = 0
        while True:
            try:
                store.messages.get(row + 1)
            except NotFoundError:
                return row
            row += 1
    finally:
        store.close()


def send_request(port: int, mid: str) -> int:
    """One complete request with Message-ID `mid`, over SMTP to the listener on `port`; the
    server's answer to its DATA (or to a refused command): 250, 451 ..."""
    raw = LABELLED.replace(b"<t1@acme.example>", mid.encode())
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail("jsmith@contoso.example", ["support@desk.example"], raw)
            return 250
    except smtplib.SMTPResponseException as exc:
        return exc.smtp_code
    except smtplib.SMTPRecipientsRefused as exc:
        return int(next(iter(exc.recipients.values()))[0])


def smtp_serve(config: Path, store: str) -> tuple[Serve, int]:
    """`serve` on `store` (the lines of its [store] table), SMTP on loopback and one decider
    process, written to `config` and started; it and its SMTP port."""
    http_port, smtp_port = free_port(), free_port()
    config.write_text(f'[store]\n{store}\n[http]\nport = {http_port}\n[mail.smtp]\n'
                      f'host = "127.0.0.1"\nport = {smtp_port}\n[deciders]\nprocesses = 1\n',
                      encoding="utf-8")
    serve = Serve(config, http_port)
    serve.start()
    return serve, smtp_port


def resend_until_accepted(port: int, codes: dict[str, int], what: str) -> None:
    """Send each Message-ID of `codes` not yet answered 250 again, as the sender's server
    would, until every one is (`codes` keeps the answers); fails naming `what`."""

    def retry() -> bool:
        for mid in [mid for mid, code in codes.items() if code != 250]:
            codes[mid] = send_request(port, mid)
        return all(code == 250 for code in codes.values())

    wait_for(retry, what)


def settled(store: Store, within: float) -> tuple[float, dict[str, list[str]], Counter[str]]:
    """Once no mail is pending (waited for at most `within` s; then `store` is closed): how
    long that took, each Message-ID's outcomes, and how many tickets each source opened."""
    started = time.monotonic()
    try:
        wait_for(lambda: store.pending.count() == 0, "the backlog decided", timeout=within)
        took = time.monotonic() - started
        tickets = Counter(t.source_id or "" for t in store.tickets.queue(include_closed=True))
        return took, message_outcomes(store), tickets
    finally:
        store.close()
