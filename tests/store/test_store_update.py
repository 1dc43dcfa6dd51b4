"""Tickets.update: fields and the event that explains them change together, once per key.
Part of the store contract: runs against every backend (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from store import NewTicket, Store, StoreConflictError, TicketNotFound

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


def _open(store: Store) -> str:
    return store.tickets.create(NewTicket(channel="voice", route="voice", priority=3,
                                          received_at=T0, source_id="CA1"), T0).number


def test_update_changes_fields_and_records_why(store: Store) -> None:
    number = _open(store)
    due = T0 + timedelta(hours=1)
    assert store.tickets.update(
        number, T0 + timedelta(minutes=1),
        {"route": "critical_line", "priority": 1, "first_response_due": due,
         "flags": ("critical_line",), "callback_numbers": ["+15125550100"],
         "field_sources": {"callback_numbers": "caller_id"}, "description": "down"},
        kind="call.routed", detail={"from": "voice"}, actor="twilio",
    )
    ticket = store.tickets.get(number)
    assert (ticket.route, ticket.priority, ticket.first_response_due) == ("critical_line", 1, due)
    assert ticket.flags == ("critical_line",) and ticket.callback_numbers == ("+15125550100",)
    assert ticket.field_sources == {"callback_numbers": "caller_id"}
    assert ticket.description == "down" and ticket.updated_at == T0 + timedelta(minutes=1)
    event = ticket.events[-1]
    assert (event.kind, event.actor) == ("call.routed", "twilio")
    assert event.detail == {"changed": ["callback_numbers", "description", "field_sources",
                                        "first_response_due", "flags", "priority", "route"],
                            "from": "voice"}


def test_update_is_once_per_key(store: Store) -> None:
    number = _open(store)
    assert store.tickets.update(number, T0, {"description": "first"}, dedupe_key="TR1")
    assert not store.tickets.update(number, T0, {"description": "second"}, dedupe_key="TR1")
    ticket = store.tickets.get(number)
    assert ticket.description == "first" and len(ticket.events) == 2


@pytest.mark.parametrize("changes", [{"status": "closed"}, {"number": "SR-9"}, {"id": 2}])
def test_only_updatable_fields_change(store: Store, changes: dict[str, object]) -> None:
    number = _open(store)
    with pytest.raises(ValueError, match="cannot be updated"):
        store.tickets.update(number, T0, changes)
    assert len(store.tickets.get(number).events) == 1


def test_a_bad_value_changes_nothing(store: Store) -> None:
    number = _open(store)
    with pytest.raises(StoreConflictError):
        store.tickets.update(number, T0, {"priority": 9}, dedupe_key="k")  # CHECK 1-4
    ticket = store.tickets.get(number)
    assert ticket.priority == 3 and len(ticket.events) == 1
    assert store.tickets.update(number, T0, {"priority": 2}, dedupe_key="k")  # key unused


def test_unknown_ticket(store: Store) -> None:
    with pytest.raises(TicketNotFound):
        store.tickets.update("SR-404404", T0, {"description": "x"})


@pytest.mark.parametrize("changes", [{"priority": 0}, {"contact_id": 404}])  # CHECK, REFERENCES
def test_a_change_the_database_refuses_is_a_conflict(store: Store,
                                                     changes: dict[str, object]) -> None:
    number = _open(store)
    with pytest.raises(StoreConflictError):
        store.tickets.update(number, T0, changes, dedupe_key="k")
    assert store.tickets.get(number).events[-1].kind == "ticket.created"
    assert store.tickets.update(number, T0, {"priority": 2}, dedupe_key="k")  # key unused
