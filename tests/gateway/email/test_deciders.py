"""gateway.email.deciders and EmailIntake.accept/decide_pending/decide_claimed: mail accepted
as pending is decided exactly once, whoever holds it and whatever dies on the way."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from gateway.email.deciders import LoopSettings, decide_some, run
from gateway.email.pipeline import MAX_ATTEMPTS
from gateway.runtime.services import Services
from store import StoreError
from tests.helpers import mail as F
from tests.helpers.clock import Clock

LEASE = timedelta(seconds=30)


def loop(owner: str, batch: int = 4) -> LoopSettings:
    return LoopSettings(owner, LEASE, batch, poll_seconds=0.01, drain_seconds=5)


def test_accepted_mail_is_pending_until_a_decider_commits_its_outcome(services: Services) -> None:
    rung: list[bool] = []
    services.email.doorbell = lambda: rung.append(True)
    row = services.email.accept(F.LABELLED, "smtp:test", ("support@desk.example",))
    assert rung == [True] and services.email.decided(row) is None
    assert services.store.messages.get(row).raw == F.LABELLED
    assert decide_some(services.email, loop("a")) == 1
    decided = services.email.decided(row)
    assert decided is not None and (decided.outcome, decided.ticket) == ("ticket", "SR-000001")
    assert services.store.pending.count() == 0
    assert decide_some(services.email, loop("b")) == 0


def test_a_decider_whose_lease_ran_out_commits_nothing(services: Services, clock: Clock) -> None:
    row = services.email.accept(F.LABELLED, "smtp:test")
    [slow] = services.store.pending.claim("slow", clock(), LEASE)
    clock.advance(seconds=31)  # the slow one's lease is over: another node takes the row
    [fast] = services.store.pending.claim("fast", clock(), LEASE)
    assert services.email.decide_pending(fast, "fast") is not None
    assert services.email.decide_pending(slow, "slow") is None  # nothing committed
    assert services.store.tickets.count() == 1
    assert services.store.messages.get(row).outcome == "ticket"
    assert len(services.store.outbox.items()) == 1  # one acknowledgement, not two


def test_a_message_its_deciders_keep_dying_on_is_left_for_a_person(
        services: Services, clock: Clock) -> None:
    row = services.email.accept(F.LABELLED, "smtp:test")
    for _ in range(MAX_ATTEMPTS):  # each claim's decider died before committing
        services.store.pending.claim("dead", clock(), LEASE)
        clock.advance(seconds=31)
    [item] = services.store.pending.claim("next", clock(), LEASE)
    outcome = services.email.decide_pending(item, "next")
    assert outcome is not None and outcome.outcome == "error"
    assert services.store.messages.get(row).outcome == "error"
    assert services.store.tickets.count() == 0


def test_two_deciders_at_once_decide_each_message_once(services: Services) -> None:
    for n in range(30):
        services.email.accept(F.LABELLED.replace(b"<t1@acme.example>", f"<d{n}@x>".encode()),
                              "smtp:test")
    stop, wake = threading.Event(), threading.Event()
    stop.set()  # already stopping: each loop drains what is pending, then returns
    threads = [threading.Thread(target=run, args=(services.email, loop(f"d{n}", 3), wake, stop))
               for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert services.store.pending.count() == 0
    tickets = services.store.tickets.queue()
    assert len(tickets) == 30 and len({t.source_id for t in tickets}) == 30


def test_a_batch_commits_each_outcome_and_skips_what_was_taken_over(
        services: Services, clock: Clock) -> None:
    rows = [services.email.accept(F.LABELLED.replace(b"<t1@acme.example>", f"<b{n}@x>".encode()),
                                  "smtp:test") for n in range(3)]
    slow = services.store.pending.claim("slow", clock(), LEASE, limit=3)
    clock.advance(seconds=31)
    [fast] = services.store.pending.claim("fast", clock(), LEASE)  # the oldest, rows[0]
    assert services.email.decide_claimed([fast], "fast")[0] is not None
    results = services.email.decide_claimed(slow, "slow")
    assert results[0] is None  # taken over: nothing committed twice
    assert [getattr(r, "outcome", None) for r in results[1:]] == ["ticket", "ticket"]
    assert [services.store.messages.get(r).outcome for r in rows] == ["ticket"] * 3
    assert services.store.tickets.count() == 3 and services.store.pending.count() == 0
    assert len(services.store.outbox.items()) == 3


def test_the_same_message_twice_in_one_batch_is_one_ticket(services: Services) -> None:
    # An SMTP retry: the same Message-ID accepted twice, both claimed by one decider.
    rows = [services.email.accept(F.LABELLED, "smtp:test") for _ in range(2)]
    assert decide_some(services.email, loop("a")) == 2
    outcomes = sorted(services.store.messages.get(r).outcome or "" for r in rows)
    assert outcomes == ["duplicate", "ticket"]
    assert services.store.tickets.count() == 1


def test_a_decider_is_told_how_long_the_oldest_mail_it_claims_waited(
        services: Services, clock: Clock) -> None:
    waits: list[float] = []

    class Told:
        def claimed(self, waited: float) -> None:
            waits.append(waited)

    services.email.accept(F.LABELLED, "smtp:test")
    clock.advance(seconds=5)
    services.email.accept(F.LABELLED.replace(b"<t1@acme.example>", b"<t2@x>"), "smtp:test")
    clock.advance(seconds=2)
    assert decide_some(services.email, loop("a"), Told()) == 2
    assert decide_some(services.email, loop("a"), Told()) == 0  # nothing claimed: not told
    assert waits == [7.0]


def test_a_decider_holds_the_write_lock_only_inside_its_writing_blocks(
        services: Services) -> None:
    # Its process raises its priority for exactly those blocks (gateway/runtime/priority.py).
    inside: list[bool] = []
    depth = [0]

    class Writing:
        def __enter__(self) -> None:
            depth[0] += 1

        def __exit__(self, *exc: object) -> None:
            depth[0] -= 1

    services.email.writing = Writing
    services.email.accept(F.LABELLED, "smtp:test")
    conns = services.store.pending._conns  # noqa: SLF001 - watching when writes happen
    write = conns.write

    def watched(work):  # type: ignore[no-untyped-def]
        inside.append(depth[0] > 0)
        return write(work)

    conns.write = watched  # type: ignore[method-assign]
    try:
        assert decide_some(services.email, loop("a")) == 1
    finally:
        conns.write = write  # type: ignore[method-assign]
    assert len(inside) >= 2 and all(inside)  # the claim, the outcome's commit


def test_mail_whose_outcome_could_not_be_committed_is_committed_again_before_its_lease_ends(
        services: Services, clock: Clock) -> None:
    # The disk was full (or the database down) for the first two commits.
    row = services.email.accept(F.LABELLED, "smtp:test")
    atomically, calls = services.store.atomically, [0]

    def full_then_room(work):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] <= 2:
            raise StoreError("database or disk is full")
        return atomically(work)

    services.store.atomically = full_then_room  # type: ignore[method-assign]
    stop, wake = threading.Event(), threading.Event()
    stop.set()  # drains what is pending, then returns
    run(services.email, loop("a"), wake, stop)
    decided = services.email.decided(row)  # the clock never moved: no lease ran out
    assert decided is not None and decided.outcome == "ticket" and calls[0] == 3
    assert services.store.pending.count() == 0 and services.store.tickets.count() == 1
    assert len(services.store.outbox.items()) == 1


def test_a_decider_that_cannot_commit_backs_off_and_keeps_what_it_holds(
        services: Services) -> None:
    services.email.accept(F.LABELLED, "smtp:test")
    tries: list[float] = []

    def full(work):  # type: ignore[no-untyped-def]
        tries.append(time.monotonic())
        raise StoreError("database or disk is full")

    services.store.atomically = full  # type: ignore[method-assign]
    stop, wake = threading.Event(), threading.Event()
    stop.set()
    run(services.email, LoopSettings("a", LEASE, 4, poll_seconds=0.05, drain_seconds=1), wake, stop)
    # One commit a round (a lone message is not tried again alone): 0.1, 0.2, 0.4 s between
    # rounds, not a spin.
    assert 2 <= len(tries) <= 5, tries
    assert all(b - a >= 0.09 for a, b in zip(tries, tries[1:])), tries
    assert services.store.pending.owners() == ["a"]  # still held: no one else decides it twice
    assert services.store.pending.count() == 1
