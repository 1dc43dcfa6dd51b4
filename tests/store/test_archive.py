"""The store contract: the archive of raw input, rejections, idempotency keys and poller
state. Runs against every backend (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store import ArchivedMessage, NotFoundError, Store, refusal_id
from tests.helpers.store import T0, new


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


def test_an_error_is_seen_again_only_as_the_same_bytes_refused_for_good(store: Store) -> None:
    refused, failed = b"From: " + b". " * 50 + b"\r\n\r\nhi", b"Subject: bug\r\n\r\nhi"
    first = store.messages.archive("email", "smtp", T0, raw=refused)
    store.messages.set_outcome(first, "error", "over the limits", source_id=refusal_id(refused))
    bug = store.messages.archive("email", "smtp", T0, raw=failed, source_id="<bug@x>")
    store.messages.set_outcome(bug, "error", "internal error")
    assert store.messages.seen("email", None, refused) == first  # a retry: a duplicate
    assert store.messages.seen("voice", None, refused) is None
    assert store.messages.seen("email", refusal_id(refused)) is None  # only by its bytes
    assert store.messages.seen("email", "<bug@x>", failed) is None  # a bug: tried again


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


def test_an_archived_message_is_a_record(store: Store) -> None:
    raw = b"Subject: hi\r\n\r\nbody"
    row = store.messages.archive("email", "smtp", T0, raw=raw, source_id="<m1@x>")
    ticket = store.tickets.create(new(), T0)
    store.messages.set_outcome(row, "ticket", ticket_id=ticket.id)
    got = store.messages.get(row)
    assert isinstance(got, ArchivedMessage)
    assert (got.id, got.channel, got.source, got.source_id, got.received_at) == (
        row, "email", "smtp", "<m1@x>", T0)
    assert (got.raw, got.size, got.params) == (raw, len(raw), None)
    assert (got.outcome, got.reason, got.ticket_id) == ("ticket", None, ticket.id)
    assert got.sha256 is not None and len(got.sha256) == 64


def test_an_unknown_message_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.messages.get(404)
