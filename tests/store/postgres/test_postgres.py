"""PostgreSQL only: two stores on one database standing for two nodes, racing for numbers,
sources, keys and claims; locks held elsewhere; errors as the store's own; migrations."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from store import (DuplicateSourceError, SchemaTooNewError, StoreBusyError,
                   StoreConflictError, StoreError, StoreUnavailableError, open_store_at)
from store.postgres import PostgresStore
from tests.helpers.postgres import Postgres
from tests.helpers.store import T0, new

LEASE = timedelta(seconds=30)


@pytest.fixture
def url(postgres: Postgres) -> str:
    """A fresh, migrated database."""
    address = postgres.new_database()
    s = PostgresStore(address)
    s.migrate()
    s.close()
    return address


@pytest.fixture
def nodes(url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one database: two gateways."""
    a, b = PostgresStore(url), PostgresStore(url)
    yield a, b
    a.close()
    b.close()


def _race(workers: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run the workers at once; what they returned and what they raised."""
    results: list[Any] = []
    errors: list[BaseException] = []
    lock, start = threading.Lock(), threading.Barrier(len(workers))

    def run(work: Callable[[], Any]) -> None:
        start.wait()
        try:
            result = work()
            with lock:
                results.append(result)
        except BaseException as exc:  # collected and asserted by the caller
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_two_nodes_number_tickets_without_gaps_or_repeats(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    def many(s: PostgresStore, worker: int) -> list[str]:
        return [s.tickets.create(new(source_id=f"<{worker}-{i}@t>"), T0).number
                for i in range(25)]

    results, errors = _race([lambda s=s, w=w: many(s, w)  # type: ignore[misc]
                             for w in range(8) for s in [nodes[w % 2]]])
    assert errors == []
    numbers = sorted(n for r in results for n in r)
    assert numbers == [f"SR-{n:06d}" for n in range(1, 201)]


def test_the_same_retry_on_two_nodes_makes_one_ticket(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    results, errors = _race([lambda s=s: s.tickets.create(new(source_id="<same@t>"), T0)
                             for s in nodes * 3])
    assert len(results) == 1 and len(errors) == 5
    assert all(isinstance(e, DuplicateSourceError) for e in errors), errors
    assert {e.number for e in errors if isinstance(e, DuplicateSourceError)} == {"SR-000001"}
    assert nodes[1].tickets.count() == 1


def test_a_key_and_an_outbox_item_go_to_one_node_only(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    won, errors = _race([lambda s=s: s.keys.claim("CA123", T0, {"n": 1}) for s in nodes * 3])
    assert errors == [] and sorted(won) == [False] * 5 + [True]
    for i in range(10):
        nodes[0].outbox.enqueue("email", f"r{i}@t", {}, T0, dedupe_key=f"k{i}")
    taken, errors = _race([lambda s=s: [i.id for i in s.outbox.claim_due(T0, LEASE, limit=4)]
                           for s in nodes * 2])
    ids = [i for r in taken for i in r]
    assert errors == [] and len(ids) == 10 == len(set(ids))


def test_a_lock_held_elsewhere_becomes_store_busy_and_uses_no_number(url: str) -> None:
    s = PostgresStore(url, timeout_s=0.05)
    with psycopg.connect(url) as other:
        other.execute("UPDATE counters SET value = value WHERE name = 'ticket'")
        with pytest.raises(StoreBusyError):
            s.tickets.create(new(), T0)
        other.rollback()
    assert s.tickets.create(new(), T0).number == "SR-000001"
    s.close()


@pytest.mark.parametrize(("sql", "error"), [
    ("INSERT INTO counters (name, value) VALUES ('ticket', 1)", StoreConflictError),
    ("SELECT * FROM nowhere", StoreError),
])
def test_database_errors_leave_as_store_errors_with_the_original_chained(
        nodes: tuple[PostgresStore, PostgresStore], sql: str, error: type[StoreError]) -> None:
    with pytest.raises(error) as caught:
        nodes[0].conns.write(lambda db: db.execute(sql))
    assert isinstance(caught.value.__cause__, psycopg.Error)


def test_a_server_that_does_not_answer_is_unavailable(postgres: Postgres) -> None:
    with pytest.raises(StoreUnavailableError):
        PostgresStore(postgres.url("no_such_database"), timeout_s=1)


def test_two_nodes_migrating_at_once_apply_each_migration_once(postgres: Postgres) -> None:
    address = postgres.new_database()
    a, b = PostgresStore(address), PostgresStore(address)
    done, errors = _race([a.migrate, b.migrate])
    assert errors == []
    assert sorted(n for d in done for n in d) == a.schema_version() == b.schema_version()
    assert a.pending_migrations() == []
    a.close()
    b.close()


def test_a_database_from_a_newer_release_is_refused(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO intake_migrations VALUES ('0999_future', 'x')")
    s = PostgresStore(url)
    with pytest.raises(SchemaTooNewError):
        s.migrate()
    s.close()


def test_a_large_message_is_written_in_chunks_and_read_back_whole(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    raw = bytes(range(256)) * 9000  # 2.3 MB: three chunks
    row = nodes[0].pending.accept("email", "smtp", T0, raw, ("a@t",))
    [claimed] = nodes[1].pending.claim("b", T0, LEASE)
    assert (claimed.row, claimed.raw, claimed.recipients) == (row, raw, ("a@t",))


def test_the_factory_picks_the_backend_by_url(postgres: Postgres, tmp_path: Path) -> None:
    on_file = open_store_at("", tmp_path / "desk.db")
    on_file.migrate()
    on_file.tickets.create(new(), T0)
    on_file.close()
    assert (tmp_path / "desk.db").is_file()
    on_server = open_store_at(postgres.new_database(), tmp_path / "unused.db")
    assert isinstance(on_server, PostgresStore) and not (tmp_path / "unused.db").exists()
    on_server.close()
    with pytest.raises(ValueError, match="postgresql://"):
        open_store_at("mysql://intake@db:3306/desk", tmp_path / "x.db")
