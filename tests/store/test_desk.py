"""The store contract for the desk's pages: users, surveys, portal links, throttling, the
work fields of a ticket and the paged listing. Runs against every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store import NotFoundError, Store, StoreConflictError, TicketQuery
from store.models import STATUSES
from tests.helpers.store import T0, new


def test_users_are_unique_in_any_case_and_can_be_disabled(store: Store) -> None:
    added = store.users.add("Ana", "technician", "hash", T0)
    assert (added.name, added.role, added.disabled) == ("Ana", "technician", False)
    with pytest.raises(StoreConflictError):
        store.users.add("ANA", "admin", "other", T0)
    store.users.set_disabled("ana", True)
    found = store.users.get("ANA")
    assert found is not None and found.disabled and found.password_hash == "hash"
    assert [u.name for u in store.users.all()] == ["Ana"]
    with pytest.raises(NotFoundError):
        store.users.set_disabled("nobody", True)


def test_a_survey_is_answered_once(store: Store) -> None:
    ticket = store.tickets.create(new(), T0)
    store.surveys.create("h1", ticket.id, T0)
    assert store.surveys.answer("h1", 5, T0 + timedelta(hours=1))
    assert not store.surveys.answer("h1", 1, T0 + timedelta(hours=2))
    assert not store.surveys.answer("unknown", 1, T0)
    survey = store.surveys.get("h1")
    assert survey is not None and survey.answer == 5 and survey.ticket_id == ticket.id


def test_portal_links_rotate(store: Store) -> None:
    store.portal_links.set("Acme", "s1", T0)
    store.portal_links.set("ACME", "s2", T0)
    assert store.portal_links.secret("acme") == "s2"
    assert store.portal_links.company("s2") == "Acme"
    assert store.portal_links.company("s1") is None


def test_rate_hits_count_inside_the_window(store: Store) -> None:
    counts = [store.rate_hits.hit("k", T0 + timedelta(seconds=i), T0) for i in range(3)]
    assert counts == [1, 2, 3]
    assert store.rate_hits.hit("k", T0 + timedelta(minutes=10),
                               T0 + timedelta(minutes=5)) == 1
    assert store.rate_hits.count("k", T0 + timedelta(minutes=5)) == 1
    assert store.rate_hits.count("other", T0) == 0
    store.rate_hits.clear("k")
    assert store.rate_hits.hit("k", T0, T0) == 1


def test_rate_hits_recorded_and_counted_together(store: Store) -> None:
    for i in range(3):
        store.rate_hits.record("a", T0 + timedelta(minutes=i), T0)
    store.rate_hits.record("b", T0, T0)
    assert store.rate_hits.counts([("a", T0 + timedelta(minutes=1)), ("b", T0), ("c", T0),
                                   ("a", T0)]) == [2, 1, 0, 3]
    assert store.rate_hits.counts([]) == []
    # Recording drops what is older than its window, as hit does.
    store.rate_hits.record("a", T0 + timedelta(hours=2), T0 + timedelta(minutes=90))
    assert store.rate_hits.counts([("a", T0)]) == [1]


def test_work_fields_round_trip(store: Store) -> None:
    number = store.tickets.create(new(), T0).number
    store.tickets.update(number, T0, {"assignee": "ana", "level": 2, "triaged_at": T0,
                                      "resolution": "Replaced toner", "resolved_at": T0,
                                      "first_response_at": T0})
    got = store.tickets.get(number)
    assert (got.assignee, got.level, got.triaged_at, got.resolution) == (
        "ana", 2, T0, "Replaced toner")
    assert got.first_response_at == T0 and got.resolved_at == T0


def test_pages_follow_the_queue_order_and_filters(store: Store) -> None:
    made = [store.tickets.create(new(priority=p, received_at=T0 + timedelta(minutes=m),
                                     company=c), T0)
            for p, m, c in [(4, 0, "Acme"), (1, 5, "Beta"), (4, -5, "acme"), (2, 1, "Acme")]]
    first = store.tickets.page(TicketQuery(statuses=STATUSES), limit=2)
    assert [t.number for t in first] == [made[1].number, made[3].number]
    last = first[-1]
    rest = store.tickets.page(TicketQuery(
        statuses=STATUSES, after=(last.priority, last.received_at, last.id)), limit=10)
    assert [t.number for t in rest] == [made[2].number, made[0].number]
    acme = store.tickets.page(TicketQuery(company="ACME", priority=4))
    assert [t.number for t in acme] == [made[2].number, made[0].number]
    assert store.tickets.page(TicketQuery(since=T0 + timedelta(minutes=1)), limit=10)[0].number \
        == made[1].number


def test_archived_messages_are_found_by_ticket(store: Store) -> None:
    ticket = store.tickets.create(new(), T0)
    first = store.messages.archive("email", "smtp", T0, raw=b"a")
    store.messages.archive("email", "smtp", T0, raw=b"b")
    third = store.messages.archive("email", "smtp", T0, raw=b"c")
    for row in (third, first):
        store.messages.set_outcome(row, "ticket", ticket_id=ticket.id)
    assert store.messages.for_ticket(ticket.id) == [first, third]


def test_counts_for_metrics(store: Store) -> None:
    ticket = store.tickets.create(new(), T0)
    store.tickets.create(new(channel="voice", route="voicemail"), T0)
    row = store.messages.archive("email", "smtp", T0, raw=b"a")
    store.messages.set_outcome(row, "ticket", ticket_id=ticket.id)
    store.messages.archive("email", "smtp", T0, raw=b"b")
    store.messages.archive("voice", "/voice/incoming", T0, params={"CallSid": "CA1"})
    store.outbox.enqueue("webhook", "http://x", {}, T0)
    store.outbox.enqueue("webhook", "http://x", {}, T0 + timedelta(minutes=1))
    counts = store.counts()
    assert counts.messages_by_outcome == {"ticket": 1, "pending": 1}
    assert counts.tickets_by_channel_route == {("email", "email"): 1, ("voice", "voicemail"): 1}
    assert counts.events_by_kind["ticket.created"] == 2
    assert counts.outbox_by_kind_status == {("webhook", "pending"): 2}
    assert counts.outbox_oldest_waiting == {"webhook": T0}


def test_a_rejection_is_found_by_id(store: Store) -> None:
    row = store.messages.archive("email", "smtp", T0, raw=b"a")
    rejection_id = store.rejections.add(row, T0, ["company"], sender="a@b.example")
    found = store.rejections.get(rejection_id)
    assert (found.id, found.missing, found.sender, found.resolved_ticket) == (
        rejection_id, ("company",), "a@b.example", None)
    ticket = store.tickets.create(new(), T0)
    store.rejections.resolve(rejection_id, ticket.id, T0)
    assert store.rejections.get(rejection_id).resolved_ticket == ticket.number
    with pytest.raises(NotFoundError):
        store.rejections.get(rejection_id + 1)


def test_events_of_every_ticket_are_read_in_order(store: Store) -> None:
    assert store.tickets.last_event_id() == 0
    first = store.tickets.create(new(), T0).number
    mark = store.tickets.last_event_id()
    second = store.tickets.create(new(), T0).number
    store.tickets.add_event(first, "ticket.note", T0, {"text": "x"})
    after = store.tickets.events_after(mark)
    assert [(n, e.kind) for n, e in after] == [(second, "ticket.created"), (first, "ticket.note")]
    assert store.tickets.events_after(mark, limit=1) == after[:1]
    assert store.tickets.last_event_id() == after[-1][1].id
