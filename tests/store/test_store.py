"""The store contract: ticket numbers, queue order, timelines and sources; health,
migrations state and transactions. Runs against every backend (tests/store/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from store import (DuplicateSourceError, Store, StoreConflictError, TicketNotFound,
                   memory_store)
from tests.helpers.clock import chicago
from tests.helpers.store import T0, new


def test_numbers_are_prefixed_padded_and_monotonic(store: Store) -> None:
    numbers = [store.tickets.create(new(), T0).number for _ in range(3)]
    assert numbers == ["SR-000001", "SR-000002", "SR-000003"]


def test_prefix_is_configurable(make_store: Callable[..., Store]) -> None:
    s = make_store(ticket_prefix="INC")
    assert s.tickets.create(new(), T0).number == "INC000001"


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
    assert [e.kind for e in got.events] == ["ticket.created"]
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
    assert kinds == ["ticket.created", "recording"]


def test_an_event_by_the_ticket_id_read_in_the_same_write(store: Store) -> None:
    number = store.tickets.create(new(channel="voice", route="voice", source_id="CA7"), T0).number
    other = store.tickets.create(new(), T0).number
    later = T0 + timedelta(minutes=1)

    def note() -> bool:
        found = store.tickets.for_source("voice", "CA7")  # read, and locked, in this write
        assert found is not None
        return store.tickets.add_event(number, "call.menu", later, {"digits": "1"},
                                       dedupe_key="CA7:menu:1", ticket_id=found.id)

    assert store.atomically(note)
    assert not store.atomically(note)  # the key still holds
    ticket = store.tickets.get(number)
    assert [e.kind for e in ticket.events] == ["ticket.created", "call.menu"]
    assert ticket.updated_at == later
    assert [e.kind for e in store.tickets.get(other).events] == ["ticket.created"]
    # Not `touch`: the event is added, updated_at stays as the write before set it.
    assert store.tickets.add_event(number, "call.enqueued", later + timedelta(minutes=1), {},
                                   touch=False)
    ticket = store.tickets.get(number)
    assert ticket.events[-1].kind == "call.enqueued" and ticket.updated_at == later


def test_an_update_by_the_ticket_id_read_in_the_same_write(store: Store) -> None:
    number = store.tickets.create(new(channel="voice", route="voice", source_id="CA8"), T0).number
    other = store.tickets.create(new(), T0)
    later = T0 + timedelta(minutes=1)

    def route() -> bool:
        found = store.tickets.for_source("voice", "CA8")  # read, and locked, in this write
        assert found is not None
        return store.tickets.update(number, later, {"route": "voicemail", "priority": 3},
                                    kind="call.routed", dedupe_key="CA8:routed",
                                    ticket_id=found.id)

    assert store.atomically(route)
    assert not store.atomically(route)  # the key still holds
    ticket = store.tickets.get(number)
    assert (ticket.route, ticket.priority, ticket.updated_at) == ("voicemail", 3, later)
    assert [e.kind for e in ticket.events] == ["ticket.created", "call.routed"]
    assert store.tickets.get(other.number) == other


def test_a_number_handed_out_again_is_a_conflict_and_nothing_is_written(store: Store) -> None:
    first = store.tickets.create(new(), T0)
    # A counter set back behind the tickets (by hand, or a bad restore): the next number
    # is taken. No ticket may be overwritten or half written.
    store.conns.write(lambda db: db.execute("UPDATE counters SET value = 0 WHERE name = 'ticket'"))
    with pytest.raises(StoreConflictError, match="SR-000001 exists already"):
        store.tickets.create(new(channel="voice", route="voice", source_id="CA5"), T0)
    assert store.tickets.count() == 1
    assert store.tickets.get(first.number) == first
    assert store.tickets.for_source("voice", "CA5") is None


def test_same_source_never_opens_two_tickets(store: Store) -> None:
    first = store.tickets.create(new(channel="voice", route="voice", source_id="CA123"), T0)
    with pytest.raises(DuplicateSourceError) as caught:
        store.tickets.create(new(channel="voice", route="voice", source_id="CA123"), T0)
    assert caught.value.number == first.number
    assert store.tickets.count() == 1
    # The duplicate gave its number back: none is skipped.
    assert store.tickets.create(new(), T0).number == "SR-000002"


def test_a_ticket_by_its_source_or_number_without_its_events(store: Store) -> None:
    created = store.tickets.create(new(channel="voice", route="voice", source_id="CA9"), T0)
    store.tickets.add_event(created.number, "call.menu", T0, {"digits": "1"})
    found = store.tickets.for_source("voice", "CA9")
    assert found is not None and found.events == ()
    assert found == store.tickets.get(created.number, events=False)
    full = store.tickets.get(created.number)
    assert [e.kind for e in full.events] == ["ticket.created", "call.menu"]
    assert found.number == full.number and found.id == full.id and found.route == "voice"
    assert store.tickets.for_source("voice", "CA8") is None
    assert store.tickets.for_source("email", "CA9") is None
    # Inside a write (where PostgreSQL locks the row) it reads the same.
    assert store.atomically(lambda: store.tickets.for_source("voice", "CA9")) == found


def test_health_reports_counts(store: Store) -> None:
    store.tickets.create(new(), T0)
    health = store.health()
    assert health["ok"] is True and health["tickets"] == 1 and health["pending_migrations"] == []


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.tickets.create(new(received_at=datetime(2026, 11, 24, 9, 0)), T0)


def test_atomically_commits_all_or_nothing(store: Store) -> None:
    def opens_then_fails() -> None:
        store.tickets.create(new(source_id="<a@x>"), T0)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.atomically(opens_then_fails)
    assert store.tickets.count() == 0
    assert store.tickets.number_for_source("email", "<a@x>") is None
    both = store.atomically(lambda: [store.tickets.create(new(), T0).number for _ in range(2)])
    assert both == ["SR-000001", "SR-000002"]  # the failed try used no number


def test_a_migrated_store_has_nothing_pending(store: Store) -> None:
    assert store.pending_migrations() == []
    assert store.migrate() == []
    assert store.schema_version() != []


def test_memory_store_is_empty_migrated_and_its_own() -> None:
    first, second = memory_store("INC"), memory_store()
    try:
        assert first.pending_migrations() == [] and first.tickets.count() == 0
        assert first.tickets.create(new(), T0).number == "INC000001"
        assert second.tickets.count() == 0 and second.health()["ok"] is True
    finally:
        first.close()
        second.close()
