"""The fast-intake benchmark: `python -m bench.intake [--quick] [--json PATH]`, the IMAP row
(bench/imap.py) and the PostgreSQL rows (bench/cluster.py) included.

Each row is measured against a baseline from the same run on the same machine, and
printed as a ratio plus the absolute figures; the table is also written as JSON. Load
generators talk only to loopback, bounded in count and time.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from bench.bulk import bulk_ingest
from bench.cluster import postgres_rows
from bench.imap import imap_row
from bench.procs import LargeSenders, Served, Sink, http_get, pct, smtp_burst
from bench.realistic import messages
from bench.webhook import webhook
from gateway.config import load_config
from gateway.runtime.deciders import DecisionWorkers
from gateway.runtime.services import build_services
from parsers.fields import extract_fields
from parsers.errors import MessageError
from parsers.message import parse_message
from store import open_store

Row = dict[str, Any]


def stdlib_parse(raws: Sequence[bytes]) -> float:
    """Seconds the standard library takes to parse each message and read its body."""
    started = time.perf_counter()
    for raw in raws:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        body = msg.get_body(("plain", "html"))  # type: ignore[attr-defined]
        if body is not None:
            try:
                body.get_content()
            except (LookupError, UnicodeError):
                pass  # an unknown charset: the stdlib gives up where ours falls back
    return time.perf_counter() - started


def smtp_accept(folder: Path, count: int) -> Row:
    """8 clients, 5 KB requests: the bare aiosmtpd sink, then serve (250 = committed)."""
    raws = messages(count, seed=1)
    sink = Sink()
    try:
        base_s, base_lat, _ = smtp_burst(sink.port, raws)
    finally:
        sink.stop()
    served = Served(folder / "accept")
    try:
        ours_s, ours_lat, _ = smtp_burst(served.smtp_port, messages(count, seed=2))
    finally:
        served.stop()
    return {"benchmark": "SMTP accept", "ratio": (count / ours_s) / (count / base_s),
            "ours": {"msg_s": count / ours_s, "p50_ms": pct(ours_lat, 50), "p99_ms": pct(ours_lat, 99)},
            "baseline": {"msg_s": count / base_s, "p50_ms": pct(base_lat, 50),
                         "p99_ms": pct(base_lat, 99)},
            "target": ">= 0.6x; p99 <= 25 ms",
            "met": (count / ours_s) / (count / base_s) >= 0.6 and pct(ours_lat, 99) <= 25}


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _settled(pids: Sequence[int | None], timeout: float = 60.0) -> float:
    """Wait until every decider process has started and gone idle (its CPU time stopped
    growing for 0.3 s): a running gateway's deciders are up before mail arrives. Seconds."""
    started = time.perf_counter()
    last: list[int] = []
    while time.perf_counter() - started < timeout:
        now = [_cpu_ticks(pid) for pid in pids if pid is not None]
        if now == last and all(now):
            break
        last = now
        time.sleep(0.3)
    return time.perf_counter() - started


def pipeline(folder: Path, count: int) -> Row:
    """`count` pending requests decided by the two decider processes (both cores), timed from
    the moment they are committed and the deciders rung, against the standard library
    parsing the same messages on one core. The deciders start, and go idle, first, as in a
    running `serve`; their start-up is reported on its own."""
    raws = messages(count, seed=3)
    base_s = stdlib_parse(raws)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text('[store]\npath = "pipeline.db"\n[deciders]\nprocesses = 2\n'
                    'poll_ms = 60000\ndrain_seconds = 600\n[log]\nlevel = "WARNING"\n')
    services = build_services(load_config(path))
    try:
        workers = DecisionWorkers(services)
        workers.start()
        start_s = _settled(workers.pids())
        bell, services.email.doorbell = services.email.doorbell, lambda: None
        services.email.accept_many([(raw, f"bench:{n}", ()) for n, raw in enumerate(raws)])
        started = time.perf_counter()
        bell()
        while services.store.pending.count():
            time.sleep(0.01)
        ours_s = time.perf_counter() - started
        workers.stop()
    finally:
        services.close()
    ratio = base_s / ours_s
    return {"benchmark": "pipeline", "ratio": ratio,
            "ours": {"msg_s": count / ours_s, "processes": 2, "start_s": round(start_s, 2)},
            "baseline": {"msg_s": count / base_s, "what": "stdlib parse, one core"},
            "target": ">= 0.35x", "met": ratio >= 0.35}


def mail_to_ticket(folder: Path, seconds: float) -> Row:
    """50 msg/s offered to serve for `seconds`: p95 from each 250 to its committed outcome."""
    served = Served(folder / "latency")
    store = open_store(served.db)
    accepted: dict[int, float] = {}
    decided: dict[int, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or len(decided) < len(accepted):
            for row, _ in list(accepted.items()):
                if row not in decided and store.messages.get(row).outcome is not None:
                    decided[row] = time.perf_counter()
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        raws = messages(int(50 * seconds), seed=4)
        started = time.perf_counter()
        for n, raw in enumerate(raws):
            time.sleep(max(0.0, started + n / 50 - time.perf_counter()))
            _, _, [answer] = smtp_burst(served.smtp_port, [raw], clients=1)
            accepted[int(answer.rsplit("M", 1)[1])] = time.perf_counter()
        done.set()
        watcher.join(60)
    finally:
        done.set()
        store.close()
        served.stop()
    waits = [decided[row] - at for row, at in accepted.items() if row in decided]
    p95 = pct(waits, 95)
    return {"benchmark": "mail to ticket", "ratio": None,
            "ours": {"p50_ms": pct(waits, 50), "p95_ms": p95, "messages": len(waits)},
            "baseline": None, "target": "p95 <= 1 s", "met": p95 <= 1000 and len(waits) == len(accepted)}


def large_mail(folder: Path, seconds: float, large: int) -> Row:
    """Small-message 250s and /healthz while `large` 20 MB messages arrive, against both
    with no large mail."""
    served = Served(folder / "large")
    url = f"http://127.0.0.1:{served.http_port}/healthz"

    def sample(until: Callable[[], bool]) -> tuple[list[float], list[float]]:
        small: list[float] = []
        health: list[float] = []
        n = 0
        while not until():
            _, lat, _ = smtp_burst(served.smtp_port, messages(1, seed=10_000 + n), clients=1)
            small.extend(lat)
            health.append(http_get(url))
            n += 1
            time.sleep(0.02)
        return small, health

    try:
        end = time.monotonic() + seconds
        base_small, base_health = sample(lambda: time.monotonic() > end)
        senders = LargeSenders(served.smtp_port, large, 20)
        small, health = sample(lambda: not senders.sending())
        senders.wait()
    finally:
        served.stop()
    return {"benchmark": "large mail", "ratio": None,
            "ours": {"small_p99_ms": pct(small, 99), "healthz_p99_ms": pct(health, 99),
                     "samples": len(small)},
            "baseline": {"small_p99_ms": pct(base_small, 99),
                         "healthz_p99_ms": pct(base_health, 99)},
            "target": "small p99 <= 1 s; /healthz p99 <= 200 ms",
            "met": pct(small, 99) <= 1000 and pct(health, 99) <= 200}


def parse_extract(count: int) -> Row:
    """Our parse and field extraction over realistic requests and the shared corpus, against
    the standard library's parse alone, one core."""
    raws = messages(count, seed=5)
    corpus = os.environ.get("INTAKE_CORPUS", str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    raws += [Path(p).read_bytes() for p in glob.glob(f"{corpus}/**/*", recursive=True)
             if Path(p).is_file() and not p.endswith(".md")]
    # Interleaved in small chunks, so a neighbour's load on the machine falls on both alike.
    base_s = ours_s = 0.0
    for at in range(0, len(raws), 50):
        chunk = raws[at:at + 50]
        base_s += stdlib_parse(chunk)
        started = time.perf_counter()
        for raw in chunk:
            try:
                parsed = parse_message(raw)
            except MessageError:
                continue  # not a message at all: the pipeline stops there too
            extract_fields(parsed.body, parsed.sender_name, "US", 4)
        ours_s += time.perf_counter() - started
    return {"benchmark": "parse + extract", "ratio": base_s / ours_s,
            "ours": {"msg_s": len(raws) / ours_s, "ms_per_msg": 1000 * ours_s / len(raws)},
            "baseline": {"msg_s": len(raws) / base_s}, "messages": len(raws),
            "target": ">= 0.33x", "met": base_s / ours_s >= 0.33}


def _cell(values: dict[str, Any] | None) -> str:
    if not values:
        return "-"
    return ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in values.items())


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| benchmark | ratio | ours | baseline (same run) | target | met |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        lines.append(f"| {r['benchmark']} | {ratio} | {_cell(r['ours'])} | "
                     f"{_cell(r['baseline'])} | {r['target']} | {'yes' if r['met'] else 'NO'} |")
    return "\n".join(lines)


# Each row by the name `--only` takes, with its counts at full scale.
ROWS: dict[str, Callable[[Path, float], Row]] = {
    "smtp": lambda folder, scale: smtp_accept(folder, int(2000 * scale)),
    "pipeline": lambda folder, scale: pipeline(folder / "pipeline", int(2000 * scale)),
    "latency": lambda folder, scale: mail_to_ticket(folder, 10 * scale),
    "large": lambda folder, scale: large_mail(folder, 5 * scale, max(2, int(10 * scale))),
    "imap": lambda folder, scale: imap_row(folder, int(100 * scale)),
    "parse": lambda folder, scale: parse_extract(int(1000 * scale)),
    "webhook": lambda folder, scale: webhook(folder, int(1000 * scale)),
    "bulk": lambda folder, scale: bulk_ingest(folder / "bulk", int(10_000 * scale)),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run every row, print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.intake")
    parser.add_argument("--quick", action="store_true", help="a smoke run, small counts")
    parser.add_argument("--json", type=Path, default=Path("bench-intake.json"))
    names = [*ROWS, "postgres"]  # postgres: the PostgreSQL rows (bench/cluster.py)
    parser.add_argument("--only", action="append", choices=sorted(names), metavar="ROW",
                        help=f"run only this row (repeatable): {', '.join(names)}")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        folder = Path(tmp)
        rows = [run(folder, scale) for name, run in ROWS.items()
                if not args.only or name in args.only]
        if not args.only or "postgres" in args.only:
            # PostgreSQL: half the load of the SQLite rows (four serve starts), against the
            # SQLite rows' baselines of this run (measured here if --only left them out)
            named = {r["benchmark"]: r for r in rows}
            accept = named.get("SMTP accept") or ROWS["smtp"](folder, scale)
            hook = named.get("webhook") or ROWS["webhook"](folder, scale)
            rows += postgres_rows(folder, int(1000 * scale), int(500 * scale), accept, hook)
    result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.node()}: {platform.machine()}, {os.cpu_count()} cores, "
                         f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
              "rows": rows}
    print(f"{result['date']} on {result['machine']}")
    print(table(rows))
    args.json.write_text(json.dumps(result, indent=2))
    print(f"written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
