"""The store contract under concurrent writers on two nodes (two stores on one database,
tests/store/conftest.py `two_nodes`): many threads creating tickets, changing one ticket,
posting one callback, answering one survey, claiming outbox items. Nothing lost, nothing
doubled, numbers without gaps, and no StoreBusyError at this moderate concurrency (writers
queue on row locks; they do not fail and retry)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from store import Store
from store.errors import DuplicateSourceError
from store.models import ContactRecord, EventKind
from tests.helpers.store import T0, new

T = TypeVar("T")
THREADS = 16


def together(nodes: tuple[Store, Store], work: Callable[[Store, int], T],
             threads: int = THREADS) -> list[T]:
    """Run work(store, n) on `threads` threads at once, alternating the two nodes; every
    result, or the first error any thread raised."""
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def run(n: int) -> None:
        start.wait()
        try:
            result = work(nodes[n % 2], n)
        except BaseException as exc:  # handed to the test below, not swallowed
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append(result)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_new_tickets_from_two_nodes_have_gap_free_numbers_and_none_fails(
        two_nodes: tuple[Store, Store]) -> None:
    per_thread = 50

    def create(store: Store, n: int) -> list[str]:
        return [store.tickets.create(new(source_id=f"<{n}.{i}@x>"), T0).number
                for i in range(per_thread)]

    numbers = [x for batch in together(two_nodes, create) for x in batch]
    expected = [f"SR-{i:06d}" for i in range(1, THREADS * per_thread + 1)]
    assert sorted(numbers) == expected
    assert two_nodes[1].tickets.count() == THREADS * per_thread


def test_one_source_on_both_nodes_makes_one_ticket_and_leaves_no_gap(
        two_nodes: tuple[Store, Store]) -> None:
    def create(store: Store, n: int) -> str:
        # As a webhook does: a duplicate caught inside the transaction, which goes on.
        def work() -> str:
            try:
                return store.tickets.create(new(source_id="CA-same"), T0).number
            except DuplicateSourceError as exc:
                return exc.number
        return store.atomically(work)

    assert set(together(two_nodes, create)) == {"SR-000001"}
    assert two_nodes[0].tickets.create(new(source_id="CA-next"), T0).number == "SR-000002"


def test_changes_read_from_one_ticket_on_both_nodes_are_none_lost(
        two_nodes: tuple[Store, Store]) -> None:
    number = two_nodes[0].tickets.create(new(description="start"), T0).number
    rounds = 5

    def append(store: Store, n: int) -> None:
        for i in range(rounds):
            def work() -> None:  # read, then write what was read plus ours
                ticket = store.tickets.get(number)
                store.tickets.update(number, T0, {"description": f"{ticket.description} {n}.{i}"})
            store.atomically(work)

    together(two_nodes, append)
    words = two_nodes[1].tickets.get(number).description.split()  # type: ignore[union-attr]
    assert words[0] == "start"
    assert sorted(words[1:]) == sorted(f"{n}.{i}" for n in range(THREADS) for i in range(rounds))


def test_one_callback_posted_to_both_nodes_is_one_event(two_nodes: tuple[Store, Store]) -> None:
    number = two_nodes[0].tickets.create(new(), T0).number

    def post(store: Store, n: int) -> tuple[bool, bool]:
        added = store.tickets.add_event(number, EventKind.CALL_RECORDING, T0, {"n": n},
                                        dedupe_key="RE-same")
        changed = store.tickets.update(number, T0, {"subject": f"s{n}"},
                                       dedupe_key="RE-same:update")
        return added, changed

    results = together(two_nodes, post)
    assert sum(a for a, _ in results) == 1 and sum(c for _, c in results) == 1
    kinds = [e.kind for e in two_nodes[1].tickets.get(number).events]
    assert kinds.count(EventKind.CALL_RECORDING) == 1
    assert kinds.count(EventKind.TICKET_UPDATED) == 1


def test_one_survey_answered_on_both_nodes_keeps_the_first_answer(
        two_nodes: tuple[Store, Store]) -> None:
    ticket = two_nodes[0].tickets.create(new(), T0)
    two_nodes[0].surveys.create("h-same", ticket.id, T0)
    answered = together(two_nodes, lambda s, n: s.surveys.answer("h-same", 1 + n % 5, T0))
    assert answered.count(True) == 1
    assert two_nodes[1].surveys.get("h-same").answer is not None  # type: ignore[union-attr]


def test_outbox_items_claimed_on_both_nodes_go_out_once(two_nodes: tuple[Store, Store]) -> None:
    for i in range(120):
        two_nodes[0].outbox.enqueue("email", f"r{i}@example.com", {"i": i}, T0)

    def drain(store: Store, n: int) -> list[int]:
        mine: list[int] = []
        while batch := store.outbox.claim_due(T0, timedelta(hours=1), limit=3):
            mine += [item.id for item in batch]
        return mine

    claimed = [x for batch in together(two_nodes, drain, threads=8) for x in batch]
    assert len(claimed) == 120 and len(set(claimed)) == 120


def test_an_answer_completing_one_rejection_on_both_nodes_opens_one_ticket(
        two_nodes: tuple[Store, Store]) -> None:
    row = two_nodes[0].messages.archive("email", "smtp", T0, raw=b"x")
    two_nodes[0].rejections.add(row, T0, ["company"], reply_message_id="<reply@desk>")

    def answer(store: Store, n: int) -> str:
        def work() -> str:  # as the pipeline does: the rejection decides a ticket or not
            rejection = store.rejections.by_reply("<reply@desk>")
            assert rejection is not None
            if rejection.resolved_ticket:
                return rejection.resolved_ticket
            ticket = store.tickets.create(new(source_id=f"<answer{n}@x>"), T0)
            store.rejections.resolve(rejection.id, ticket.id, T0)
            return ticket.number
        return store.atomically(work)

    assert set(together(two_nodes, answer)) == {"SR-000001"}
    assert two_nodes[1].tickets.count() == 1


def test_rate_hits_of_one_key_on_both_nodes_count_each_other(
        two_nodes: tuple[Store, Store]) -> None:
    counts = together(two_nodes, lambda s, n: s.rate_hits.hit("login:x", T0, T0))
    assert sorted(counts) == list(range(1, THREADS + 1))


def test_one_person_imported_on_both_nodes_is_one_contact(two_nodes: tuple[Store, Store]) -> None:
    person = ContactRecord(email=None, name="Ann Lee", company="Acme", phones=())
    results = together(two_nodes, lambda s, n: s.directory.upsert_contact(person, T0))
    assert len({contact_id for contact_id, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    assert len(two_nodes[1].directory.companies()) == 1
