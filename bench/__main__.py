"""Benchmark the ticket store and the intake path against plain sqlite3, measured in one run.

Run it with `python -m bench` (or `make bench`); `--quick` for a smoke run, `--json` for
machine-readable output. Every database lives in a temporary directory removed at the end.

Stages:
  1. baseline: plain sqlite3 inserts of an equivalent ticket row (same table, indexes and
     pragmas as the store: WAL, synchronous=FULL), one BEGIN IMMEDIATE ... COMMIT per row
  2. Store.tickets.create(), single thread
  3. IntakeService.open_ticket(), route "email" (business-hours SLA clock)
  4. Store.tickets.create() from 8 threads sharing one Store, then a uniqueness check
  5. Store.tickets.queue() against a plain SELECT of the same rows (and get() against a
     plain lookup by number)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.config import Config, load_config
from gateway.core.intake import IntakeService, TicketRequest
from gateway.core.sla import calendar_from
from store import NewTicket, Store, open_store
from store.sqlite.db import to_db

FULL_COUNT = 10_000
QUICK_COUNT = 200
THREADS = 8
READ_REPEATS = 5
LOOKUPS = 200
STAGES = 5
# Columns the store's INSERT names, in its order ("status" is the literal 'new' there).
TICKET_COLUMNS = (
    "number", "channel", "route", "status", "priority", "requester_name", "company",
    "callback_numbers", "email", "subject", "description", "line", "contact_id", "source_id",
    "received_at", "after_hours", "first_response_due", "resolution_due", "flags",
    "field_sources", "created_at", "updated_at",
)
DESCRIPTION = (
    "The printer on the second floor shows a paper jam after every page. We removed the "
    "tray and cleared it twice; it still stops. Could someone look at it today, please?"
)


@dataclass
class Result:
    """One measured stage."""

    name: str
    count: int
    seconds: float
    rate: float
    unit: str
    ratio: float | None = None
    versus: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def progress(step: int, text: str) -> None:
    """Write one progress line for a stage to stderr."""
    print(f"[bench {step}/{STAGES}] {text}", file=sys.stderr, flush=True)


def received_times(count: int, start: datetime, span: timedelta) -> list[datetime]:
    """`count` moments spread over `span` from `start`, visited out of order."""
    stride = 7919  # a prime: i -> i * stride % count permutes 0..count-1 unless count divides it
    if count % stride == 0:
        stride = 1
    return [start + span * ((i * stride) % count) / count for i in range(count)]


def sample_tickets(count: int, start: datetime, span: timedelta) -> list[NewTicket]:
    """Realistic e-mail tickets, each with its own Message-ID."""
    tickets = []
    for i, received in enumerate(received_times(count, start, span)):
        tickets.append(
            NewTicket(
                channel="email",
                route="email",
                priority=4,
                received_at=received,
                requester_name=f"Requester {i}",
                company="Example Manufacturing",
                callback_numbers=("+13125550100",),
                email=f"user{i}@example.com",
                subject=f"Printer jams on every page (#{i})",
                description=DESCRIPTION,
                source_id=f"<bench-{i}@mail.example.com>",
                after_hours=False,
                first_response_due=received + timedelta(hours=48),
                resolution_due=received + timedelta(hours=240),
                flags=(),
                field_sources={"email": "header", "subject": "header", "description": "body"},
            )
        )
    return tickets


def sample_requests(tickets: Sequence[NewTicket]) -> list[TicketRequest]:
    """The same tickets as intake requests on the "email" route (priority from config)."""
    return [
        TicketRequest(
            channel="email",
            route="email",
            received_at=t.received_at,
            requester_name=t.requester_name,
            company=t.company,
            callback_numbers=t.callback_numbers,
            email=t.email,
            subject=t.subject,
            description=t.description,
            source_id=t.source_id,
            field_sources=t.field_sources,
        )
        for t in tickets
    ]


def plain_row(i: int, new: NewTicket, at: datetime) -> list[Any]:
    """The values the store would insert for `new`, in TICKET_COLUMNS order."""
    now = to_db(at)
    return [
        f"SR-{i + 1:06d}", new.channel, new.route, "new", new.priority, new.requester_name,
        new.company, json.dumps(list(new.callback_numbers), ensure_ascii=False), new.email,
        new.subject, new.description, new.line, new.contact_id, new.source_id,
        to_db(new.received_at), int(new.after_hours),
        to_db(new.first_response_due) if new.first_response_due else None,
        to_db(new.resolution_due) if new.resolution_due else None,
        json.dumps(list(new.flags), ensure_ascii=False),
        json.dumps(dict(new.field_sources), ensure_ascii=False), now, now,
    ]


def tickets_ddl(work: Path, config: Config) -> list[str]:
    """CREATE statements of the tickets table and its indexes, read from a migrated store."""
    migrated_store(work / "schema.db", config).close()
    conn = plain_connect(work / "schema.db")
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'tickets' AND sql IS NOT NULL "
            "ORDER BY type = 'index', name"
        ).fetchall()
    finally:
        conn.close()
    return [str(row[0]) for row in rows]


def migrated_store(path: Path, config: Config) -> Store:
    """A migrated store on `path`, set up as build_services sets it up."""
    store = open_store(
        path,
        ticket_prefix=config.desk.ticket_prefix,
        busy_timeout_ms=config.store.busy_timeout_ms,
    )
    store.migrate()
    return store


def plain_connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the store's pragmas (autocommit, WAL, FULL sync)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def rate_result(name: str, count: int, seconds: float, unit: str) -> Result:
    """A Result whose rate is count per second."""
    return Result(name=name, count=count, seconds=seconds, rate=count / seconds, unit=unit)


def compare(result: Result, base: Result, versus: str) -> Result:
    """Set result.ratio to its rate over the base's rate."""
    result.ratio = result.rate / base.rate
    result.versus = versus
    return result


def bench_baseline(path: Path, ddl: Sequence[str], rows: Sequence[list[Any]]) -> Result:
    """Stage 1: one plain INSERT per IMMEDIATE transaction into a fresh file."""
    conn = plain_connect(path)
    try:
        for statement in ddl:
            conn.execute(statement)
        sql = (
            f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in TICKET_COLUMNS)})"
        )
        started = time.perf_counter()
        for params in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, params)
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        stored = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        conn.close()
    if stored != len(rows):
        raise RuntimeError(f"baseline stored {stored} rows, expected {len(rows)}")
    return rate_result("baseline: sqlite3 INSERT", len(rows), seconds, "rows/s")


def bench_create(path: Path, config: Config, tickets: Sequence[NewTicket]) -> Result:
    """Stage 2: Store.tickets.create, single thread, on a fresh migrated file."""
    store = migrated_store(path, config)
    at = datetime.now(timezone.utc)
    try:
        started = time.perf_counter()
        for new in tickets:
            store.tickets.create(new, at)
        seconds = time.perf_counter() - started
        stored = store.tickets.count()
    finally:
        store.close()
    if stored != len(tickets):
        raise RuntimeError(f"store holds {stored} tickets, expected {len(tickets)}")
    return rate_result("store: tickets.create", len(tickets), seconds, "tickets/s")


def bench_intake(path: Path, config: Config, requests: Sequence[TicketRequest]) -> list[Result]:
    """Stage 3: IntakeService.open_ticket, plus its SLA/calendar work alone for scale."""
    store = migrated_store(path, config)
    try:
        intake = IntakeService(store, config, calendar_from(config))
        started = time.perf_counter()
        for request in requests:
            intake.open_ticket(request)
        seconds = time.perf_counter() - started
        stored = store.tickets.count()
        after_hours = sum(
            1 for t in store.tickets.queue() if "after_hours" in t.flags
        )
        level = config.priorities.of("email")
        started = time.perf_counter()
        for request in requests:
            intake.sla.due(level, request.received_at)
            intake.calendar.is_open(request.received_at)
        sla_seconds = time.perf_counter() - started
    finally:
        store.close()
    if stored != len(requests):
        raise RuntimeError(f"intake stored {stored} tickets, expected {len(requests)}")
    opened = rate_result("intake: open_ticket (email)", len(requests), seconds, "tickets/s")
    opened.extra = {"after_hours": after_hours, "sla_clock": config.sla_level(level).clock}
    sla = rate_result("  of which SLA + calendar only", len(requests), sla_seconds, "tickets/s")
    return [opened, sla]


def bench_concurrent(
    path: Path, config: Config, tickets: Sequence[NewTicket], threads: int
) -> Result:
    """Stage 4: `threads` threads share one Store and create the tickets between them."""
    store = migrated_store(path, config)
    at = datetime.now(timezone.utc)
    barrier = threading.Barrier(threads + 1)

    def worker(share: Sequence[NewTicket]) -> tuple[list[str], list[float]]:
        """Create a share of the tickets; return their numbers and each call's latency."""
        numbers: list[str] = []
        latencies: list[float] = []
        barrier.wait()
        for new in share:
            begun = time.perf_counter()
            numbers.append(store.tickets.create(new, at).number)
            latencies.append(time.perf_counter() - begun)
        return numbers, latencies

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(worker, tickets[k::threads]) for k in range(threads)]
            barrier.wait()
            started = time.perf_counter()
            outcomes = [future.result() for future in futures]
            seconds = time.perf_counter() - started
        numbers = [n for got, _ in outcomes for n in got]
        latencies = sorted(lat for _, lats in outcomes for lat in lats)
        stored = store.tickets.count()
    finally:
        store.close()
    conn = plain_connect(path)  # the store's own tables, checked behind its back
    try:
        distinct, events, counter = conn.execute(
            "SELECT (SELECT count(DISTINCT number) FROM tickets),"
            " (SELECT count(*) FROM ticket_events),"
            " (SELECT value FROM counters WHERE name = 'ticket')"
        ).fetchone()
    finally:
        conn.close()
    expected = len(tickets)
    problems = []
    if len(numbers) != expected or len(set(numbers)) != expected:
        problems.append(f"{len(set(numbers))} distinct of {len(numbers)} numbers returned")
    if stored != expected or distinct != expected:
        problems.append(f"{stored} rows, {distinct} distinct numbers stored")
    if events != expected or counter != expected:
        problems.append(f"{events} events, counter at {counter}")
    if problems:
        raise RuntimeError(f"concurrent create, expected {expected}: " + "; ".join(problems))
    result = rate_result(f"store: create x {threads} threads", expected, seconds, "tickets/s")
    centiles = statistics.quantiles(latencies, n=100, method="inclusive")
    result.extra = {
        "threads": threads,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": centiles[98] * 1000,
        "max_ms": latencies[-1] * 1000,
        "check": "ok",
    }
    return result


def median_time(call: Callable[[], int], repeats: int, expected: int) -> float:
    """Median seconds of `repeats` calls, each of which must return `expected` rows."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        got = call()
        times.append(time.perf_counter() - started)
        if got != expected:
            raise RuntimeError(f"read returned {got} rows, expected {expected}")
    return statistics.median(times)


def bench_reads(path: Path, config: Config, count: int, lookups: int) -> list[Result]:
    """Stage 5: queue() and get() against plain sqlite3 reads of the same file."""
    conn = plain_connect(path)
    store = open_store(path, ticket_prefix=config.desk.ticket_prefix,
                       busy_timeout_ms=config.store.busy_timeout_ms)
    try:
        plain_sql = "SELECT * FROM tickets ORDER BY priority, received_at, id"
        plain = median_time(lambda: len(conn.execute(plain_sql).fetchall()), READ_REPEATS, count)
        queue = median_time(lambda: len(store.tickets.queue()), READ_REPEATS, count)
        numbers = [row[0] for row in conn.execute("SELECT number FROM tickets ORDER BY id")]
        picks = [numbers[(i * len(numbers)) // lookups] for i in range(lookups)]

        def plain_get(number: str) -> int:
            """One ticket row and its events, by number, with plain sqlite3."""
            row = conn.execute("SELECT * FROM tickets WHERE number = ?", [number]).fetchone()
            conn.execute(
                "SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", [row[0]]
            ).fetchall()
            return 1

        started = time.perf_counter()
        for number in picks:
            plain_get(number)
        plain_lookup = time.perf_counter() - started
        started = time.perf_counter()
        for number in picks:
            store.tickets.get(number)
        store_lookup = time.perf_counter() - started
    finally:
        store.close()
        conn.close()
    base = rate_result(
        "plain: SELECT * ORDER BY (median)", count, plain, "rows/s"
    )
    base.ratio, base.versus = 1.0, "plain SELECT"
    queued = compare(
        rate_result("store: tickets.queue() (median)", count, queue, "rows/s"),
        base, "plain SELECT",
    )
    base_get = rate_result("plain: SELECT WHERE number = ?", lookups, plain_lookup, "gets/s")
    base_get.ratio, base_get.versus = 1.0, "plain get"
    got = compare(
        rate_result("store: tickets.get(number)", lookups, store_lookup, "gets/s"),
        base_get, "plain get",
    )
    return [base, queued, base_get, got]


def run(count: int, threads: int, lookups: int) -> dict[str, Any]:
    """Run every stage in a temporary directory and return the results and notes."""
    config = load_config(None)
    desk = ZoneInfo(config.desk.timezone)
    # Three weeks from a Monday 06:00 on the desk clock: nights, weekends, Thanksgiving.
    start = datetime(2025, 11, 10, 6, 0, tzinfo=desk)
    span = timedelta(weeks=3)
    tickets = sample_tickets(count, start, span)
    requests = sample_requests(tickets)
    at = datetime.now(timezone.utc)
    rows = [plain_row(i, new, at) for i, new in enumerate(tickets)]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        work = Path(tmp)
        ddl = tickets_ddl(work, config)

        progress(1, f"baseline: plain sqlite3 inserts, {count} rows, one transaction each")
        baseline = bench_baseline(work / "baseline.db", ddl, rows)
        baseline.ratio, baseline.versus = 1.0, "baseline"
        results.append(baseline)

        progress(2, f"Store.tickets.create, single thread, {count} tickets")
        results.append(compare(bench_create(work / "create.db", config, tickets),
                               baseline, "baseline"))

        progress(3, f"IntakeService.open_ticket, route email, {count} tickets")
        opened, sla = bench_intake(work / "intake.db", config, requests)
        results += [compare(opened, baseline, "baseline"), sla]

        progress(4, f"Store.tickets.create from {threads} threads, {count} tickets")
        results.append(compare(
            bench_concurrent(work / "concurrent.db", config, tickets, threads),
            baseline, "baseline",
        ))

        progress(5, f"reads: queue() x{READ_REPEATS} and {lookups} get() on {count} tickets")
        results += bench_reads(work / "create.db", config, count, lookups)
    return {
        "meta": {
            "count": count,
            "threads": threads,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "baseline": "plain sqlite3, same tickets table + indexes, WAL, synchronous=FULL,"
                        " BEGIN IMMEDIATE/INSERT/COMMIT per row",
        },
        "results": [asdict(r) for r in results],
    }


def format_table(report: dict[str, Any]) -> str:
    """The report as a fixed-width text table with notes below it."""
    meta = report["meta"]
    header = ("stage", "count", "seconds", "rate", "ratio")
    lines = []
    table = []
    for r in report["results"]:
        ratio = f"{r['ratio']:.2f}x {r['versus']}" if r["ratio"] is not None else "-"
        table.append((r["name"], str(r["count"]), f"{r['seconds']:.3f}",
                      f"{r['rate']:,.0f} {r['unit']}", ratio))
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    aligns = ("<", ">", ">", ">", "<")

    def fmt(row: Sequence[str]) -> str:
        """One table line."""
        return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, aligns, widths)).rstrip()

    lines.append(
        f"intake-gateway bench: {meta['count']} tickets, python {meta['python']},"
        f" sqlite {meta['sqlite']}, {meta['cpus']} cpus"
    )
    lines.append(fmt(header))
    lines.append(fmt(tuple("-" * w for w in widths)))
    lines += [fmt(row) for row in table]
    lines.append("")
    lines.append(f"baseline = {meta['baseline']}")
    for r in report["results"]:
        extra = r["extra"]
        if "p50_ms" in extra:
            lines.append(
                f"{r['name'].strip()}: latency p50 {extra['p50_ms']:.2f} ms,"
                f" p99 {extra['p99_ms']:.2f} ms, max {extra['max_ms']:.2f} ms;"
                f" numbers unique and count == {r['count']}: {extra['check']}"
            )
        if "after_hours" in extra:
            lines.append(
                f"{r['name'].strip()}: {extra['after_hours']} of {r['count']} received after"
                f" hours; SLA clock {extra['sla_clock']}"
            )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark ticket creation and queue reads against plain sqlite3.",
    )
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run with {QUICK_COUNT} tickets instead of {FULL_COUNT}")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("-n", "--count", type=int, default=None,
                        help="tickets per stage (overrides --quick)")
    args = parser.parse_args(argv)
    if args.count is not None and not 16 <= args.count <= 200_000:
        parser.error("--count must be between 16 and 200000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    args = parse_args(argv)
    count = args.count or (QUICK_COUNT if args.quick else FULL_COUNT)
    lookups = min(LOOKUPS, count)
    started = time.perf_counter()
    report = run(count, THREADS, lookups)
    report["meta"]["total_seconds"] = time.perf_counter() - started
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_table(report))
        print(f"total {report['meta']['total_seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
