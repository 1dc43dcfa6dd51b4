"""The store contract: the outbox's leases, retries, deferrals and counts. Runs against
every backend (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

from store import Store
from tests.helpers.store import T0


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


def test_a_provider_report_settles_an_item_once_and_only_while_it_waits(store: Store) -> None:
    claimed = store.outbox.enqueue("sms", "+15125550100", {"body": "page"}, T0)
    waiting = store.outbox.enqueue("sms", "+15125550101", {"body": "info"}, T0)
    withdrawn = store.outbox.enqueue("sms", "+15125550102", {"body": "page"}, T0,
                                     dedupe_key="paging:1:s0:Lee:sms")
    assert claimed and waiting and withdrawn
    store.outbox.claim_due(T0, timedelta(minutes=1), limit=1)
    store.outbox.mark_failed(waiting, "Twilio unreachable: timed out", T0 + timedelta(minutes=1))
    store.outbox.cancel("paging:1:", "acknowledged")
    # Twilio's callbacks: the claimed item (a crash after Twilio took it) and the one whose
    # answer timed out are settled, never due again; a withdrawn one stays withdrawn.
    at = T0 + timedelta(seconds=5)
    assert store.outbox.settle(claimed, at, "SM1") and store.outbox.settle(waiting, at, "SM2")
    assert not store.outbox.settle(withdrawn, at, "SM3")
    assert not store.outbox.settle(claimed, at + timedelta(seconds=1), "SM1")  # once
    done = store.outbox.get(claimed)
    assert (done.status, done.sent_at, done.response, done.last_error) == ("sent", at, "SM1",
                                                                           None)
    assert store.outbox.get(waiting).status == "sent"
    assert store.outbox.get(withdrawn).status == "cancelled"
    assert store.outbox.claim_due(T0 + timedelta(hours=1), timedelta(minutes=1)) == []


def test_a_group_is_claimed_in_order_recorded_together_and_the_rest_given_back(
        store: Store) -> None:
    ids = [store.outbox.enqueue("email", f"r{n}@acme.example", {"n": n}, T0 + timedelta(
        seconds=5 - n)) for n in range(5)]  # queued newest first: claimed oldest first
    lease = timedelta(minutes=5)
    claimed = store.outbox.claim_due(T0 + timedelta(seconds=5), lease, ("email",), limit=4)
    assert [c.id for c in claimed] == ids[::-1][:4]
    assert [c.payload["n"] for c in claimed] == [4, 3, 2, 1]
    assert all(c.status == "sending" and c.attempts == 1 for c in claimed)
    assert all(c.next_try_at == T0 + timedelta(seconds=5) + lease for c in claimed)
    store.outbox.mark_sent_many([(claimed[0].id, "written to a"), (claimed[1].id, "b")],
                                T0 + timedelta(seconds=6))
    assert [store.outbox.get(c.id).response for c in claimed[:2]] == ["written to a", "b"]
    assert all(store.outbox.get(c.id).status == "sent" for c in claimed[:2])
    # Never handed over: due again at once, the claim's attempt not counted; a sent item
    # given back by mistake stays sent.
    store.outbox.release([claimed[0].id, claimed[2].id, claimed[3].id],
                         T0 + timedelta(seconds=7))
    assert store.outbox.get(claimed[0].id).status == "sent"
    for item in claimed[2:]:
        back = store.outbox.get(item.id)
        assert (back.status, back.attempts) == ("pending", 0)
        assert back.next_try_at == T0 + timedelta(seconds=7)
    assert [c.id for c in store.outbox.claim_due(T0 + timedelta(seconds=7), lease)] == [
        ids[0], claimed[3].id, claimed[2].id]  # by due time, then id
