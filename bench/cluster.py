"""The PostgreSQL rows of `bench.intake`: SMTP accept and the webhook on one PostgreSQL
database, served by one `serve` node and then by two with the load split between them,
each as a ratio against the baselines the SQLite rows measured in the same run.

The server is the tests' private PostgreSQL 15 (tests/helpers/postgres.py), started here with
fsync and synchronous commit on, as a desk runs it: every 250 is durably committed."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.procs import Served, free_port, pct, smtp_burst
from bench.realistic import messages
from bench.webhook import TOKEN, TOKEN_ENV, VOICE, _load
from tests.helpers.postgres import BIN, Postgres

Row = dict[str, Any]


class DurablePostgres(Postgres):
    """The tests' server, restarted with fsync, full-page writes and synchronous commit on."""

    def start(self) -> None:
        """initdb and start (the tests' way), then restart durable."""
        super().start()
        self.stop()
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
                   " -c max_connections=300")
        self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                          "-w", "-o", options, "start")


def _split(work: Callable[[int, int], tuple[float, list[float]]], parts: int
           ) -> tuple[float, list[float]]:
    """Run work(part, parts) for every part at once: the longest time, every latency."""
    results: list[tuple[float, list[float]]] = []
    lock = threading.Lock()

    def run(part: int) -> None:
        result = work(part, parts)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(p,)) for p in range(parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max(r[0] for r in results), [x for r in results for x in r[1]]


def _nodes(folder: Path, url: str, count: int, extra: str = "") -> list[Served]:
    started: list[Served] = []
    try:
        for n in range(count):
            started.append(Served(folder / f"node{n + 1}", extra, store_url=url))
    except BaseException:
        for served in started:
            served.stop()
        raise
    return started


def smtp_rows(server: Postgres, folder: Path, count: int, base_msg_s: float) -> list[Row]:
    """8 clients, 5 KB requests, to one node and then split over two, on PostgreSQL."""
    rows = []
    for nodes in (1, 2):
        served = _nodes(folder / f"smtp{nodes}", server.new_database(), nodes)
        raws = messages(count, seed=20 + nodes)
        try:
            took, lat = _split(lambda p, n: smtp_burst(served[p].smtp_port, raws[p::n],
                                                       clients=8 // n)[:2], nodes)
        finally:
            for s in served:
                s.stop()
        ratio = (count / took) / base_msg_s
        rows.append({"benchmark": f"SMTP accept, PostgreSQL, {nodes} node{'s' * (nodes > 1)}",
                     "ratio": ratio,
                     "ours": {"msg_s": count / took, "p50_ms": pct(lat, 50),
                              "p99_ms": pct(lat, 99)},
                     "baseline": {"msg_s": base_msg_s, "what": "bare aiosmtpd (SMTP accept)"},
                     "target": ">= 0.6x; p99 <= 25 ms",
                     "met": ratio >= 0.6 and pct(lat, 99) <= 25})
    return rows


def _failed(served: list[Served]) -> int:
    """Webhooks the nodes logged as failed (the caller heard the apology, still HTTP 200)."""
    return sum(s.failed_webhooks() for s in served)


def webhook_rows(server: Postgres, folder: Path, calls: int, base_req_s: float) -> list[Row]:
    """Signed /voice/incoming + /voice/menu over 16 connections, to one node and then split
    over two (a new CallSid each), on PostgreSQL."""
    os.environ[TOKEN_ENV] = TOKEN
    rows = []
    for nodes in (1, 2):
        served = _nodes(folder / f"webhook{nodes}", server.new_database(), nodes, VOICE)
        share = calls // nodes
        try:
            took, lat = _split(lambda p, n: _load(served[p].http_port, share, 16 // n,
                                                  signed=True, first=p * share), nodes)
        finally:
            for s in served:
                s.stop()
        failed = _failed(served)
        ours = len(lat) / took
        rows.append({"benchmark": f"webhook, PostgreSQL, {nodes} node{'s' * (nodes > 1)}",
                     "ratio": ours / base_req_s,
                     "ours": {"req_s": ours, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                              "failed": failed},
                     "baseline": {"req_s": base_req_s, "what": "Flask on waitress (webhook)"},
                     "target": ">= 0.5x; p99 <= 50 ms",
                     "met": ours / base_req_s >= 0.5 and pct(lat, 99) <= 50 and not failed})
    return rows


def postgres_rows(folder: Path, count: int, calls: int, smtp: Row, hook: Row) -> list[Row]:
    """Every PostgreSQL row, on one private server started and stopped here."""
    home = Path(tempfile.mkdtemp(prefix="bench-postgres-"))  # the postgres user must reach it
    server = DurablePostgres(home, free_port())
    try:
        server.start()
        try:
            return (smtp_rows(server, folder / "pg", count, smtp["baseline"]["msg_s"])
                    + webhook_rows(server, folder / "pg", calls, hook["baseline"]["req_s"]))
        finally:
            server.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)
