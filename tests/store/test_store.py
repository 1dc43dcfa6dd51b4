"""The ticket store: numbers, queue order, timelines, idempotency, concurrency."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from store import DuplicateSourceError, NewTicket, Store, StoreBusyError, TicketNotFound
from store.sqlite import SqliteStore
from tests.helpers.clock import chicago

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


def new(**kw: object) -> NewTicket:
    base: dict[str, object] = {"channel": "email", "route": "email", "priority": 4, "received_at": T0}
    base.update(kw)
    return NewTicket(**base)  # type: ignore[arg-type]


def test_numbers_are_prefixed_padded_and_monotonic(store: Store) -> None:
    numbers = [store.tickets.create(new(), T0).number for _ in range(3)]
    assert numbers == ["SR-000001", "SR-000002", "SR-000003"]


def test_prefix_is_configurable(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "x.db", ticket_prefix="INC")
    s.migrate()
    assert s.tickets.create(new(), T0).number == "INC000001"
    s.close()


def test_ticket_round_trip(store: Store) -> None:
    created = store.tickets.create(
        new(
            requester_name="Ann Lee", company="Acme", callback_numbers=("+15125550100",),
            email="ann@acme.example", subject="Printer", description="It jams on every page",
            after_hours=True, first_response_due=T0 + timedelta(hours=1),
            resolution_due=T0 + timedelta(hours=24), flags=("after_hours",),
            field_sources={"company": "directory"}, source_id="<a@b>",
            received_at=chicago(2026, 11, 24, 9, 0),
        ),
        T0,
    )
    got = store.tickets.get(created.number)
    assert got == created
    assert got.received_at == chicago(2026, 11, 24, 9, 0)
    assert got.received_at.tzinfo is not None
    assert got.callback_numbers == ("+15125550100",)
    assert got.flags == ("after_hours",)
    assert [e.kind for e in got.events] == ["created"]
    assert store.tickets.get(created.number.lower()).id == created.id


def test_unknown_ticket(store: Store) -> None:
    with pytest.raises(TicketNotFound):
        store.tickets.get("SR-999999")


def test_queue_is_priority_then_first_come(store: Store) -> None:
    late_critical = store.tickets.create(new(priority=1, received_at=T0 + timedelta(hours=2)), T0)
    early_low = store.tickets.create(new(priority=4, received_at=T0), T0)
    early_critical = store.tickets.create(new(priority=1, received_at=T0), T0)
    medium = store.tickets.create(new(priority=3, received_at=T0 + timedelta(hours=5)), T0)
    closed = store.tickets.create(new(priority=1, received_at=T0 - timedelta(days=1)), T0)
    store.tickets.set_status(closed.number, "resolved", T0)
    order = [t.number for t in store.tickets.queue()]
    assert order == [early_critical.number, late_critical.number, medium.number, early_low.number]
    assert closed.number in [t.number for t in store.tickets.queue(include_closed=True)]


def test_events_deduplicate_on_key(store: Store) -> None:
    number = store.tickets.create(new(), T0).number
    assert store.tickets.add_event(number, "recording", T0, {"sid": "RE1"}, dedupe_key="RE1")
    assert not store.tickets.add_event(number, "recording", T0, {"sid": "RE1"}, dedupe_key="RE1")
    kinds = [e.kind for e in store.tickets.get(number).events]
    assert kinds == ["created", "recording"]


def test_same_source_never_opens_two_tickets(store: Store) -> None:
    first = store.tickets.create(new(channel="voice", route="voice", source_id="CA123"), T0)
    with pytest.raises(DuplicateSourceError) as caught:
        store.tickets.create(new(channel="voice", route="voice", source_id="CA123"), T0)
    assert caught.value.number == first.number
    assert store.tickets.count() == 1


def test_eight_threads_create_unique_numbers_without_lock_errors(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "threads.db", busy_timeout_ms=2000)
    s.migrate()
    errors: list[BaseException] = []
    numbers: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(50):
                t = s.tickets.create(new(source_id=f"<{worker}-{i}@test>"), T0)
                s.tickets.add_event(t.number, "note", T0, {"worker": worker})
                with lock:
                    numbers.append(t.number)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(numbers) == 400 == len(set(numbers))
    assert sorted(numbers) == [f"SR-{n:06d}" for n in range(1, 401)]
    s.close()


def _create_many(path: str, count: int) -> None:
    s = SqliteStore(path)
    for _ in range(count):
        s.tickets.create(new(), T0)
    s.close()


def test_two_processes_share_the_counter(tmp_path: Path) -> None:
    path = tmp_path / "procs.db"
    s = SqliteStore(path)
    s.migrate()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_create_many, args=(str(path), 40)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    numbers = [t.number for t in s.tickets.queue()]
    assert len(numbers) == 80 == len(set(numbers))
    s.close()


def test_a_lock_held_elsewhere_becomes_store_busy_not_a_raw_sqlite_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    s = SqliteStore(path, busy_timeout_ms=50)
    s.migrate()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusyError):
            s.tickets.create(new(), T0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert s.tickets.create(new(), T0).number == "SR-000001"  # the failed try used no number
    s.close()


def test_a_short_lock_elsewhere_is_waited_out(tmp_path: Path) -> None:
    path = tmp_path / "wait.db"
    s = SqliteStore(path, busy_timeout_ms=5000)
    s.migrate()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    assert s.tickets.create(new(), T0).number == "SR-000001"
    other.close()
    s.close()


def test_wal_mode_and_busy_timeout(store: Store) -> None:
    db = store.conns.current()
    assert next(db.query("PRAGMA journal_mode"))["journal_mode"] == "wal"
    assert next(db.query("PRAGMA busy_timeout"))["timeout"] == 10_000


def test_a_failed_write_rolls_back_whole(store: Store) -> None:
    def work(db: Database) -> None:
        db.execute("UPDATE counters SET value = 99 WHERE name = 'ticket'")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.conns.write(work)
    assert store.tickets.create(new(), T0).number == "SR-000001"


def test_memory_database_for_quick_tests() -> None:
    s = SqliteStore(Database(memory=True))
    s.migrate()
    assert s.tickets.create(new(), T0).number == "SR-000001"
    assert s.health()["ok"] is True


def test_messages_keep_raw_bytes_and_params(store: Store) -> None:
    raw = b"Subject: hi\r\n\r\n\xff\xfe broken bytes"
    row = store.messages.archive("email", "smtp", T0, raw=raw, source_id="<m1@x>")
    hook = store.messages.archive("voice", "/voice/incoming", T0, params={"CallSid": "CA1"})
    assert store.messages.get(row).raw == raw
    assert store.messages.get(hook).params == {"CallSid": "CA1"}
    assert store.messages.seen("email", "<m1@x>") is None  # no outcome yet: not a duplicate
    store.messages.set_outcome(row, "rejected", "missing company")
    assert store.messages.seen("email", "<m1@x>") == row
    assert store.messages.seen("email", None, raw) == row  # same bytes, no Message-ID


def test_rejections(store: Store) -> None:
    row = store.messages.archive("email", "imap", T0, raw=b"x")
    rid = store.rejections.add(row, T0, ["company", "description"], sender="a@b.example",
                               message_id="<m@x>", reply_message_id="<r@desk>")
    found = store.rejections.by_reply("<r@desk>")
    assert found is not None and found.id == rid and found.missing == ("company", "description")
    assert store.rejections.count_since("A@B.example", T0 - timedelta(hours=1)) == 1
    ticket = store.tickets.create(new(), T0)
    store.rejections.resolve(rid, ticket.id, T0)
    assert store.rejections.recent()[0].resolved_ticket == ticket.number


def test_idempotency_keys(store: Store) -> None:
    assert store.keys.claim("CA1:recording", T0, {"ticket": "SR-000001"})
    assert not store.keys.claim("CA1:recording", T0, {"ticket": "SR-000002"})
    assert store.keys.result("CA1:recording") == {"ticket": "SR-000001"}
    with pytest.raises(KeyError):
        store.keys.result("nope")


def test_poller_state(store: Store) -> None:
    assert store.poller_state.get("imap:INBOX", {}) == {}
    store.poller_state.set("imap:INBOX", {"uidvalidity": 7, "last_uid": 42}, T0)
    store.poller_state.set("imap:INBOX", {"uidvalidity": 7, "last_uid": 43}, T0)
    assert store.poller_state.get("imap:INBOX") == {"uidvalidity": 7, "last_uid": 43}


def test_outbox_lifecycle(store: Store) -> None:
    item = store.outbox.enqueue("email", "ann@acme.example", {"subject": "ack"}, T0,
                                dedupe_key="ack:SR-1")
    assert item is not None
    assert store.outbox.enqueue("email", "ann@acme.example", {}, T0, dedupe_key="ack:SR-1") is None
    lease = timedelta(minutes=5)
    claimed = store.outbox.claim_due(T0, lease)
    assert [c.id for c in claimed] == [item] and claimed[0].attempts == 1
    assert store.outbox.claim_due(T0 + timedelta(minutes=1), lease) == []  # leased
    # The sender died: after the lease the item is due again, not lost.
    again = store.outbox.claim_due(T0 + timedelta(minutes=6), lease)
    assert [c.id for c in again] == [item] and again[0].attempts == 2
    store.outbox.mark_failed(item, "relay down", T0 + timedelta(minutes=10))
    assert store.outbox.get(item).status == "pending"
    assert store.outbox.claim_due(T0 + timedelta(minutes=9), lease) == []
    store.outbox.claim_due(T0 + timedelta(minutes=10), lease)
    store.outbox.mark_sent(item, T0 + timedelta(minutes=10), "250 OK")
    done = store.outbox.get(item)
    assert done.status == "sent" and done.sent_at is not None and done.response == "250 OK"
    assert store.outbox.counts() == {"sent": 1}
    dead = store.outbox.enqueue("sms", "+15125550100", {}, T0)
    assert dead is not None
    store.outbox.mark_failed(dead, "invalid number", None)
    assert store.outbox.items(status="dead")[0].id == dead


def test_outbox_next_due_defer_and_counts_by_kind(store: Store) -> None:
    assert store.outbox.next_due(("email",)) is None
    first = store.outbox.enqueue("email", "ann@acme.example", {}, T0)
    second = store.outbox.enqueue("email", "bob@acme.example", {}, T0 + timedelta(minutes=1))
    page = store.outbox.enqueue("page", "+15125550100", {}, T0 - timedelta(hours=1))
    assert first and second and page
    assert store.outbox.next_due(("email",)) == T0
    # The relay is down: what is due waits until the next try, with the reason, and no
    # attempt is counted; what is not due yet and other kinds are left alone.
    later = T0 + timedelta(minutes=5)
    assert store.outbox.defer_due(T0, later, "relay down", ("email",)) == 1
    deferred = store.outbox.get(first)
    assert (deferred.status, deferred.attempts, deferred.next_try_at, deferred.last_error) == (
        "pending", 0, later, "relay down")
    assert store.outbox.get(second).last_error is None
    assert store.outbox.get(page).next_try_at == T0 - timedelta(hours=1)
    assert store.outbox.next_due(("email",)) == T0 + timedelta(minutes=1)
    # A leased item counts as waiting: due again when its lease runs out.
    store.outbox.claim_due(T0 + timedelta(minutes=1), timedelta(minutes=10), kinds=("email",))
    assert store.outbox.next_due(("email",)) == later
    assert store.outbox.counts(("email",)) == {"pending": 1, "sending": 1}
    assert store.outbox.counts(("page", "sms")) == {"pending": 1}
    assert store.outbox.counts() == {"pending": 2, "sending": 1}


def test_health_reports_counts(store: Store) -> None:
    store.tickets.create(new(), T0)
    health = store.health()
    assert health["ok"] is True and health["tickets"] == 1 and health["pending_migrations"] == []


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.tickets.create(new(received_at=datetime(2026, 11, 24, 9, 0)), T0)
