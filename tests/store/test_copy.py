"""Moving a desk (store/copying.py over each backend's CopySource and CopyTarget): every
table comes across with its ids, raw bytes exactly, the counter and the generated ids carry
on, and a target that already holds a desk is refused. Each backend is copied into itself,
and SQLite into the other backend, so both sides of both backends are exercised."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from store import Store, StoreError, open_store_at
from store.batching import batches
from store.copying import (TargetNotEmptyError, copy_desk, load_order, open_source,
                           open_target)
from store.ports_copy import Table
from tests.helpers.postgres import Postgres
from tests.helpers.store import T0, new

RAW = b"From: a@example.com\r\nSubject: caf\xc3\xa9 \x00\xff\r\n\r\nbody\r\n"
Place = tuple[str, Path]  # (url, path) as open_store_at takes them


@pytest.fixture(params=["sqlite", "postgres"])
def make_place(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Place]:
    """New empty places of one backend, as (url, path)."""
    made = iter(range(1000))

    def make() -> Place:
        path = tmp_path / f"desk-{next(made)}.db"
        if request.param == "sqlite":
            return "", path
        server: Postgres = request.getfixturevalue("postgres")
        return server.new_database(), path

    return make


@pytest.fixture
def opened() -> Iterator[list[Store]]:
    """Stores to close at the end of the test."""
    stores: list[Store] = []
    yield stores
    for s in stores:
        s.close()


def _open(place: Place, opened: list[Store]) -> Store:
    s = open_store_at(*place)
    s.migrate()
    opened.append(s)
    return s


def _fill(s: Store) -> dict[str, int]:
    """A little of every kind of row, made through the store's interface; ids to check."""
    first = s.tickets.create(new(source_id="<a@x>", subject="printer"), T0)
    second = s.tickets.create(new(channel="voice", route="critical_line", source_id="CA1"), T0)
    s.tickets.add_event(first.number, "ticket.note", T0, {"text": "called"}, actor="ann")
    row = s.messages.archive("email", "smtp", T0, raw=RAW, source_id="<a@x>")
    s.messages.set_outcome(row, "ticket", ticket_id=first.id)
    lost = s.messages.archive("email", "smtp", T0, raw=b"x\r\n")
    rejection = s.rejections.add(lost, T0, ["company"], sender="b@example.com")
    s.keys.claim("voice:CA1", T0, {"n": 1})
    s.poller_state.set("imap:uid", 41, T0)
    s.directory.upsert_company("Acme", T0, ("acme.com",))
    outbox = s.outbox.enqueue("email", "a@example.com", {"s": 1}, T0, ticket_id=first.id)
    page = s.pages.open(second.id, "p1", "critical", 1, {"why": "501"}, T0)
    assert page is not None and outbox is not None
    s.pages.add_notice(page, 0, "eve", "+15125550100", outbox, T0)
    s.pages.set_tier(second.id, 1, T0 + timedelta(hours=1), T0)
    s.users.add("ann", "technician", "hash", T0)
    s.surveys.create("tok", first.id, T0)
    s.portal_links.set("Acme", "secret", T0)
    s.rate_hits.hit("login:ann", T0, T0 - timedelta(minutes=5))
    s.pending.accept("email", "smtp", T0, b"pending\r\n", ("support@example.com",))
    return {"row": row, "rejection": rejection, "outbox": outbox, "page": page}


def test_every_table_comes_across_with_its_ids(make_place: Callable[[], Place],
                                               opened: list[Store]) -> None:
    source_place, target_place = make_place(), make_place()
    source = _open(source_place, opened)
    ids = _fill(source)
    before = source.tickets.get("SR-000001")
    reader, writer = open_source(*source_place), open_target(*target_place)
    seen: list[tuple[str, int, int]] = []
    try:
        counts = copy_desk(reader, writer, batch=1, progress=lambda *p: seen.append(p))
    finally:
        reader.close()
        writer.close()
    target = _open(target_place, opened)
    assert counts["tickets"] == 2 and counts["messages"] == 3 and counts["pending_messages"] == 1
    assert ("messages", 3, 3) in seen
    assert target.tickets.get("SR-000001") == before
    assert target.messages.get(ids["row"]).raw == RAW
    assert target.rejections.get(ids["rejection"]) == source.rejections.get(ids["rejection"])
    assert target.outbox.get(ids["outbox"]) == source.outbox.get(ids["outbox"])
    assert target.pages.notices(ids["page"]) == source.pages.notices(ids["page"])
    assert target.keys.result("voice:CA1") == {"n": 1}
    assert target.poller_state.get("imap:uid") == 41
    assert target.directory.company_for_domain("acme.com") is not None
    assert target.portal_links.company("secret") == "Acme"
    assert target.users.get("ann") == source.users.get("ann")
    assert target.rate_hits.count("login:ann", T0 - timedelta(minutes=5)) == 1
    assert target.pending.count() == 1
    third = target.tickets.create(new(source_id="<c@x>"), T0)
    assert third.number == "SR-000003" and third.id > before.id
    assert target.messages.archive("email", "smtp", T0, raw=b"y") > ids["row"] + 1
    assert target.outbox.enqueue("sms", "+1", {}, T0) not in (None, ids["outbox"])


def test_a_target_holding_a_desk_is_refused(make_place: Callable[[], Place],
                                            opened: list[Store]) -> None:
    source_place, target_place = make_place(), make_place()
    _fill(_open(source_place, opened))
    target = _open(target_place, opened)
    target.tickets.create(new(), T0)
    reader, writer = open_source(*source_place), open_target(*target_place)
    try:
        with pytest.raises(TargetNotEmptyError, match="tickets"):
            copy_desk(reader, writer)
    finally:
        reader.close()
        writer.close()
    assert target.tickets.count() == 1 and target.pending.count() == 0


def test_sqlite_into_postgres_keeps_bytes_and_numbers(tmp_path: Path, postgres: Postgres,
                                                      opened: list[Store]) -> None:
    source_place: Place = ("", tmp_path / "old.db")
    target_place: Place = (postgres.new_database(), tmp_path / "unused.db")
    ids = _fill(_open(source_place, opened))
    reader, writer = open_source(*source_place), open_target(*target_place)
    try:
        copy_desk(reader, writer)
    finally:
        reader.close()
        writer.close()
    target = _open(target_place, opened)
    assert target.messages.get(ids["row"]).raw == RAW
    assert target.tickets.create(new(source_id="<z@x>"), T0).number == "SR-000003"


def test_a_missing_source_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_source("", tmp_path / "nothing.db")
    assert not (tmp_path / "nothing.db").exists()


def test_tables_load_after_those_they_reference() -> None:
    tables = [Table("events", ("id",), frozenset({"tickets"})),
              Table("tickets", ("id",), frozenset({"contacts", "tickets"})),
              Table("contacts", ("id",), frozenset({"companies"})),
              Table("companies", ("id",))]
    names = [t.name for t in load_order(tables)]
    assert names == ["companies", "contacts", "tickets", "events"]


def test_batches_end_at_a_row_count_or_a_byte_budget() -> None:
    rows = [(1, b"x" * 10), (2, "y" * 10), (3, None), (4, b"z" * 30), (5, b"")]
    assert [len(b) for b in batches(rows, 2, max_bytes=1000)] == [2, 2, 1]
    assert [[r[0] for r in b] for b in batches(rows, 10, max_bytes=20)] == [[1, 2], [3, 4],
                                                                           [5]]
