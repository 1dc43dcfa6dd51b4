"""The store contract: pages, their steps and notices, tier clocks, and the outbox's
cancellation. Runs against every backend (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

from store import Store
from tests.helpers.store import T0, new

LEASE = timedelta(minutes=1)


def _ticket(store: Store) -> int:
    return store.tickets.create(new(priority=1), T0).id


def test_a_page_is_opened_once_per_key_and_claimed_with_a_lease(store: Store) -> None:
    tid = _ticket(store)
    page = store.pages.open(tid, "page:SR-000001:voicemail", "voicemail", 1, {"a": 1}, T0)
    assert page is not None
    assert store.pages.open(tid, "page:SR-000001:voicemail", "voicemail", 1, {}, T0) is None
    claimed = store.pages.claim_due(T0, LEASE)
    assert [p.id for p in claimed] == [page] and claimed[0].payload == {"a": 1}
    assert store.pages.claim_due(T0, LEASE) == []  # leased
    # The worker died before taking the step: due again once the lease runs out.
    assert [p.id for p in store.pages.claim_due(T0 + LEASE, LEASE)] == [page]


def test_a_step_is_taken_once(store: Store) -> None:
    tid = _ticket(store)
    page = store.pages.open(tid, "k", "voicemail", 1, {}, T0)
    assert page is not None
    assert store.pages.advance(page, 0, T0 + timedelta(minutes=15))
    assert not store.pages.advance(page, 0, T0 + timedelta(minutes=15))  # a second worker
    got = store.pages.get(page)
    assert got is not None and got.step == 1 and got.next_at == T0 + timedelta(minutes=15)
    assert store.pages.claim_due(T0 + timedelta(minutes=14), LEASE) == []
    # A failed SMS of step 0 (the latest) makes the next step due at once; of no other step.
    assert not store.pages.hurry(page, 3, T0)
    assert store.pages.hurry(page, 0, T0 + timedelta(minutes=1))
    assert [p.id for p in store.pages.claim_due(T0 + timedelta(minutes=1), LEASE)] == [page]
    assert store.pages.advance(page, 1, None, "exhausted")
    assert store.pages.pages(status="exhausted")[0].id == page


def test_acknowledgement_ends_the_steps(store: Store) -> None:
    tid = _ticket(store)
    page = store.pages.open(tid, "k", "voicemail", 1, {}, T0)
    assert page is not None
    assert store.pages.acknowledge(page, "Ann", T0)
    assert not store.pages.acknowledge(page, "Bob", T0)
    got = store.pages.get(page)
    assert got is not None and got.status == "acknowledged" and got.acked_by == "Ann"
    assert store.pages.claim_due(T0 + timedelta(hours=1), LEASE) == []
    assert not store.pages.advance(page, 0, None)
    assert store.pages.pages(ticket_id=tid)[0].id == page and store.pages.get(999) is None


def test_notices_and_sids(store: Store) -> None:
    tid = _ticket(store)
    page = store.pages.open(tid, "k", "voicemail", 1, {}, T0)
    assert page is not None
    sms = store.outbox.enqueue("sms", "+15125550181", {}, T0)
    first = store.pages.add_notice(page, 0, "Ann", "+15125550181", sms, T0)
    store.pages.add_notice(page, 1, "Bob", "+15125550182", None, T0)
    assert sms is not None
    store.pages.set_sid(sms, "SM1")
    by_sid = store.pages.notice(sid="SM1")
    assert by_sid is not None and by_sid.id == first and by_sid.engineer == "Ann"
    assert store.pages.notice(outbox_id=sms) == by_sid
    assert store.pages.notice(sid="SM2") is None
    assert [n.engineer for n in store.pages.notices(page_id=page)] == ["Bob", "Ann"]
    assert [n.step for n in store.pages.notices(engineer="Ann")] == [0]


def test_tier_clocks(store: Store) -> None:
    tid = _ticket(store)
    due = T0 + timedelta(minutes=90)
    assert store.pages.set_tier(tid, 1, due, T0)
    assert not store.pages.set_tier(tid, 1, T0, T0)  # started once
    assert store.pages.due_tiers(due - timedelta(seconds=1)) == []
    assert [c.level for c in store.pages.due_tiers(due)] == [1]
    assert store.pages.set_tier(tid, 2, due + timedelta(hours=1), due, from_level=1)
    assert not store.pages.set_tier(tid, 2, None, due, from_level=1)  # moved already
    clock = store.pages.tier(tid)
    assert clock is not None and clock.level == 2 and store.pages.tier(tid + 1) is None


def test_outbox_cancel_and_oldest_waiting(store: Store) -> None:
    a = store.outbox.enqueue("sms", "+1", {}, T0, dedupe_key="page:1:s0:Ann:sms")
    b = store.outbox.enqueue("email", "a@x", {}, T0 + timedelta(seconds=5),
                             dedupe_key="page:1:s0:Ann:email")
    c = store.outbox.enqueue("sms", "+1", {}, T0, dedupe_key="page:10:s0:Ann:sms")
    assert a and b and c
    assert store.outbox.oldest_waiting(("email",)) == T0 + timedelta(seconds=5)
    assert store.outbox.cancel("page:1:", "acknowledged") == 2
    assert store.outbox.get(a).status == "cancelled" and store.outbox.get(c).status == "pending"
    assert store.outbox.claim_due(T0 + timedelta(minutes=1), LEASE, kinds=("email",)) == []
    assert store.outbox.oldest_waiting(("email",)) is None


def test_the_clocks_scan_reads_only_tickets_missing_a_clock_or_a_triage_page(
        store: Store) -> None:
    high = [store.tickets.create(new(priority=2, source_id=f"h{n}",
                                     received_at=T0 + timedelta(minutes=n)), T0)
            for n in range(3)]
    store.tickets.create(new(priority=3, source_id="normal"), T0)  # not tiered
    closed = store.tickets.create(new(priority=1, source_id="closed"), T0)
    store.tickets.set_status(closed.number, "closed", T0)
    assert [t.number for t in store.pages.unclocked((1, 2))] == [t.number for t in high]
    assert store.pages.set_tier(high[0].id, 1, T0, T0)
    assert [t.number for t in store.pages.unclocked((1, 2))] == [t.number for t in high[1:]]
    # Never paged and received by the cut-off: h0 and h1 (h1 exactly at it), not h2.
    cut = T0 + timedelta(minutes=1)
    assert [t.number for t in store.pages.unpaged((1, 2), cut)] == [t.number for t in high[:2]]
    store.pages.open(high[0].id, "k", "triage", 2, {}, T0)
    store.tickets.set_status(high[1].number, "open", T0)  # triaged: no longer new
    assert store.pages.unpaged((1, 2), cut) == []
    assert store.pages.unclocked((1, 2))[0].events == ()  # the queue's events are not read
