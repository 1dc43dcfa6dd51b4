"""Mail a node accepted (250) and then died with, kill -9, is decided by the other node,
each message exactly once: what no decider had claimed at once, what the dead node's
deciders held once their lease (`[deciders] lease_seconds`) ran out. One ticket and one
acknowledgement per 250, none twice at the relay."""

from __future__ import annotations

import email
import signal
import smtplib
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Store
from tests.helpers.cluster import LEASE, Cluster, Node, two_nodes
from tests.helpers.dovecot import Dovecot
from tests.helpers.mail import plain
from tests.helpers.postgres import Postgres
from tests.helpers.waiting import wait_for

BODY = """
    Hello,

    Name: John Smith
    Company: Contoso Ltd
    Call-back number(s): (512) 555-0100
    Description:
    The VPN drops every few minutes since the new firewall went in this morning.
    """
CLAIMED, UNCLAIMED = 20, 6  # held by the dying node's decider / never claimed by anyone


@pytest.fixture
def cluster(tmp_path: Path, postgres: Postgres, dovecot: Dovecot) -> Iterator[Cluster]:
    """Two nodes whose deciders claim up to 50 messages at a time (so one claim takes the
    whole first burst)."""
    with two_nodes(tmp_path, postgres, dovecot, batch=50) as running:
        yield running


def _burst(node: Node, tag: str, count: int) -> list[str]:
    """`count` requests over one SMTP session; the Message-IDs, each answered 250."""
    mids = []
    with smtplib.SMTP("127.0.0.1", node.smtp, timeout=10) as smtp:
        assert smtp.ehlo()[0] == 250
        for n in range(count):
            mid, sender = f"<{tag}{n}@contoso.example>", f"client-{tag}{n}@contoso.example"
            assert smtp.mail(sender)[0] == 250
            assert smtp.rcpt("support@desk.example")[0] == 250
            code, said = smtp.data(plain(BODY, sender=sender, message_id=mid))
            assert code == 250, said
            mids.append(mid)
    return mids


def _sources(store: Store) -> list[str | None]:
    return [t.source_id for t in store.tickets.queue(include_closed=True)]


def _hold_a_claim(node: Node, store: Store, count: int) -> list[str]:
    """Let the node's deciders run until one holds the pending mail, then freeze them
    there, mid-decision; the owners holding rows."""
    node.signal_deciders(signal.SIGCONT)
    owners: list[str] = wait_for(store.pending.owners, "a decider of the node to claim")
    node.signal_deciders(signal.SIGSTOP)
    assert store.pending.count() == count, "the decider finished before it was frozen"
    return owners


def test_mail_a_dead_node_accepted_is_decided_by_the_other_once(cluster: Cluster) -> None:
    a, b = cluster.nodes
    # B's deciders busy elsewhere (frozen) until A is dead, so A's mail waits for them;
    # B's SMTP and HTTP carry on. A's deciders frozen too, until the burst is in.
    b.signal_deciders(signal.SIGSTOP)
    a.signal_deciders(signal.SIGSTOP)
    try:
        claimed = _burst(a, "held", CLAIMED)
        held_by = _hold_a_claim(a, cluster.store, CLAIMED)
        unclaimed = _burst(a, "free", UNCLAIMED)  # accepted after the claim: nobody's
        assert cluster.store.pending.count() == CLAIMED + UNCLAIMED
        a.kill()
        killed_at = time.monotonic()
        assert cluster.store.pending.owners() == held_by  # the dead node's claim, leased
    finally:
        b.signal_deciders(signal.SIGCONT)
    wait_for(lambda: cluster.store.pending.count() <= CLAIMED, "B to decide the free mail")
    free_after = time.monotonic() - killed_at
    wait_for(lambda: cluster.store.pending.count() == 0, "B to decide the dead node's claim")
    held_after = time.monotonic() - killed_at
    expected = claimed + unclaimed
    assert Counter(_sources(cluster.store)) == Counter(expected)  # each exactly once
    assert cluster.store.counts().messages_by_outcome == {"ticket": len(expected)}
    # One acknowledgement per 250, each through the relay once (sent by B: A is dead).
    wait_for(lambda: set(cluster.store.outbox.counts()) == {"sent"}, "the outbox sent")
    assert cluster.store.outbox.counts()["sent"] == len(expected)
    wait_for(lambda: len(cluster.sink.received) >= len(expected), "every acknowledgement")
    answered = Counter(email.message_from_bytes(raw)["In-Reply-To"]
                       for raw in cluster.sink.received)
    assert answered == Counter(expected)
    assert len(set(cluster.sink.message_ids())) == len(expected)
    print(f"after the kill: free mail decided in {free_after:.2f} s, the dead node's"
          f" claim in {held_after:.2f} s (lease {LEASE} s)")
